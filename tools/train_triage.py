"""Train triage's learned net on tests/data/triage/train*.jsonl and write the model file.

Run after editing what the nets read in content/triage.yaml (not its advice, misread lines or
comments) or the training set (a test fails until you do):
    python tools/train_triage.py
It prints the cross-validated figures its cut-offs rest on, then refits the story check to the
new nets (tools/train_story_check.py). Deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import train_story_check  # beside this script in tools/

from bot.knowledge.catalog import TriageContent, load_catalog
from bot.knowledge.matching_content import PHRASINGS_FILE, load_phrasings
from bot.knowledge.triage import SURE, Assessment, Triage
from bot.knowledge.triage_model import MODEL_FILE, NEVER, Thresholds, TriageModel, training_hash
from bot.knowledge.triage_signs import SignReader, words
from bot.knowledge.triage_training import ordinary, read_examples, train_model

ROOT = Path(__file__).resolve().parent.parent
# Every training file, in a fixed order; the held-out sets (holdout*.jsonl) are never among them.
TRAINING_SETS = sorted((ROOT / "tests" / "data" / "triage").glob("train*.jsonl"))
# Sets weighted to suicide and overdose, learned by the self-harm net alone: train11 was written
# for it (450 of its 994 rows are suicidal messages; learned by the general net too, it raised
# that net's cut-off from 0.53 to 0.74 and lost 19 emergencies over the old held-out sets h2-h9);
# train20-22 were the held-out sets h10-h12 (README of tests/data/triage), where the self-harm net
# alone caught 3 more emergencies of holdout13-15 with 2 fewer false alarms than both nets did.
# train29 (passive and indirect suicidal wording): in both nets 12 more emergencies of
# holdout13-22 and the story sets for 22 more false alarms, in the self-harm net alone 5 more for
# 1 fewer.
# train31 (when a dose will be taken, "i'll do it tonight", beside suicidal plans said with the
# same words): in the self-harm net alone, 3 more emergencies of holdout13-22 and the stories for
# 9 fewer false alarms, the general net unchanged.
# train32 (indirect, brief and preparatory suicidal wording beside dose plans, tiredness and life
# admin said the same way): in the self-harm net alone, every set to holdout28 5,700 -> 5,707
# emergencies paged for 271 -> 273 false alarms (holdout13-22 and the stories alone 3289/176 ->
# 3290/181), the general net unchanged.
SELF_HARM_ONLY = {
    "train11.jsonl",
    "train20.jsonl",
    "train21.jsonl",
    "train22.jsonl",
    "train29.jsonl",
    "train31.jsonl",
    "train32.jsonl",
}
TRIAGE_YAML = ROOT / "content" / "triage.yaml"
# How people ask the FAQ, and near-miss questions (content/phrasings.yaml): thousands of ordinary
# messages, many short and out of the way ("what's on tv tonight"), where a net trained only on
# the sets above had too few examples of nothing alarming and fired on a word or two.
PHRASINGS = ROOT / "content" / PHRASINGS_FILE


def signs_only(triage: Triage, texts: list[str], content: TriageContent) -> list[Assessment]:
    return [triage.by_signs(words(text, content)) for text in texts]


def main() -> int:
    catalog = load_catalog(ROOT / "content")
    content = catalog.triage
    sets = {path.name: read_examples(path) for path in TRAINING_SETS}
    examples = [e for name, rows in sets.items() if name not in SELF_HARM_ONLY for e in rows]
    self_harm_only = [e for name, rows in sets.items() if name in SELF_HARM_ONLY for e in rows]
    asked = ordinary(load_phrasings(catalog.root, frozenset(catalog.topics)))
    # The signs need no model; a placeholder one that never fires keeps Triage whole.
    never = TriageModel(NEVER, Thresholds(2.0, 2.0), "")
    by_signs = signs_only(Triage(content, never), [e.text for e in examples], content)
    signed = [assessment.level.value for assessment in by_signs]
    reader = SignReader(content)  # the net adds a banner only where a family is present
    known = [bool(reader.read(words(e.text, content)).families) for e in examples]
    trained_on = training_hash(*TRAINING_SETS, TRIAGE_YAML, PHRASINGS)
    model, probabilities, regression = train_model(
        content,
        examples,
        signed,
        trained_on,
        extra=asked,
        self_harm_only=self_harm_only,
        talked_about=[assessment.talked_about for assessment in by_signs],
    )
    model.save(MODEL_FILE)
    cut = model.thresholds
    print(
        f"trained on {len(examples)} labelled examples, {len(self_harm_only)} more for the "
        f"self-harm net and {len(asked)} FAQ phrasings; "
        f"cut-offs: emergency {cut.emergency:.3f}, caution {cut.caution:.3f}, "
        f"self-harm net {cut.self_harm:.3f} (banner {cut.self_harm_banner:.3f}, where a sign "
        f"is talked about {cut.self_harm_talked:.3f}); "
        f"written to {MODEL_FILE.relative_to(ROOT)}"
    )
    print("cross-validated (5 folds) on the labelled sets, the general net with the signs:")
    for level in ("emergency", "caution", "none"):
        rows = [i for i, e in enumerate(examples) if e.level == level]
        decided = []
        for i in rows:
            needed = max(cut.emergency, SURE) if by_signs[i].talked_about else cut.emergency
            stands = signed[i] == "emergency" and regression[i] > 1 - SURE
            if stands or probabilities[i] >= needed:
                decided.append("emergency")
            elif signed[i] == "caution" or (probabilities[i] >= cut.caution and known[i]):
                decided.append("caution")
            else:
                decided.append("none")
        shares = {d: decided.count(d) / max(1, len(rows)) for d in ("emergency", "caution", "none")}
        print(
            f"  {level:9} n={len(rows):4}  -> emergency {shares['emergency']:6.1%}  "
            f"caution {shares['caution']:6.1%}  none {shares['none']:6.1%}"
        )
    flagged = int((probabilities[len(examples) :] >= cut.emergency).sum())
    print(f"  FAQ phrasings the learned net alone calls an emergency: {flagged} of {len(asked)}")
    return train_story_check.main()  # the check weighs the nets' readings: refit it to these


if __name__ == "__main__":
    sys.exit(main())
