"""python-telegram-bot adapters: thin handlers over the FAQ brain and the reminders."""
