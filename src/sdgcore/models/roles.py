"""The run's endpoints by role, built from the config, sharing what can be shared."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sdgcore.models.cache import RequestCache
from sdgcore.models.config import BackendChoice
from sdgcore.models.endpoint import Endpoint


class Models(Mapping[str, Endpoint]):
    """Endpoints by role. Roles configured identically share one endpoint (one backend, one
    loaded model, one set of limits), so the embedded default is loaded once for all roles.

    :param choices: the ``models:`` section (role -> endpoint config).
    :param cache_path: the request cache file, or None for no cache.
    :param seed: the run's seed (retry jitter).
    """

    def __init__(self, choices: Mapping[str, BackendChoice], cache_path: Path | None = None,
                 *, seed: int = 0) -> None:
        self.cache = RequestCache(cache_path) if cache_path is not None else None
        made: list[tuple[BackendChoice, Endpoint]] = []
        self._by_role: dict[str, Endpoint] = {}
        for role, choice in choices.items():
            same = next((e for c, e in made if c == choice), None)  # equal configs, keys too
            if same is None:
                same = Endpoint(role, choice.create(), self.cache, seed=seed)
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
