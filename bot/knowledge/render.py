"""Pour topics and outcomes into the Jinja2 layouts, producing Telegram HTML.

The layouts, not the topics, end every medical answer, clarify and fallback with the clinician
line, so none can forget it; a `medical: false` topic (about the bot, privacy, how reminders work)
goes without, since there it would mean nothing.
Replies carry their buttons as plain choices; turning them into a Telegram keyboard is the
Telegram layer's job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import jinja2
from markupsafe import Markup

from bot.knowledge.catalog import Catalog, ContentError, Topic, TriageCategory
from bot.knowledge.faq import Cautioned, Decision, Matched, UnsureUrgent
from bot.knowledge.matcher import Answer, Clarify, Fallback, Reason
from bot.knowledge.matching_content import SMALL_TALK_KINDS
from bot.knowledge.triage import Urgent

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# The bot's own short messages (messages.j2) and sample values, so content-check can render each.
MESSAGES: dict[str, dict[str, object]] = {
    "start": {"name": "Sam & Co <b>"},
    "help": {},
    "group_help": {"bot_username": "b12_helper_bot"},
    "ask_usage": {},
    "ask_prompt": {},
    "answer_unhelpful": {},
    "topics": {},
    "long_message": {"limit": 1500},
    "not_text": {},
    "edited": {},
    "unknown_command": {},
    "error": {},
    "group_welcome": {},
    "reminder": {
        "for_whom": "Mum & Dad",
        "due": "Tue 1 Dec 09:00",
        "late": True,
        "missed": 2,
        "last_site": "left arm",
        "supplies_left": 0,
        "running_low": True,
        "taken_at": "09:00",
    },
    "dose_marked": {
        "for_whom": "Mum",
        "due": "09:00",
        "what": "taken",
        "who": "Ann <3",
        "at": "09:12",
    },
    "followup": {"for_whom": "Mum"},
    "reminder_saved": {
        "description": "every 4 weeks at 09:00",
        "for_whom": "Mum",
        "next_due": "Tue 1 Dec 09:00",
        "zone": "Europe/London",
        "also": "every 12 weeks at 10:00",
    },
    "remind_problem": {
        "message": "I couldn't read the time '25:00'.",
        "example": "/remind every 4 weeks at 09:00",
    },
    "needs_timezone": {},
    "timezone_current": {"zone": "Europe/London"},
    "timezone_set": {"zone": "UTC+05:30", "fixed": True, "kept_as": "Asia/Kolkata", "to_move": 2},
    "timezone_abbreviation": {"text": "<EST>"},
    "timezone_unkept": {"offset": "UTC-03:30"},
    "timezone_moved": {"count": 2, "zone": "America/New_York"},
    "timezone_not_moved": {"count": 1},
    "timezone_unknown": {"text": "<Mars>"},
    "group_consent": {"description": "every 4 weeks at 09:00", "for_whom": "Mum"},
    "reminders_none": {},
    "reminder_line": {
        "description": "every 4 weeks at 09:00",
        "for_whom": "Mum",
        "next_due": "Tue 1 Dec 09:00",
        "paused": False,
        "zone": "America/New_York",
    },
    "reminders_list": {
        "rows": [
            {
                "description": "every 4 weeks at 09:00",
                "for_whom": "Mum & Dad",
                "next_due": "Tue 1 Dec 09:00",
                "zone": "America/New_York",
                "paused": False,
            },
            {"description": "every day at 21:00", "for_whom": None, "next_due": "", "paused": True},
        ]
    },
    "reminder_delete_confirm": {"description": "every day at 21:00", "for_whom": "Mum <3"},
    "reminder_deleted": {"description": "every day at 21:00", "for_whom": None},
    "reminder_duplicate": {
        "description": "every 4 weeks at 09:00",
        "for_whom": "Mum",
        "next_due": "Tue 1 Dec 09:00",
        "paused": False,
    },
    "not_allowed": {},
    "zone_not_allowed": {},
    "forget_confirm": {"group": True},
    "forgotten": {"group": False},
    "welcome_back": {},
    "taken_logged": {
        "at": "Tue 1 Dec 09:12",
        "for_whom": "Mum & Dad",
        "zone": "Europe/London",
        "answered": "Tue 1 Dec 09:00",
        "next_due": "Tue 29 Dec 09:00",
    },
    "taken_problem": {"message": "I couldn't read “<banana>”."},
    "taken_which": {"names": ["Mum", "Dad & Co"]},
    "taken_duplicate": {"for_whom": "Mum", "at": "Tue 1 Dec 09:12"},
    "taken_close": {"for_whom": "Mum", "at": "Tue 1 Dec 09:12"},
    "taken_undone": {},
    "taken_restart": {"due": "Tue 29 Dec 09:00"},
    "taken_restarted": {"due": "Tue 29 Dec 09:00"},
    "history": {
        "lines": ["Tue 1 Dec 09:00: taken", "Tue 3 Nov 09:00: missed <late>"],
        "next_due": [("Mum", "Tue 29 Dec 09:00", None), (None, "Wed 30 Dec", "America/New_York")],
        "last_site": "right thigh",
        "zone": "Europe/London",
        "last_taken": "Tue 3 Nov 09:00 for Mum: taken",
        "older": True,
    },
    "guided_frequency": {},
    "guided_one_step": {},
    "guided_time": {"frequency": "every 4 weeks"},
    "guided_start": {"frequency": "every 4 weeks", "time": "09:00"},
    "guided_for_whom": {},
    "guided_type": {"step": "s"},
    "guided_problem": {"message": "“25:00” is not a time of day."},
    "guided_cancelled": {"ended": True},
    "small_talk_hello": {},
    "hard_times": {},
    "call_help": {"red_flags": ["trouble breathing", "chest pain"]},
    "small_talk_thanks": {},
    "small_talk_ok": {},
    "small_talk_dose": {},
    "other_language": {},
    "chat_paused": {"reason": "restricted"},
    "chat_resumed": {},
    "group_paused": {"title": "Mum's care <3"},
    "forget_mine_confirm": {},
    "forgotten_mine": {},
    "reminders_full": {"limit": 50},
    "carer_private_only": {},
    "carer_invite": {
        "link": "https://t.me/b12_bot?start=carer_AbC-12_xyzAbC-12_xyzAb",
        "name": "Mum <3",
        "expires": "Tue 1 Dec 09:00",
        "hours": 2,
    },
    "carer_invites_full": {"limit": 5},
    "carer_name_problem": {},
    "carer_offer": {"name": "Mum & Co", "hours": 2},
    "carer_invite_invalid": {},
    "carer_self": {},
    "carer_already": {"name": "Mum"},
    "carers_full": {},
    "carer_accepted": {"name": "Mum", "hours": 2},
    "carer_declined": {},
    "carer_joined": {"carer": "Ann <b>", "hours": 2},
    "carers_list": {
        "carers": ["Ann", "Bo & Co"],
        "unreachable": ["Bo & Co"],
        "followed": ["Dad"],
        "pending": 2,
    },
    "carer_link_ended": {"name": "Mum", "by_patient": True},
    "carer_alert": {"name": "Mum", "due": "09:00"},
    "carer_nudge": {"carer": "Ann", "due": "09:00", "person": "Dad"},
    "carer_alert_closed": {"name": "Mum", "due": "09:00", "status": "taken by Ann"},
    "supplies_status": {"for_whom": "Mum", "left": 3, "alert_at": 2},
    "supplies_low": {"left": 2},
    "supplies_left": {"left": 1},
    "supplies_usage": {"limit": 500},
    "supplies_no_reminder": {},
    "pick_reminder": {"what": "is this for"},
    "site_question": {},
    "site_noted": {"site": "left thigh"},
    "export_nothing": {},
    "export_not_allowed": {},
    "export_csv": {},
    "export_ics": {},
    "export_pdf": {},
}


def citation_mark(number: int) -> str:
    """The superscript that points a sentence at source `number` (1-based)."""
    return str(number).translate(_SUPERSCRIPT)


class Kind(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: a label and the topic it opens."""

    label: str
    topic: str


@dataclass(frozen=True, slots=True)
class Reply:
    kind: Kind
    html: str
    choices: tuple[Choice, ...] = ()
    topic: str | None = None  # set for answers, so feedback can be counted per topic
    show_menu: bool = False  # the Telegram layer adds the topic menu (fallback)


class Renderer:
    """Renders replies; compiles every template once, so rendering in a handler is cheap."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(catalog.root / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
        )
        self._layouts = {kind: self._template(f"{kind.value}.j2") for kind in Kind}
        self._rendered: dict[str, tuple[Topic, Reply]] = {}
        self._answers = {topic.id: self._compile_answer(topic) for topic in catalog.topics.values()}
        self.clinician_line = self._template("_clinician.j2").render().strip()
        self._caution = self._template("_caution.j2")
        self._safety_net = self._template("_safety_net.j2").render().strip()
        self._messages = self._template("messages.j2")

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self._env.get_template(name)
        except jinja2.TemplateError as error:
            raise ContentError(
                self._catalog.root / "templates" / name, "(template)", str(error)
            ) from None

    def _compile_answer(self, topic: Topic) -> jinja2.Template:
        try:
            return self._env.from_string(topic.answer)
        except jinja2.TemplateSyntaxError as error:
            raise ContentError(
                topic.path, "answer", f"template error on line {error.lineno}: {error.message}"
            ) from None

    def cited(self, topic: Topic) -> tuple[str, list[int]]:
        """The answer body as HTML, and the source numbers it cites in order of appearance."""
        numbers: list[int] = []

        def cite(*wanted: int) -> Markup:
            for number in wanted:
                if not isinstance(number, int) or not 1 <= number <= len(topic.sources):
                    raise ContentError(
                        topic.path, "answer", f"cite({number}) has no matching entry in sources"
                    )
            numbers.extend(wanted)
            return Markup("˒".join(citation_mark(n) for n in wanted))  # noqa: S704 - digits only

        try:
            body = self._answers[topic.id].render(cite=cite).strip()
        except jinja2.TemplateError as error:
            raise ContentError(topic.path, "answer", f"does not render: {error}") from None
        return body, numbers

    def answer(self, topic: Topic) -> Reply:
        """A topic's answer in the answer layout; rendered once per topic, since content is fixed."""
        cached = self._rendered.get(topic.id)
        if cached is not None and cached[0] is topic:
            return cached[1]
        reply = self._render_answer(topic)
        self._rendered[topic.id] = (topic, reply)
        return reply

    def _render_answer(self, topic: Topic) -> Reply:
        body, _ = self.cited(topic)
        html = self._layouts[Kind.ANSWER].render(
            topic=topic,
            body=Markup(body),  # noqa: S704 - our own content, already validated HTML
            marks=[citation_mark(n) for n in range(1, len(topic.sources) + 1)],
        )
        related = tuple(Choice(self._catalog.topics[r].title, r) for r in topic.related)
        return Reply(Kind.ANSWER, _tidy(html), related, topic=topic.id)

    def clarify(self, topic_ids: Sequence[str]) -> Reply:
        topics = [self._catalog.topics[t] for t in topic_ids]
        html = self._layouts[Kind.CLARIFY].render(candidates=topics)
        return Reply(Kind.CLARIFY, _tidy(html), tuple(Choice(t.title, t.id) for t in topics))

    def fallback(self, reason: Reason = Reason.OFF_TOPIC, candidates: Sequence[str] = ()) -> Reply:
        """No topic answers: a reply that fits why (off topic, not covered, chat, language)."""
        if reason is Reason.HELP:
            return Reply(Kind.FALLBACK, self.message("help"))
        if reason.value in SMALL_TALK_KINDS:  # each kind has its own short reply
            return Reply(Kind.FALLBACK, self.message(f"small_talk_{reason.value}"))
        if reason in (Reason.OTHER_LANGUAGE, Reason.HARD_TIMES):
            return Reply(Kind.FALLBACK, self.message(reason.value))
        if reason is Reason.CALL_HELP:
            flags = [c.red_flag for c in self._catalog.triage.categories if c.red_flag]
            return Reply(Kind.FALLBACK, self.message("call_help", red_flags=flags))
        not_covered = reason is Reason.NOT_COVERED and bool(candidates)
        html = _tidy(
            self._layouts[Kind.FALLBACK].render(
                not_covered=not_covered, other_medicine=reason is Reason.OTHER_MEDICINE
            )
        )
        if not_covered:
            topics = [self._catalog.topics[t] for t in candidates]
            return Reply(Kind.FALLBACK, html, tuple(Choice(t.title, t.id) for t in topics))
        return Reply(Kind.FALLBACK, html, show_menu=True)

    def urgent(
        self, category: TriageCategory, *, helplines: bool = False, otherwise: Matched | None = None
    ) -> Reply:
        """The urgent-care page; where the learned nets alone called it, the topics the message
        would otherwise have been answered with follow as buttons, under a line saying why."""
        choices = tuple(Choice(self._catalog.topics[t].title, t) for t in _topics(otherwise))
        html = self._layouts[Kind.URGENT].render(
            category=category, helplines=helplines, way_on=bool(choices)
        )
        return Reply(Kind.URGENT, _tidy(html), choices)

    def message_names(self) -> set[str]:
        """Every message messages.j2 defines: content-check renders each with MESSAGES' samples."""
        module = self._messages.module
        return {
            name for name in dir(module) if isinstance(getattr(module, name), jinja2.runtime.Macro)
        }

    def message(self, which: str, /, **values: object) -> str:
        """One of the bot's own short messages from messages.j2, as Telegram HTML."""
        path = self._catalog.root / "templates" / "messages.j2"
        macro = getattr(self._messages.module, which, None)
        if macro is None:
            raise ContentError(path, which, "no such message")
        try:
            return _tidy(str(macro(**values)))
        except jinja2.TemplateError as error:
            raise ContentError(path, which, f"does not render: {error}") from None

    def reply(self, decision: Decision) -> Reply:
        """The reply a person reads for a decision."""
        match decision:
            case Cautioned(decision=matched, category=category):
                reply = self.reply(matched)
                banner = self._caution.render(category=category).strip()
                # The banner on top already gives the numbers: the net line below would repeat them.
                html = _tidy(reply.html.replace(self._safety_net, ""))
                return dataclasses.replace(reply, html=f"{banner}\n\n{html}")
            case Urgent(category=category, helplines=helplines):
                otherwise = decision.otherwise if isinstance(decision, UnsureUrgent) else None
                return self.urgent(category, helplines=helplines, otherwise=otherwise)
            case Answer(topic=topic, candidates=candidates):
                reply = self.answer(self._catalog.topics[topic])
                # Close runner-ups (siblings, or the next best) come first among the buttons.
                runner_ups = [c for c in candidates if c != topic]
                if not runner_ups:
                    return reply
                choices = [Choice(self._catalog.topics[c].title, c) for c in runner_ups]
                choices += [c for c in reply.choices if c.topic not in runner_ups]
                return dataclasses.replace(reply, choices=tuple(choices))
            case Clarify(candidates=candidates):
                return self.clarify(candidates)
            case Fallback(reason=reason, candidates=candidates):
                return self.fallback(reason, candidates)


def _topics(decision: Matched | None) -> tuple[str, ...]:
    """The topics a matched decision offers: its answer and close runner-ups, or its candidates
    where it has no one answer (a "did you mean", or the closest topics to a question not
    covered)."""
    match decision:
        case Answer(topic=topic, candidates=candidates):
            return (topic, *(c for c in candidates if c != topic))
        case Clarify(candidates=candidates):
            return tuple(candidates)
        case Fallback(reason=Reason.NOT_COVERED, candidates=candidates):
            return tuple(candidates)
    return ()


def _tidy(html: str) -> str:
    """Trim stray blank lines that template tags leave behind."""
    lines = [line.rstrip() for line in html.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy)
