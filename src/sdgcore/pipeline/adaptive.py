"""When adaptive solving may stop: the category a sample would get from ``n`` attempts is
already decided by the attempts made so far."""

from __future__ import annotations


def decided(correct: int, made: int, n: int, low: float, high: float,
            uniform_stop: int | None = None) -> str | None:
    """Why solving may stop after ``made`` attempts with ``correct`` right, or None.

    ``"n"``: all ``n`` attempts are made. ``"certain"``: whatever the remaining ``n - made``
    attempts give, the pass rate ``correct / n`` lands in the same category (too hard at
    ``<= low``, too easy at ``>= high``, learnable between). ``"uniform"``: ``made`` reached
    ``uniform_stop`` and every attempt agreed (a bet, not a certainty).
    """
    if made >= n:
        return "n"
    worst, best = correct / n, (correct + n - made) / n
    if best <= low or worst >= high or (worst > low and best < high):
        return "certain"
    if uniform_stop is not None and made >= uniform_stop and correct in (0, made):
        return "uniform"
    return None
