"""Symbolic equality of math answers with sympy (the ``sdg-voting[math]`` extra).

An answer is only handed to sympy when it passes a whitelist: plain math characters,
single-letter variables and a few function names (so no attribute access, no arbitrary
names reach ``parse_expr``'s ``eval``), at most :data:`MAX_CHARS` characters, at most three
powers, each exponent a number of at most three digits, a letter or a short bracketed group
without powers (so ``9^9^9`` or ``x^999999`` cannot hang the run). Two expressions are
equal when they agree at :data:`POINTS` seeded random values of their variables (one
evaluation for constants) within the tolerance: bounded time, no ``simplify`` or
``expand``.
"""

from __future__ import annotations

import cmath
import functools
import random
import re
from typing import Any

from sdg_voting.normalize import normalize, plain_math

MAX_CHARS = 120
"""Longer answers are not parsed."""

POINTS = 5
"""Random points two expressions must agree at."""

_FUNCTIONS = frozenset({"sqrt", "log", "exp", "sin", "cos", "tan", "pi", "oo"})
_ALLOWED = re.compile(r"[0-9a-z.+\-*/^()]+")
_EXPONENT = re.compile(r"-?(?:\d{1,3}(?:\.\d+)?|[a-z])(?![\d.])")
_MAX_POWERS = 3


@functools.cache
def available() -> bool:
    """Whether sympy can be imported."""
    try:
        import sympy  # noqa: F401
    except ImportError:
        return False
    return True


def _exponent_end(text: str, start: int) -> int | None:
    """The end of the exponent starting at ``start``, or None if it is not a small plain
    one: a number of at most three digits, a letter, or a bracketed group without powers."""
    if text[start:start + 1] == "(":
        depth = 0
        for i in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                return None if "^" in text[start:i] or i - start > 20 else i + 1
        return None
    match = _EXPONENT.match(text, start)
    return match.end() if match else None


def _safe(text: str) -> bool:
    if not text or len(text) > MAX_CHARS or not _ALLOWED.fullmatch(text):
        return False
    if not all(len(word) == 1 or word in _FUNCTIONS for word in re.findall(r"[a-z]+", text)):
        return False
    powers = [i for i, char in enumerate(text) if char == "^"]
    if len(powers) > _MAX_POWERS:
        return False
    for position in powers:
        end = _exponent_end(text, position + 1)
        if end is None or text[end:end + 1] == "^":
            return False
    return True


@functools.lru_cache(maxsize=4096)
def parse(answer: str) -> Any | None:
    """``answer`` (LaTeX or plain math) as a sympy expression, or None when it fails the
    guards, does not parse, or sympy is missing. Only the right side of ``x = ...`` is
    kept."""
    if not available():
        return None
    text = plain_math(normalize(answer)).replace("**", "^")
    if text.count("=") == 1 and re.fullmatch(r"[a-z]=.+", text):
        text = text[2:]
    if not _safe(text):
        return None
    from sympy import E, I, Symbol
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    transformations = (*standard_transformations, implicit_multiplication_application,
                       convert_xor)
    names: dict[str, Any] = {letter: Symbol(letter) for letter in "abcdfghjklmnopqrstuvwxyz"}
    names.update(e=E, i=I)
    try:
        return parse_expr(text, local_dict=names, transformations=transformations)
    except Exception:  # noqa: BLE001 - any parse failure means "not an expression"
        return None


def _value(expr: Any, point: dict[Any, float]) -> complex | None:
    try:
        value = complex(expr.evalf(subs=point, n=20))
    except Exception:  # noqa: BLE001 - sympy raises many types on odd input
        return None
    return value if cmath.isfinite(value) else None


def same(a: Any, b: Any, rel: float, abs_: float) -> bool:
    """Whether sympy expressions ``a`` and ``b`` are equal (see the module docstring)."""
    try:
        symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    except AttributeError:  # a tuple or another non-expression
        return False
    rng = random.Random(len(symbols))
    agreed = 0
    for _ in range(POINTS * 2):
        point = {s: rng.uniform(0.5, 2.5) for s in symbols}
        x, y = _value(a, point), _value(b, point)
        if x is None or y is None:
            continue
        if abs(x - y) > max(abs_, rel * max(abs(x), abs(y))):
            return False
        agreed += 1
        if agreed == POINTS or not symbols:
            return True
    return False
