"""b12bot: a Telegram assistant for people on vitamin B12 injections and their carers."""
