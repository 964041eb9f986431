"""An approximate tokenizer for sizing chunks without loading a model's tokenizer.

A token is a run of letters, a run of digits, or any other single non-space character
(punctuation, symbols). Whitespace is never part of a token. For English prose this gives
roughly 1.1-1.3 tokens per word, close to what BPE tokenizers count for common words (they
count more for rare words and long numbers), so a chunk of ``size`` tokens here fits a
model's context with some margin to spare.

Token counts are additive across a cut made at a token boundary: the tokens of ``a + b`` are
the tokens of ``a`` followed by those of ``b``. Chunking relies on this.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\s\w]|_")


def token_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of every token in ``text``, in order."""
    return [m.span() for m in TOKEN.finditer(text)]


def count_tokens(text: str) -> int:
    """How many tokens :func:`token_spans` finds in ``text``."""
    return sum(1 for _ in TOKEN.finditer(text))
