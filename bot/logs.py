"""Logging that never holds a bot token, what people wrote, or what the database stores.

httpx logs every request URL at INFO, and the token is part of every Bot API URL; PTB's DEBUG logs
carry message text (health data) and `repr(bot)` prints the token; at DEBUG aiosqlite prints every
statement with its parameters (names, user ids, schedules), and SQLAlchemy logs them at INFO. So:
those loggers are held at WARNING whatever LOG_LEVEL says, and a filter scrubs anything shaped like
a token from every record. (The database engine also leaves parameters out of its errors.)

Database errors are named by their type and codes only, wherever they appear in a record (its
traceback, at any depth of its chain, or its arguments): a driver's own text can quote the data,
as PostgreSQL's "DETAIL: Failing row contains (..., Margaretha, ...)" or "Key (...)=(...)" does,
and that text is in the exception's message, where no engine setting reaches it.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Final

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
_DATABASE_PACKAGES: Final = frozenset({"sqlalchemy", "asyncpg", "aiosqlite", "sqlite3"})
_CODES: Final = ("sqlstate", "sqlite_errorname", "constraint_name", "table_name")  # never values
_CAUSE: Final = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT: Final = "\nDuring handling of the above exception, another exception occurred:\n\n"


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


class ScrubDatabaseErrors(logging.Filter):
    """Names the exceptions of a chain that involves the database by type and codes only."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and _involves_database(error):
            record.exc_text, record.exc_info = _scrubbed_traceback(error), None
        record.msg = _without_database_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_without_database_text(arg) for arg in record.args)
        return True


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """The exception and those behind it, newest first, each with the line that says why it came."""
    links: list[tuple[BaseException, str]] = []
    link: BaseException | None = error
    while link is not None and all(link is not seen for seen, _ in links):
        if link.__cause__ is not None:
            links.append((link, _CAUSE))
            link = link.__cause__
        elif link.__context__ is not None and not link.__suppress_context__:
            links.append((link, _CONTEXT))
            link = link.__context__
        else:
            links.append((link, ""))
            link = None
    return links


def _involves_database(error: BaseException) -> bool:
    return any(
        kind.__module__.partition(".")[0] in _DATABASE_PACKAGES
        for link, _ in _chain(error)
        for kind in type(link).__mro__
    )


def _described(error: BaseException) -> str:
    """The exception's type, and the codes and schema names it carries: never its message."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    codes = [
        f"{code}={value}" for code in _CODES if isinstance(value := getattr(error, code, None), str)
    ]
    return f"{name} ({', '.join(codes)})" if codes else name


def _scrubbed_traceback(error: BaseException) -> str:
    """The traceback Python would print, with each exception described instead of its message."""
    parts: list[str] = []
    for link, came in reversed(_chain(error)):
        parts.append(came)
        if link.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{_described(link)}\n")
    return "".join(parts).rstrip("\n")


def _without_database_text(value: object) -> object:
    """A database exception given as a log argument, as its chain's descriptions."""
    if isinstance(value, BaseException) and _involves_database(value):
        return " <- ".join(_described(link) for link, _ in _chain(value))
    return value


def configure(level: int) -> None:
    """Set up the root handler with the scrubber; quiet the loggers that leak."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubDatabaseErrors())  # first: it reads the exception the next one drops
    handler.addFilter(ScrubTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
