"""Split a :class:`~sdg_local.ingest.Document` into retrievable chunks that keep their lineage.

Structure first, size second: the text is cut into sections at its headings, a section into
paragraphs (blank lines), a paragraph that is too big into sentences, and a sentence that is
still too big into pieces of at most ``size`` (at token boundaries, or at spaces when sizing
in characters). Those units are packed greedily into chunks of at most ``size``; each chunk
after the first in a section starts with up to ``overlap`` of the previous chunk's tail
(whole sentences when they fit, else whole tokens). Chunks never cross a section boundary,
except that a heading with no text of its own joins the section after it.

Every chunk's text is exactly ``document.text[start:end]``; its id is derived from the
document's content hash and those offsets, so it is the same in every run.
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from sdg_local.ingest import Document
from sdg_local.tokens import count_tokens, token_spans
from sdgcore import Passage

Unit = Literal["tokens", "chars"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
#: The space between two sentences: after . ! ? ; or : (and a closing quote or bracket),
#: before a capital letter or digit (after an opening quote or bracket).
_SENTENCE_END = re.compile(r"""(?:(?<=[.!?;:])|(?<=[.!?;:]["'\u201d\u2019)\]]))\s+"""
                           r"""(?=["'\u201c\u2018(\[]?[A-Z0-9])""")
#: Matches right before a position that starts a sentence or a paragraph.
_SENTENCE_START = re.compile(r"""(?:[.!?;:]["'\u201d\u2019)\]]*\s+|\n\s*\n\s*)\Z""")


@attrs.frozen
class Chunk:
    """A piece of a document: ``text == document.text[start:end]``.

    :param id: ``"<doc_id>:<start>-<end>"``, stable across runs.
    :param index: its position among the document's chunks.
    :param page_start: the page its first character is on; ``page_end``: its last.
    :param heading: the innermost heading it falls under, or None.
    """

    id: str
    doc_id: str
    path: str
    index: int
    text: str
    start: int
    end: int
    page_start: int
    page_end: int
    heading: str | None

    def passage(self) -> Passage:
        """The chunk as a retrievable :class:`~sdgcore.Passage`, lineage in ``meta``."""
        return Passage(self.id, self.text, meta={
            "doc": self.doc_id, "path": self.path, "pages": [self.page_start, self.page_end],
            "start": self.start, "end": self.end, "heading": self.heading})


def chunk_document(doc: Document, size: int, overlap: int,
                   unit: Unit = "tokens") -> list[Chunk]:
    """Chunk ``doc`` into pieces of at most ``size`` ``unit`` with ``overlap`` between
    neighbours (see the module docstring). Raises ValueError for a bad size, overlap or unit."""
    if unit not in ("tokens", "chars"):
        raise ValueError(f"chunk unit must be 'tokens' or 'chars', got {unit!r}")
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"chunk overlap must be at least 0 and less than the chunk size "
                         f"({size}), got {overlap}")
    packer = _Packer(doc.text, size, overlap, unit)
    spans: list[tuple[int, int, str | None]] = []
    for start, end, heading in _sections(doc):
        units = [u for para in _split(doc.text, start, end, _PARAGRAPH_BREAK)
                 for u in packer.fit(para)]
        spans.extend((s, e, heading) for s, e in packer.pack(units))
    return [Chunk(id=f"{doc.id}:{s}-{e}", doc_id=doc.id, path=doc.path, index=i,
                  text=doc.text[s:e], start=s, end=e, page_start=doc.page_at(s),
                  page_end=doc.page_at(e - 1), heading=heading)
            for i, (s, e, heading) in enumerate(spans)]


def _sections(doc: Document) -> list[tuple[int, int, str | None]]:
    """``(start, end, heading)`` per section; a heading with no body joins the next one."""
    cuts = [(0, None)] + [(h.start, h.text) for h in doc.headings]
    sections: list[tuple[int, int, str | None]] = []
    pending: int | None = None  # the start of heading-only sections waiting to be joined
    for i, (start, heading) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(doc.text)
        if end <= start:
            continue
        head_end = doc.headings[i - 1].end if i else start
        if i + 1 < len(cuts) and not doc.text[head_end:end].strip():
            pending = start if pending is None else pending
            continue
        sections.append((start if pending is None else pending, end, heading))
        pending = None
    return sections


def _split(text: str, start: int, end: int, sep: re.Pattern[str]) -> list[tuple[int, int]]:
    """The non-blank pieces of ``text[start:end]`` between matches of ``sep``, trimmed."""
    pieces, pos = [], start
    for m in sep.finditer(text, start, end):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, end))
    out = []
    for s, e in pieces:
        piece = text[s:e]
        stripped = piece.strip()
        if stripped:
            s += len(piece) - len(piece.lstrip())
            out.append((s, s + len(stripped)))
    return out


class _Packer:
    """Measures spans of one text and packs them into chunks."""

    def __init__(self, text: str, size: int, overlap: int, unit: Unit) -> None:
        self.text, self.size, self.overlap, self.unit = text, size, overlap, unit

    def measure(self, start: int, end: int) -> int:
        if self.unit == "chars":
            return end - start
        return count_tokens(self.text[start:end])

    def fit(self, span: tuple[int, int]) -> list[tuple[int, int]]:
        """``span`` as units of at most ``size``: itself, its sentences, or hard pieces."""
        if self.measure(*span) <= self.size:
            return [span]
        units = []
        for sentence in _split(self.text, *span, _SENTENCE_END):
            if self.measure(*sentence) <= self.size:
                units.append(sentence)
            else:
                units.extend(self._hard_split(*sentence))
        return units

    def _hard_split(self, start: int, end: int) -> list[tuple[int, int]]:
        if self.unit == "tokens":
            toks = [(start + s, start + e) for s, e in token_spans(self.text[start:end])]
            return [(toks[i][0], toks[min(i + self.size, len(toks)) - 1][1])
                    for i in range(0, len(toks), self.size)]
        pieces = []
        while end - start > self.size:
            cut = self.text.rfind(" ", start + 1, start + self.size + 1)
            cut = cut if cut > start else start + self.size
            pieces.append((start, cut))
            start = cut
            while start < end and self.text[start].isspace():
                start += 1
        if start < end:
            pieces.append((start, end))
        return pieces

    def pack(self, units: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Greedy packing of consecutive units into ``(start, end)`` chunks."""
        chunks: list[tuple[int, int]] = []
        cur: tuple[int, int, int] | None = None  # start, end, size of the open chunk
        for s, e in units:
            n = self.measure(s, e)
            if cur is not None:
                cs, ce, cn = cur
                if self._total(cs, e, cn, n) <= self.size:
                    cur = (cs, e, self._total(cs, e, cn, n))
                    continue
                chunks.append((cs, ce))
                o = self._overlap_start(cs, ce, e, n)
                if o < ce:
                    cur = (o, e, self._total(o, e, self.measure(o, ce), n))
                    continue
            cur = (s, e, n)
        if cur is not None:
            chunks.append(cur[:2])
        return chunks

    def _total(self, start: int, end: int, before: int, added: int) -> int:
        """The size of ``text[start:end]``, made of a part of size ``before`` and a unit of
        size ``added`` (token counts add up across token boundaries)."""
        return end - start if self.unit == "chars" else before + added

    def _overlap_start(self, start: int, end: int, next_end: int, n: int) -> int:
        """Where the chunk after ``[start, end)`` starts: a token start after ``start`` such
        that the repeated tail is at most ``overlap`` and, with the next unit (ending at
        ``next_end``, size ``n``), fits in ``size``; moved forward to the first sentence start
        in that tail if there is one. ``end`` (no overlap) when nothing fits."""
        if self.unit == "tokens":
            budget = min(self.overlap, self.size - n)
        else:
            budget = min(self.overlap, self.size - (next_end - end))
        best = end
        toks = token_spans(self.text[start:end])
        for i in range(len(toks) - 1, 0, -1):
            cand = start + toks[i][0]
            if (len(toks) - i if self.unit == "tokens" else end - cand) > budget:
                break
            best = cand
        if best < end and not _SENTENCE_START.search(self.text, max(start, best - 8), best):
            pieces = _split(self.text, best, end, _SENTENCE_END)
            if len(pieces) > 1:
                best = pieces[1][0]
        return best
