"""The pass-rate distribution adaptive solving assumes (``solve.prior``), and fitting one from
an earlier run.

The prior is an input of the run, never fitted from the run's own samples as they finish:
samples are solved concurrently in no fixed order and a run may be resumed, so a prior fitted
on the fly would make a sample's attempts depend on which others happened to finish first.
Fitted from an earlier run instead (:mod:`sdgcore.pipeline.fit_prior`) and written into the
config, it is part of what the run's fingerprint covers, and every decision is a function of
the sample's own attempts and the config.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import attrs

GRID = tuple(i / 20 for i in range(21))
"""The pass rates a fitted prior puts weight on: 0 and 1 (questions never and always solved)
and every 0.05 between."""


@attrs.frozen
class Prior:
    """A distribution of pass rates: ``weights`` (summing to 1) on ``points`` in [0, 1]."""

    points: tuple[float, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, mapping: Mapping[float, float] | None) -> Prior:
        """The prior a ``solve.prior`` mapping (pass rate -> weight, in any scale) gives;
        None: :data:`UNIFORM`."""
        if not mapping:
            return UNIFORM
        total = sum(mapping.values())
        points = tuple(sorted(mapping))
        return cls(points, tuple(mapping[p] / total for p in points))

    def as_config(self, digits: int = 4) -> dict[float, float]:
        """The prior as a ``solve.prior`` mapping, weights rounded, those that round to 0
        left out."""
        return {p: round(w, digits) for p, w in zip(self.points, self.weights, strict=True)
                if round(w, digits) > 0}


UNIFORM = Prior(tuple((i + 0.5) / 100 for i in range(100)), (0.01,) * 100)
"""Every pass rate equally likely, none exactly 0 or 1: with the default band it never bets
that the attempts not made would all agree with those made."""


def fit(outcomes: Iterable[tuple[int, int]], grid: Sequence[float] = GRID,
        steps: int = 200) -> Prior:
    """The prior on ``grid`` that best explains ``outcomes`` (``(correct, made)`` per sample),
    by ``steps`` EM steps from equal weights (the nonparametric maximum likelihood, stopped
    early, which keeps some weight on every point). A sample that stopped early counts with
    the attempts it made: the stopping rule only looks at those, so it biases nothing."""
    rows = [[p ** c * (1 - p) ** (m - c) * math.comb(m, c) for p in grid]
            for c, m in outcomes if m > 0]
    if not rows:
        raise ValueError("no solved samples to fit a prior from")
    weights = [1 / len(grid)] * len(grid)
    for _ in range(steps):
        totals = [0.0] * len(grid)
        for row in rows:
            mix = sum(w * lik for w, lik in zip(weights, row, strict=True))
            for j, lik in enumerate(row):
                totals[j] += weights[j] * lik / mix
        weights = [t / len(rows) for t in totals]
    return Prior(tuple(grid), tuple(weights))
