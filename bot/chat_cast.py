"""Who takes part in `b12bot chat`, and who says a line.

In a private chat, the person typing, and whoever `/as Ann` brings in, each in their own private
chat with the bot; with `--group`, a family group of three (you, Ann a member, Sam an admin),
where `@ann: text` speaks as Ann.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.emulator import Emulator, Group, User

_SPEAKER = re.compile(r"@(\w+):\s*(.*)", re.DOTALL)
_NAME = re.compile(r"[^\W\d_][\w'-]{0,31}")  # one word that starts with a letter


@dataclass
class Cast:
    """Who takes part: the person typing, the others (the group's, or those /as brought in),
    the group in group mode, and in private mode whose chat lines go to."""

    you: User
    people: dict[str, User]
    group: Group | None = None
    speaking: User = field(init=False)

    def __post_init__(self) -> None:
        self.speaking = self.you

    def chats(self) -> list[int]:
        """Every chat the bot may write to: the group first, then each person's private chat."""
        private = [person.id for person in dict.fromkeys(self.people.values())]
        return ([self.group.id] if self.group else []) + private

    def home(self) -> int:
        """The chat the conversation is about: the group, or your private chat."""
        return self.group.id if self.group else self.you.id

    def label(self, chat_id: int) -> str:
        """Whose chat a bot message arrived in, as the screen shows it."""
        if chat_id == self.home():
            return "bot"
        person = next(p for p in self.people.values() if p.id == chat_id)
        return f"bot (private, to {person.first_name})"

    def prompt(self) -> str:
        """Who is typing, as the prompt shows it: you, or whom /as made you."""
        return "you" if self.speaking is self.you else self.speaking.first_name

    def names(self) -> str:
        """The `@name:` prefixes there are, for a line that named nobody here."""
        return ", ".join(f"@{name}:" for name in self.people if name != "you") or "no one else"

    def speaker(self, text: str) -> tuple[User | None, str]:
        """Who speaks ('@ann: ...' in group mode, whom /as chose in private) and what they say."""
        found = _SPEAKER.fullmatch(text) if self.group else None
        if found is None:
            return self.speaking, text
        return self.people.get(found.group(1).lower()), found.group(2).strip()

    def speak_as(self, emulator: Emulator, name: str) -> str:
        """/as Ann: later lines are Ann's, in her private chat with the bot (she is made the first
        time, as someone who has not written to the bot yet); /as me: yours again. What to print.
        """
        if self.group is not None:
            return (
                "(in the group, '@ann: text' speaks as Ann; /as is for b12bot chat without --group)"
            )
        key = name.lower()
        if key in {"me", "you"}:
            self.speaking = self.you
            return "(you again, in your own private chat with the bot)"
        if not _NAME.fullmatch(name):
            return (
                "(who? '/as Ann' speaks as Ann in her private chat with the bot; '/as me' is you)"
            )
        if key not in self.people:
            self.people[key] = emulator.add_user(name[:1].upper() + name[1:])
        self.speaking = self.people[key]
        them = self.speaking.first_name
        return f"(you are {them} now, in {them}'s private chat with the bot; '/as me' is you again)"


async def gather_cast(emulator: Emulator, *, group: bool) -> Cast:
    """The people (and group) the chat plays, made in the emulator."""
    if not group:
        you = emulator.add_user("You")
        return Cast(you, {"you": you})
    # All three have written to the bot in private before, so it may write to them there.
    you = emulator.add_user("You", started=True)
    ann = emulator.add_user("Ann", started=True)
    sam = emulator.add_user("Sam", started=True)
    family = emulator.add_group("Family", members=[you, ann], admins=[sam])
    # Sam adds the bot, as a family would, so the group sees the bot's greeting.
    await emulator.remove_bot_from_group(family, by=sam)
    await emulator.add_bot_to_group(family, by=sam)
    return Cast(you, {"you": you, "ann": ann, "sam": sam, "admin": sam}, family)
