"""Whether two final answers are the same answer, and which rule said so.

:func:`compare` runs named rules in order; the first that applies to both answers decides
(see ``docs/answers.md`` for the whole table):

``empty``
    a missing or blank answer equals nothing.
``choice``
    multiple-choice letters A-J: ``"B"``, ``"(B)"``, ``"B)"``, ``"b."``, ``"Answer: B"``,
    ``"option b"``, ``"(B) 42"`` are all B; two letters are equal when they are the same.
``boolean``
    yes/true and no/false.
``percent``, ``fraction``, ``unit``, ``number``
    both answers read as numbers (:mod:`sdg_voting.numbers`) are equal within the relative
    ``tolerance`` or the ``abs_tolerance``. The rule is named for how they were written: a
    percentage involved, else a fraction, else a stripped unit or currency, else plain.
    **Percentages**: a percentage equals both its number and its fraction when the other
    answer is not a percentage (``"50%"`` equals ``"50"`` and ``"0.5"``); two percentages
    compare by their numbers (``"50%"`` is not ``"0.5%"``). Symmetric, so grouping votes
    does not depend on their order.
``sequence``
    tuples, intervals and sets: ``(1, 2)``, ``[0, 1)``, ``\\{1, 2\\}``, or a bare ``1, 2``
    (a tuple). Brackets must match (a set matches a set in any order); elements compare by
    these rules.
``latex``
    answers with LaTeX (``\\``, ``{``, ``^``) that are the same plain math
    (:func:`~sdg_voting.normalize.plain_math`): ``\\left(x^{2}\\right)`` is ``(x^2)``.
``symbolic``
    both parse as sympy expressions (:mod:`sdg_voting.symbolic`) and are equal: ``2x+2`` is
    ``2(x+1)``, ``\\sqrt{2}`` is ``1.41421356``. Needs the ``sdg-voting[math]`` extra;
    skipped when sympy is missing or ``symbolic`` is off.
``text``
    the rest: equal when the same after :func:`~sdg_voting.normalize.plain_text` (case,
    whitespace, punctuation at word edges, articles).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import attrs

from sdg_voting import symbolic as sym
from sdg_voting.normalize import normalize, plain_math, plain_text
from sdg_voting.numbers import parse_number


@attrs.frozen
class Equivalence:
    """How strictly answers are compared.

    :param tolerance: relative tolerance for numbers.
    :param abs_tolerance: absolute tolerance for numbers (answers near zero).
    :param symbolic: try sympy for math expressions.
    """

    tolerance: float = attrs.field(default=1e-6, validator=attrs.validators.ge(0.0))
    abs_tolerance: float = attrs.field(default=1e-9, validator=attrs.validators.ge(0.0))
    symbolic: bool = True


DEFAULT = Equivalence()

Verdict = tuple[bool, str]
"""``(equal, rule)``: the answer of :func:`compare`."""

_CHOICE = re.compile(
    r"(?:(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)\s*(?:is\s*)?[:\-]?\s*)?"
    r"(?:[(\[](?P<p>[a-j])[)\]](?:\s+.+)?|(?P<d>[a-j])[).:](?:\s+.+)?|(?P<l>[a-j]))",
    re.DOTALL,
)
_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
_LATEX_MARKS = re.compile(r"[\\{^]")
_MAX_ELEMENTS = 20


def _choice(answer: str) -> str | None:
    match = _CHOICE.fullmatch(normalize(answer))
    return match and (match.group("p") or match.group("d") or match.group("l"))


def _rule_choice(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    x, y = _choice(a), _choice(b)
    return None if x is None or y is None else (x == y, "choice")


def _rule_boolean(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    x, y = _BOOLEANS.get(plain_text(a)), _BOOLEANS.get(plain_text(b))
    return None if x is None or y is None else (x == y, "boolean")


def _close(x: float, y: float, cfg: Equivalence) -> bool:
    return math.isclose(x, y, rel_tol=cfg.tolerance, abs_tol=cfg.abs_tolerance)


def _rule_number(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    x, y = parse_number(a), parse_number(b)
    if x is None or y is None:
        return None
    if x.percent or y.percent:
        if x.percent == y.percent:
            return _close(x.value, y.value, cfg), "percent"
        pct, other = (x, y) if x.percent else (y, x)
        return (_close(pct.value, other.value, cfg)
                or _close(pct.value / 100, other.value, cfg)), "percent"
    name = "fraction" if x.fraction or y.fraction else "unit" if x.unit or y.unit else "number"
    return _close(x.value, y.value, cfg), name


def _split(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if char == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    return [*parts, inner[start:]]


def _sequence(answer: str) -> tuple[str, list[str]] | None:
    """``(brackets, elements)`` of a tuple, interval or set with a top-level comma."""
    text = normalize(answer)
    for opener in ("\\{", "{", "(", "["):
        if text.startswith(opener):
            closer = text[-2:] if text.endswith("\\}") else text[-1:]
            if closer not in (")", "]", "}", "\\}"):
                return None
            inner = text[len(opener):len(text) - len(closer)]
            kind = "set" if opener in ("{", "\\{") else opener + closer
            break
    else:
        kind, inner = "()", text
    parts = [part.strip() for part in _split(inner)]
    if len(parts) < 2 or len(parts) > _MAX_ELEMENTS or not all(parts):
        return None
    return kind, parts


def _rule_sequence(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    x, y = _sequence(a), _sequence(b)
    if x is None or y is None:
        return None
    (kind_x, xs), (kind_y, ys) = x, y
    if kind_x != kind_y or len(xs) != len(ys):
        return False, "sequence"
    if kind_x != "set":
        return all(compare(p, q, cfg)[0] for p, q in zip(xs, ys, strict=True)), "sequence"
    unmatched = list(ys)
    for p in xs:
        match = next((q for q in unmatched if compare(p, q, cfg)[0]), None)
        if match is None:
            return False, "sequence"
        unmatched.remove(match)
    return True, "sequence"


def _rule_latex(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    if not (_LATEX_MARKS.search(a) or _LATEX_MARKS.search(b)):
        return None
    return (True, "latex") if plain_math(normalize(a)) == plain_math(normalize(b)) else None


def _rule_symbolic(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    if not cfg.symbolic:
        return None
    x, y = sym.parse(a), sym.parse(b)
    if x is None or y is None:
        return None
    return sym.same(x, y, cfg.tolerance, cfg.abs_tolerance), "symbolic"


def _rule_text(a: str, b: str, cfg: Equivalence) -> Verdict | None:
    x = plain_text(a)
    return bool(x) and x == plain_text(b), "text"


RULES: tuple[tuple[str, Callable[[str, str, Equivalence], Verdict | None]], ...] = (
    ("choice", _rule_choice),
    ("boolean", _rule_boolean),
    ("number", _rule_number),
    ("sequence", _rule_sequence),
    ("latex", _rule_latex),
    ("symbolic", _rule_symbolic),
    ("text", _rule_text),
)
"""The rules in the order they are tried; ``number`` names its verdicts ``percent``,
``fraction``, ``unit`` or ``number``."""


def compare(a: str | None, b: str | None, cfg: Equivalence = DEFAULT) -> Verdict:
    """Whether answers ``a`` and ``b`` are equal, and the name of the rule that decided
    (see the module docstring). Symmetric in ``a`` and ``b``."""
    if a is None or b is None or not normalize(a) or not normalize(b):
        return False, "empty"
    for _, rule in RULES:
        verdict = rule(a, b, cfg)
        if verdict is not None:
            return verdict
    raise AssertionError("the text rule always decides")  # pragma: no cover


def equivalent(a: str | None, b: str | None, tolerance: float = 1e-6, *,
               abs_tolerance: float = 1e-9, symbolic: bool = True) -> bool:
    """Whether two answers are the same answer: :func:`compare` without the rule name."""
    return compare(a, b, Equivalence(tolerance, abs_tolerance, symbolic))[0]


def _canonical(value: float, tolerance: float) -> str:
    if abs(value) < DEFAULT.abs_tolerance:
        return "0"
    digits = 15 if tolerance <= 0 else max(1, min(15, round(-math.log10(tolerance))))
    return f"{value:.{digits}g}"


def answer_key(answer: str, tolerance: float = 1e-6) -> str:
    """A hashable key that equal answers usually share, for grouping many answers cheaply.

    A number keys on its value rounded to about ``-log10(tolerance)`` significant digits
    (``"0.5"``, ``"1/2"``, ``"\\frac{1}{2}"`` share ``"num:0.5"``; a percentage keys on its
    number, so ``"50%"`` groups with ``"50"``); other answers key on
    :func:`~sdg_voting.normalize.plain_text`. Coarser than :func:`compare`, which voting uses.
    """
    number = parse_number(answer)
    if number is not None:
        return f"num:{_canonical(number.value, tolerance)}"
    return f"text:{plain_text(answer)}"
