"""The FAQ brain's front door: triage first, then matching, exactly as a message flows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.catalog import SELF_HARM, Catalog, TriageCategory, load_catalog
from bot.knowledge.matcher import Answer, Clarify, Fallback, Matcher, Reason, Thresholds
from bot.knowledge.matching_content import SMALL_TALK_KINDS
from bot.knowledge.story_check import StoryCheck
from bot.knowledge.triage import Assessment, Level, Triage, Urgent
from bot.knowledge.triage_model import TriageModel

Matched = Answer | Clarify | Fallback


@dataclass(frozen=True, slots=True)
class Cautioned:
    """A matched reply that carries a safety banner: an alarming sign, but not an emergency now."""

    decision: Matched
    category: TriageCategory | None


@dataclass(frozen=True, slots=True)
class UnsureUrgent(Urgent):
    """An emergency page the learned nets doubt, with the answer the message would otherwise have
    had one tap below it. Either the nets alone called it (no sign said plainly, no crisis lines,
    not CERTAIN): one such page in seven is a false alarm ("i'll take it tonight"), against one
    in thirty of the pages a sign calls. Or a sign called it and the nets would not have
    (`Assessment.disputed`): over holdout13-40 and the stories, 110 ordinary messages and 155
    cautions against 62 emergencies, most of them dose reports the poisoning sign reads as an
    overdose ("nan took all 3 of her tablets this morning"). The page stays whole; a false alarm
    is not a dead end for someone only telling the bot about their dose."""

    otherwise: Matched = field(kw_only=True)


Decision = Urgent | Cautioned | Answer | Clarify | Fallback

# Where the nets alone page a message at or above this, the page is surer than one a sign calls:
# on holdout13-22 and the stories 2 of 228 such pages were false alarms, against 52 of 210 below
# it (chosen there; holdout23-28 and stories3: 1 of 182, against 27 of 184), and one in thirty of
# the pages a sign calls. "Did I misread you?" under them would only invite waving away an
# emergency ("nan is clammy and grey and says her arm feels heavy", 0.9997).
CERTAIN = 0.999


class FAQ:
    """Everything needed to decide what a question is about, built once from the catalog."""

    def __init__(
        self,
        catalog: Catalog,
        thresholds: Thresholds | None = None,
        triage_model: TriageModel | None = None,
    ) -> None:
        self.catalog = catalog
        if triage_model is None:
            self.triage = Triage(catalog.triage, TriageModel.load(), StoryCheck.load())
        else:  # a stand-in net: the story check was fitted to the shipped nets' readings
            self.triage = Triage(catalog.triage, triage_model)
        self.matcher = Matcher.for_catalog(catalog, thresholds)

    @classmethod
    def load(cls, root: Path | None = None) -> FAQ:
        return cls(load_catalog(root))

    def decide(self, text: str) -> Decision:
        """Urgent if triage says so, else the matcher's decision, with a banner on caution."""
        assessment = self.triage.assess(text)
        emergency = assessment.level is Level.EMERGENCY and assessment.category is not None
        if emergency and not (assessment.learned or assessment.disputed):
            return Urgent(assessment.category, assessment.helplines)
        matched = self.matcher.match(text)
        small_talk = isinstance(matched, Fallback) and matched.reason.value in SMALL_TALK_KINDS
        # The learned nets may not answer a message that is all small talk ("goodbye", "took it")
        # with the emergency page; a sign of the taxonomy said plainly still does (small talk
        # has no topic to offer under it).
        if emergency and (assessment.disputed or not small_talk):
            if doubted(assessment):
                return UnsureUrgent(assessment.category, otherwise=matched)
            return Urgent(assessment.category, assessment.helplines)
        if assessment.level is Level.CAUTION and not small_talk:  # no banner on "hi" or "thanks"
            if (
                assessment.category
                and assessment.category.id == SELF_HARM
                and self._unsure(matched)
            ):
                # "honestly just so done": topics the words barely reach would read as not
                # listening; under the helplines, a few kind words instead.
                matched = Fallback(score=matched.score, reason=Reason.HARD_TIMES)
            elif assessment.asks_for_help and not isinstance(matched, Answer):
                # "should i call an ambulance?": topics a word of it reaches ("privacy", "blood
                # test results") do not answer it; when to call does. An answer still stands:
                # "i missed my jab by a week, should i go to a&e".
                matched = Fallback(score=matched.score, reason=Reason.CALL_HELP)
            return Cautioned(matched, assessment.category)
        return matched

    def _unsure(self, matched: Matched) -> bool:
        """No topic the words reach: a fallback, or topics offered on the classifier's lean."""
        return isinstance(matched, Fallback) or (
            isinstance(matched, Clarify) and matched.score < self.matcher.thresholds.clarify
        )


def doubted(assessment: Assessment) -> bool:
    """Whether an emergency page is one the learned nets doubt, which offers the answer below it:
    they alone called it, short of CERTAIN, or a sign called it that they would not have. A
    crisis page never invites being waved away."""
    return not assessment.shows_helplines and (
        assessment.disputed or (assessment.learned and assessment.probability < CERTAIN)
    )


def record(text: str, decision: Decision) -> dict[str, object]:
    """The `b12bot classify` JSON shape for one decision."""
    caution = isinstance(decision, Cautioned)
    if isinstance(decision, Cautioned):
        decision = decision.decision
    match decision:
        case Urgent():
            return {
                "text": text,
                "outcome": "urgent",
                "topic": None,
                "score": 100.0,
                "candidates": [],
                "caution": False,
            }
        case Answer(topic=topic, score=score, candidates=candidates):
            outcome, chosen = "answer", topic
        case Clarify(score=score, candidates=candidates):
            outcome, chosen = "clarify", None
        case Fallback(score=score, candidates=candidates):
            outcome, chosen = "fallback", None
    return {
        "text": text,
        "outcome": outcome,
        "topic": chosen,
        "score": float(score),
        "candidates": list(candidates),
        "caution": caution,
    }
