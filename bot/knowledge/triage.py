"""Spot emergencies before anything else, in three levels: emergency, caution, nothing alarming.

Missing an emergency is the worst thing this bot can do, so two nets are combined, recall first:

- signs (triage_signs.py, written in content/triage.yaml as a taxonomy of emergencies with word
  families): a sign said plainly is an emergency; said as a negation, a past event, a general
  question or a "what if", or a weak sign without an acute cue, it is caution, never nothing.
- a learned net (triage_model.py): a classifier trained on our own labelled exemplars, with
  cut-offs chosen by cross-validation, catches wording the signs miss, and turns a sign whose
  literal words fire on an ordinary message into caution when it is all but certain; beside it
  a net trained on self-harm alone calls the suicidal messages the general one misses, and
  below its cut-off adds the banner with the crisis lines.

Emergency -> urgent-care guidance only. Caution -> a safety banner above the usual answer.
`benchmarks/triage.py` prints both nets' figures, per category, on sets they were not fitted to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from bot.knowledge.catalog import SELF_HARM, TriageCategory, TriageContent
from bot.knowledge.story_check import StoryCheck, story_readings
from bot.knowledge.triage_model import Leanings, TriageModel
from bot.knowledge.triage_signs import (
    CALL_HELP,
    NAMES_ONLY,
    PLAN_TO_TAKE,
    SENTENCE_BREAK,
    TAKEN,
    Found,
    Reading,
    SignReader,
    words,
)

# A message longer than this is a story: the learned nets read it sentence by sentence too, so an
# emergency in the middle is not diluted by everything around it.
STORY_WORDS = 40
# A sentence read alone has lost what the story around it says: "I'm also on folic acid and I've
# just started pregnancy vitamins", in a question about twins, is 0.82 alone and 0.01 in the
# story. Alone it calls an emergency only from this probability; below, it adds the banner.
# Chosen on two sets of 800 long stories by writers who read no project file
# (tests/data/triage/stories*.jsonl): with any sentence over the usual cut-off calling one, 519
# of their 959 ordinary stories got the emergency page; at 0.9, 188; at 0.99, 59. Over every
# held-out set and both story sets, 0.9 called 2781 of 2837 emergencies (5 fewer than before)
# and 0.99 2775, each given the banner instead: recall first.
STORY_SURE = 0.9
# ... and where the whole story is at most this, a sentence needs SURE: over holdout13-20 and the
# story sets it kept every emergency 0.9 kept and cut the ordinary messages given the page from
# 308 to 205 of 3,606 (at 0.01, 1 - SURE: 178, and one more emergency went to the banner).
STORY_ORDINARY = 0.001
SURE = 0.99
FEW_WORDS = 3  # fewer words than this, and no word the taxonomy knows, is no evidence for a net
# Who a message is about is no evidence of an emergency by itself: the general net alone calls one
# only where the taxonomy knows some other word. With the MLP in the net, "is this a robot
# answering me" (0.68: "answering me" is how unresponsive people are reported) and "benepali pen
# left out of the fridge overnight" got the page; held out, this cost no emergency and the fresh
# sets' ordinary questions paged went 22 -> 20 of 2,877.
WHO = frozenset({"PERSON", "HUMAN"})


class Level(StrEnum):
    EMERGENCY = "emergency"
    CAUTION = "caution"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Assessment:
    level: Level
    category: TriageCategory | None
    probability: float  # the learned net's P(emergency now)
    talked_about: bool = False  # a sign said as a negation, past event, question or "what if"
    learned: bool = False  # an emergency the learned nets called, with no sign said plainly
    helplines: bool = False  # the crisis lines belong on the page whatever its category
    disputed: bool = False  # a sign's page the learned nets would not have called
    asks_for_help: bool = False  # asks whether to call an ambulance or go to A&E

    @property
    def shows_helplines(self) -> bool:
        """Whether its page shows Samaritans and 988: a self-harm page always does."""
        return self.helplines or (self.category is not None and self.category.id == SELF_HARM)


@dataclass(frozen=True, slots=True)
class Urgent:
    """The decision for an emergency: urgent-care guidance and nothing else."""

    category: TriageCategory
    helplines: bool = False  # Samaritans and 988 too, as self-harm's page always has


class Triage:
    def __init__(
        self, content: TriageContent, model: TriageModel, story_check: StoryCheck | None = None
    ) -> None:
        self._content = content
        self._reader = SignReader(content)
        self._model = model
        self._story_check = story_check
        # The words that alone are a sign of self-harm ("suicidal", "self harm"): wherever a page
        # names another emergency ("i took all my pills, i'm suicidal" is an overdose), they
        # bring the helplines onto it.
        self._self_harm_words = frozenset(
            sign[0] for sign in content.category(SELF_HARM).strong if len(sign) == 1
        )

    def assess(self, text: str) -> Assessment:
        """How alarming a message is, and which kind of emergency it names."""
        assessment, story = self.assess_unchecked(text)
        check = self._story_check
        paged = assessment.level is Level.EMERGENCY
        # A story far below every emergency story the check was fitted to: the banner instead.
        if paged and story is not None and check is not None and check.doubts(story):
            # The banner names self-harm where the page would have had the helplines: its
            # banner is the one with them.
            named = self._content.category(SELF_HARM) if assessment.helplines else None
            return replace(assessment, level=Level.CAUTION, category=named or assessment.category)
        return assessment

    def assess_unchecked(self, text: str) -> tuple[Assessment, np.ndarray | None]:
        """The assessment before the story check, and for a story what the check weighs."""
        tokens = words(text, self._content)
        reading = self._reader.read(tokens)
        by_signs = self._decide_by_signs(reading)
        leaning = self._leaning(tokens, reading, by_signs)
        decided = self._decide(tokens, reading, by_signs, leaning)
        if decided.level is Level.EMERGENCY and self._a_plan_not_yet_taken(decided, reading):
            decided = replace(decided, category=self._content.category(SELF_HARM))
        if decided.level is Level.EMERGENCY and self._self_harm_in_play(decided, reading, leaning):
            decided = replace(decided, helplines=True)
        if CALL_HELP in reading.families:
            decided = replace(decided, asks_for_help=True)
        return decided, leaning.story

    @staticmethod
    def _a_plan_not_yet_taken(page: Assessment, reading: Reading) -> bool:
        """A page named for a category whose plan is self-harm (poisoning), where the message
        plans to take something and says nothing was taken: "i'm going to take all my tablets
        tonight" is a suicidal plan, and its page is self-harm's ("you don't have to go through
        this alone"), not an overdose's ("keep the packet")."""
        return (
            page.category is not None
            and page.category.planned_is_self_harm
            and PLAN_TO_TAKE in reading.families
            and TAKEN not in reading.families
        )

    def _self_harm_in_play(self, page: Assessment, reading: Reading, leaning: Leaning) -> bool:
        """Whatever the page is named for, the helplines belong on it: the message says
        self-harm in so many words, or the self-harm net calls it and is the surer net, or calls
        it at all where no sign named the page. Named "general", 617 of the 1,563 self-harm
        emergencies the held-out sets page had no Samaritans or 988 on the page ("i've had
        enough. tonight's the night"). On a page for a means of self-harm (an overdose, a cut,
        someone found unconscious) the net need only lean as far as it must to put them on a
        banner: over the held-out and story sets, suicidal messages paged without the lines went
        152 -> 76 (the blind holdout41, 42 and 45: 7 -> 4), and 8 ordinary messages' pages lost
        their way on."""
        probability, self_harm, _ = leaning.called
        thresholds = self._model.thresholds
        calls = self_harm >= thresholds.self_harm
        unnamed = page.category is self._content.general
        leans = page.category.means_of_self_harm and self_harm >= thresholds.self_harm_banner
        return (
            (calls and (unnamed or self_harm >= probability))
            or leans
            or bool(reading.families & self._self_harm_words)
        )

    def _decide(
        self, tokens: list[str], reading: Reading, by_signs: Assessment, leaning: Leaning
    ) -> Assessment:
        probability, self_harm, regression = leaning.called
        cut = self._model.thresholds
        if by_signs.level is Level.EMERGENCY:
            # A sign said plainly is an emergency unless the net (its regression alone: the MLP's
            # log-odds run to extremes) is all but certain it is not,
            # as a sign talked about is caution unless the net is all but certain it is one:
            # "the box was collapsed in the post", "what a stroke of luck". It keeps the banner.
            # A self-harm sign is judged by the self-harm net too, which learned how people say
            # it: where it would not even add its banner ("I could kill myself for forgetting the
            # jab again"), the sign gets the banner, unless the general net calls an emergency:
            # the self-harm net never learned overdoses. In a story the nets judge the whole (and
            # any sentence all but certain): a stroke recounted among today's plans is doubted.
            # A strong sign dated to the jab ("my face has dropped on one side since the jab, can
            # b12 do this?") is said in its medical sense: the person ties it to the injection.
            # The regression reads "b12", "jab", "can" and "since" as the stuff of ordinary
            # questions (0.002 there), so it may not doubt one. Over every blind set: 1
            # emergency more paged, 1 more of 6,578 ordinary messages.
            dated = "POST_JAB" in reading.families and any(
                found.strong and _happening(found, reading.families) for found in reading.found
            )
            doubted = (regression <= 1 - SURE and not dated) or (
                by_signs.category is not None
                and by_signs.category.id == SELF_HARM
                and self_harm < cut.self_harm_banner
                and probability < cut.emergency
            )
            if not doubted or self_harm >= cut.self_harm:
                # Where the nets alone would not have called it, the page offers the answer too
                # (faq.doubted): "nan took all 3 of her tablets this morning" is a dose report.
                disputed = probability < cut.emergency
                return replace(by_signs, probability=probability, disputed=disputed)
            return replace(by_signs, level=Level.CAUTION, probability=probability)
        # A sign read as talked about ("no chest pain") stays caution unless the net is all but
        # certain: it may overrule a misread cue, not an ordinary "no".
        needed = max(cut.emergency, SURE) if by_signs.talked_about else cut.emergency
        # A plan to take, or anything taken, is no word of the taxonomy to page on (NAMES_ONLY).
        if probability >= needed and reading.families - WHO - NAMES_ONLY:
            named = by_signs.category if by_signs.category else self._content.general
            if named.level != Level.EMERGENCY:
                named = self._content.general
            # With no sign to name it, a page the self-harm net calls too is named for self-harm
            # (its advice: "if you are thinking about ending your life") only where that net is
            # the surer of the two: it calls some strokes too ("she suddenly cant understand
            # what im saying and cant find her words"). Either way it carries the helplines
            # (_self_harm_in_play).
            surer = self_harm >= cut.self_harm and self_harm >= probability
            if named is self._content.general and surer:
                named = self._content.category(SELF_HARM)
            return Assessment(Level.EMERGENCY, named, probability, learned=True)
        if self_harm >= (cut.self_harm_talked if by_signs.talked_about else cut.self_harm):
            self_harm_category = self._content.category(SELF_HARM)
            return Assessment(Level.EMERGENCY, self_harm_category, probability, learned=True)
        said = sum(token != SENTENCE_BREAK for token in tokens)
        anywhere = leaning.anywhere
        level, category = self._banner(
            by_signs, reading, said, anywhere.general, anywhere.self_harm
        )
        return Assessment(level, category, probability)

    def _banner(
        self,
        by_signs: Assessment,
        reading: Reading,
        said: int,
        probability: float,
        self_harm: float,
    ) -> tuple[Level, TriageCategory | None]:
        """Caution (and the category its banner names) or nothing, for a message that is no
        emergency: a sign talked about, else either net leaning towards one."""
        cut = self._model.thresholds
        if by_signs.level is Level.CAUTION:
            named = by_signs.category
            # Every emergency talked about gets the same banner: where the self-harm net leans to
            # its kind, the banner named for it adds the helplines ("how many of my tablets would
            # it take to not wake up" talks about collapse). Same-day advice is kept.
            if named and named.level == Level.EMERGENCY and self_harm >= cut.self_harm_banner:
                named = self._content.category(SELF_HARM)
            return Level.CAUTION, named
        # A net alone adds the banner only where it has something to go on: a word the taxonomy
        # knows, or for the self-harm net, which learned indirect wording ("sorry for the bother,
        # just tired of it"), a few words. On "gdpr" or "/history" a net's probability is only
        # what it leans to with no evidence.
        known = bool(reading.families - NAMES_ONLY)
        if self_harm >= cut.self_harm_banner and (known or said >= FEW_WORDS):
            return Level.CAUTION, self._content.category(SELF_HARM)  # it has the helplines
        if probability >= cut.caution and known:
            return Level.CAUTION, None
        # "should i call an ambulance?" with nothing the taxonomy can name: the banner says to call
        # if it is happening now, and where to ask if it is not. Never only "I can't help".
        if CALL_HELP in reading.families:
            return Level.CAUTION, None
        return Level.NONE, None

    def by_signs(self, tokens: list[str]) -> Assessment:
        """What the signs of triage.yaml alone decide, before the learned net is asked."""
        return self._decide_by_signs(self._reader.read(tokens))

    def _decide_by_signs(self, reading: Reading) -> Assessment:
        by_position = sorted(reading.found, key=lambda found: found.span.start)
        # Two different signs said plainly confirm each other, like an acute cue does.
        plain = {
            f.span
            for f in by_position
            if f.category.level == Level.EMERGENCY and not f.talked_about
        }
        families = reading.families | ({"ACUTE"} if len(plain) > 1 else set())
        emergencies = [found for found in by_position if _happening(found, families)]
        if emergencies:
            # A strong sign names the emergency better than a weak one that was confirmed, and
            # so do two signs of one category: speech and an arm going ("can't get her words
            # out and her arm is floppy") are a stroke more than "floppy" is a collapse.
            signs = Counter(found.category.id for found in emergencies)
            named = min(
                emergencies,
                key=lambda found: (
                    not (found.strong or signs[found.category.id] > 1),
                    found.span.start,
                ),
            )
            return Assessment(Level.EMERGENCY, named.category, 1.0)
        if by_position:
            named = [f for f in by_position if f.category.level == Level.EMERGENCY]
            talked_about = any(f.talked_about for f in named)
            return Assessment(Level.CAUTION, (named or by_position)[0].category, 0.0, talked_about)
        return Assessment(Level.NONE, None, 0.0)

    def check(self, text: str) -> Urgent | None:
        """The emergency this message describes, or None."""
        assessment = self.assess(text)
        if assessment.level is Level.EMERGENCY and assessment.category is not None:
            return Urgent(assessment.category, assessment.helplines)
        return None

    def _leaning(self, tokens: list[str], reading: Reading, by_signs: Assessment) -> Leaning:
        """Both nets' probabilities for the message, and for a story its sentences too."""
        whole = self._model.probabilities(tokens, reading)
        if len(tokens) <= STORY_WORDS:
            return Leaning(whole, whole, None)
        parts = [
            self._model.probabilities(part, self._reader.read(part)) for part in _sentences(tokens)
        ]
        # Where the whole story is all but certainly no emergency, a sentence needs more.
        floors = [SURE if lean <= STORY_ORDINARY else STORY_SURE for lean in whole]
        by_net = [[part[net] for part in parts] for net in range(len(whole))]
        story = (
            story_readings(
                whole,
                parts,
                sign_said_plainly=by_signs.level is Level.EMERGENCY,
                sign_talked_about=by_signs.talked_about,
                acute=reading.acute,
            )
            if parts
            else None  # forty sentence breaks and no word
        )
        return Leaning(
            called=Leanings(*map(_highest, whole, by_net, floors)),
            anywhere=Leanings(*map(_highest, whole, by_net)),
            story=story,
        )


@dataclass(frozen=True, slots=True)
class Leaning:
    """The nets' probabilities: those that may call an emergency or doubt a sign, and those that
    may add the banner."""

    called: Leanings  # the whole message, or a sentence of a story at its floor
    anywhere: Leanings  # the highest over the message and its sentences
    story: np.ndarray | None  # for a story, what the story check weighs


def _highest(whole: float, parts: list[float], floor: float = 0.0) -> float:
    """The whole message's probability, or a sentence's at least `floor` where that is higher."""
    return max([whole, *(part for part in parts if part >= floor)])


def _happening(found: Found, families: frozenset[str]) -> bool:
    """An emergency sign said plainly, as happening now."""
    return (
        found.category.level == Level.EMERGENCY
        and not found.talked_about
        and (found.strong or any(cue in families for cue in found.category.promoted_by))
    )


def _sentences(tokens: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == SENTENCE_BREAK:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]
