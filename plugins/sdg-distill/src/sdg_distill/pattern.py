"""The sample pattern: the teacher's short description of what the samples look like, asked
once per run and kept in ``pattern.json`` so that a resumed run reuses it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sdg_distill.examples import Example
from sdg_distill.prompts import clip, pattern_messages
from sdgcore import ChatRequest, derive_seed, write_atomic

if TYPE_CHECKING:
    from sdg_distill.plugin import DistillConfig
    from sdgcore import Endpoint

FILE = "pattern.json"
MAX_PATTERN_CHARS = 2000
"""A longer description is cut to this many characters."""


@attrs.frozen
class Pattern:
    """What the generator works from.

    :param text: the description of the samples (the instruction alone, as a fallback).
    :param source: ``"teacher"``, or ``"instruction"`` when the teacher could not be asked.
    :param examples: the demo examples.
    :param error: why the teacher's description is missing, for a fallback.
    :param inputs: a digest of what the description was made from.
    """

    text: str
    source: str
    examples: tuple[Example, ...] = ()
    error: str | None = None
    inputs: str = ""

    def to_json(self) -> str:
        """The ``pattern.json`` text."""
        data = {"pattern": self.text, "source": self.source, "error": self.error,
                "inputs": self.inputs, "examples": [e.to_dict() for e in self.examples]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def inputs_digest(config: DistillConfig, examples: Sequence[Example], seed: int) -> str:
    """A digest of everything the pattern request depends on: a ``pattern.json`` made from
    other inputs is not reused."""
    blob = json.dumps([config.instruction, config.input_format, config.answer_format.line(), seed,
                       [e.to_dict() for e in examples]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def read_saved(path: Path, inputs: str, examples: Sequence[Example]) -> Pattern | None:
    """The pattern saved at ``path`` for these ``inputs``, or None (missing, unreadable, or
    made from other inputs)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != inputs:
        return None
    text, source = data.get("pattern"), data.get("source")
    if not isinstance(text, str) or not text.strip() or not isinstance(source, str):
        return None
    error = data.get("error")
    return Pattern(text, source, tuple(examples), error if isinstance(error, str) else None,
                   inputs)


async def summarise(endpoint: Endpoint, config: DistillConfig, examples: Sequence[Example],
                    seed: int, workdir: Path) -> Pattern:
    """The pattern for this run: reused from ``workdir / pattern.json`` where it was made from
    the same inputs, else asked of the teacher (temperature 0, a derived seed) and saved. A
    failed request falls back to the instruction, and the file says why."""
    inputs = inputs_digest(config, examples, seed)
    path = workdir / FILE
    saved = read_saved(path, inputs, examples)
    if saved is not None:
        return saved
    done = await endpoint.chat(ChatRequest(messages=pattern_messages(config, examples), n=1,
                                           temperature=0.0,
                                           seed=derive_seed(seed, "distill", "pattern")))
    reply = (done.text or "").strip() if done.ok else ""
    if reply:
        pattern = Pattern(clip(reply, MAX_PATTERN_CHARS), "teacher", tuple(examples), None,
                          inputs)
    else:
        error = done.error or "the teacher returned an empty description"
        pattern = Pattern(config.instruction.strip(), "instruction", tuple(examples), error,
                          inputs)
    write_atomic(path, pattern.to_json())
    return pattern
