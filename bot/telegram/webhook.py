"""Telegram webhook server: our own aiohttp app feeding the Application's update queue.

Telegram sends every update with the secret we gave setWebhook in the
X-Telegram-Bot-Api-Secret-Token header; anything without it is refused (403), so a stranger who
finds the URL cannot forge updates. Whatever a stranger sends gets a 4xx, never a 500: headers are
compared as raw bytes, and a body that is not an update is a 400. /healthz tells a host whether
the process can do its work: 503 when the database does not answer.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.app import ALLOWED_UPDATES, running
from bot.telegram.services import KEY

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
HEALTH_TIMEOUT = 5.0  # seconds the database has to answer a health check
logger = logging.getLogger(__name__)


def web_app(application: Application, secret: str, path: str) -> web.Application:
    """The routes: POST `path` for Telegram, GET /healthz for the host."""

    async def receive(request: web.Request) -> web.Response:
        # aiohttp decodes header bytes with surrogateescape: encode them back the same way.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise TypeError("not an update object")
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):  # JSON and decode errors too
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def health(_: web.Request) -> web.Response:
        store = application.bot_data[KEY].store
        try:
            await asyncio.wait_for(store.ping(), HEALTH_TIMEOUT)
        except Exception:  # any failure to answer is the database being down, for the host
            logger.warning("health check: the database does not answer")
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


async def serve(
    application: Application,
    settings: Settings,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - a host's web process listens on all interfaces
    stop: asyncio.Event | None = None,
) -> None:
    """Register the webhook with Telegram and serve until `stop` is set (or forever)."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("serve needs webhook_url and webhook_secret")
    path = urlsplit(settings.webhook_url).path or "/"
    runner = web.AppRunner(web_app(application, settings.webhook_secret, path), access_log=None)
    async with running(application, polling=False):
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        await runner.setup()
        await web.TCPSite(runner, host, settings.port).start()
        logger.info("webhook server listening on port %d", settings.port)
        try:
            await (stop or asyncio.Event()).wait()
        finally:
            await runner.cleanup()
