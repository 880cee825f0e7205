"""A static embedding model: a message's meaning as one vector, with numpy and nothing else.

The model (bot/knowledge/model/, built by tools/distill_model.py) holds one int8 vector per
WordPiece token, distilled from all-MiniLM-L6-v2. A text's vector is the mean of its tokens'
rows, scaled to unit length, so cosine similarity is a dot product. The tokenizer is the
teacher's uncased WordPiece, re-implemented here in a few lines rather than importing a
tokenizer library that would bring a model hub client with it; tests hold it to the reference
tokenizations the build script recorded.

Every file is checked against the sha256 in manifest.json when loaded: a missing or damaged
file stops start-up with one line naming it, instead of matching on garbage.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.knowledge.catalog import ContentError

SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "model"
MANIFEST = "manifest.json"
MAX_TOKENS = 512  # the teacher's limit; model2vec truncates there too
_MAX_WORD_CHARS = 100  # longer "words" are unknown, as in the teacher's tokenizer
_CONTINUE = "##"
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # dropped, as BERT does
_ASCII_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")  # ASCII symbols are all BERT punctuation
_REBUILD = "rebuild it with tools/distill_model.py (see README: matching)"


def _is_punctuation(char: str) -> bool:
    """ASCII symbols count as punctuation for BERT, as do Unicode's P* categories."""
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def _normalise(text: str) -> str:
    """BERT's normaliser: drop control characters, space out CJK, strip accents, lower-case."""
    kept = []
    for char in text:
        code = ord(char)
        if char not in "\t\n\r" and (
            code in (0, 0xFFFD) or unicodedata.category(char).startswith("C")
        ):
            continue
        if char.isspace():
            kept.append(" ")
        elif _is_cjk(code):
            kept.append(f" {char} ")
        else:
            kept.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(kept))
    # Lower-cased one character at a time, as the teacher's tokenizer does: str.lower() would
    # turn a final capital sigma into "ς" where the teacher has "σ".
    return "".join(c.lower() for c in decomposed if unicodedata.category(c) != "Mn")


def _pre_tokens(text: str) -> list[str]:
    """Split on white space, with every punctuation character a token of its own."""
    words: list[str] = []
    for chunk in text.split():
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                if start < i:
                    words.append(chunk[start:i])
                words.append(char)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class WordPiece:
    """The teacher's uncased WordPiece tokenizer, read from its tokenizer.json."""

    def __init__(self, vocabulary: dict[str, int], unknown: int) -> None:
        self._vocabulary = vocabulary
        self.unknown = unknown
        self._longest = max(len(piece) for piece in vocabulary)

    def ids(self, text: str) -> list[int]:
        """Token ids, cut at MAX_TOKENS, then unknown words dropped (as model2vec does)."""
        if text.isascii():  # most messages: the same steps, ten times faster by regex
            words = _ASCII_WORD.findall(_ASCII_CONTROL.sub("", text).lower())
        else:
            words = _pre_tokens(_normalise(text))
        out: list[int] = []
        for word in words:
            out.extend(self._word(word))
            if len(out) >= MAX_TOKENS:
                break
        return [i for i in out[:MAX_TOKENS] if i != self.unknown]

    def _word(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self.unknown]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            for end in range(min(len(word), start + self._longest), start, -1):
                piece = word[start:end] if start == 0 else _CONTINUE + word[start:end]
                found = self._vocabulary.get(piece)
                if found is not None:
                    pieces.append(found)
                    start = end
                    break
            else:
                return [self.unknown]  # one unknown piece makes the whole word unknown
        return pieces


class StaticEmbedder:
    """Texts -> unit vectors; load once (it reads and checks about 8 MB)."""

    def __init__(self, tokenizer: WordPiece, vectors: np.ndarray) -> None:
        self.tokenizer = tokenizer
        self._vectors = vectors
        self.dimensions = int(vectors.shape[1])

    @classmethod
    def load(cls, folder: Path | None = None) -> StaticEmbedder:
        folder = folder or model_dir()
        manifest = _read_manifest(folder)
        for name, digest in manifest["files"].items():
            _check_file(folder / name, digest)
        tokenizer_data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        vocabulary = tokenizer_data["model"]["vocab"]
        vectors = np.load(folder / "embeddings.npy", allow_pickle=False)
        if vectors.ndim != 2 or vectors.shape[0] != len(vocabulary):
            raise ContentError(
                folder / "embeddings.npy",
                "(file)",
                f"has shape {vectors.shape}, not one row per token of tokenizer.json; {_REBUILD}",
            )
        return cls(WordPiece(vocabulary, int(manifest["unk_token_id"])), vectors)

    def embed(self, text: str) -> np.ndarray:
        """The mean of the text's token vectors, unit length; zeros when no token is known."""
        ids = self.tokenizer.ids(text)
        if not ids:
            return np.zeros(self.dimensions, dtype=np.float32)
        mean = self._vectors[ids].astype(np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else mean

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self.embed(text) for text in texts])


def model_dir() -> Path:
    """Where the model is read from: $B12BOT_MODEL_DIR if set (a rebuilt model, tests), else
    the copy shipped inside the package."""
    override = os.environ.get("B12BOT_MODEL_DIR")
    return Path(override) if override else SHIPPED_MODEL_DIR


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        int(manifest["unk_token_id"])
    except OSError:
        raise ContentError(path, "(file)", f"is missing; {_REBUILD}") from None
    except (ValueError, KeyError, TypeError):
        raise ContentError(path, "(file)", f"is not a valid model manifest; {_REBUILD}") from None
    if not isinstance(files, dict) or set(files) != {"embeddings.npy", "tokenizer.json"}:
        raise ContentError(
            path, "files", f"must list embeddings.npy and tokenizer.json; {_REBUILD}"
        )
    return manifest


def _check_file(path: Path, digest: str) -> None:
    try:
        data = path.read_bytes()
    except OSError:
        raise ContentError(path, "(file)", f"is missing; {_REBUILD}") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ContentError(
            path, "(file)", f"is damaged (its sha256 differs from {MANIFEST}); {_REBUILD}"
        )
