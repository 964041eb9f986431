"""Exact and near-duplicate samples across a run: MinHash signatures of word shingles in a
locality-sensitive hash index (datasketch) find candidates, and each candidate is confirmed
by the exact Jaccard similarity of the two shingle sets (a MinHash estimate from 128
permutations is off by about 0.04, too coarse to decide on alone); exact duplicates (the same
text up to case and spacing) by hash.

The index is built for a similarity ``LSH_MARGIN`` below the threshold, so that pairs just
above it are found (a band index misses some pairs near its own threshold)."""

from __future__ import annotations

import hashlib

from sdgcore.config.gates import DedupGate
from sdgcore.dedup import tokens
from sdgcore.errors import import_optional
from sdgcore.records import Sample

LSH_MARGIN = 0.2
"""The index finds candidates down to ``threshold - LSH_MARGIN``."""


def words_of(sample: Sample) -> list[str]:
    """What two samples are compared by: the question's tokens, led by a digest of the
    context, so that only questions on the same context (or both on none) can match: two
    questions on one long passage are not alike because the passage is, and one question
    asked of two passages is two samples."""
    context = hashlib.sha256((sample.context or "").encode("utf-8")).hexdigest()[:12]
    return [f"@{context}", *tokens(sample.question)]


class Duplicates:
    """The samples kept so far, and the one a new sample duplicates.

    :raises MissingExtraError: datasketch is not installed (``sdgcore[gates]``).
    """

    def __init__(self, config: DedupGate) -> None:
        self._ds = import_optional("datasketch", extra="sdgcore[gates]",
                                   feature="gates.dedup")
        self.config = config
        self._lsh = self._ds.MinHashLSH(threshold=max(0.05, config.threshold - LSH_MARGIN),
                                        num_perm=config.num_perm)
        self._exact: dict[str, str] = {}
        self._shingles: dict[str, frozenset[str]] = {}

    def _grams(self, words: list[str]) -> frozenset[str]:
        size = self.config.shingle
        head, rest = words[0], words[1:]
        return frozenset(f"{head} " + " ".join(rest[i:i + size])
                         for i in range(max(1, len(rest) - size + 1)))

    def _signature(self, grams: frozenset[str]):
        signature = self._ds.MinHash(num_perm=self.config.num_perm, seed=1)
        signature.update_batch([g.encode("utf-8") for g in sorted(grams)])
        return signature

    def check(self, sample: Sample) -> tuple[str, float] | None:
        """``(id of the kept sample it duplicates, estimated similarity)``, or None."""
        words = words_of(sample)
        exact = self._exact.get(_digest(words))
        if exact is not None:
            return exact, 1.0
        grams = self._grams(words)
        best: tuple[str, float] | None = None
        for other in sorted(self._lsh.query(self._signature(grams))):
            theirs = self._shingles[other]
            similar = len(grams & theirs) / len(grams | theirs)
            if similar >= self.config.threshold and (best is None or similar > best[1]):
                best = (other, similar)
        return best

    def add(self, sample: Sample) -> None:
        """Keep ``sample``: later ones are compared with it."""
        if sample.id in self._shingles:
            return
        words = words_of(sample)
        self._exact.setdefault(_digest(words), sample.id)
        grams = self._grams(words)
        self._shingles[sample.id] = grams
        self._lsh.insert(sample.id, self._signature(grams))


def _digest(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
