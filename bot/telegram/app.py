"""Wire the Application: settings in, handlers registered in an explicit order, menus set at start.

Only wiring lives here; what each handler does lives in handlers/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.knowledge.faq import FAQ
from bot.knowledge.render import Renderer
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.store import open_store
from bot.telegram.care_keyboards import PATTERN as CARE_BUTTONS
from bot.telegram.dose_keyboards import PATTERN as DOSE_BUTTONS
from bot.telegram.guided_keyboards import PATTERN as GUIDED_BUTTONS
from bot.telegram.handlers import (
    buttons,
    care_buttons,
    carers,
    doses,
    emergencies,
    errors,
    export,
    groups,
    guided,
    privacy,
    questions,
    reminders,
    start,
    supplies,
    unsupported,
)
from bot.telegram.ratelimit import RetryingRateLimiter
from bot.telegram.sender import TelegramSender
from bot.telegram.services import KEY, Services, services

# Polling and the webhook ask for exactly these; my_chat_member tells us about blocks and removals.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
# AIORateLimiter's default is max_retries=0: a 429 would drop the message. Retry after the wait.
RATE_LIMIT_RETRIES = 3
# Seconds to wait for Telegram's answer (python-telegram-bot's default is 5). An answer given up on
# may still have been delivered, so a slow Telegram should cost time, not copies of a message.
READ_TIMEOUT = 20.0

PRIVATE_COMMANDS = [
    BotCommand("start", "Welcome and what I can do"),
    BotCommand("topics", "Browse all topics"),
    BotCommand("help", "How to ask me things"),
    BotCommand("about", "What I am and where answers come from"),
    BotCommand("privacy", "What I store and how to delete it"),
    BotCommand("remind", "Set an injection reminder"),
    BotCommand("reminders", "See, pause or delete reminders"),
    BotCommand("timezone", "Set the time zone for reminders"),
    BotCommand("taken", "Log an injection: /taken for Mum yesterday at 10am"),
    BotCommand("history", "Recent doses and the next one due"),
    BotCommand("supplies", "Ampoules left, counted down by each Taken"),
    BotCommand("export", "Dose record for your clinician (CSV, calendar, PDF)"),
    BotCommand("carer", "Invite a carer to hear of unmarked reminders"),
    BotCommand("carers", "See or remove your carers"),
    BotCommand("forget", "Delete everything I store about you"),
]
GROUP_COMMANDS = [
    BotCommand("ask", "Ask a question about B12 injections"),
    BotCommand("topics", "Browse all topics"),
    BotCommand("help", "How to use me in a group"),
    BotCommand("remind", "Set an injection reminder for someone here"),
    BotCommand("reminders", "See, pause or delete this group's reminders"),
    BotCommand("taken", "Log an injection: /taken for Mum yesterday at 10am"),
    BotCommand("history", "Recent doses and the next one due"),
    BotCommand("supplies", "Ampoules left for a reminder here"),
    BotCommand("export", "Dose record as files (creator or admins)"),
    BotCommand("timezone", "Set the group's time zone (admins)"),
    BotCommand("privacy", "What I store and how to delete it"),
    BotCommand("forget", "Delete this group's data (admins)"),
]


DISPATCH_JOB = "dispatch"
DISPATCH_SECONDS = 2  # how often the dispatcher looks for due reminders; an idle look costs ~2 ms


def _starter(settings: Settings) -> Callable[[Application], Awaitable[None]]:
    """post_init: open the database, set the command menus, start the reminder dispatcher."""

    async def start(application: Application) -> None:
        found: Services = application.bot_data[KEY]
        found.store = await open_store(
            settings.database_url,
            clock=found.clock,
            lease=timedelta(seconds=settings.send_lease_seconds),
        )
        found.dispatcher = Dispatcher(
            found.store, TelegramSender(application.bot, found.renderer), clock=found.clock
        )
        await application.bot.set_my_commands(
            PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats()
        )
        await application.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
        application.job_queue.run_once(_dispatch, when=1, name=DISPATCH_JOB)

    return start


async def _dispatch(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One dispatcher tick, then the next one DISPATCH_SECONDS after it ends.

    Not run_repeating: a tick sending a large fan-out can take minutes, and overlapping ticks
    would only be skipped by APScheduler with a warning each time.
    """
    dispatcher = services(context).dispatcher
    try:
        await dispatcher.tick()
    finally:
        if not dispatcher.stopping:
            context.job_queue.run_once(_dispatch, when=DISPATCH_SECONDS, name=DISPATCH_JOB)


async def _stop(application: Application) -> None:
    found: Services = application.bot_data[KEY]
    if found.store is not None:
        await found.store.close()


def build_application(
    settings: Settings, faq: FAQ | None = None, *, clock: Callable[[], datetime] | None = None
) -> Application:
    """The Application for this bot, ready to poll or to take webhook updates.

    `clock` lets tests move time instead of waiting for it.
    """
    faq = faq or FAQ.load()
    builder = (
        ApplicationBuilder()
        .token(settings.token or "")
        .rate_limiter(RetryingRateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .read_timeout(READ_TIMEOUT)
        .get_updates_read_timeout(READ_TIMEOUT)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .concurrent_updates(True)
        .post_init(_starter(settings))
        .post_shutdown(_stop)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url).base_file_url(
            settings.base_url.replace("/bot", "/file/bot")
        )
    application = builder.build()
    found = Services(faq=faq, renderer=Renderer(faq.catalog))
    if clock is not None:
        found.clock = clock
    application.bot_data[KEY] = found
    register(application)
    return application


def register(application: Application) -> None:
    """Handlers in the order they must be tried; the first that matches an update handles it."""
    private, group = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    new = filters.UpdateType.MESSAGE  # edits are not new questions
    readable = filters.TEXT & ~filters.COMMAND & new
    other = ~filters.TEXT & ~filters.StatusUpdate.ALL & new

    def command(name: str, callback: Callable[..., Awaitable[None]]) -> CommandHandler:
        return CommandHandler(name, callback, filters=new)

    application.add_handlers(
        [
            # Commands first, so "/help" is never read as a question.
            command("start", start.start),
            command("help", start.help_command),
            command("about", start.about),
            command("topics", start.topics),
            command("privacy", privacy.privacy),
            command("ask", questions.ask),
            command("timezone", reminders.timezone),
            command("remind", guided.remind),
            command("cancel", guided.cancel),
            command("reminders", reminders.list_reminders),
            command("forget", reminders.forget),
            command("taken", doses.taken),
            command("history", doses.history),
            command("supplies", supplies.supplies),
            command("export", export.export),
            command("carer", carers.carer),
            command("carers", carers.carers),
            MessageHandler(filters.StatusUpdate.MIGRATE, groups.migrated),
            # Every button press, forged ones included: those get "this button has expired".
            CallbackQueryHandler(care_buttons.on_care_button, pattern=CARE_BUTTONS),
            CallbackQueryHandler(doses.on_dose_button, pattern=DOSE_BUTTONS),
            CallbackQueryHandler(guided.on_guided_button, pattern=GUIDED_BUTTONS),
            CallbackQueryHandler(buttons.on_button),
            ChatMemberHandler(groups.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, unsupported.edited),
            MessageHandler(filters.COMMAND & new, unsupported.unknown_command),
            MessageHandler(readable & private, questions.private_text),
            MessageHandler(readable & group, questions.group_text),
            MessageHandler(other & (private | filters.REPLY), unsupported.not_text),
        ]
    )
    # Before all of them: an emergency typed after a command or as a guided answer is paged too.
    application.add_handler(MessageHandler(filters.TEXT & new, emergencies.page_first), group=-1)
    application.add_error_handler(errors.on_error)


@asynccontextmanager
async def running(application: Application, *, polling: bool) -> AsyncIterator[Application]:
    """Start the Application (and polling) inside an event loop we own, as run_polling would.

    Every command runs the bot this way (and `b12bot chat`, tests and benchmarks): run_polling owns
    the loop itself and would not stop the dispatcher before waiting for its tick. post_init and
    post_shutdown run here just as run_polling runs them.
    """
    try:
        async with application:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            if polling:
                await application.updater.start_polling(
                    poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
                )
            try:
                yield application
            finally:
                if polling:
                    await application.updater.stop()
                # Before application.stop(), which would wait for a whole tick to finish: sends
                # under way finish, what is claimed but not sent is handed back (a clean stop).
                found: Services = application.bot_data[KEY]
                if found.dispatcher is not None:
                    await found.dispatcher.stop()
                await application.stop()
    finally:
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
