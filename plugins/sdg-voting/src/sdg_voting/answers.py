"""Final answers: extract them from a response, normalise them, and compare them.

Shared by the voters (grouping the teacher's answers) and the comparators (scoring a
student's attempt against the label).

Numbers are read leniently by :func:`as_number`: ``"1,234"``, ``"-0.5"``, ``".50"``, ``"1e3"``,
``"3/4"``, ``"\\frac{3}{4}"`` (``\\dfrac``, ``\\tfrac``, ``\\frac34``), a leading currency sign
(``"$1,200"``), a leading ``"x = "``, and a trailing unit of one to three words (``"12 apples"``,
``"45 km per hour"``) or degree sign. Single letters and math words after a number
(``"3 x"``, ``"2 pi"``, ``"5 million"``) are not units: such an answer is text.

**Percentages.** ``as_number("45%")`` is ``45`` (the number as written). In :func:`equivalent`
a percentage equals both its number and its fraction: ``"45%"`` equals ``"45"`` and
``"0.45"`` (two percentages compare by their numbers). In :func:`answer_key` a percentage groups
with its number (``"50%"`` with ``"50"``, not with ``"0.5"``): a key must pick one group, and a
teacher mixing ``"50%"`` and ``"50"`` is the common case.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

ABS_TOLERANCE = 1e-9
"""Numbers this close are equal whatever the relative tolerance (for answers near zero)."""

_MAX_UNWRAP = 5

# -- extraction ---------------------------------------------------------------------------

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"^[ \t]*####[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_ANSWER_IS = re.compile(
    r"(?:\bthe\s+(?:final\s+)?answer\s+is\b|\bfinal\s+answer\s*(?:is\b|:))[ \t:]*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"\.(?:\s|$)")
_LAST_NUMBER = re.compile(
    r"(?:(?<![\w)])-)?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:/\d+)?|\.\d+)%?"
)


def _tag_answer(text: str, tag: str) -> str | None:
    name = re.escape(tag)
    found = re.findall(rf"<{name}>(.*?)</{name}>", text, re.DOTALL | re.IGNORECASE)
    return found[-1].strip() if found and found[-1].strip() else None


def _boxed_answer(text: str) -> str | None:
    last = None
    for match in _BOXED.finditer(text):
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                if text[start:i].strip():
                    last = text[start:i].strip()
                break
    return last


def _answer_is(text: str) -> str | None:
    found = list(_ANSWER_IS.finditer(text))
    if not found:
        return None
    rest = text[found[-1].end():].split("\n", 1)[0]
    answer = _SENTENCE_END.split(rest, maxsplit=1)[0]
    answer = answer.strip().strip("*").strip().rstrip(".").strip()
    return answer or None


def extract(text: str, tag: str = "answer") -> tuple[str | None, str | None]:
    """The final answer in ``text`` and how it was found: ``(answer, how)``.

    Tried in order, the last occurrence of each winning: ``<tag>X</tag>`` (``"tag"``),
    ``\\boxed{X}`` with nested braces (``"boxed"``), a ``#### X`` line (``"####"``),
    "The (final) answer is X" / "Final answer: X" up to the end of its sentence
    (``"answer_is"``), and the last number in the text (``"last_number"``).

    :returns: ``(None, None)`` when nothing is found.
    """
    rules = (
        ("tag", lambda: _tag_answer(text, tag)),
        ("boxed", lambda: _boxed_answer(text)),
        ("####", lambda: (_HASHES.findall(text) or [None])[-1]),
        ("answer_is", lambda: _answer_is(text)),
        ("last_number", lambda: (_LAST_NUMBER.findall(text) or [None])[-1]),
    )
    for how, rule in rules:
        answer = rule()
        if answer:
            return answer, how
    return None, None


# -- normalisation ------------------------------------------------------------------------

_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**"),
             ("`", "`"), ('"', '"'))
_WHOLE_BOXED = re.compile(r"^\\boxed\s*\{(.*)\}$", re.DOTALL)
_TEXT_CMD = re.compile(r"\\(?:text|textbf|textrm|mathrm|mbox)\s*\{([^{}]*)\}")
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def normalize(answer: str) -> str:
    """``answer`` in a canonical text form, for comparing answers that are not numbers.

    Trims; removes a surrounding ``$...$``, ``\\(...\\)``, ``\\[...\\]``, ``\\boxed{...}``,
    ``**...**`` or quotes; unwraps ``\\text{...}`` (and ``\\textbf``, ``\\mathrm``) anywhere;
    turns ``\\%``, ``\\$`` and ``{,}`` into ``%``, ``$`` and ``,``; collapses whitespace;
    lower-cases; strips trailing periods; removes thousands separators (``1,234`` ->
    ``1234``).
    """
    text = answer.strip()
    for _ in range(_MAX_UNWRAP):
        before = text
        boxed = _WHOLE_BOXED.match(text)
        if boxed:
            text = boxed.group(1).strip()
        for left, right in _WRAPPERS:
            inner = text[len(left):len(text) - len(right)]
            if (len(text) >= len(left) + len(right) and text.startswith(left)
                    and text.endswith(right) and left not in inner and right not in inner):
                text = inner.strip()
        if text == before:
            break
    text = _TEXT_CMD.sub(r"\1", text)
    text = text.replace("\\%", "%").replace("\\$", "$").replace("{,}", ",").replace("\u2212", "-")
    text = " ".join(text.split()).lower().rstrip(".").rstrip()
    return _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)


# -- numbers ------------------------------------------------------------------------------

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
_NUMBER = re.compile(rf"""
    (?:[a-z]\s*=\s*)?
    (?P<sign>[-+])?\s*(?:[$€£¥₹]\s*)?(?P<sign2>[-+])?\s*
    (?:
        \\[dt]?frac\s*\{{\s*(?P<fn>[-+]?{_NUM})\s*\}}\s*\{{\s*(?P<fd>[-+]?{_NUM})\s*\}}
      | \\[dt]?frac(?P<fn1>\d)(?P<fd1>\d)
      | (?P<n>{_NUM})(?:\s*/\s*(?P<d>{_NUM}))?
    )
    (?P<pct>\s*(?:%|percent\b))?
    (?P<unit>\s*(?:°|\^\s*\\circ|\^\s*\{{\s*\\circ\s*\}})|\s*[a-z]+(?:\s+[a-z]+){{0,2}})?
    """, re.VERBOSE)
_NOT_UNITS = frozenset(
    "pi sqrt ln log sin cos tan exp mod hundred thousand million billion trillion dozen "
    "and or to times plus minus over divided".split()
)


class _Number(NamedTuple):
    value: float
    percent: bool


def _parse(answer: str) -> _Number | None:
    match = _NUMBER.fullmatch(normalize(answer))
    if not match:
        return None
    unit = match.group("unit")
    if unit and unit.strip()[0].isalpha() and any(
            len(word) == 1 or word in _NOT_UNITS for word in unit.split()):
        return None
    top = match.group("fn") or match.group("fn1") or match.group("n")
    bottom = match.group("fd") or match.group("fd1") or match.group("d") or "1"
    try:
        value = float(top) / float(bottom)
    except (ZeroDivisionError, OverflowError):
        return None
    if not math.isfinite(value):
        return None
    negative = (match.group("sign") == "-") != (match.group("sign2") == "-")
    return _Number(-value if negative else value, bool(match.group("pct")))


def as_number(answer: str) -> float | None:
    """``answer`` as a number, or None if it is not one (see the module docstring for what
    is read). A percentage is its number as written: ``"45%"`` -> ``45.0``."""
    number = _parse(answer)
    return None if number is None else number.value


def _close(x: float, y: float, tolerance: float) -> bool:
    return math.isclose(x, y, rel_tol=tolerance, abs_tol=ABS_TOLERANCE)


def equivalent(a: str | None, b: str | None, tolerance: float = 1e-6) -> bool:
    """Whether two answers are the same answer.

    Two numbers are equal within the relative ``tolerance`` (or :data:`ABS_TOLERANCE`); a
    percentage equals both its number and its fraction when the other is not a percentage.
    Anything else compares by :func:`normalize`. None or an empty answer equals nothing.
    """
    if a is None or b is None:
        return False
    x, y = _parse(a), _parse(b)
    if x is not None and y is not None:
        if x.percent == y.percent:
            return _close(x.value, y.value, tolerance)
        pct, other = (x, y) if x.percent else (y, x)
        return (_close(pct.value, other.value, tolerance)
                or _close(pct.value / 100, other.value, tolerance))
    text = normalize(a)
    return bool(text) and text == normalize(b)


def _canonical(value: float, tolerance: float) -> str:
    if abs(value) < ABS_TOLERANCE:
        return "0"
    digits = 15 if tolerance <= 0 else max(1, min(15, round(-math.log10(tolerance))))
    return f"{value:.{digits}g}"


def answer_key(answer: str, tolerance: float = 1e-6) -> str:
    """A key that answers of one vote group share.

    A number keys on its value rounded to about ``-log10(tolerance)`` significant digits
    (``"0.5"``, ``".50"``, ``"1/2"`` and ``"\\frac{1}{2}"`` share ``"num:0.5"``; a percentage
    keys on its number, so ``"50%"`` groups with ``"50"``); other answers key on
    :func:`normalize`. Rounding only approximates the tolerance of :func:`equivalent`.
    """
    number = _parse(answer)
    if number is not None:
        return f"num:{_canonical(number.value, tolerance)}"
    return f"text:{normalize(answer)}"
