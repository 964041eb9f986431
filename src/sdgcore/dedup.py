"""Cheap, deterministic near-duplicate detection for generated questions, shared by tasks.

Texts are lower-cased and split into word and symbol tokens (``2+2`` is ``2 + 2``), then into
overlapping 3-token shingles; two texts are as similar as the Jaccard index of their shingle
sets. An inverted index over shingles keeps a check proportional to the shingles two texts
share, not to everything seen so far.
"""

from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"\w+|[^\w\s]")
SHINGLE = 3
"""Tokens per shingle."""


def tokens(text: str) -> list[str]:
    """``text`` lower-cased and split into word and single-symbol tokens."""
    return _TOKEN.findall(text.lower())


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """The set of ``size``-token shingles of ``text`` (the whole token tuple if shorter;
    empty for a text with no tokens)."""
    toks = tokens(text)
    if len(toks) <= size:
        return frozenset([tuple(toks)]) if toks else frozenset()
    return frozenset(tuple(toks[i:i + size]) for i in range(len(toks) - size + 1))


def similarity(a: str, b: str) -> float:
    """The Jaccard similarity (0-1) of the shingle sets of ``a`` and ``b``."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 1.0 if sa == sb else 0.0
    shared = len(sa & sb)
    return shared / (len(sa) + len(sb) - shared)


class NearDuplicates:
    """The texts seen so far, and whether a new one is too close to any of them.

    :param threshold: a text whose similarity to one already added is at least this (0-1)
        is a near-duplicate; 1.0 catches only texts equal up to case, spacing and punctuation
        spacing.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._sizes: list[int] = []
        self._index: dict[tuple[str, ...], list[int]] = {}

    def __len__(self) -> int:
        return len(self._sizes)

    def closest(self, text: str) -> float:
        """The highest similarity of ``text`` to any text added (0.0 when none shares a
        shingle with it)."""
        mine = shingles(text)
        shared: Counter[int] = Counter()
        for shingle in mine:
            shared.update(self._index.get(shingle, ()))
        best = 0.0
        for other, count in shared.items():
            best = max(best, count / (len(mine) + self._sizes[other] - count))
        return best

    def is_duplicate(self, text: str) -> bool:
        """Whether ``text`` is at least :attr:`threshold` similar to a text added."""
        if self.threshold <= 0.0:
            return bool(self._sizes)  # every text is at least 0.0 similar to any other
        return self.closest(text) >= self.threshold

    def add(self, text: str) -> None:
        """Remember ``text``."""
        mine = shingles(text)
        number = len(self._sizes)
        self._sizes.append(len(mine))
        for shingle in mine:
            self._index.setdefault(shingle, []).append(number)
