"""Telegram webhook server: our own aiohttp app feeding the Application's update queue.

Telegram sends every update with the secret we gave setWebhook in the
X-Telegram-Bot-Api-Secret-Token header; anything without it is refused, so a stranger who finds
the URL cannot forge updates. /healthz tells a host the process is alive.
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

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
logger = logging.getLogger(__name__)


def web_app(application: Application, secret: str, path: str) -> web.Application:
    """The routes: POST `path` for Telegram, GET /healthz for the host."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (json.JSONDecodeError, ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def health(_: web.Request) -> web.Response:
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
