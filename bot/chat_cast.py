"""Who takes part in `b12bot chat`, and who says a line.

In a private chat, the person typing; with `--group`, a family group of three (you, Ann a member,
Sam an admin), where `@ann: text` speaks as Ann.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.emulator import Emulator, Group, User

_SPEAKER = re.compile(r"@(\w+):\s*(.*)", re.DOTALL)


@dataclass
class Cast:
    """Who takes part: the person typing, and in group mode the others and the group."""

    you: User
    people: dict[str, User]
    group: Group | None = None

    def chats(self) -> list[int]:
        """Every chat the bot may write to: the group first, then each person's private chat."""
        private = [person.id for person in dict.fromkeys(self.people.values())]
        return ([self.group.id] if self.group else []) + private

    def label(self, chat_id: int) -> str:
        """Whose chat a bot message arrived in, as the screen shows it."""
        if self.group is None or chat_id == self.group.id:
            return "bot"
        person = next(p for p in self.people.values() if p.id == chat_id)
        return f"bot (private, to {person.first_name})"

    def names(self) -> str:
        """The `@name:` prefixes there are, for a line that named nobody here."""
        return ", ".join(f"@{name}:" for name in self.people if name != "you") or "no one else"

    def speaker(self, text: str) -> tuple[User | None, str]:
        """Who speaks ('@ann: ...' in group mode) and what they say."""
        found = _SPEAKER.fullmatch(text) if self.group else None
        if found is None:
            return self.you, text
        return self.people.get(found.group(1).lower()), found.group(2).strip()


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
