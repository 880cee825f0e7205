"""Logging that never holds a bot token, what people wrote, or what the database stores.

httpx logs every request URL at INFO, and the token is part of every Bot API URL; PTB's DEBUG logs
carry message text (health data) and `repr(bot)` prints the token; at DEBUG aiosqlite prints every
statement with its parameters (names, user ids, schedules), and SQLAlchemy logs them at INFO. So:
those loggers are held at WARNING whatever LOG_LEVEL says, and a filter scrubs anything shaped like
a token from every record. (The database engine also leaves parameters out of its errors.)
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{5,}")
_NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "apscheduler",
    "aiohttp.access",
    "alembic",
    "aiosqlite",
    "sqlalchemy",
    "asyncpg",
)
REDACTED = "[token]"


class ScrubTokens(logging.Filter):
    """Replaces token-shaped text in a record's final message; keeps the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = _TOKEN.sub(REDACTED, message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if _TOKEN.search(text):
                record.exc_text, record.exc_info = _TOKEN.sub(REDACTED, text), None
        return True


def configure(level: int) -> None:
    """Set up the root handler with the scrubber; quiet the loggers that leak."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
