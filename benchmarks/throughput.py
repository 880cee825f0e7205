"""Throughput and latency through the emulator: the bot next to a minimal echo bot, same run.

2,000 questions from 200 users: each user asks their questions one after another (waiting for
each reply), all 200 at once. Prints updates per second and the time from a user's message to
the bot's reply (p50, p99) for both bots. Flood limits are off in the emulator: this measures the
bot, not Telegram's pacing. Both bots use the same Application settings (concurrent updates,
the same rate limiter), so the difference is the bot's own work: triage, matching, rendering.

    python benchmarks/throughput.py [--users 200] [--questions 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.config import offline_settings
from bot.emulator import Emulator
from bot.knowledge.evaluation import load_examples
from bot.knowledge.faq import FAQ
from bot.telegram.app import build_application, running

ROOT = Path(__file__).resolve().parent.parent


def echo_application(settings) -> Application:
    """A minimal PTB echo bot with the same settings as ours, minus every handler but one."""
    application = build_application(settings)
    application.handlers.clear()

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text, parse_mode=None)

    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


async def measure(
    make, questions: list[str], users: int, *, rate_limiter: bool, rate: float | None
) -> tuple[float, list[float]]:
    """Send the questions and time each reply.

    rate None: capacity. Every user asks, waits for the reply, asks again, all users at once,
    so the bot is never idle; the figure is updates per second. A rate: latency. The questions go
    out at that steady rate (each user one at a time), below capacity, so the times are the bot's
    work and not a queue.
    """
    async with Emulator() as emulator:
        folder = tempfile.mkdtemp(prefix="b12bot-bench-")
        application = make(
            offline_settings(emulator.token, emulator.base_url, f"sqlite:///{folder}/bench.sqlite3")
        )
        if not rate_limiter:
            application.bot._rate_limiter = None  # measure the bot's own work, not the pacing
        async with running(application, polling=True):
            people = [emulator.add_user(f"User {i}") for i in range(users)]
            latencies: list[float] = []

            async def ask(person, text: str) -> None:
                start = time.perf_counter()
                await emulator.send_message(person, text)
                await emulator.wait_for_messages(person.id, count=1, timeout=120)
                latencies.append((time.perf_counter() - start) * 1000)

            async def converse(person, asked: list[str]) -> None:
                for text in asked:
                    await ask(person, text)

            async def paced() -> None:
                tasks = []
                begin = time.perf_counter()
                for i, text in enumerate(questions):
                    await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
                    tasks.append(asyncio.create_task(ask(people[i % users], text)))
                await asyncio.gather(*tasks)

            started = time.perf_counter()
            if rate is None:
                await asyncio.gather(
                    *(converse(p, questions[i::users]) for i, p in enumerate(people))
                )
            else:
                await paced()
            elapsed = time.perf_counter() - started
        assert not emulator.violations, emulator.violations
    return len(questions) / elapsed, latencies


def report(name: str, rate: float, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    return f"{name:<10} {rate:7.1f} updates/s   p50 {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument(
        "--rate", type=float, default=20.0, help="questions per second for the latency run"
    )
    parser.add_argument(
        "--only", choices=["capacity", "latency"], help="run one of the two measurements"
    )
    args = parser.parse_args()
    pool = [e.text for e in load_examples(ROOT / "tests" / "data" / "dev.jsonl")]
    questions = [pool[i % len(pool)] for i in range(args.questions)]
    faq = FAQ.load()
    ours = lambda settings: build_application(settings, faq)  # noqa: E731
    print(
        f"{args.questions} questions from {args.users} users through the emulator (its flood limits off)"
    )
    runs = [
        ("capacity, no rate limiter: the bot's own cost", False, None),
        (
            f"latency at a steady {args.rate:g} questions/s, as deployed (AIORateLimiter on)",
            True,
            args.rate,
        ),
    ]
    for title, limited, rate in runs:
        if args.only and args.only != ("capacity" if rate is None else "latency"):
            continue
        echo_rate, echo_latency = asyncio.run(
            measure(echo_application, questions, args.users, rate_limiter=limited, rate=rate)
        )
        bot_rate, bot_latency = asyncio.run(
            measure(ours, questions, args.users, rate_limiter=limited, rate=rate)
        )
        print(f"\n{title}:")
        print(report("echo bot", echo_rate, echo_latency))
        print(report("b12bot", bot_rate, bot_latency))
        if rate is None:
            print(f"b12bot keeps {100 * bot_rate / echo_rate:.0f}% of the echo bot's throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
