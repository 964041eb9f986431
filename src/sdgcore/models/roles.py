"""The run's endpoints by role, built from the config, sharing what can be shared."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from sdgcore.errors import ConfigError
from sdgcore.models.cache import RequestCache
from sdgcore.models.config import BackendChoice
from sdgcore.models.cost import CostBudget, table_price
from sdgcore.models.endpoint import Endpoint


class Models(Mapping[str, Endpoint]):
    """Endpoints by role. Roles configured identically share one endpoint (one backend, one
    loaded model, one set of limits), so the embedded default is loaded once for all roles.

    :param choices: the ``models:`` section (role -> endpoint config).
    :param cache_path: the request cache file, or None for no cache.
    :param seed: the run's seed (retry jitter).
    :param cost_limit: ``budget.cost``: the most dollars the endpoints may spend together;
        every endpoint that is not free must then have a price (its own ``price``, its
        backend's figure, or litellm's price table).
    :raises ConfigError: with ``cost_limit``, an endpoint whose price is not known.
    """

    def __init__(self, choices: Mapping[str, BackendChoice], cache_path: Path | None = None,
                 *, seed: int = 0, cost_limit: float | None = None) -> None:
        self.budget = CostBudget(cost_limit)
        if cost_limit is not None:
            check_prices(choices)
        self.cache = RequestCache(cache_path) if cache_path is not None else None
        made: list[tuple[BackendChoice, Endpoint]] = []
        self._by_role: dict[str, Endpoint] = {}
        for role, choice in choices.items():
            same = next((e for c, e in made if c == choice), None)  # equal configs, keys too
            if same is None:
                same = Endpoint(role, _priced(choice.create(), cost_limit), self.cache,
                                seed=seed, budget=self.budget)
                made.append((choice, same))
            else:
                same.name += f"+{role}"
            self._by_role[role] = same

    def __getitem__(self, role: str) -> Endpoint:
        try:
            return self._by_role[role]
        except KeyError:
            known = ", ".join(sorted(self._by_role))
            raise KeyError(f"no model endpoint for role {role!r} (configured: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_role)

    def __len__(self) -> int:
        return len(self._by_role)

    def endpoints(self) -> list[Endpoint]:
        """Each distinct endpoint once."""
        return list({id(e): e for e in self._by_role.values()}.values())

    def stats(self) -> dict[str, dict[str, Any]]:
        """Accounting per distinct endpoint, keyed by the roles it serves."""
        return {e.name: e.stats.as_dict() for e in self.endpoints()}

    async def aclose(self) -> None:
        """Release every backend and close the cache."""
        for endpoint in self.endpoints():
            await endpoint.aclose()
        if self.cache is not None:
            self.cache.close()


def check_prices(choices: Mapping[str, BackendChoice]) -> None:
    """Every endpoint that is not free has a price (``budget.cost`` needs it).

    :raises ConfigError: naming each ``models.<role>.price`` that is missing.
    """
    problems = []
    for role, choice in choices.items():
        if choice.component.costs_nothing or choice.common.price is not None:
            continue
        model = choice.common.model or ""
        if table_price(model) is None:
            problems.append((f"models.{role}.price",
                             f"budget.cost needs the price of {model!r}, which litellm's "
                             "price table does not have: set {prompt: ..., completion: ...} "
                             "in dollars per million tokens"))
    if problems:
        raise ConfigError(problems)


def _priced(backend, cost_limit: float | None):
    """``backend`` with litellm's table price filled in where ``budget.cost`` needs one."""
    if cost_limit is None or backend.costs_nothing or backend.endpoint.price is not None:
        return backend
    backend.endpoint = attrs.evolve(backend.endpoint, price=table_price(backend.model))
    return backend
