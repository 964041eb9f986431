"""De-duplication and spread across documents, shared by every retriever.

The rule: walk the ranked candidates best first, dropping any whose id or normalised text was
already taken (normalised: case-folded, punctuation dropped, whitespace collapsed). A document
(``passage.meta["doc"]``; a passage without one is its own document) contributes at most
``ceil(k / 2)`` hits while hits from other documents remain; only when those run out are its
remaining hits taken, still best first (and a copy of a text held back that way gives way to
a later copy from a document under the cap). The result keeps the candidates' order.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence

from sdgcore import Hit, Passage

_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """``text`` reduced to what near-identical copies share: case-folded words, single spaces."""
    return " ".join(_WORD.findall(text.casefold()))


@functools.lru_cache(maxsize=1 << 15)
def _text_key(text: str) -> int:
    # the cache holds references to passage texts that the index keeps alive anyway
    return hash(normalise(text))


def document_of(passage: Passage) -> str:
    """The document a passage belongs to: ``meta["doc"]``, else the passage itself."""
    doc = passage.meta.get("doc")
    return str(doc) if doc is not None else f"\0{passage.id}"


def select(ranked: Iterable[Hit], k: int) -> list[Hit]:
    """At most ``k`` of ``ranked`` (best first), de-duplicated and spread across documents.

    Stops reading ``ranked`` once ``k`` hits are chosen, so only those it reads are
    normalised.
    """
    if k <= 0:
        return []
    cap = math.ceil(k / 2)
    ids: set[str] = set()
    texts: dict[int, int] = {}  # text key -> position in ``seen`` of the copy kept
    seen: list[Hit | None] = []
    chosen: list[int] = []
    held: list[int] = []
    per_doc: dict[str, int] = {}
    for hit in ranked:
        if hit.passage.id in ids:
            continue
        ids.add(hit.passage.id)
        key = _text_key(hit.passage.text)
        doc = document_of(hit.passage)
        under_cap = per_doc.get(doc, 0) < cap
        earlier = texts.get(key)
        if earlier is not None:
            if not under_cap or earlier not in held:
                continue
            held.remove(earlier)  # a copy the cap held back: take this one in its place
            seen[earlier] = None
        texts[key] = len(seen)
        if under_cap:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            chosen.append(len(seen))
        else:
            held.append(len(seen))
        seen.append(hit)
        if len(chosen) == k:
            break
    chosen.extend(held[: k - len(chosen)])
    return [hit for i in sorted(chosen) if (hit := seen[i]) is not None]


def search(fetch: Callable[[int], tuple[Sequence[Hit], bool]], k: int,
           depth: int | None = None) -> list[Hit]:
    """:func:`select` ``k`` hits from ``fetch(depth)``, which returns the best ``depth``
    candidates (raw, best first) and whether there are no more.

    :param depth: the first depth asked for (default ``max(4k, k + 16)``); four times as many
        are asked for while duplicates leave fewer than ``k`` and more exist.
    """
    depth = depth or max(4 * k, k + 16)
    while True:
        ranked, exhausted = fetch(depth)
        chosen = select(ranked, k)
        if len(chosen) >= k or exhausted:
            return chosen
        depth *= 4


def search_ranked(ranked: Callable[[int], Sequence[Hit]], k: int) -> list[Hit]:
    """:func:`search` over one ranking, ``ranked(depth)`` (the best ``depth`` candidates):
    there are no more once it returns fewer than it was asked for."""

    def fetch(depth: int) -> tuple[Sequence[Hit], bool]:
        hits = ranked(depth)
        return hits, len(hits) < depth

    return search(fetch, k)
