"""Which chunks each generated sample is grounded in, so that coverage spreads over the corpus.

A :class:`Planner` hands out one :class:`Plan` per attempt. Most plans come from a query (the
keywords and the chunks' headings, in turn): the retriever's top hits are fetched and the least
used of them becomes the *focus* chunk, the question's subject; the other hits are background.
Every few attempts, and whenever a query finds nothing new, the focus is taken directly: the
least used chunk, documents in turn, so that chunks no query ever hits are used too. A chunk is
the focus of at most ``per_chunk`` plans; when every chunk has been, the plans run out. A chunk
of fewer than :data:`MIN_FOCUS_WORDS` words (a lone heading, a caption) is never the focus,
only background.

Plans depend only on what came before them, never on the teacher's replies, so a resumed run
plans (and asks) exactly what the first one did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import attrs

from sdg_local.chunking import Chunk
from sdgcore import Retriever

DIRECT_EVERY = 3
"""Every this many plans, the focus is the least used chunk whatever the queries find."""
MIN_FOCUS_WORDS = 8
"""A chunk with fewer words has too little in it to ask about."""
_QUERY_WORDS = 24


@attrs.frozen
class Plan:
    """What one attempt is grounded in.

    :param index: the attempt's number, from 0.
    :param chunks: the context, focus chunk first.
    :param query: the query the chunks were retrieved for.
    :param direct: the focus was chosen directly, not from the query's hits.
    """

    index: int
    chunks: tuple[Chunk, ...]
    query: str
    direct: bool

    @property
    def focus(self) -> Chunk:
        """The chunk the question is about."""
        return self.chunks[0]


def topics(chunks: Sequence[Chunk], keywords: Sequence[str]) -> list[str]:
    """The queries to cycle: ``keywords``, then each distinct heading not among them."""
    seen = {k.casefold() for k in keywords}
    out = list(keywords)
    for chunk in chunks:
        if chunk.heading and chunk.heading.casefold() not in seen:
            seen.add(chunk.heading.casefold())
            out.append(chunk.heading)
    return out


def focusable(chunk: Chunk) -> bool:
    """Whether ``chunk`` has enough words to be a question's subject."""
    return len(chunk.text.split()) >= MIN_FOCUS_WORDS


def query_for(chunk: Chunk) -> str:
    """A query that finds ``chunk``'s neighbours: its heading, else its first words."""
    return chunk.heading or " ".join(chunk.text.split()[:_QUERY_WORDS])


class Planner:
    """Hands out plans in a fixed order (see the module docstring); not thread-safe.

    :param chunks: every chunk, documents in order.
    :param retriever: built over those chunks' passages.
    :param queries: the queries to cycle through (may be empty: direct plans only).
    :param top_k: hits fetched per query.
    :param context_chunks: the most chunks in one plan's context.
    :param per_chunk: the most plans one chunk is the focus of.
    """

    def __init__(self, chunks: Sequence[Chunk], retriever: Retriever, queries: Sequence[str],
                 *, top_k: int, context_chunks: int, per_chunk: int) -> None:
        self.retriever, self.queries = retriever, list(queries)
        self.top_k, self.context_chunks, self.per_chunk = top_k, context_chunks, per_chunk
        self.by_id = {c.id: c for c in chunks}
        self.uses: Counter[str] = Counter()
        self._docs: list[list[Chunk]] = []
        for chunk in filter(focusable, chunks):
            if not self._docs or self._docs[-1][0].doc_id != chunk.doc_id:
                self._docs.append([])
            self._docs[-1].append(chunk)
        self._level = 0  # no chunk is used fewer times than this
        self._cursors = [0] * len(self._docs)
        self._turn = 0
        self._count = 0
        self._asked = 0

    def next(self) -> Plan | None:
        """The next plan, or None once every chunk has been the focus ``per_chunk`` times."""
        if not self._docs or self._level >= self.per_chunk:
            return None
        index, self._count = self._count, self._count + 1
        plan = None
        if self.queries and index % DIRECT_EVERY != DIRECT_EVERY - 1:
            plan = self._from_query(index)
        if plan is None:
            plan = self._direct(index)
        if plan is not None:
            self.uses[plan.focus.id] += 1
        return plan

    def _from_query(self, index: int) -> Plan | None:
        query = self.queries[self._asked % len(self.queries)]
        self._asked += 1
        hits = [self.by_id[h.passage.id] for h in self.retriever.search(query, self.top_k)
                if h.passage.id in self.by_id]
        fresh = [c for c in hits if self.uses[c.id] < self.per_chunk and focusable(c)]
        if not fresh:
            return None
        focus = min(fresh, key=lambda c: self.uses[c.id])  # ties: the best ranked
        return Plan(index, self._context(focus, hits), query, direct=False)

    def _direct(self, index: int) -> Plan | None:
        focus = self._least_used()
        if focus is None:
            return None
        query = query_for(focus)
        hits = [self.by_id[h.passage.id] for h in self.retriever.search(query, self.top_k)
                if h.passage.id in self.by_id]
        return Plan(index, self._context(focus, hits), query, direct=True)

    def _context(self, focus: Chunk, hits: Sequence[Chunk]) -> tuple[Chunk, ...]:
        others = [c for c in hits if c.id != focus.id][: self.context_chunks - 1]
        return (focus, *others)

    def _least_used(self) -> Chunk | None:
        """A chunk used no more than any other, taking documents in turn and each document's
        chunks in order; None when every chunk is used ``per_chunk`` times."""
        while self._level < self.per_chunk:
            for step in range(len(self._docs)):
                d = (self._turn + step) % len(self._docs)
                doc, pos = self._docs[d], self._cursors[d]
                while pos < len(doc) and self.uses[doc[pos].id] > self._level:
                    pos += 1
                self._cursors[d] = pos
                if pos < len(doc):
                    self._cursors[d] = pos + 1
                    self._turn = d + 1
                    return doc[pos]
            self._level += 1
            self._cursors = [0] * len(self._docs)
        return None
