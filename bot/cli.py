"""The `b12bot` command: one entry point, each subcommand importing only what it needs.

`classify` must start fast and never import Telegram, so nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

from bot.config import ConfigError
from bot.knowledge.catalog import ContentError


def _faq():
    from bot.knowledge.faq import FAQ

    return FAQ.load()


def classify(stdin: TextIO, stdout: TextIO) -> int:
    """One JSON decision per input line, for evaluation and for scripts."""
    from bot.knowledge.faq import record

    faq = _faq()
    for line in stdin:
        text = line.rstrip("\n")
        stdout.write(json.dumps(record(text, faq.decide(text)), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def ask(question: str, stdout: TextIO) -> int:
    """Print what a person would read, as plain text, for content editors and first-time users."""
    from bot.knowledge.render import Renderer
    from bot.knowledge.telegram_html import to_plain_text

    faq = _faq()
    reply = Renderer(faq.catalog).reply(faq.decide(question))
    stdout.write(to_plain_text(reply.html) + "\n")
    if reply.choices:
        stdout.write(
            "\n" + "\n".join(f"  [{i}] {c.label}" for i, c in enumerate(reply.choices, 1)) + "\n"
        )
    if reply.show_menu:
        for section in faq.catalog.menu:
            titles = ", ".join(faq.catalog.topics[t].title for t in section.topics)
            stdout.write(f"\n  {section.title}: {titles}")
        stdout.write("\n")
    return 0


def content_check(stdout: TextIO, *, readability: bool = False) -> int:
    """Validate all content; exit non-zero naming the file and field at fault.

    `readability` also prints every answer's reading grade, hardest first, for editors rewording.
    """
    from bot.knowledge.catalog import load_catalog
    from bot.knowledge.content_check import check, grades
    from bot.knowledge.matcher import model_problems
    from bot.knowledge.readability import MAX_GRADE
    from bot.knowledge.render import Renderer

    catalog = load_catalog()
    if readability:
        rows = sorted(grades(catalog, Renderer(catalog)), key=lambda row: -row[1])
        stdout.write(f"grade  (limit {MAX_GRADE:.1f}, Flesch-Kincaid as a phone shows it)\n")
        for name, value in rows:
            stdout.write(f"{value:5.1f}  {name}{'  (too hard)' if value > MAX_GRADE else ''}\n")
        stdout.write("\n")
    problems = check(catalog) + model_problems(catalog)
    for problem in problems:
        stdout.write(problem + "\n")
    if problems:
        return 1
    stdout.write(
        f"content ok: {len(catalog.topics)} topics, {len(catalog.triage.categories)} triage categories\n"
    )
    return 0


def _until_signalled(serving: Callable[[asyncio.Event], Awaitable[None]]) -> int:
    """Run `serving` until SIGTERM or SIGINT sets its event; a deploy's stop is not a crash.

    The bot then stops cleanly inside `running`: sends under way finish, claimed reminders are
    handed back, and the process exits 0.
    """

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serving(stop)

    asyncio.run(main())
    return 0


def run() -> int:
    """Long polling, for a machine that can reach Telegram (or TELEGRAM_BASE_URL)."""
    from bot.config import load_settings
    from bot.logs import configure
    from bot.telegram.app import build_application, running

    settings = load_settings(os.environ)
    configure(settings.log_level)

    # Updates that arrived while the bot was down are kept (polling never drops pending updates).
    async def polling(stop: asyncio.Event) -> None:
        async with running(build_application(settings), polling=True):
            await stop.wait()

    return _until_signalled(polling)


def dispatch() -> int:
    """Only the reminder dispatcher, no updates: run it beside webhook workers to scale out.

    Several dispatchers may share one PostgreSQL database: claims are row-locked, so none sends
    what another has claimed. (Two pollers of one token would conflict in Telegram; this does not poll.)
    """
    from bot.config import load_settings
    from bot.logs import configure
    from bot.telegram.app import build_application, running

    settings = load_settings(os.environ)
    configure(settings.log_level)

    async def dispatching(stop: asyncio.Event) -> None:
        async with running(build_application(settings), polling=False):
            await stop.wait()

    return _until_signalled(dispatching)


def webhook() -> int:
    """The webhook server for hosting: Telegram posts updates to WEBHOOK_URL."""
    from bot.config import load_settings
    from bot.logs import configure
    from bot.telegram.app import build_application
    from bot.telegram.webhook import serve

    settings = load_settings(os.environ, need_webhook=True)
    configure(settings.log_level)
    return _until_signalled(lambda stop: serve(build_application(settings), settings, stop=stop))


def chat(stdin: TextIO, stdout: TextIO, *, group: bool = False) -> int:
    """Chat with the real bot in the terminal, offline, through the local Bot API emulator.

    `group` plays a family group of three (you, a member and an admin) instead of a private chat.
    """
    from bot.chat import converse

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the chat has started
        asyncio.run(converse(stdin, stdout, group=group))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="b12bot", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "classify", help="read questions from stdin, print one JSON decision per line"
    )
    asking = commands.add_parser("ask", help="print the reply to one question as plain text")
    asking.add_argument("question", nargs="+", help="the question, in your own words")
    checking = commands.add_parser(
        "content-check", help="validate content/ (schema, templates, HTML, sources, reading grade)"
    )
    checking.add_argument(
        "--readability", action="store_true", help="also print the reading grade of every answer"
    )
    commands.add_parser("run", help="run the bot with long polling (needs TELEGRAM_BOT_TOKEN)")
    commands.add_parser(
        "webhook", help="run the webhook server (needs WEBHOOK_URL, WEBHOOK_SECRET, PORT)"
    )
    commands.add_parser(
        "dispatch", help="send due reminders only (beside webhook workers, to scale out)"
    )
    chatting = commands.add_parser(
        "chat", help="chat with the bot in this terminal, offline, no token needed"
    )
    chatting.add_argument(
        "--group",
        action="store_true",
        help="a family group: you, Ann (a member) and Sam (an admin); '@ann: text' speaks as Ann",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[], int]] = {
        "classify": lambda: classify(sys.stdin, sys.stdout),
        "ask": lambda: ask(" ".join(args.question), sys.stdout),
        "content-check": lambda: content_check(sys.stdout, readability=args.readability),
        "run": run,
        "webhook": webhook,
        "dispatch": dispatch,
        "chat": lambda: chat(sys.stdin, sys.stdout, group=args.group),
    }
    try:
        return commands[args.command]()
    except ContentError as error:
        print(f"b12bot: content error: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"b12bot: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `b12bot ask ... | head`: the reader left; that is not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
