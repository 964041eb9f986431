"""Config fields every voter and comparator shares, as attrs base classes."""

from __future__ import annotations

from typing import Any

import attrs

from sdg_voting.equivalence import Equivalence
from sdgcore import Sample

UNIT = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]
"""Validators of a share in [0, 1]."""
_non_negative = attrs.validators.ge(0.0)


@attrs.frozen
class AnswerRules:
    """How final answers are compared (every voter and comparator); where they are found is
    the sample's answer format (:attr:`sdgcore.Sample.answer_format`, its ``tag``), stated by
    the task.

    :param tolerance: relative tolerance when comparing numbers.
    :param abs_tolerance: absolute tolerance when comparing numbers (answers near zero).
    :param symbolic: compare math expressions with sympy (the ``sdg-voting[math]`` extra;
        skipped when sympy is not installed).
    """

    tolerance: float = attrs.field(default=1e-6, validator=_non_negative)
    abs_tolerance: float = attrs.field(default=1e-9, validator=_non_negative)
    symbolic: bool = True

    @property
    def equivalence(self) -> Equivalence:
        """The comparison rules' settings."""
        return Equivalence(self.tolerance, self.abs_tolerance, self.symbolic)


@attrs.frozen
class BallotConfig(AnswerRules):
    """How a voter collects the teacher's answers and when it gives up (every voter).

    :param k: teacher answers per question.
    :param temperature: the teacher's temperature while voting (> 0 for diverse answers).
    :param min_agreement: drop a sample whose winning share of ``k`` is below this.
    :param min_valid: drop a sample with fewer answers that could be read.
    :param model: the model role that votes.
    """

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=UNIT)
    min_valid: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    model: str = "teacher"

    def __attrs_post_init__(self) -> None:
        if self.min_valid > self.k:
            raise ValueError(f"min_valid ({self.min_valid}) cannot exceed k ({self.k}): "
                             "no sample could ever be labelled")

    def too_few(self, sample: Sample, valid: int) -> Sample | None:
        """``sample`` dropped when fewer than ``min_valid`` answers could be read, else None."""
        if valid >= self.min_valid:
            return None
        return sample.drop(f"label: too few valid answers ({valid} of {self.k})")

    def agreement(self, size: int, votes: int) -> float:
        """The winner's share: its ``size`` over ``k`` (over the votes, if more came back);
        answers that could not be read and choices that never came back count against it."""
        return size / max(self.k, votes)

    def settle(self, sample: Sample, agreement: float, *, answer: str | None,
               reference: str, scoring: dict[str, Any] | None = None) -> Sample:
        """``sample`` labelled with ``answer`` and ``reference``, or dropped when
        ``agreement`` is below ``min_agreement``; either way with its agreement (and
        ``scoring``, the voter's details, if given)."""
        kept: dict[str, Any] = {"agreement": agreement}
        if scoring is not None:
            kept["scoring"] = scoring
        sample = attrs.evolve(sample, **kept)
        if agreement < self.min_agreement:
            return sample.drop(f"label: low agreement {agreement:.2f} < "
                               f"{self.min_agreement:.2f}")
        return attrs.evolve(sample, answer=answer, reference=reference)
