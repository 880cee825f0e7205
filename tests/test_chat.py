"""`b12bot chat` as a person runs it: piped input, a terminal (pty) and Ctrl-C, through the
emulator and the real bot."""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

CHAT = [sys.executable, "-m", "bot.cli", "chat"]


def _chat(script: str, *flags: str) -> str:
    result = subprocess.run(
        [*CHAT, *flags], input=script, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_a_scripted_conversation_presses_buttons_of_the_latest_and_of_earlier_messages() -> None:
    script = (
        "how often do I need my b12 jab?\n#5\n#99\n#1.2\n#9.1\n"
        "my face is swelling after the jab\n/quit\nnever read\n"
    )
    out = _chat(script)
    assert "bot #1> Hello You!" in out  # /start is sent for you; its buttons are message #1
    assert "you> how often do I need my b12 jab?" in out
    assert "bot #2> How often are B12 injections given?" in out
    assert "(bot: Thanks for telling me. 🙏)" in out  # #5: 👍 on the latest message (#2)
    assert "bot #2> (buttons updated)" in out
    assert "(there is no button 99)" in out
    # #1.2 presses button 2 (Browse topics) of the greeting, two messages back
    assert "you> #1.2\nbot #3> 📚 Topics: pick one." in out
    assert "(there is no message #9 with buttons here)" in out
    assert "bot> 🚨 This could be an emergency" in out
    assert "never read" not in out


def test_a_reminder_that_fires_while_you_are_idle_is_printed_when_it_arrives() -> None:
    # The first whole minute at least 30 s away: a due time the bot could reach only after
    # starting up (slowly, on a busy machine) would be tomorrow's, and the test would wait a day.
    soon = datetime.now(UTC) + timedelta(seconds=30)
    due = (soon.replace(second=0, microsecond=0) + timedelta(minutes=1)).strftime("%H:%M")
    process = subprocess.Popen(
        CHAT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(180, process.kill)  # a reminder that never comes fails, not hangs
    watchdog.start()
    try:
        process.stdin.write(f"/timezone UTC\n/remind every day at {due}\n")
        process.stdin.flush()  # and say nothing more: the reminder must come by itself
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "💉 Injection reminder" in line:
                break
        assert any(f"Reminder set: every day at {due}" in line for line in seen), "".join(seen)
        reminder = seen[-1]
        assert reminder.startswith("bot #2> 💉 Injection reminder"), "".join(seen)
        process.stdin.write("#1\n")  # its Taken button: the latest message with buttons
        process.stdin.close()
        rest = process.stdout.read()
        assert process.wait(timeout=60) == 0
    finally:
        watchdog.cancel()
        process.kill()
    assert "you> #1" in rest
    assert "Traceback" not in process.stderr.read()


def test_ctrl_c_in_a_terminal_leaves_cleanly() -> None:
    pid, terminal = pty.fork()  # the child's controlling terminal is the pty, as in a shell
    if pid == 0:
        os.execv(sys.executable, CHAT)
    status = None
    try:
        screen = _read_until(terminal, b"you> ")
        assert b"Hello You!" in screen
        os.write(terminal, b"\x03")  # the terminal turns Ctrl-C into SIGINT
        screen += _read_until(terminal, None)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(terminal)
        if status is None:  # it hung: do not leave it running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) in (0, 130)
    assert b"Traceback" not in screen
    assert b"KeyboardInterrupt" not in screen


def _read_until(fd: int, marker: bytes | None) -> bytes:
    """What the terminal shows until `marker` appears (or, with None, until the program ends)."""
    screen = b""
    while marker is None or marker not in screen:
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, screen
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    return screen


def test_group_mode_plays_a_family_of_three() -> None:
    script = (
        "@admin: /timezone London\n"
        "/remind every 4 weeks at 09:00 for Mum\n"
        "#1\n"  # you set it, so you confirm that the group may see it
        "@ann: /taken for Mum yesterday at 9am\n"
        "@ann: how are you\n"
        "@bob: hi\n"
        "/remind\n"
        ">3 every 12 weeks at 9am\n"  # in a group, a typed answer replies to the bot's question
        "#2\n"  # Tomorrow
        "Dad\n"  # the bot asked for a reply: this line is sent as one
        "#1\n"
        ">99 hello\n"
        "@admin: /forget\n"
        "#1\n"  # you are not an admin: pressing Sam's Yes keeps the group's data
        "@admin: #1\n"
        "/as Ann\n/open\n/wait\n"  # private chats' tools; the clock has nothing left to reach
    )
    out = _chat(script, "--group")
    assert "'@ann: text'" in out  # the help says how to speak as the others
    assert "'@admin:'" in out
    assert "bot> Hello everyone!" in out  # Sam added the bot to the group
    assert "you> @admin: /timezone London\nbot> 🌍 Time zone set to Europe/London" in out
    assert "bot #1> Before I save this: a reminder in this group shows Mum's treatment" in out
    assert "bot> ✅ Reminder set for Mum: every 4 weeks at 09:00 (Europe/London)" in out
    assert "bot #2> ✅ Logged: Mum's injection taken at" in out
    assert "(no reply: in a group the bot reads commands, @mentions and replies to it)" in out
    assert "(nobody called @bob: try @ann:, @sam:, @admin:)" in out
    assert "'>M text' replies to message #M" in out
    assert "bot #4> Every 12 weeks at 09:00. When is the next injection due?" in out
    assert "bot #5> You, who is this reminder for? Reply to this message" in out
    assert "you> Dad\nbot #6> Before I save this: a reminder in this group shows Dad's" in out
    assert "bot> ✅ Reminder set for Dad: every 12 weeks at 09:00 (Europe/London)" in out
    assert "(there is no message #99 here to reply to)" in out
    assert "(bot: Only a group admin can delete the group's data.)" in out
    assert "(bot: Deleted.)" in out
    assert "I have deleted everything I stored about this group." in out
    assert "you> /as Ann\n(in the group, '@ann: text' speaks as Ann; /as is for b12bot chat" in out
    assert "you> /open\n(a link opens a private chat: /open is for b12bot chat without" in out
    assert "you> /wait\n(nothing is due, so the clock stays where it is)" in out


def test_wait_moves_the_bots_clock_through_each_reminder_on_the_way() -> None:
    script = (
        "/timezone London\n/wait\n/remind every day at 09:00\n/wait\n/wait 2d\n"
        "/wait 2 months\n/history\n"
    )
    out = _chat(script)
    assert "you> /wait\n(nothing is due, so the clock stays where it is)" in out
    # /wait alone: to the first reminder, sent at its time, wherever the real clock is
    first = re.search(
        r"you> /wait\n\(⏩ (\w{3} \d+ \w{3}), 09:00 Europe/London\)\n"
        r"bot #2> 💉 Injection reminder: B12 injection due at \1 09:00\.",
        out,
    )
    assert first is not None, out
    # /wait 2d: each day's reminder at 09:00 on the way, then where the clock stopped
    two_days = out.split("you> /wait 2d\n", 1)[1]
    assert re.match(
        r"\(⏩ \w{3} \d+ \w{3}, 09:00 Europe/London\)\nbot #3> 💉 Injection reminder.*"
        r"\(⏩ \w{3} \d+ \w{3}, 09:00 Europe/London\)\nbot #4> 💉 Injection reminder.*"
        r"\(it is now \w{3} \d+ \w{3}, 09:00 Europe/London\)\n",
        two_days,
        re.DOTALL,
    ), two_days
    assert "you> /wait 2 months\n(how long? /wait 2h (or 30m, 1d)" in out
    assert out.count(" 09:00: no answer") == 3  # none of them late: each went at its time


def test_wait_alone_brings_a_snooze_due_in_the_same_minute() -> None:
    """Snoozed at 09:00 and some seconds for an hour, Mum's reminder is due seconds after Dad's
    10:00 one; /wait stopped at Dad's and showed Mum's only at the next /wait (a QA pass)."""
    script = (
        "/timezone London\n/remind every day at 09:00 for Mum from tomorrow\n"
        "/remind every day at 10:00 for Dad from tomorrow\n/wait\n#3\n/wait\n"
    )
    out = _chat(script)
    at_ten = out.rsplit("you> /wait\n", 1)[1]
    assert "Injection reminder for Dad" in at_ten
    assert "Injection reminder for Mum: B12 injection due at" in at_ten


def test_as_and_open_play_a_carer_in_her_own_chat_and_wait_shows_whose_chat_hears_what() -> None:
    script = (
        "/as\n/as 42\n/open\n/timezone London\n/remind every day at 09:00\n/carer Mum\n"
        "/as ann\n/open https://t.me/other_bot?start=carer_x\n/open\n#1\n/as me\n"
        "/wait\n/wait 2h\n/as Ann\n#1\n/as me\n/carers\n"
    )
    out = _chat(script)
    assert "/as Ann speaks as Ann, in her own private chat" in out  # the help says how
    assert out.count("(who? '/as Ann' speaks as Ann in her private chat with the bot") == 2
    assert "you> /open\n(no link to open: /open opens the latest t.me link the bot sent)" in out
    assert "(you are Ann now, in Ann's private chat with the bot; '/as me' is you again)" in out
    assert "Ann> /open https://t.me/other_bot?start=carer_x\n(that link opens @other_bot" in out
    # Ann opens the link you were given: in her chat, the offer; in yours, who joined
    assert (
        "Ann> /open\n(Ann opens the link: Telegram sends /start and its code)\n"
        "bot (private, to Ann) #3> 🤝 Mum would like you as their carer" in out
    )
    assert "Ann> #1\nbot> 🤝 Ann is now your carer" in out
    assert "Ann> /as me\n(you again, in your own private chat with the bot)\nyou> /wait" in out
    # 2 hours after the unmarked reminder: your follow-up, and Ann's alert in her chat
    followed_up = out.split("you> /wait 2h\n", 1)[1]
    assert re.match(
        r"\(⏩ \w{3} \d+ \w{3}, 11:00 Europe/London\)\n"
        r"bot> 🔔 A reminder from earlier has not been marked as taken yet\.\n\n"
        r"bot \(private, to Ann\) #5> 🔔 Mum's B12 injection due at 09:00 hasn't been marked "
        r"yet\.\n  \[1\] 🔔 Remind Mum again\n  \[2\] ✅ It's done\n",
        followed_up,
    ), followed_up
    assert "Ann> #1\n(bot: Done: I reminded Mum.)\nbot #6> 🔔 Ann asked me to remind you" in out
    assert "you> /carers\nbot #7> 🤝 Carers\nTold when your reminders aren't marked: Ann." in out
