"""`b12bot chat` with piped input: a scripted conversation through the emulator, as a user runs it."""

import subprocess
import sys


def test_a_scripted_conversation() -> None:
    script = "how often do I need my b12 jab?\n#5\n#99\nmy face is swelling after the jab\n/quit\nnever read\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot> Hello You!" in out  # /start is sent for you
    assert "you> how often do I need my b12 jab?" in out
    assert "bot> How often are B12 injections given?" in out
    assert "(bot: Thanks for telling me. 🙏)" in out
    assert "bot> (buttons updated)" in out
    assert "(there is no button 99)" in out
    assert "bot> 🚨 This could be an emergency" in out
    assert "never read" not in out
    assert "Traceback" not in result.stderr
