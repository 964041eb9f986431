"""Domain keywords: asked of the teacher once per run over a sample of the corpus, merged with
the user's ``domain`` terms and kept in ``keywords.json`` so that a resumed run reuses them.

A failed or empty request is not fatal: the keywords fall back to the domain terms plus the
corpus's headings and most widespread words, and the file says why.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from sdg_local.chunking import Chunk
from sdg_local.prompts import (
    MAX_EXCERPT_CHARS,
    MAX_KEYWORD_CHARS,
    keyword_messages,
    keyword_schema,
)
from sdgcore import ChatRequest, derive_seed, write_atomic

if TYPE_CHECKING:
    from sdgcore import Endpoint

_T = TypeVar("_T")

FILE = "keywords.json"
PROMPT_CHARS = 6000
"""The excerpts shown to the teacher add up to at most this many characters."""
_WORD = re.compile(r"[^\W\d_][\w'-]*[^\W_]")
_STOP = frozenset("""
about above after again against also among amongst another anyone anything because been before
being below between both cannot could does doing done down during each either else enough even
ever every first from further have having hence here however into itself just least less like
made make many might more most much must neither never none nothing once only other others ought
over same several shall should since some such than that their theirs them themselves then there
therefore these they thing things this those though through thus under unless until upon very
were what whatever when whenever where whether which while whom whose will with within without
would your yours yourself yourselves shall may might it's that's there's they're
""".split())


@attrs.frozen
class Keywords:
    """The run's keywords and where they came from.

    :param terms: the keywords to query with: the domain terms first, then the extracted ones,
        de-duplicated case-insensitively.
    :param source: ``"teacher"``, ``"fallback"`` (the request failed) or ``"domain"``
        (extraction is off: ``keywords: 0``).
    :param extracted: what the teacher (or the fallback) contributed, before merging.
    :param error: why the teacher's keywords are missing, for a fallback.
    :param inputs: a digest of what the keywords were made from.
    """

    terms: tuple[str, ...]
    source: str
    extracted: tuple[str, ...] = ()
    error: str | None = None
    inputs: str = ""

    def to_json(self) -> str:
        """The ``keywords.json`` text."""
        data = {"keywords": list(self.terms), "source": self.source,
                "extracted": list(self.extracted), "error": self.error, "inputs": self.inputs}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def merge(domain: Sequence[str], extracted: Sequence[str]) -> list[str]:
    """``domain`` then ``extracted``, stripped, empties dropped, each term once (the first
    spelling kept, compared case-insensitively)."""
    seen: set[str] = set()
    out: list[str] = []
    for term in (*domain, *extracted):
        term = " ".join(term.split())
        key = term.casefold()
        if term and key not in seen:
            seen.add(key)
            out.append(term)
    return out


def clean(data: Any, count: int) -> list[str]:
    """The first ``count`` usable keywords of a structured reply (``{"keywords": [...]}``):
    strings of at most :data:`~sdg_local.prompts.MAX_KEYWORD_CHARS`, each once; [] for a
    malformed reply."""
    values = data.get("keywords") if isinstance(data, dict) else None
    if not isinstance(values, list):
        return []
    terms = [v.strip(" \t\n.,;:") for v in values if isinstance(v, str)]
    return merge([], [t for t in terms if 0 < len(t) <= MAX_KEYWORD_CHARS])[:count]


def representative(chunks: Sequence[Chunk], budget: int = PROMPT_CHARS) -> list[Chunk]:
    """Chunks spread over every document and over each document's length, whose clipped
    excerpts add up to at most ``budget`` characters: one chunk per document in turn, each
    document's picks evenly spaced through it."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    per_excerpt = MAX_EXCERPT_CHARS + 20
    wanted = max(1, budget // per_excerpt)
    docs = _spread(list(by_doc.values()), wanted)  # more documents than excerpts: spread them
    per_doc = max(1, -(-wanted // max(1, len(docs))))
    orders = [_spread(doc_chunks, per_doc) for doc_chunks in docs]
    picked: list[Chunk] = []
    for depth in range(per_doc):
        for order in orders:
            if depth < len(order) and len(picked) < wanted:
                picked.append(order[depth])
    return picked


def _spread(items: Sequence[_T], count: int) -> list[_T]:
    """Up to ``count`` items evenly spaced through ``items``, in order."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def fallback_terms(chunks: Sequence[Chunk], count: int) -> list[str]:
    """Up to ``count`` terms found without a model: the chunks' headings (up to half), then
    the words found in the most chunks (stop words and short words aside)."""
    headings = merge([], [c.heading for c in chunks if c.heading])[: max(1, count // 2)]
    spread: Counter[str] = Counter()
    for chunk in chunks:
        spread.update({w.lower() for w in _WORD.findall(chunk.text)
                       if len(w) >= 5 and w.lower() not in _STOP})
    words = [w for w, _ in sorted(spread.items(), key=lambda item: (-item[1], item[0]))]
    return merge(headings, words)[:count]


def inputs_digest(domain: Sequence[str], count: int, excerpts: Sequence[Chunk],
                  seed: int) -> str:
    """A digest of what a keyword request depends on: a ``keywords.json`` made from other
    inputs is not reused."""
    blob = json.dumps([list(domain), count, seed, [c.id for c in excerpts]],
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def read_saved(path: Path, inputs: str) -> Keywords | None:
    """The keywords saved at ``path`` for these ``inputs``, or None (missing, unreadable, or
    made from other inputs)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != inputs:
        return None
    terms, source = data.get("keywords"), data.get("source")
    extracted, error = data.get("extracted", []), data.get("error")
    if not (isinstance(terms, list) and all(isinstance(t, str) for t in terms)
            and isinstance(source, str) and isinstance(extracted, list)):
        return None
    return Keywords(tuple(terms), source, tuple(str(t) for t in extracted),
                    error if isinstance(error, str) else None, inputs)


async def extract(endpoint: Endpoint | None, chunks: Sequence[Chunk], domain: Sequence[str],
                  count: int, seed: int, workdir: Path) -> Keywords:
    """The run's keywords: reused from ``workdir / keywords.json`` where they were made from
    the same inputs, else asked of ``endpoint`` once (temperature 0, a derived seed) over
    :func:`representative` chunks, merged with ``domain`` and saved. ``count == 0`` asks
    nothing: the domain terms alone."""
    domain = merge(domain, [])
    excerpts = representative(chunks) if count else []
    inputs = inputs_digest(domain, count, excerpts, seed)
    path = workdir / FILE
    saved = read_saved(path, inputs)
    if saved is not None:
        return saved
    if count == 0 or endpoint is None:
        keywords = Keywords(tuple(domain), "domain", (), None, inputs)
    else:
        request = ChatRequest(messages=keyword_messages([c.text for c in excerpts], count,
                                                        domain),
                              temperature=0.0, seed=derive_seed(seed, "local", "keywords"),
                              json_schema=keyword_schema(count))
        done = await endpoint.chat(request)
        found = clean(done.choices[0].data, count) if done.ok and done.choices else []
        if found:
            keywords = Keywords(tuple(merge(domain, found)), "teacher", tuple(found), None,
                                inputs)
        else:
            error = done.error or "the teacher returned no usable keywords"
            terms = fallback_terms(chunks, count)
            keywords = Keywords(tuple(merge(domain, terms)), "fallback", tuple(terms), error,
                                inputs)
    write_atomic(path, keywords.to_json())
    return keywords
