"""Reading an answer as a number, leniently, and remembering how it was written.

:func:`parse_number` reads ``"1,234"``, ``"-0.5"``, ``".50"``, ``"+3"``, ``"1e3"``,
``"1.5 \\times 10^{3}"``, ``"3/4"``, ``"\\frac{3}{4}"`` (``\\dfrac``, ``\\tfrac``,
``\\frac34``), ``"45%"`` / ``"45 percent"``, a leading currency sign (``"$1,200"``,
``"-$5"``), a leading ``"x = "``, and a trailing unit: one to three words, ``/`` or a power
allowed (``"12 apples"``, ``"45 km per hour"``, ``"3 m/s"``, ``"9 cm^2"``), or a degree sign
(``"90°"``, ``"25^\\circ C"``). Single letters after a number are units only when they are
the SI symbols m, g, s, l, h, v, w (``"3 x"`` is an expression), and math words
(``"2 pi"``, ``"5 million"``) are never units: such an answer is not a number.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from sdg_voting.normalize import normalize

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
_UNIT_WORD = r"(?:[a-z]+(?:\s*\^\s*\{?\s*[23]\s*\}?|[23²³])?)"
_NUMBER = re.compile(rf"""
    (?:[a-z]\s*=\s*)?
    (?P<sign>[-+])?\s*(?P<cur>[$€£¥₹]\s*)?(?P<sign2>[-+])?\s*
    (?:
        \\[dt]?frac\s*\{{\s*(?P<fn>[-+]?{_NUM})\s*\}}\s*\{{\s*(?P<fd>[-+]?{_NUM})\s*\}}
      | \\[dt]?frac(?P<fn1>\d)(?P<fd1>\d)
      | (?P<n>{_NUM})(?:\s*/\s*(?P<d>{_NUM}))?
    )
    (?:\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{{?\s*(?P<exp>[-+]?\d{{1,3}})\s*\}}?)?
    (?P<pct>\s*(?:%|percent\b))?
    (?P<unit>
        \s*(?:°|\^\s*\\circ|\^\s*\{{\s*\\circ\s*\}})\s*[cfk]?
      | \s*{_UNIT_WORD}(?:\s*(?:/|\s)\s*{_UNIT_WORD}){{0,2}}
    )?
    """, re.VERBOSE)
_NOT_UNITS = frozenset(
    "pi sqrt ln log sin cos tan exp mod hundred thousand million billion trillion dozen "
    "and or to times plus minus over divided i e".split()
)
_SI_LETTERS = frozenset("mgslhvw")


class Number(NamedTuple):
    """An answer read as a number.

    :param value: its value (a percentage as written: ``"45%"`` is 45).
    :param percent: it was written as a percentage.
    :param fraction: it was written as a fraction (``3/4``, ``\\frac{3}{4}``).
    :param unit: it carried a unit or a currency sign, now stripped.
    """

    value: float
    percent: bool = False
    fraction: bool = False
    unit: bool = False


def _unit_words(unit: str) -> list[str]:
    return [w for w in re.split(r"[\s/^{}0-9²³]+", unit) if w]


def parse_number(answer: str) -> Number | None:
    """``answer`` read as a :class:`Number`, or None if it is not one (see the module
    docstring for what is read)."""
    match = _NUMBER.fullmatch(normalize(answer))
    if not match:
        return None
    unit = match.group("unit")
    if unit and unit.strip()[0].isalpha() and any(
            (len(word) == 1 and word not in _SI_LETTERS) or word in _NOT_UNITS
            for word in _unit_words(unit)):
        return None
    top = match.group("fn") or match.group("fn1") or match.group("n")
    bottom = match.group("fd") or match.group("fd1") or match.group("d")
    try:
        value = float(top) / float(bottom or "1")
        if match.group("exp"):
            value *= 10.0 ** int(match.group("exp"))
    except (ZeroDivisionError, OverflowError):
        return None
    if not math.isfinite(value):
        return None
    negative = (match.group("sign") == "-") != (match.group("sign2") == "-")
    return Number(-value if negative else value, percent=bool(match.group("pct")),
                  fraction=bottom is not None,
                  unit=bool(unit or match.group("cur")))


def as_number(answer: str) -> float | None:
    """``answer``'s value as a number, or None if it is not one. A percentage is its
    number as written: ``"45%"`` -> ``45.0``."""
    number = parse_number(answer)
    return None if number is None else number.value
