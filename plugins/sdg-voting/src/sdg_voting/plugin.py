"""Registers the ``exact``, ``semantic`` and ``llm_judge`` voters (not built yet)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from sdgcore import Voter, hookimpl

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen
class ExactConfig:
    """``voter:`` for ``type: exact``.

    :param k: teacher answers per question.
    :param temperature: the teacher's temperature while voting (> 0 for diverse answers).
    :param min_agreement: drop a sample whose winning share is below this.
    :param min_valid: drop a sample with fewer answers that could be extracted.
    :param answer_tag: the tag a final answer is wrapped in (``<answer>...</answer>``).
    :param tolerance: relative tolerance when comparing numbers.
    """

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    min_valid: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    answer_tag: str = "answer"
    tolerance: float = 1e-6


@attrs.frozen
class SemanticConfig:
    """``voter:`` for ``type: semantic`` (needs ``sdg-voting[semantic]``)."""

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    model: str = "all-MiniLM-L6-v2"
    threshold: float = attrs.field(default=0.85, validator=_unit)


@attrs.frozen
class JudgeConfig:
    """``voter:`` for ``type: llm_judge``: the judge picks the consensus among candidates."""

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    judge: str = "judge"


class ExactVoter(Voter):
    """Majority vote over normalised extracted answers."""

    name = "exact"
    Config = ExactConfig
    status = "planned"


class SemanticVoter(Voter):
    """Majority vote over clusters of answer embeddings."""

    name = "semantic"
    Config = SemanticConfig
    status = "planned"


class JudgeVoter(Voter):
    """An LLM judge picks the consensus answer."""

    name = "llm_judge"
    Config = JudgeConfig
    status = "planned"


@hookimpl
def sdg_register_voters(register: Callable[[type[Voter]], None]) -> None:
    for cls in (ExactVoter, SemanticVoter, JudgeVoter):
        register(cls)
