"""When adaptive solving may stop: the category a sample would get from ``n`` attempts is
already decided by the attempts made so far, for certain or, under a prior over pass rates
(:mod:`sdgcore.pipeline.prior`), with probability at least ``1 - risk``.

Every decision is a function of the sample's own attempts and the config alone, so a resumed
run, or one that solves its samples in another order, decides the same.
"""

from __future__ import annotations

import math

from sdgcore.pipeline.prior import UNIFORM, Prior


def category(rate: float, low: float, high: float) -> str:
    """too_hard at ``rate <= low``, too_easy at ``>= high``, learnable between."""
    return "too_hard" if rate <= low else "too_easy" if rate >= high else "learnable"


def same_category(correct: int, made: int, n: int, low: float, high: float,
                  prior: Prior = UNIFORM) -> float:
    """The probability that all ``n`` attempts would give the category that ``correct`` of
    ``made`` gives, given those attempts and ``prior`` (0.0 when the attempts contradict the
    prior: none of its pass rates could give them)."""
    now, rest = category(correct / made, low, high), n - made
    same = [math.comb(rest, k) * (category((correct + k) / n, low, high) == now)
            for k in range(rest + 1)]
    total = agree = 0.0
    for p, w in zip(prior.points, prior.weights, strict=True):
        likelihood = w * p ** correct * (1 - p) ** (made - correct)
        total += likelihood
        agree += likelihood * sum(s * p ** k * (1 - p) ** (rest - k)
                                  for k, s in enumerate(same) if s)
    return min(1.0, agree / total) if total > 0 else 0.0


def decided(correct: int, made: int, n: int, low: float, high: float,
            uniform_stop: int | None = None, *, risk: float | None = None,
            prior: Prior = UNIFORM) -> str | None:
    """Why solving may stop after ``made`` attempts with ``correct`` right, or None.

    ``"n"``: all ``n`` attempts are made. ``"certain"``: whatever the remaining ``n - made``
    attempts give, the pass rate ``correct / n`` lands in the same category (too hard at
    ``<= low``, too easy at ``>= high``, learnable between). ``"sequential"``: with ``risk``,
    :func:`same_category` under ``prior`` is at least ``1 - risk``. ``"uniform"``: ``made``
    reached ``uniform_stop`` and every attempt agreed (a bet, not a certainty).
    """
    if made >= n:
        return "n"
    worst, best = correct / n, (correct + n - made) / n
    if best <= low or worst >= high or (worst > low and best < high):
        return "certain"
    if risk is not None and made > 0 and \
            same_category(correct, made, n, low, high, prior) >= 1 - risk:
        return "sequential"
    if uniform_stop is not None and made >= uniform_stop and correct in (0, made):
        return "uniform"
    return None
