"""Injection reminders: rules and recurrence, the store and the dispatcher; no Telegram here."""
