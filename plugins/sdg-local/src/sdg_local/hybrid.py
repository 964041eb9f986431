"""Reciprocal rank fusion: one ranking out of several, by ranks alone (the scores of different
retrievers are not comparable)."""

from __future__ import annotations

from collections.abc import Sequence

from sdgcore import Hit, Passage


def rrf(rankings: Sequence[Sequence[Hit]], *, rrf_k: int = 60) -> list[Hit]:
    """Every passage of ``rankings``, ordered by ``sum(1 / (rrf_k + rank))`` over the rankings
    it appears in (ranks count distinct passages from 1; a repeat within a ranking is skipped).

    ``Hit.score`` is the fused score; ties keep the order of first appearance.
    """
    scores: dict[str, float] = {}
    passages: dict[str, Passage] = {}
    for ranking in rankings:
        seen: set[str] = set()
        for hit in ranking:
            pid = hit.passage.id
            if pid in seen:
                continue
            seen.add(pid)
            passages.setdefault(pid, hit.passage)
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (rrf_k + len(seen))
    order = sorted(scores, key=lambda pid: -scores[pid])
    return [Hit(passages[pid], scores[pid]) for pid in order]
