import logging

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from bot.logs import REDACTED, ScrubDatabaseErrors, ScrubTokens

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"


def test_defaults() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.token == TOKEN
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 8080
    assert settings.log_level == logging.INFO
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": "eighty"}, "PORT must be a number"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": "70000"}, "PORT must be a number"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "localhost:8081"},
            "TELEGRAM_BASE_URL must be",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET must be"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "b12.db"}, "DATABASE_URL must be a URL"),
    ],
)
def test_bad_settings_say_which_and_how(env, says) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(env)


def test_webhook_needs_url_and_secret() -> None:
    with pytest.raises(ConfigError, match="needs WEBHOOK_URL"):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, need_webhook=True)
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://b12.example/tg",
            "WEBHOOK_SECRET": "s3cr3t",
        },
        need_webhook=True,
    )
    assert settings.webhook_url == "https://b12.example/tg"


def test_scrubber_removes_tokens_from_messages_and_tracebacks() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST %s", (f"https://api/bot{TOKEN}/getMe",), None
    )
    ScrubTokens().filter(record)
    assert TOKEN not in record.getMessage()
    assert REDACTED in record.getMessage()
    try:
        raise RuntimeError(f"failed calling bot{TOKEN}/sendMessage")
    except RuntimeError as error:
        failing = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", (), (RuntimeError, error, error.__traceback__)
        )
    ScrubTokens().filter(failing)
    assert TOKEN not in (failing.exc_text or "")


def test_a_database_error_is_logged_by_its_type_and_codes_never_the_row_it_quotes() -> None:
    """PostgreSQL's own message quotes the refused row; a sent-on error is logged the same way."""
    refused = asyncpg.UniqueViolationError("duplicate key value violates unique constraint")
    refused.sqlstate, refused.constraint_name = "23505", "uq_carer_links_patient_id"
    refused.detail = "Key (patient_id, carer_name)=(918273, Margaretha) already exists."
    try:
        try:
            raise refused
        except asyncpg.PostgresError as error:
            raise IntegrityError("INSERT INTO carer_links ...", None, error) from error
    except IntegrityError as error:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed: %s", (error,), (IntegrityError, error, None)
        )
    ScrubDatabaseErrors().filter(record)
    logged = logging.Formatter().format(record)
    assert "Margaretha" not in logged
    assert "918273" not in logged
    assert "sqlstate=23505, constraint_name=uq_carer_links_patient_id" in logged
    assert "IntegrityError" in logged
