"""Seeds that a resumed run repeats: each request's seed is derived from the run's seed and
what the request is for, never drawn, so a rerun asks the same and hits the request cache."""

from __future__ import annotations

import hashlib
import json


def derive_seed(base: int, *parts: str | int) -> int:
    """A seed in ``[0, 2**31)`` derived from ``base`` and ``parts`` (a sample id, a stage name),
    so every request of a run has its own reproducible seed and a rerun hits the cache."""
    blob = json.dumps([base, *parts], separators=(",", ":")).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "big") & 0x7FFFFFFF


def choice_seed(seed: int, index: int, reask: int = 0) -> int:
    """The seed of choice ``index`` of a request seeded with ``seed``, on its ``reask``-th
    re-ask after a truncated or empty reply: ``seed`` itself for choice 0 on the first try,
    otherwise a hash of all three, so that no two choices or tries of one request share a seed
    and none collides with a neighbouring request's (as ``seed + index`` would)."""
    if index == 0 and reask == 0:
        return seed
    return derive_seed(seed, "choice", index, reask)


__all__ = ["choice_seed", "derive_seed"]
