"""The FAQ brain: content, triage, matching and rendering, with no Telegram in sight."""
