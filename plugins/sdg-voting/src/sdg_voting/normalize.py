"""Canonical forms of an answer: wrappers removed, LaTeX rewritten as plain math, short text
folded.

:func:`normalize` is the base every rule of :mod:`sdg_voting.equivalence` starts from;
:func:`plain_math` turns LaTeX into the ASCII math that :mod:`sdg_voting.symbolic` parses;
:func:`plain_text` folds a short text answer.
"""

from __future__ import annotations

import re

_MAX_UNWRAP = 5
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**"),
             ("`", "`"), ('"', '"'))
_WHOLE_BOXED = re.compile(r"^\\boxed\s*\{(.*)\}$", re.DOTALL)
_TEXT_CMD = re.compile(
    r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mbox|operatorname)\s*\{([^{}]*)\}")
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])"
                        r"|(?<![\d.])\d{1,3}(?: \d{3})+(?!\d)")
_SPACING = re.compile(r"\\(?:left|right|big|bigl|bigr|Big|Bigl|Bigr|displaystyle)\b"
                      r"|\\[,;:! ]|\\q?quad\b|~")


def normalize(answer: str) -> str:
    """``answer`` in a canonical text form, the start of every comparison.

    Trims; removes a surrounding ``$...$``, ``\\(...\\)``, ``\\[...\\]``, ``\\boxed{...}``,
    ``**...**``, backticks or quotes; unwraps ``\\text{...}`` (and ``\\textbf``, ``\\mathrm``,
    ``\\operatorname``, ...) anywhere; drops ``\\left``, ``\\right`` and LaTeX spacing
    (``\\,``, ``\\;``, ``\\!``, ``\\quad``, ``~``); turns ``\\%``, ``\\$`` and ``{,}`` into
    ``%``, ``$`` and ``,``; collapses whitespace; lower-cases; strips trailing periods;
    removes thousands separators (``1,234``, ``1 234``, ``1\\,234`` -> ``1234``).
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
    text = _SPACING.sub(" ", text)
    text = (text.replace("\\%", "%").replace("\\$", "$").replace("{,}", ",")
            .replace("\u2212", "-").replace("\u00d7", "\\times ").replace("\u00b7", "\\cdot "))
    text = " ".join(text.split()).lower().rstrip(".").rstrip()
    return _THOUSANDS.sub(lambda m: m.group(0).replace(",", "").replace(" ", ""), text)


# -- LaTeX to plain math ------------------------------------------------------------------

_COMMANDS = {
    "\\cdot": "*", "\\times": "*", "\\ast": "*", "\\div": "/", "\\pi": "(pi)",
    "\\infty": "(oo)", "\\ln": "log", "\\log": "log", "\\exp": "exp", "\\sin": "sin",
    "\\cos": "cos", "\\tan": "tan", "\\le": "<=", "\\leq": "<=", "\\ge": ">=", "\\geq": ">=",
    "\\neq": "!=", "\\cup": "U", "\\pm": "+-",
}
_COMMAND = re.compile(r"\\[a-z]+")
_FRAC = re.compile(r"\\[dt]?frac\s*")
_SQRT = re.compile(r"\\sqrt\s*")
_ATOM_GROUP = re.compile(r"\{\s*([a-z0-9.]+)\s*\}")


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The ``{...}`` group (or single character) at ``start``: ``(content, end)``."""
    while start < len(text) and text[start] == " ":
        start += 1
    if start >= len(text):
        return None
    if text[start] != "{":
        return text[start], start + 1
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i], i + 1
    return None


def _rewrite(text: str, pattern: re.Pattern[str], arity: int, shape: str) -> str:
    """Replace each ``\\cmd{a}{b}`` matched by ``pattern`` by ``shape.format(a, b)``,
    innermost arguments first."""
    for _ in range(50):
        match = pattern.search(text)
        if not match:
            return text
        args, end = [], match.end()
        if arity == 1 and text[end:end + 1] == "[":  # \sqrt[n]{x}
            close = text.find("]", end)
            if close < 0:
                return text
            root, end = text[end + 1:close], close + 1
            arg = _group(text, end)
            if arg is None:
                return text
            replacement = f"(({plain_math(arg[0])})**(1/({plain_math(root)})))"
            text = text[:match.start()] + replacement + text[arg[1]:]
            continue
        for _ in range(arity):
            arg = _group(text, end)
            if arg is None:
                return text
            args.append(plain_math(arg[0]))
            end = arg[1]
        text = text[:match.start()] + shape.format(*args) + text[end:]
    return text


def plain_math(answer: str) -> str:
    """LaTeX math as plain ASCII math, without spaces: ``\\frac{a}{b}`` -> ``((a)/(b))``,
    ``\\sqrt{x}`` -> ``sqrt(x)``, ``\\sqrt[n]{x}`` -> ``((x)**(1/(n)))``, ``\\cdot`` and
    ``\\times`` -> ``*``, ``\\pi`` -> ``(pi)``, ``^{2}`` -> ``^2``, other braces -> parentheses,
    unknown commands kept. Applied to :func:`normalize`'s output."""
    text = _rewrite(answer, _FRAC, 2, "(({0})/({1}))")
    text = _rewrite(text, _SQRT, 1, "sqrt({0})")
    text = _COMMAND.sub(lambda m: _COMMANDS.get(m.group(0), m.group(0)), text)
    text = _ATOM_GROUP.sub(r"\1", text).replace("{", "(").replace("}", ")")
    return "".join(text.split())


# -- short text ---------------------------------------------------------------------------

_EDGE_PUNCT = re.compile(r"(?<!\S)[.,;:!?'\"`]+|[.,;:!?'\"`]+(?!\S)")
_ARTICLES = frozenset({"a", "an", "the"})


def plain_text(answer: str) -> str:
    """A short text answer folded for comparison: :func:`normalize`, then punctuation at the
    edges of words removed (``"Paris!"`` -> ``"paris"``, but ``"1,2"`` and ``"u.s"`` keep
    theirs) and the articles *a*, *an*, *the* dropped."""
    text = _EDGE_PUNCT.sub(" ", normalize(answer))
    return " ".join(word for word in text.split() if word not in _ARTICLES)
