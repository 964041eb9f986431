"""Finding datasets on the Hub: search keywords, one search per keyword, and the filters.

The teacher turns the ``query`` into search keywords (structured output); each keyword is one
``HfApi.list_datasets`` search (text modality, most downloaded first, ``search_limit``
results). The results are de-duplicated and each is kept or left out, with the reason, by
the configured filters: private, gated, licence allow-list, size category, required and
excluded tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from sdg_web.config import WebConfig
from sdg_web.hub import Hub
from sdg_web.prompts import KEYWORDS_SCHEMA, keywords_messages
from sdgcore import ChatRequest, Endpoint, derive_seed

EXPAND = ["cardData", "downloads", "gated", "likes", "private", "sha", "tags"]
"""What a search asks the Hub to return of each dataset."""
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_BOUND = re.compile(r"(\d+)([KMBT]?)")


@attrs.frozen
class Candidate:
    """A dataset a search found.

    :param id: ``owner/name``.
    :param downloads: its downloads (searches are sorted by them).
    :param licenses: the licences its card and tags state (lower case).
    :param gated: ``False``, or how it is gated (``"auto"``, ``"manual"``).
    :param private: whether it is private.
    :param tags: its Hub tags.
    :param size: its size category (``"1K<n<10K"``), if stated.
    :param sha: the commit the search saw.
    :param keyword: the first keyword that found it.
    """

    id: str
    downloads: int = 0
    licenses: tuple[str, ...] = ()
    gated: bool | str = False
    private: bool = False
    tags: tuple[str, ...] = ()
    size: str | None = None
    sha: str | None = None
    keyword: str | None = None

    @classmethod
    def from_info(cls, info: Any, keyword: str | None = None) -> Candidate:
        """A candidate from a ``huggingface_hub.DatasetInfo``."""
        tags = tuple(info.tags or ())
        card = info.card_data.to_dict() if info.card_data is not None else {}
        stated = card.get("license") or []
        licenses = [stated] if isinstance(stated, str) else list(stated)
        licenses += [t.split(":", 1)[1] for t in tags if t.startswith("license:")]
        sizes = [t.split(":", 1)[1] for t in tags if t.startswith("size_categories:")]
        sizes += list(card.get("size_categories") or [])
        return cls(id=info.id, downloads=int(info.downloads or 0),
                   licenses=tuple(dict.fromkeys(str(x).lower() for x in licenses)),
                   gated=info.gated or False, private=bool(info.private), tags=tags,
                   size=sizes[0] if sizes else None, sha=info.sha, keyword=keyword)


def size_bounds(category: str) -> tuple[float, float] | None:
    """The row counts a Hub size category spans: ``"1K<n<10K"`` -> (1000, 10000),
    ``"n<1K"`` -> (0, 1000), ``"n>1T"`` -> (10**12, inf); None if it cannot be read."""
    numbers = [int(n) * _UNITS[u] for n, u in _BOUND.findall(category)]
    if category.startswith("n<") and len(numbers) == 1:
        return 0.0, float(numbers[0])
    if category.startswith("n>") and len(numbers) == 1:
        return float(numbers[0]), float("inf")
    if len(numbers) == 2:
        return float(numbers[0]), float(numbers[1])
    return None


def screen(candidate: Candidate, config: WebConfig) -> str | None:
    """Why ``candidate`` is left out, or None to keep it."""
    if candidate.private:
        return "private"
    if candidate.gated and not config.allow_gated:
        return f"gated ({candidate.gated})"
    allowed = {x.lower() for x in config.licenses}
    if allowed and not candidate.licenses:
        return "no licence stated"
    if allowed and not allowed & set(candidate.licenses):
        return f"licence {', '.join(candidate.licenses)} is not in the allow-list"
    bounds = size_bounds(candidate.size) if candidate.size else None
    if bounds is not None:
        low, high = bounds
        if config.max_size is not None and low >= config.max_size:
            return f"size {candidate.size} is above max_size {config.max_size}"
        if config.min_size is not None and high <= config.min_size:
            return f"size {candidate.size} is below min_size {config.min_size}"
    if config.modality and f"modality:{config.modality}" not in candidate.tags \
            and any(t.startswith("modality:") for t in candidate.tags):
        return f"not modality:{config.modality}"
    missing = [t for t in config.tags if t not in candidate.tags]
    if missing:
        return f"lacks tag {missing[0]}"
    excluded = [t for t in config.exclude_tags if t in candidate.tags]
    if excluded:
        return f"has tag {excluded[0]}"
    return None


def search(hub: Hub, keywords: Sequence[str], config: WebConfig) -> list[Candidate]:
    """Every dataset the searches for ``keywords`` found, once each (the first keyword that
    found it recorded), most downloaded first."""
    filters = [f"modality:{config.modality}"] if config.modality else []
    found: dict[str, Candidate] = {}
    for keyword in keywords:
        infos = hub.call(f"the Hub search for {keyword!r}", lambda kw=keyword: list(
            hub.api.list_datasets(search=kw, filter=filters or None, sort="downloads",
                                  limit=config.search_limit, expand=EXPAND)))
        for info in infos:
            if info.id not in found:
                found[info.id] = Candidate.from_info(info, keyword)
    return sorted(found.values(), key=lambda c: -c.downloads)


async def keywords(teacher: Endpoint, config: WebConfig, seed: int) -> list[str]:
    """The search keywords: ``config.keywords``, then the teacher's for ``config.query``
    (at most ``max_keywords``; the query itself when the teacher gives none)."""
    chosen = [k.strip() for k in config.keywords if k.strip()]
    if config.query:
        done = await teacher.chat(ChatRequest(
            messages=keywords_messages(config.query, config.max_keywords), temperature=0.0,
            seed=derive_seed(seed, "web", "keywords"), json_schema=KEYWORDS_SCHEMA))
        data = done.choices[0].data if done.ok and done.choices else None
        proposed = data.get("keywords") if isinstance(data, dict) else None
        words = [w.strip() for w in proposed or [] if isinstance(w, str) and w.strip()]
        chosen += words[: config.max_keywords] or [config.query.strip()]
    return list(dict.fromkeys(k.lower() for k in chosen))
