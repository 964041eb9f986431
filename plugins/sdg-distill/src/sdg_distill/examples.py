"""Reading the demo examples of a ``distill`` task: a JSONL file of ``question`` rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from sdgcore import InputError


@attrs.frozen
class Example:
    """One demo sample.

    :param question: the question, as a generated sample's question should look.
    :param reference: its reference response, if the file gives one.
    :param answer: its final answer, if the file gives one.
    """

    question: str
    reference: str | None = None
    answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, as JSON-safe builtins."""
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


def _optional_text(value: Any, key: str, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"{where}: {key!r} must be a string, not {type(value).__name__}")
    return value


KEY = "task.examples: "
"""Every error about the examples file starts with its key path."""


def load_examples(path: Path) -> list[Example]:
    """The examples in the JSONL file at ``path``, in file order; blank lines are skipped.

    :raises InputError: the file is missing or unreadable, a line is not a JSON object, a row
        has no non-empty string ``question``, or the file holds no rows; the message names the
        path (and the line).
    """
    hint = "each line of task.examples must be a JSON object with a \"question\" string"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{KEY}distill examples file not found: {path}",
                         hint="set task.examples to an existing JSONL file, or leave it out") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{KEY}cannot read distill examples file {path}: {exc}") from None
    examples: list[Example] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{KEY}{path}, line {number}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{where}: not valid JSON: {exc}", hint=hint) from None
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}",
                             hint=hint)
        question = row.get("question")
        if not isinstance(question, str) or not question.strip():
            problem = "has no \"question\"" if question is None else \
                "has an empty or non-string \"question\""
            raise InputError(f"{where}: {problem}", hint=hint)
        examples.append(Example(question.strip(),
                                _optional_text(row.get("reference"), "reference", where),
                                _optional_text(row.get("answer"), "answer", where)))
    if not examples:
        raise InputError(f"{KEY}distill examples file {path} holds no examples", hint=hint)
    return examples
