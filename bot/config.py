"""Settings from environment variables, in one place and typed.

A missing or malformed value stops start-up with one line that says which and how to fix it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = f"sqlite:///{Path.cwd() / 'b12bot.sqlite3'}"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # Telegram's rule for secret_token
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is the one line a person needs."""


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None
    base_url: str | None
    database_url: str
    webhook_url: str | None
    webhook_secret: str | None
    port: int
    log_level: int
    send_lease_seconds: int = (
        120  # a reminder send unconfirmed this long is retried (crash recovery)
    )

    def __repr__(self) -> str:  # never print the token
        return f"Settings(base_url={self.base_url!r}, port={self.port}, webhook_url={self.webhook_url!r})"


def _url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            f"{name} must be an http(s) address such as https://example.org/path, got {value!r}"
        )
    return value


def load_settings(
    env: Mapping[str, str], *, need_token: bool = True, need_webhook: bool = False
) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad one."""
    token = env.get("TELEGRAM_BOT_TOKEN") or None
    if need_token and token is None:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it"
        )
    if token is not None and not _TOKEN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters)"
        )
    port_text = env.get("PORT", "8080")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"PORT must be a number from 1 to 65535, got {port_text!r}")
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in _LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LEVELS)}, got {level!r}")
    secret = env.get("WEBHOOK_SECRET") or None
    if secret is not None and not _SECRET.match(secret):
        raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    webhook_url = _url("WEBHOOK_URL", env.get("WEBHOOK_URL") or None)
    if need_webhook and (webhook_url is None or secret is None):
        raise ConfigError(
            "b12bot webhook needs WEBHOOK_URL (your public https address) and WEBHOOK_SECRET"
        )
    lease = env.get("DISPATCH_LEASE_SECONDS", "120")
    if not lease.isdigit() or not 1 <= int(lease) <= 3600:
        raise ConfigError(
            f"DISPATCH_LEASE_SECONDS must be a number of seconds from 1 to 3600, got {lease!r}"
        )
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if "://" not in database_url:
        raise ConfigError(
            f"DATABASE_URL must be a URL such as sqlite:///b12bot.sqlite3, got {database_url!r}"
        )
    return Settings(
        token=token,
        base_url=_url("TELEGRAM_BASE_URL", env.get("TELEGRAM_BASE_URL") or None),
        database_url=database_url,
        webhook_url=webhook_url,
        webhook_secret=secret,
        port=int(port_text),
        log_level=getattr(logging, level),
        send_lease_seconds=int(lease),
    )


def offline_settings(
    token: str, base_url: str, database_url: str = DEFAULT_DATABASE_URL
) -> Settings:
    """Settings for a local Bot API server (the emulator in `b12bot chat`, tests, benchmarks)."""
    return Settings(
        token=token,
        base_url=base_url,
        database_url=database_url,
        webhook_url=None,
        webhook_secret=None,
        port=0,
        log_level=logging.INFO,
    )
