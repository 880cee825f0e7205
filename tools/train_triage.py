"""Train triage's learned net on tests/data/triage/train*.jsonl and write the model file.

Run after a change that alters what the nets learn from (a test fails until you do): the training
sets, the FAQ's phrasings, or how a training message is read (a family word, a sign, a spelling,
the reading code). Rewording advice, or adding a word no training message contains, needs none:
    python tools/train_triage.py
It prints the cross-validated figures its cut-offs rest on, then refits the story check to the
new nets (tools/train_story_check.py). Deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import train_story_check  # beside this script in tools/

from bot.knowledge.catalog import load_catalog
from bot.knowledge.matching_content import load_phrasings
from bot.knowledge.triage import SURE
from bot.knowledge.triage_model import MODEL_FILE
from bot.knowledge.triage_signs import SignReader, words
from bot.knowledge.triage_training import TrainingData, fingerprint, signs_only, train_model

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = ROOT / "tests" / "data" / "triage"


def main() -> int:
    catalog = load_catalog(ROOT / "content")
    content = catalog.triage
    data = TrainingData.read(TRAINING_DIR, load_phrasings(catalog.root, frozenset(catalog.topics)))
    examples = data.labelled
    by_signs = signs_only(content, [e.text for e in examples])
    signed = [assessment.level.value for assessment in by_signs]
    reader = SignReader(content)  # the net adds a banner only where a family is present
    known = [bool(reader.read(words(e.text, content)).families) for e in examples]
    model, probabilities, regression = train_model(
        content,
        examples,
        signed,
        fingerprint(content, data),
        extra=data.asked,
        self_harm_only=data.self_harm_only,
        talked_about=[assessment.talked_about for assessment in by_signs],
    )
    model.save(MODEL_FILE)
    cut = model.thresholds
    print(
        f"trained on {len(examples)} labelled examples, {len(data.self_harm_only)} more for the "
        f"self-harm net and {len(data.asked)} FAQ phrasings; "
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
    print(
        f"  FAQ phrasings the learned net alone calls an emergency: {flagged} of {len(data.asked)}"
    )
    return train_story_check.main()  # the check weighs the nets' readings: refit it to these


if __name__ == "__main__":
    sys.exit(main())
