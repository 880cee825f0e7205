"""The emulator itself: its HTTP server, the Bot API methods it answers, and the users' side.

Message text parsing is in entities.py, Telegram's send limits in flood.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import logging
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from telegram import constants

from bot.emulator.entities import JSON, detected_entities, parse_html, trimmed, utf16_slice
from bot.emulator.flood import FloodControl
from bot.knowledge.telegram_html import check_entities, utf16_length

_LOG = logging.getLogger(__name__)

_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_BOT_FIRST_NAME = "B12 Bot"
_ANONYMOUS_ADMIN: JSON = {
    "id": constants.ChatID.ANONYMOUS_ADMIN,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

# https://core.telegram.org/bots/api#getupdates: an empty list means "all update types except
# chat_member, message_reaction, and message_reaction_count".
_ALL_UPDATES = frozenset(kind.value for kind in constants.UpdateType)
_DEFAULT_UPDATES = _ALL_UPDATES - {
    constants.UpdateType.CHAT_MEMBER.value,
    constants.UpdateType.MESSAGE_REACTION.value,
    constants.UpdateType.MESSAGE_REACTION_COUNT.value,
}
_CHAT_ACTIONS = frozenset(action.value for action in constants.ChatAction)
_COMMAND_SCOPES = frozenset(scope.value for scope in constants.BotCommandScopeType)
_SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})

_CALLBACK_QUERY_LIFETIME = 15.0  # seconds a callback query can still be answered (about)
_WEBHOOK_RETRY_SECONDS = 1.0
_CLOSE_CHECK = 0.5  # seconds between looks at whether the emulator was stopped, while waiting
_WEBHOOK_TIMEOUT = 10.0
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # sendDocument accepts files up to 50 MB
_DEFAULT_WEBHOOK_CONNECTIONS = 40

# Exactly one of these makes an inline keyboard button do something.
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]+")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities")

# Telegram's own descriptions, word for word.
_TEXT_EMPTY = "Bad Request: message text is empty"
_TEXT_BLANK = "Bad Request: text must be non-empty"
_TEXT_TOO_LONG = "Bad Request: message is too long"
_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
_CHAT_NOT_FOUND = "Bad Request: chat not found"
_NO_RIGHT_TO_POST = "Bad Request: not enough rights to send text messages to the chat"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_TEXT_BUTTONS = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLLER_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_FILE_ID_PREFIXES = {
    "document": "BQACAgQAAxkBAAI",
    "photo": "AgACAgQAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgQAAxkBAAI",
}
_PHOTO_SIZES = ((90, 68), (320, 240), (1280, 960))
_MEMBER_RIGHTS = (  # what a ChatMemberRestricted says a member may do
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


# --- what tests and `b12bot chat` see -------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A person played by the scenario; their private chat with the bot has the same id."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str = "en"


@dataclass
class Group:
    """A group chat; basic groups have negative ids, supergroups ids that start with -100."""

    id: int
    title: str
    members: list[User]
    admins: list[User]
    privacy_mode: bool = True
    supergroup: bool = False
    bot_status: str = "member"  # member, restricted (may read, not post), left or kicked

    @property
    def bot_present(self) -> bool:
        """Whether the bot is in the group: it reads there, even where it may not post."""
        return self.bot_status in ("member", "restricted")

    @property
    def creator(self) -> User | None:
        """The group's owner: its first admin."""
        return self.admins[0] if self.admins else None


@dataclass
class BotMessage:
    """A message the bot sent, as people in the chat see it now (edits and deletion applied)."""

    message_id: int
    chat_id: int
    text: str
    html: str
    buttons: list[list[tuple[str, str]]]
    reply_to_message_id: int | None
    deleted: bool = False
    edits: int = 0
    payload: JSON = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Violation:
    """One request Telegram refused, or one duty the bot skipped: a bug in the bot."""

    method: str
    description: str
    payload: str


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as the emulator received it."""

    filename: str | None
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook: its HTTP status, or why it failed."""

    update_id: int
    status: int | None
    error: str | None


class MessagesTimeout(TimeoutError):
    """The bot sent fewer messages than a scenario waited for; `received` holds what came."""

    def __init__(self, chat_id: int, count: int, received: list[BotMessage]) -> None:
        super().__init__(
            f"chat {chat_id}: waited for {count} new bot message(s), got {len(received)}"
        )
        self.received = received


# --- request handling helpers ---------------------------------------------------------------


class _ApiError(Exception):
    """A Bot API error answer; `violation` says whether it exposes a bug in the bot."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        parameters: JSON | None = None,
        violation: bool = True,
        detail: str = "",
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        self.violation = violation
        self.detail = detail


@dataclass(frozen=True)
class _Described:
    """A successful result that Telegram sends with a human-readable description."""

    result: Any
    description: str


class _Params:
    """Typed access to one request's parameters, however they were encoded.

    python-telegram-bot sends form fields whose values are JSON-encoded except plain strings;
    other clients send JSON bodies or query strings. Telegram reads them all the same way, and
    treats a missing or empty value as absent.
    """

    def __init__(self, raw: JSON) -> None:
        self.raw = raw

    def value(self, name: str) -> Any:
        value = self.raw.get(name)
        return None if value is None or (isinstance(value, str) and not value) else value

    def text(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int:
        """Telegram reads a missing or malformed integer as 0."""
        value = self.value(name)
        if isinstance(value, int):
            return int(value)
        try:
            return int(str(value))
        except (TypeError, ValueError):
            return 0

    def number(self, name: str) -> float:
        try:
            return float(self.value(name) or 0)
        except (TypeError, ValueError):
            return 0.0

    def flag(self, name: str) -> bool:
        value = self.value(name)
        return value if isinstance(value, bool) else str(value).lower() in {"true", "1"}

    def obj(self, name: str, what: str) -> Any:
        """A JSON-serialised parameter (reply_markup, scope...), decoded."""
        value = self.value(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {what} JSON object") from None

    def chat_id(self, name: str = "chat_id") -> int:
        """The chat a request names; public @usernames are not emulated, so they name none (0)."""
        value = self.value(name)
        if value is None:
            raise _ApiError(400, f"Bad Request: {name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        return int(text) if re.fullmatch(r"-?\d+", text) else 0

    def file(self, name: str) -> UploadedFile | str | None:
        value = self.value(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.value(value.removeprefix("attach://"))
        return value


# How Telegram reads form fields that python-telegram-bot JSON-encodes; text stays text.
_INTEGER_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
    }
)
_FLAG_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
    }
)
_OBJECT_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
    }
)


def _typed(name: str, value: Any) -> Any:
    """One form field as the JSON value it encodes, so recorded requests compare naturally."""
    if not isinstance(value, str):
        return value
    if name in _INTEGER_PARAMS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if name in _FLAG_PARAMS and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    if name == "timeout" and re.fullmatch(r"\d+(\.\d+)?", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    if name in _OBJECT_PARAMS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


async def _read_params(request: web.Request) -> JSON:
    params: JSON = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _ApiError(400, "Bad Request: can't parse JSON object")
        params.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
    return {name: _typed(name, value) for name, value in params.items()}


def _json_response(status: int, body: JSON) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
    )


def _summary(params: JSON, detail: str = "") -> str:
    """The shape of a request without its words or secrets: message text may be health data."""
    parts = []
    for name, value in sorted(params.items()):
        if isinstance(value, UploadedFile):
            shown = f"<file, {len(value.data)} bytes>"
        elif name in {"text", "caption"}:
            shown = f"<{utf16_length(str(value))} UTF-16 units>"
        elif name == "secret_token":
            shown = "<hidden>"
        elif isinstance(value, dict | list) or name in _OBJECT_PARAMS:
            shown = f"<{len(json.dumps(value))} chars of JSON>"
        else:
            shown = str(value)[:64]
        parts.append(f"{name}={shown}")
    if detail:
        parts.append(f"({detail})")
    return " ".join(parts)


# --- reply markup ---------------------------------------------------------------------------


def _reply_markup(params: _Params) -> JSON | None:
    """The inline keyboard to attach, after Telegram's checks; other keyboards attach nothing."""
    markup = params.obj("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if "keyboard" in markup and not isinstance(markup["keyboard"], list):
            raise _ApiError(400, 'Bad Request: field "keyboard" must be of type Array')
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise _ApiError(400, 'Bad Request: field "inline_keyboard" must be of type Array')
    for row_number, row in enumerate(rows, start=1):
        if not isinstance(row, list):
            raise _ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
        for column, button in enumerate(row, start=1):
            _check_button(button, f"row {row_number}, button {column}")
    return {"inline_keyboard": rows}


def _check_button(button: Any, where: str) -> None:
    prefix = "Bad Request: can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _ApiError(400, f"{prefix}Object expected", detail=where)
    if "text" not in button:
        raise _ApiError(400, f'{prefix}Can\'t find field "text"', detail=where)
    if not isinstance(button["text"], str):
        raise _ApiError(400, f'{prefix}Field "text" must be of type String', detail=where)
    if not button["text"].strip():
        raise _ApiError(400, "Bad Request: BUTTON_TEXT_INVALID", detail=where)
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) not in (None, "", False)]
    if not actions:
        raise _ApiError(400, _TEXT_BUTTONS, detail=where)
    if len(actions) > 1:
        raise _ApiError(
            400, f"{prefix}exactly one of the optional fields must be used", detail=where
        )
    _check_button_action(actions[0], button[actions[0]], where)


def _check_button_action(action: str, value: Any, where: str) -> None:
    if action == "callback_data":
        if not isinstance(value, str):
            raise _ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                'Field "callback_data" must be of type String',
                detail=where,
            )
        size = len(value.encode())
        if size > constants.InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise _ApiError(
                400,
                "Bad Request: BUTTON_DATA_INVALID",
                detail=f"{where}: callback_data is {size} bytes",
            )
    elif action == "url":
        problem = _url_problem(str(value))
        if problem:
            raise _ApiError(
                400,
                f"Bad Request: inline keyboard button URL '{value}' is invalid: {problem}",
                detail=where,
            )


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        return None if parts.hostname else "Wrong HTTP URL"
    if parts.scheme == "tg":
        return None
    return "Unsupported URL protocol" if parts.scheme else "Wrong HTTP URL"


def _buttons(markup: JSON | None) -> list[list[tuple[str, str]]]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [
        [(button["text"], button.get("callback_data") or button.get("url") or "") for button in row]
        for row in rows
    ]


# --- JSON shapes ----------------------------------------------------------------------------


def _user_json(user: User, *, language: bool = True) -> JSON:
    shape: JSON = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    if user.username:
        shape["username"] = user.username
    if language and user.language_code:
        shape["language_code"] = user.language_code
    return shape


def _member_json(user: JSON, status: str) -> JSON:
    """A ChatMember object of the right kind for `status`."""
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "administrator":
        return {
            "status": status,
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
        }
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    if status == "restricted":  # a member who may read but not post: every right taken
        rights = dict.fromkeys(_MEMBER_RIGHTS, False)
        return {"status": status, "user": user, "is_member": True, "until_date": 0, **rights}
    return {"status": status, "user": user}


def _without_reply(message: JSON) -> JSON:
    """Telegram nests a replied-to message only one level deep."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _message_key(message: JSON | BotMessage) -> tuple[int, int]:
    if isinstance(message, BotMessage):
        return message.chat_id, message.message_id
    return message["chat"]["id"], message["message_id"]


def _pressed_data(message: JSON, index: int | None, text: str | None) -> str:
    buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    if index is not None:
        if not 0 <= index < len(buttons):
            raise ValueError(f"the message has {len(buttons)} button(s); there is no index {index}")
        button = buttons[index]
    elif text is not None:
        matching = [b for b in buttons if b["text"] == text]
        if not matching:
            raise ValueError(f"the message has no button labelled {text!r}")
        button = matching[0]
    else:
        raise ValueError("say which button to press: index=, text= or data=")
    if "callback_data" not in button:
        raise ValueError("that button opens a link or another action; it sends no callback query")
    return str(button["callback_data"])


def _captioned(content: JSON, caption: str | None) -> JSON:
    if caption:
        content["caption"] = caption
        entities = detected_entities(caption, [])
        if entities:
            content["caption_entities"] = entities
    return content


def _chat_instance(chat_id: int) -> str:
    return str(int.from_bytes(hashlib.sha256(str(chat_id).encode()).digest()[:7], "big"))


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _CallbackQuery:
    created_at: float
    answered: bool = False
    reported: bool = False


Handler = Callable[["_Params"], Awaitable[Any]]


# --- the server -----------------------------------------------------------------------------


class Emulator:
    """A local Telegram Bot API server that plays both Telegram and the bot's users.

    The bot under test reaches it through ``base_url``; a scenario drives the users' side with
    the async methods below and reads what the bot sent with `wait_for_messages`/`messages`.
    Everything runs on one asyncio loop, so state lives in plain dicts.

    What a test reads or sets:
    - ``violations``: every rule the bot broke (a test asserts it stays ``[]``);
    - ``requests``: each (method, params) received, params decoded as Telegram reads them;
    - ``flood_responses``: how many 429s were answered (allowed now and then, so not violations);
    - ``webhook_deliveries``: each POST to the webhook and the HTTP status it got;
    - ``flood_limits`` (on/off), ``delay`` (seconds added to every response);
    - ``time_scale`` shrinks flood windows, the time a retry_after is enforced and the webhook
      retry delay (0.01 makes 1 s into 10 ms); ``clock`` is what flood limits and callback
      query expiry read, so tests can move time instead of sleeping.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake token for a fake server
        *,
        bot_username: str = "b12_test_bot",
        flood_limits: bool = False,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ValueError(
                "a bot token looks like 123456:ABC-DEF (the bot id, a colon, a secret)"
            )
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.bot_username = bot_username
        self.flood_limits = flood_limits
        self.time_scale = time_scale
        self.delay = 0.0
        self.violations: list[Violation] = []
        self.requests: list[tuple[str, JSON]] = []
        self.flood_responses = 0
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._token = token
        self._bot_id = int(token.split(":", 1)[0])
        self._bot: JSON = {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": _BOT_FIRST_NAME,
            "username": bot_username,
        }
        self._clock = clock
        self._flood = FloodControl(time_scale, clock)
        self._users: dict[int, User] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._groups: dict[int, Group] = {}
        self._migrated: dict[int, int] = {}
        self._next_ids = {"user": 100_000_000, "group": 4_000_000_000, "supergroup": 0}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._meant_for_bot: set[tuple[int, int]] = set()
        self._bot_messages: dict[int, list[BotMessage]] = {}
        self._chat_changed: dict[int, asyncio.Event] = {}  # set when the bot sends to that chat
        self._by_key: dict[tuple[int, int], BotMessage] = {}
        self._cursors: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 100_000_000
        self._allowed_updates = _DEFAULT_UPDATES
        self._poller: object | None = None
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._queries: dict[str, _CallbackQuery] = {}
        self._next_query = 0
        self._answers: dict[str, JSON] = {}
        self._commands: dict[tuple[tuple[str, int, int], str], list[JSON]] = {}
        self._files: dict[str, Any] = {}
        self._next_file = 0
        self._failures: dict[str, deque[_ApiError]] = {}
        self._changed = asyncio.Event()
        self._closed = False
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._address: tuple[str, int] | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "sendChatAction": self._send_chat_action,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
            }.items()
        }

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`:`port` (0 picks a free port) until `stop`."""
        app = web.Application(client_max_size=_MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # No access log: request paths carry the bot token. A client that hangs up cancels its
        # request, as it would on Telegram (a dropped long poll returns nothing to anyone).
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._address = (bound_host, bound_port)
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop serving; pending long polls and waits return at once."""
        self._closed = True
        self._notify()
        await self._stop_webhook_delivery()
        http, self._http = self._http, None
        if http is not None:
            await http.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot as `base_url`; it appends the token."""
        if self._address is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._address
        return f"http://{host}:{port}/bot"

    @property
    def token(self) -> str:
        """The token the bot must use; any other is refused as Telegram refuses it."""
        return self._token

    @property
    def bot_user(self) -> JSON:
        """The bot as Telegram describes it in messages (a User object)."""
        return dict(self._bot)

    # --- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        description: str = "Internal Server Error",
        times: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with this error, without acting on them."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(_ApiError(status, description, parameters=parameters, violation=False))

    def block(self, user: User) -> None:
        """The user blocks the bot: sends to them fail with 403 and the bot hears of it."""
        if user.id in self._blocked:
            return
        self._blocked.add(user.id)
        self._enqueue_member_change(user.id, user, "member", "kicked")

    def unblock(self, user: User, *, update_lost: bool = False) -> None:
        """The user unblocks the bot (Telegram tells the bot with a my_chat_member update).

        `update_lost` drops that update, as a bot down for over 24 h would never see it.
        """
        if user.id not in self._blocked:
            return
        self._blocked.discard(user.id)
        if not update_lost:
            self._enqueue_member_change(user.id, user, "kicked", "member")

    def kick_bot(self, group: Group, *, by: User | None = None) -> None:
        """An admin bans the bot from `group`: sends there fail with 403."""
        self._set_bot_status(group, "kicked", by)

    def restrict_bot(self, group: Group, *, by: User | None = None) -> None:
        """An admin takes the bot's right to post in a supergroup; it still reads there.

        Messages and chat actions ("typing...") there fail with Telegram's 400.
        """
        if not group.supergroup:
            raise ValueError("Telegram restricts members only in supergroups")
        if not group.bot_present:
            raise ValueError("the bot is not a member of that group")
        self._set_bot_status(group, "restricted", by)

    def unrestrict_bot(self, group: Group, *, by: User | None = None) -> None:
        """An admin gives the bot back its right to post in `group`."""
        if group.bot_status == "restricted":
            self._set_bot_status(group, "member", by)

    def _set_bot_status(self, group: Group, status: str, by: User | None) -> None:
        """Change the bot's membership and tell it, as Telegram does with my_chat_member."""
        if group.bot_status == status:
            return
        old, group.bot_status = group.bot_status, status
        self._enqueue_member_change(group.id, self._actor(group, by), old, status)

    async def migrate_group(self, group: Group) -> int:
        """Upgrade a basic group to a supergroup with a new id, as Telegram does; returns it."""
        if group.supergroup:
            raise ValueError("only a basic group can be upgraded to a supergroup")
        old_id, old_chat = group.id, self._chat_json(group.id)
        actor = self._actor(group, None)
        present = group.bot_present
        new_id = self._new_chat_id(supergroup=True)
        del self._groups[old_id]
        group.id, group.supergroup = new_id, True
        self._groups[new_id] = group
        self._migrated[old_id] = new_id
        self._post_service(old_id, old_chat, actor, {"migrate_to_chat_id": new_id}, present)
        self._post_service(
            new_id, self._chat_json(new_id), actor, {"migrate_from_chat_id": old_id}, present
        )
        return new_id

    # --- scenario: people and chats ----------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        language_code: str = "en",
        started: bool = False,
    ) -> User:
        """A new person; the bot can message them only after they have written to it.

        `started` is someone who wrote to the bot before this emulator ran (Telegram remembers
        that across a bot's restarts), for scenarios that begin with reminders already stored.
        """
        user = User(self._next_ids["user"], first_name, username, language_code)
        self._next_ids["user"] += 1
        self._users[user.id] = user
        if started:
            self._started.add(user.id)
        return user

    def add_group(
        self,
        title: str,
        *,
        members: Iterable[User],
        admins: Iterable[User] = (),
        privacy_mode: bool = True,
        supergroup: bool = False,
    ) -> Group:
        """A group the bot is already in; the first admin is its creator."""
        admins = list(admins)
        people = list(dict.fromkeys([*admins, *members]))
        group = Group(
            self._new_chat_id(supergroup=supergroup),
            title,
            people,
            admins,
            privacy_mode,
            supergroup,
        )
        self._groups[group.id] = group
        return group

    async def add_bot_to_group(self, group: Group, *, by: User) -> None:
        """`by` adds the bot (back) to `group`."""
        if group.bot_present:
            raise ValueError("the bot is already a member of that group")
        self._require_member(by, group)
        old = group.bot_status
        group.bot_status = "member"
        self._enqueue_member_change(group.id, by, old, "member")
        self._post_service(
            group.id, self._chat_json(group.id), by, {"new_chat_members": [self._bot]}, True
        )

    async def remove_bot_from_group(self, group: Group, *, by: User) -> None:
        """`by` removes the bot; a supergroup bans it, a basic group just lets it go."""
        if not group.bot_present:
            raise ValueError("the bot is not a member of that group")
        self._require_member(by, group)
        old = group.bot_status
        group.bot_status = "kicked" if group.supergroup else "left"
        self._enqueue_member_change(group.id, by, old, group.bot_status)
        message = self._store_message(
            group.id, self._chat_json(group.id), _user_json(by), {"left_chat_member": self._bot}
        )
        self._enqueue("message", message)

    # --- scenario: what people do ------------------------------------------------------------

    async def send_message(
        self,
        user: User,
        text: str,
        *,
        chat: Group | None = None,
        reply_to: JSON | BotMessage | None = None,
    ) -> JSON:
        """`user` writes `text` to the bot in private, or in `chat`; returns the Message."""
        content: JSON = {"text": text}
        entities = detected_entities(text, [])
        if entities:
            content["entities"] = entities
        return self._post_user_message(user, chat, content, reply_to)

    async def send_anonymous_admin_message(self, group: Group, text: str) -> JSON:
        """An anonymous admin writes in `group`: the message comes from the group itself."""
        content: JSON = {"sender_chat": self._chat_json(group.id), "text": text}
        entities = detected_entities(text, [])
        if entities:
            content["entities"] = entities
        message = self._store_message(
            group.id, self._chat_json(group.id), _ANONYMOUS_ADMIN, content
        )
        if self._delivers(group.id, message):
            self._enqueue("message", message)
        return copy.deepcopy(message)

    async def send_photo(
        self,
        user: User,
        *,
        chat: Group | None = None,
        caption: str | None = None,
        reply_to: JSON | BotMessage | None = None,
    ) -> JSON:
        """`user` sends a photo (three sizes, as Telegram stores one)."""
        content: JSON = {"photo": self._new_photo(10_000)}
        return self._post_user_message(user, chat, _captioned(content, caption), reply_to)

    async def send_sticker(
        self,
        user: User,
        *,
        chat: Group | None = None,
        emoji: str = "👍",
        reply_to: JSON | BotMessage | None = None,
    ) -> JSON:
        """`user` sends a sticker."""
        sticker = self._new_file(
            "sticker",
            {
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
                "file_size": 24_000,
            },
        )
        return self._post_user_message(user, chat, {"sticker": sticker}, reply_to)

    async def send_voice(
        self,
        user: User,
        *,
        chat: Group | None = None,
        duration: int = 3,
        reply_to: JSON | BotMessage | None = None,
    ) -> JSON:
        """`user` sends a voice note."""
        voice = self._new_file(
            "voice", {"duration": duration, "mime_type": "audio/ogg", "file_size": 4_000 * duration}
        )
        return self._post_user_message(user, chat, {"voice": voice}, reply_to)

    async def send_document(
        self,
        user: User,
        *,
        file_name: str = "document.pdf",
        chat: Group | None = None,
        caption: str | None = None,
        file_size: int = 20_000,
        reply_to: JSON | BotMessage | None = None,
    ) -> JSON:
        """`user` sends a file."""
        document = self._new_file(
            "document",
            {"file_name": file_name, "mime_type": _mime_type(file_name), "file_size": file_size},
        )
        content = _captioned({"document": document}, caption)
        return self._post_user_message(user, chat, content, reply_to)

    async def edit_user_message(self, user: User, message: JSON, new_text: str) -> JSON:
        """`user` edits one of their text messages; the bot gets an edited_message update."""
        key = _message_key(message)
        stored = self._messages.get(key)
        if stored is None or stored.get("from", {}).get("id") != user.id or "text" not in stored:
            raise ValueError("that is not a text message this user sent")
        edited = {k: v for k, v in stored.items() if k != "entities"}
        edited.update(text=new_text, edit_date=int(time.time()))
        entities = detected_entities(new_text, [])
        if entities:
            edited["entities"] = entities
        self._messages[key] = edited
        if self._delivers(key[0], edited):
            self._enqueue("edited_message", edited)
        return copy.deepcopy(edited)

    async def press_button(
        self,
        user: User,
        bot_message: JSON | BotMessage,
        *,
        index: int | None = None,
        text: str | None = None,
        data: str | None = None,
    ) -> str:
        """`user` presses an inline button (by flattened index or label) or sends forged `data`.

        Returns the callback query id the bot must answer.
        """
        key = _message_key(bot_message)
        message = self._messages.get(key)
        if message is None:
            raise ValueError("that message was deleted or never sent")
        self._require_sight(user, key[0])
        if data is None:
            data = _pressed_data(message, index, text)
        self._next_query += 1
        query_id = str(4_000_000_000_000_000_000 + self._next_query)
        self._queries[query_id] = _CallbackQuery(created_at=self._clock())
        query = {
            "id": query_id,
            "from": _user_json(user),
            "message": message,
            "chat_instance": _chat_instance(key[0]),
            "data": data,
        }
        self._enqueue("callback_query", query)
        return query_id

    def queue_update(self, update: JSON) -> JSON:
        """Deliver any raw update as given (with a fresh update_id), bypassing all filters."""
        queued = {"update_id": self._next_update_id}
        queued.update({key: value for key, value in update.items() if key != "update_id"})
        self._next_update_id += 1
        self._updates.append(queued)
        self._notify()
        return queued

    # --- scenario: reading what the bot did --------------------------------------------------

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to the chat, in its current state; counts as a read."""
        sent = self._bot_messages.get(chat_id, [])
        self._cursors[chat_id] = len(sent)
        return list(sent)

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[BotMessage]:
        """The next `count` messages the bot sends to the chat since the last wait or read."""
        cursor = self._cursors.get(chat_id, 0)
        sent = self._bot_messages.setdefault(chat_id, [])
        deadline = asyncio.get_running_loop().time() + timeout
        while len(sent) - cursor < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self._closed:
                raise MessagesTimeout(chat_id, count, sent[cursor:])
            # Wait on this chat alone: with hundreds of users waiting at once, waking every
            # waiter for every message would cost more than the bot being measured.
            event = self._chat_changed.setdefault(chat_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, _CLOSE_CHECK))
        self._cursors[chat_id] = cursor + count
        return sent[cursor : cursor + count]

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> JSON:
        """The bot's answerCallbackQuery parameters for that query, once it has answered."""
        deadline = asyncio.get_running_loop().time() + timeout
        while query_id not in self._answers:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self._closed:
                raise TimeoutError(f"callback query {query_id} was not answered in {timeout} s")
            await self._wait_for_change(remaining)
        return dict(self._answers[query_id])

    def unanswered_callback_queries(self) -> list[str]:
        """Queries the bot never answered; each is also recorded once as a violation, because
        Telegram clients show a spinner until the bot answers."""
        unanswered = [qid for qid, query in self._queries.items() if not query.answered]
        for query_id in unanswered:
            query = self._queries[query_id]
            if not query.reported:
                query.reported = True
                self.violations.append(
                    Violation(
                        "answerCallbackQuery",
                        "callback query was never answered",
                        f"callback_query_id={query_id}",
                    )
                )
        return unanswered

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command menu the bot set for that scope and language (as getMyCommands answers)."""
        key = (self._scope_key(_Params({"scope": scope})), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    # --- HTTP --------------------------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json_response(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        token = request.match_info["token"]
        if token != self._token:
            code, text = (
                (401, "Unauthorized") if _TOKEN_SHAPE.fullmatch(token) else (404, "Not Found")
            )
            return self._refuse(name, _ApiError(code, text), {})
        entry = self._methods.get(name.lower())
        if entry is None:
            return self._refuse(name, _ApiError(404, "Not Found", detail="method not emulated"), {})
        method, handler = entry
        try:
            params = await _read_params(request)
        except _ApiError as error:
            return self._refuse(method, error, {})
        self.requests.append((method, params))
        try:
            failures = self._failures.get(method.lower())
            if failures:
                raise failures.popleft()
            result = await handler(_Params(params))
        except _ApiError as error:
            response = self._refuse(method, error, params)
        except Exception:
            _LOG.exception("the emulator failed while answering %s", method)
            response = self._refuse(
                method, _ApiError(500, "Internal Server Error", detail="emulator bug"), params
            )
        else:
            body: JSON = {"ok": True, "result": result}
            if isinstance(result, _Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            response = _json_response(200, body)
        await self._pause(self.delay)
        return response

    def _refuse(self, method: str, error: _ApiError, params: JSON) -> web.Response:
        if error.violation:
            self.violations.append(
                Violation(method, error.description, _summary(params, error.detail))
            )
        body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return _json_response(error.code, body)

    # --- Bot API: the bot and its updates ----------------------------------------------------

    async def _get_me(self, params: _Params) -> JSON:
        return {
            **self._bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": False,
            "allows_users_to_create_topics": False,
            "can_manage_bots": False,
            "supports_guest_queries": False,
        }

    async def _get_updates(self, params: _Params) -> list[JSON]:
        if self._webhook is not None:
            raise _ApiError(409, _WEBHOOK_CONFLICT)
        self._set_allowed_updates(params)
        self._confirm(params.integer("offset"))
        limit = min(max(params.integer("limit") or 100, 1), 100)
        me = object()
        self._poller = me
        self._notify()  # a long poll still waiting is terminated by this newer one
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.number("timeout"), 0.0)
        while not self._updates and not self._closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._wait_for_change(remaining)
            if self._poller is not me:
                raise _ApiError(409, _POLLER_CONFLICT)
        return self._updates[:limit]

    def _set_allowed_updates(self, params: _Params) -> None:
        """Telegram keeps the last allowed_updates given; it filters updates created after it."""
        allowed = params.obj("allowed_updates", "allowed updates")
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise _ApiError(400, "Bad Request: can't parse allowed updates JSON object")
        self._allowed_updates = frozenset(map(str, allowed)) & _ALL_UPDATES or _DEFAULT_UPDATES

    def _confirm(self, offset: int) -> None:
        """Forget updates below `offset`; a negative offset keeps only that many of the last."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _set_webhook(self, params: _Params) -> _Described:
        url = params.text("url") or ""
        if not url:
            return await self._drop_webhook(drop_pending=params.flag("drop_pending_updates"))
        secret = params.text("secret_token")
        if secret is not None:
            if len(secret) > constants.WebhookLimit.MAX_SECRET_TOKEN_LENGTH:
                raise _ApiError(400, "Bad Request: secret token is too long")
            if not _SECRET_TOKEN.fullmatch(secret):
                raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        parts = urlsplit(url)
        # Like a local Bot API server, plain http on any port is accepted (tests listen on it).
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self._set_allowed_updates(params)
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        unchanged = self._webhook is not None and self._webhook.url == url
        self._webhook = _Webhook(
            url,
            secret,
            params.integer("max_connections") or _DEFAULT_WEBHOOK_CONNECTIONS,
            params.text("ip_address"),
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    async def _delete_webhook(self, params: _Params) -> _Described:
        return await self._drop_webhook(drop_pending=params.flag("drop_pending_updates"))

    async def _drop_webhook(self, *, drop_pending: bool) -> _Described:
        was_set = self._webhook is not None
        self._webhook = None
        await self._stop_webhook_delivery()
        if drop_pending:
            self._updates.clear()
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: _Params) -> JSON:
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        hook = self._webhook
        if hook is None:
            return info
        info.update(url=hook.url, max_connections=hook.max_connections)
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info.update(
                last_error_date=hook.last_error_date, last_error_message=hook.last_error_message
            )
        if self._allowed_updates != _DEFAULT_UPDATES:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _deliver_to_webhook(self) -> None:
        """POST pending updates one by one; a failed one is retried later, as Telegram does."""
        while (hook := self._webhook) is not None and not self._closed:
            if not self._updates:
                await self._wait_for_change(None)
                continue
            update = self._updates[0]
            status, error = await self._post_update(hook, update)
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status, error))
            if error is None:
                self._confirm(update["update_id"] + 1)
                self._notify()
            else:
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                await self._pause(_WEBHOOK_RETRY_SECONDS * self.time_scale)

    async def _post_update(self, hook: _Webhook, update: JSON) -> tuple[int | None, str | None]:
        assert self._http is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._http.post(
                hook.url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=_WEBHOOK_TIMEOUT),
            ) as response:
                await response.read()
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return None, "Connection refused"
        except aiohttp.ClientError as error:
            return None, f"Failed to deliver the update: {type(error).__name__}"
        if 200 <= response.status < 300:
            return response.status, None
        return response.status, (
            f"Wrong response from the webhook: {response.status} {response.reason}"
        )

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- Bot API: messages -------------------------------------------------------------------

    async def _send_message(self, params: _Params) -> JSON:
        chat_id = params.chat_id()
        raw = params.text("text")
        text, entities = self._formatted(raw, params, "entities", caption=False)
        markup = _reply_markup(params)
        self._chat(chat_id, sending=True)
        reply_to = self._reply_target(chat_id, params)
        self._admit(chat_id)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        preview = params.obj("link_preview_options", "link preview options")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        return self._post_bot_message(
            chat_id, content, markup=markup, reply_to=reply_to, raw=raw or "", params=params
        )

    async def _send_document(self, params: _Params) -> JSON:
        return await self._send_file(params, "document", self._document)

    async def _send_photo(self, params: _Params) -> JSON:
        return await self._send_file(params, "photo", self._photo)

    async def _send_file(
        self, params: _Params, kind: str, read: Callable[[UploadedFile | str | None], Any]
    ) -> JSON:
        chat_id = params.chat_id()
        raw = params.text("caption")
        caption, entities = self._formatted(raw, params, "caption_entities", caption=True)
        markup = _reply_markup(params)
        content: JSON = {kind: read(params.file(kind))}
        self._chat(chat_id, sending=True)
        reply_to = self._reply_target(chat_id, params)
        self._admit(chat_id)
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._post_bot_message(
            chat_id, content, markup=markup, reply_to=reply_to, raw=raw or "", params=params
        )

    async def _edit_message_text(self, params: _Params) -> JSON:
        raw = params.text("text")
        text, entities = self._formatted(raw, params, "entities", caption=False)
        markup = _reply_markup(params)
        message, sent = self._editable(params)
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._replace(message, sent, content, markup, raw or "")

    async def _edit_message_reply_markup(self, params: _Params) -> JSON:
        markup = _reply_markup(params)
        message, sent = self._editable(params)
        content = {key: message[key] for key in _CONTENT_KEYS if key in message}
        return self._replace(message, sent, content, markup, sent.html)

    async def _delete_message(self, params: _Params) -> bool:
        key, message = self._find_message(params, "Bad Request: message to delete not found")
        if message.get("from", {}).get("id") != self._bot_id and key[0] < 0:
            # Deleting other people's messages in a group needs admin rights the bot lacks.
            raise _ApiError(400, "Bad Request: message can't be deleted")
        del self._messages[key]
        sent = self._by_key.get(key)
        if sent is not None:
            sent.deleted = True
        self._notify()
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        text = params.text("text")
        limit = constants.CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
        if text is not None and utf16_length(text) > limit:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query = self._queries.get(query_id)
        expired = query is not None and self._clock() - query.created_at > _CALLBACK_QUERY_LIFETIME
        if query is None or query.answered or expired:
            raise _ApiError(400, _QUERY_TOO_OLD, detail=f"callback_query_id={query_id}")
        query.answered = True
        answer: JSON = {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": params.flag("show_alert"),
        }
        for name in ("url", "cache_time"):
            if params.value(name) is not None:
                answer[name] = params.value(name)
        self._answers[query_id] = answer
        self._notify()
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        chat_id = params.chat_id()
        if params.text("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        self._chat(chat_id, sending=True)
        return True

    # --- Bot API: chats and commands ---------------------------------------------------------

    async def _get_chat(self, params: _Params) -> JSON:
        chat_id = params.chat_id()
        self._chat(chat_id, sending=False)
        return {
            **self._chat_json(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: _Params) -> JSON:
        chat_id = params.chat_id()
        chat = self._chat(chat_id, sending=False)
        user_id = params.integer("user_id")
        if user_id <= 0:
            raise _ApiError(400, "Bad Request: invalid user_id specified")
        if user_id == self._bot_id:
            return _member_json(dict(self._bot), self._bot_status(chat))
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError(400, "Bad Request: user not found")
        return _member_json(_user_json(user, language=False), _status(chat, user))

    async def _get_chat_administrators(self, params: _Params) -> list[JSON]:
        chat = self._chat(params.chat_id(), sending=False)
        if isinstance(chat, User):
            raise _ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [_member_json(_user_json(u, language=False), _status(chat, u)) for u in chat.admins]

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.obj("commands", "commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > constants.BotCommandLimit.MAX_COMMAND_NUMBER:
            raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        checked = [_bot_command(command) for command in commands]
        key = (self._scope_key(params), params.text("language_code") or "")
        if checked:
            self._commands[key] = checked
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSON]:
        key = (self._scope_key(params), params.text("language_code") or "")
        return self._commands.get(key, [])

    async def _delete_my_commands(self, params: _Params) -> bool:
        self._commands.pop((self._scope_key(params), params.text("language_code") or ""), None)
        return True

    def _scope_key(self, params: _Params) -> tuple[str, int, int]:
        """Commands are stored per scope (type, chat, user), as Telegram keeps one menu each."""
        scope = params.obj("scope", "bot command scope") or {"type": "default"}
        prefix = "Bad Request: can't parse BotCommandScope: "
        if not isinstance(scope, dict):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind not in _COMMAND_SCOPES:
            raise _ApiError(400, f"{prefix}Unsupported type specified")
        if kind not in _SCOPES_WITH_CHAT:
            return str(kind), 0, 0
        if "chat_id" not in scope:
            raise _ApiError(400, f'{prefix}Can\'t find field "chat_id"')
        if kind == "chat_member" and "user_id" not in scope:
            raise _ApiError(400, f'{prefix}Can\'t find field "user_id"')
        scoped = _Params(scope)
        chat_id = scoped.chat_id()
        self._chat(chat_id, sending=False)
        return str(kind), chat_id, scoped.integer("user_id")

    # --- message internals -------------------------------------------------------------------

    def _formatted(
        self, raw: str | None, params: _Params, entities_name: str, *, caption: bool
    ) -> tuple[str, list[JSON]]:
        """Telegram's text after entity parsing: checked, trimmed, with its entities."""
        if not raw:
            if caption:
                return "", []
            raise _ApiError(400, _TEXT_EMPTY)
        mode = (params.text("parse_mode") or "").lower()
        explicit = params.obj(entities_name, "entities")
        if isinstance(explicit, list):
            text, entities = raw, explicit
        elif mode == "html":
            problems = check_entities(raw)
            if problems:
                raise _ApiError(400, f"Bad Request: can't parse entities: {problems[0]}")
            text, entities = parse_html(raw)
        elif mode in {"", "markdown", "markdownv2"}:
            # Markdown is taken literally: the emulator checks only the HTML the bot uses.
            text, entities = raw, []
        else:
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        if not text and not caption:
            raise _ApiError(400, _TEXT_EMPTY)
        text, entities = trimmed(text, entities)
        if not text:
            if caption:
                return "", []
            raise _ApiError(400, _TEXT_BLANK)
        limit = (
            constants.MessageLimit.CAPTION_LENGTH
            if caption
            else constants.MessageLimit.MAX_TEXT_LENGTH
        )
        if utf16_length(text) > limit:
            raise _ApiError(400, _CAPTION_TOO_LONG if caption else _TEXT_TOO_LONG)
        entities = self._mentions(entities) + detected_entities(text, entities)
        return text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))

    def _mentions(self, entities: list[JSON]) -> list[JSON]:
        """<a href="tg://user?id=N"> becomes a text_mention of a user Telegram knows."""
        result = []
        for entity in entities:
            url = entity.get("url", "")
            user_id = url.removeprefix("tg://user?id=") if url.startswith("tg://user?id=") else ""
            user = self._users.get(int(user_id)) if user_id.isdigit() else None
            if user is None:
                result.append(entity)
                continue
            mention = {k: v for k, v in entity.items() if k != "url"}
            mention.update(type="text_mention", user=_user_json(user, language=False))
            result.append(mention)
        return result

    def _reply_target(self, chat_id: int, params: _Params) -> JSON | None:
        reply = params.obj("reply_parameters", "reply parameters")
        if reply is None:
            message_id = params.integer("reply_to_message_id")
            if not message_id:
                return None
            reply = {
                "message_id": message_id,
                "allow_sending_without_reply": params.flag("allow_sending_without_reply"),
            }
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise _ApiError(400, 'Bad Request: can\'t find field "message_id"')
        fields = _Params(reply)
        target_chat = fields.chat_id() if "chat_id" in reply else chat_id
        message = self._messages.get((target_chat, fields.integer("message_id")))
        if message is None:
            if fields.flag("allow_sending_without_reply"):
                return None
            raise _ApiError(400, "Bad Request: message to be replied not found")
        return _without_reply(message)

    def _admit(self, chat_id: int) -> None:
        if not self.flood_limits:
            return
        retry_after = self._flood.admit(chat_id)
        if retry_after is not None:
            self.flood_responses += 1
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
                violation=False,
            )

    def _post_bot_message(
        self,
        chat_id: int,
        content: JSON,
        *,
        markup: JSON | None,
        reply_to: JSON | None,
        raw: str,
        params: _Params,
    ) -> JSON:
        extra: JSON = {}
        if reply_to is not None:
            extra["reply_to_message"] = reply_to
        extra.update(content)
        if markup is not None:
            extra["reply_markup"] = markup
        if params.flag("protect_content"):
            extra["has_protected_content"] = True
        message = self._store_message(chat_id, self._chat_json(chat_id), dict(self._bot), extra)
        key = (chat_id, message["message_id"])
        self._meant_for_bot.add(key)
        sent = BotMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=content.get("text", content.get("caption", "")),
            html=raw,
            buttons=_buttons(markup),
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
            payload=message,
        )
        self._bot_messages.setdefault(chat_id, []).append(sent)
        self._by_key[key] = sent
        if (waiting := self._chat_changed.pop(chat_id, None)) is not None:
            waiting.set()
        self._notify()
        return message

    def _find_message(self, params: _Params, missing: str) -> tuple[tuple[int, int], JSON]:
        """The (chat, message id) key and the message the request names, or Telegram's error."""
        chat_id = params.chat_id()
        self._chat(chat_id, sending=False)
        key = (chat_id, params.integer("message_id"))
        message = self._messages.get(key)
        if message is None:
            raise _ApiError(400, missing)
        return key, message

    def _editable(self, params: _Params) -> tuple[JSON, BotMessage]:
        key, message = self._find_message(params, "Bad Request: message to edit not found")
        sent = self._by_key.get(key)
        if sent is None:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return message, sent

    def _replace(
        self, message: JSON, sent: BotMessage, content: JSON, markup: JSON | None, raw: str
    ) -> JSON:
        """Apply an edit. Telegram drops the keyboard unless the edit repeats it."""
        edited = {
            key: value
            for key, value in message.items()
            if key not in {*_CONTENT_KEYS, "reply_markup", "edit_date"}
        }
        edited.update(content)
        if markup is not None:
            edited["reply_markup"] = markup
        if all(message.get(key) == edited.get(key) for key in (*_CONTENT_KEYS, "reply_markup")):
            raise _ApiError(400, _NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[_message_key(message)] = edited
        sent.payload = edited
        sent.text = edited.get("text", edited.get("caption", ""))
        sent.html = raw
        sent.buttons = _buttons(markup)
        sent.edits += 1
        self._notify()
        return edited

    def _store_message(self, chat_id: int, chat: JSON, sender: JSON, content: JSON) -> JSON:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _post_user_message(
        self, user: User, chat: Group | None, content: JSON, reply_to: JSON | BotMessage | None
    ) -> JSON:
        chat_id = self._user_chat(user, chat)
        if reply_to is not None:
            target = self._messages.get(_message_key(reply_to))
            if target is None or target["chat"]["id"] != chat_id:
                raise ValueError("a reply must answer a message still in the same chat")
            content = {"reply_to_message": _without_reply(target), **content}
        message = self._store_message(chat_id, self._chat_json(chat_id), _user_json(user), content)
        if self._delivers(chat_id, message):
            self._enqueue("message", message)
        return copy.deepcopy(message)

    def _post_service(
        self, chat_id: int, chat: JSON, actor: User, content: JSON, bot_present: bool
    ) -> None:
        """Service messages reach every bot in the chat, whatever its privacy mode."""
        message = self._store_message(chat_id, chat, _user_json(actor), content)
        if bot_present:
            self._enqueue("message", message)

    def _user_chat(self, user: User, chat: Group | None) -> int:
        """The chat `user` writes in; writing to the bot in private starts (or unblocks) it."""
        if user.id not in self._users:
            raise ValueError("add the user with add_user() first")
        if chat is not None:
            self._require_member(user, chat)
            return chat.id
        self._started.add(user.id)
        if user.id in self._blocked:  # Telegram unblocks a bot the user writes to
            self.unblock(user)
        return user.id

    def _delivers(self, chat_id: int, message: JSON) -> bool:
        """Whether the bot receives a message, under Telegram's privacy mode in groups."""
        if chat_id > 0:
            return True
        group = self._groups[chat_id]
        if not group.bot_present:
            return False
        key = _message_key(message)
        if not group.privacy_mode or self._addressed_to_bot(message):
            self._meant_for_bot.add(key)
            return True
        reply = message.get("reply_to_message")
        return reply is not None and (chat_id, reply["message_id"]) in self._meant_for_bot

    def _addressed_to_bot(self, message: JSON) -> bool:
        """A command for this bot (/cmd or /cmd@this_bot) at the start, or a mention of it."""
        text = message.get("text") or message.get("caption") or ""
        entities = message.get("entities") or message.get("caption_entities") or []
        me = self.bot_username.lower()
        for entity in entities:
            word = utf16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                _, _, addressee = word.partition("@")
                if not addressee or addressee.lower() == me:
                    return True
            if entity["type"] == "mention" and word[1:].lower() == me:
                return True
        return False

    # --- chats, members and updates ----------------------------------------------------------

    def _chat(self, chat_id: int, *, sending: bool) -> User | Group:
        """The chat a request addresses, after Telegram's access checks."""
        if chat_id in self._migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self._migrated[chat_id]},
                violation=False,
            )
        if chat_id > 0:
            return self._private_chat(chat_id, sending=sending)
        group = self._groups.get(chat_id)
        if group is None:
            raise _ApiError(400, _CHAT_NOT_FOUND)
        if not group.bot_present:
            kind = "supergroup" if group.supergroup else "group"
            why = "was kicked from" if group.bot_status == "kicked" else "is not a member of"
            raise _ApiError(403, f"Forbidden: bot {why} the {kind} chat", violation=False)
        if sending and group.bot_status == "restricted":
            raise _ApiError(400, _NO_RIGHT_TO_POST, violation=False)
        return group

    def _private_chat(self, user_id: int, *, sending: bool) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError(400, _CHAT_NOT_FOUND)
        if sending and user_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user", violation=False)
        if sending and user_id not in self._started:
            raise _ApiError(
                403, "Forbidden: bot can't initiate conversation with a user", violation=False
            )
        return user

    def _chat_json(self, chat_id: int) -> JSON:
        if chat_id > 0:
            user = self._users[chat_id]
            chat = _user_json(user, language=False)
            del chat["is_bot"]
            return {**chat, "type": "private"}
        group = self._groups[chat_id]
        return {
            "id": group.id,
            "title": group.title,
            "type": "supergroup" if group.supergroup else "group",
        }

    def _bot_status(self, chat: User | Group) -> str:
        if isinstance(chat, Group):
            return chat.bot_status
        return "kicked" if chat.id in self._blocked else "member"

    def _new_chat_id(self, *, supergroup: bool) -> int:
        kind = "supergroup" if supergroup else "group"
        self._next_ids[kind] += 1
        if supergroup:
            return -(1_000_000_000_000 + self._next_ids[kind])
        return -self._next_ids[kind]

    def _actor(self, group: Group, by: User | None) -> User:
        actor = by or group.creator or (group.members[0] if group.members else None)
        if actor is None:
            raise ValueError("the group has nobody who could do that")
        return actor

    def _require_member(self, user: User, group: Group) -> None:
        if group.id not in self._groups:
            raise ValueError("that group is not known to the emulator (or was migrated)")
        if user not in group.members:
            raise ValueError(f"{user.first_name} is not a member of {group.title!r}")

    def _require_sight(self, user: User, chat_id: int) -> None:
        if chat_id > 0:
            if chat_id != user.id:
                raise ValueError("a user can only press buttons in their own private chat")
            return
        group = self._groups.get(chat_id)
        if group is None:
            raise ValueError("that chat is gone (migrated?)")
        self._require_member(user, group)

    def _enqueue_member_change(self, chat_id: int, actor: User, old: str, new: str) -> None:
        change = {
            "chat": self._chat_json(chat_id),
            "from": _user_json(actor),
            "date": int(time.time()),
            "old_chat_member": _member_json(dict(self._bot), old),
            "new_chat_member": _member_json(dict(self._bot), new),
        }
        self._enqueue("my_chat_member", change)

    def _enqueue(self, kind: str, payload: JSON) -> None:
        """Queue an update, unless the bot's allowed_updates filter it out (as Telegram does)."""
        if kind not in self._allowed_updates:
            return
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self._notify()

    # --- files -------------------------------------------------------------------------------

    def _new_file(self, kind: str, fields: JSON) -> JSON:
        self._next_file += 1
        digest = hashlib.sha256(f"{kind}:{self._next_file}".encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        unique = base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")
        shape = {"file_id": _FILE_ID_PREFIXES[kind] + encoded, "file_unique_id": "AQAD" + unique}
        shape.update(fields)
        self._files[shape["file_id"]] = shape
        return shape

    def _new_photo(self, size: int) -> list[JSON]:
        sizes = [
            self._new_file(
                "photo", {"file_size": max(size * w // 1280, 1), "width": w, "height": h}
            )
            for w, h in _PHOTO_SIZES
        ]
        for shape in sizes:
            self._files[shape["file_id"]] = sizes
        return sizes

    def _document(self, source: UploadedFile | str | None) -> JSON:
        if source is None:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        if isinstance(source, UploadedFile):
            if not source.data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            name = source.filename or "document"
            mime = source.content_type
            if mime in {"", "application/octet-stream"}:
                mime = _mime_type(name)
            return self._new_file(
                "document", {"file_name": name, "mime_type": mime, "file_size": len(source.data)}
            )
        known = self._files.get(source)
        if isinstance(known, dict) and "file_name" in known:
            return known
        if _url_problem(source) is None and urlsplit(source).scheme in {"http", "https"}:
            name = PurePosixPath(urlsplit(source).path).name or "file"
            return self._new_file(
                "document", {"file_name": name, "mime_type": _mime_type(name), "file_size": 1}
            )
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _photo(self, source: UploadedFile | str | None) -> list[JSON]:
        if source is None:
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        if isinstance(source, UploadedFile):
            if not source.data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            return self._new_photo(len(source.data))
        known = self._files.get(source)
        if isinstance(known, list):
            return known
        if _url_problem(source) is None and urlsplit(source).scheme in {"http", "https"}:
            return self._new_photo(100_000)
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # --- waiting -----------------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake everything waiting for a change (long polls, webhook delivery, scenario waits)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, timeout: float | None) -> None:
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but no longer than the emulator runs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._closed and (remaining := deadline - loop.time()) > 0:
            await self._wait_for_change(remaining)


def _status(chat: User | Group, user: User) -> str:
    if isinstance(chat, User):
        return "member" if chat.id == user.id else "left"
    if chat.creator == user:
        return "creator"
    if user in chat.admins:
        return "administrator"
    return "member" if user in chat.members else "left"


def _bot_command(command: Any) -> JSON:
    if not isinstance(command, dict):
        raise _ApiError(400, "Bad Request: can't parse BotCommand JSON object")
    name = str(command.get("command") or "")
    description = str(command.get("description") or "")
    if not name:
        raise _ApiError(400, "Bad Request: command must be non-empty")
    if len(name) > constants.BotCommandLimit.MAX_COMMAND or not _COMMAND_NAME.fullmatch(name):
        raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID", detail=f"command {name!r}")
    if not description:
        raise _ApiError(400, "Bad Request: command description must be non-empty")
    if len(description) > constants.BotCommandLimit.MAX_DESCRIPTION:
        raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": name, "description": description}


def _mime_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"
