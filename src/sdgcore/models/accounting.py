"""Per-endpoint accounting: requests, retries, cache hits, failures, tokens and cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.define
class Stats:
    """Counters of one endpoint, updated as requests finish.

    :param requests: backend calls made (each retry is one more).
    :param retries: calls that were retries of a failed or unusable one.
    :param rate_limited: calls answered with a rate limit.
    :param cache_hits: choices served from the request cache, at no cost.
    :param failures: requests that ended with fewer choices than asked for.
    :param prompt_tokens: prompt tokens paid for.
    :param completion_tokens: completion tokens paid for.
    :param cost: dollars, where the backend knows the price; None where it never did.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    cache_hits: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    def add_cost(self, cost: float | None) -> None:
        """Add a call's cost, if known."""
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost

    def add(self, other: Mapping[str, Any]) -> None:
        """Add counters made elsewhere (a Ray worker's, as :meth:`as_dict` gives them)."""
        for field in attrs.fields(Stats):
            value = other.get(field.name)
            if field.name == "cost":
                self.add_cost(value)
            elif value:
                setattr(self, field.name, getattr(self, field.name) + value)

    def as_dict(self) -> dict[str, Any]:
        """The counters as plain data (for ``summary.json``)."""
        return attrs.asdict(self)
