"""Turning structuring failures into ``(key path, message)`` pairs a user can act on."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import attrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

Problem = tuple[str, str]


class ConfigProblem(ValueError):
    """Raised by structure hooks: ``message`` about the value, ``at`` a key below it.

    :param message: what is wrong, in the user's words.
    :param at: a dotted key path below the value being structured, or empty.
    """

    def __init__(self, message: str, *, at: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.at = at
        self.problems: list[Problem] = [(at, message)]

    @classmethod
    def many(cls, problems: Sequence[Problem]) -> ConfigProblem:
        """One exception carrying several problems."""
        exc = cls(problems[0][1], at=problems[0][0])
        exc.problems = list(problems)
        return exc


def join(path: str, key: Any) -> str:
    """``join("a", "b") == "a.b"``, ``join("a", 2) == "a[2]"``, ``join("", "b") == "b"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key in (None, ""):
        return path
    return f"{path}.{key}" if path else str(key)


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice most like ``word``, if any is close enough to be a likely typo."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def describe_value(value: Any) -> str:
    """A short, typed rendering of a value for an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def collect_problems(exc: BaseException, path: str = "") -> list[Problem]:
    """Flatten a cattrs exception tree into problems with full key paths."""
    if isinstance(exc, ForbiddenExtraKeysError):
        valid = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        return [(join(path, key), _unknown(key, valid)) for key in sorted(exc.extra_fields)]
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        found: list[Problem] = []
        for sub in exc.exceptions:
            found.extend(collect_problems(sub, join(path, _note_key(sub))))
        return found
    if isinstance(exc, ConfigProblem):
        return [(join(path, at), msg) for at, msg in exc.problems]
    if isinstance(exc, KeyError):
        return [(path, "required key missing")]
    if isinstance(exc, ValueError):
        return [(path, str(exc))]
    return [(path, f"invalid value ({type(exc).__name__}: {exc})")]


def _note_key(exc: BaseException) -> Any:
    for note in getattr(exc, "__notes__", ()):
        if hasattr(note, "name"):
            return note.name
        if hasattr(note, "index"):
            return note.index
    return None


def _unknown(key: str, valid: list[str]) -> str:
    guess = closest(key, valid)
    if guess:
        return f"unknown key; did you mean {guess!r}?"
    return f"unknown key; valid keys: {', '.join(valid)}"
