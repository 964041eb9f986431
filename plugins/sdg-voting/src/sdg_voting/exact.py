"""The ``exact`` voter and comparator: final answers compared by the rules of
:mod:`sdg_voting.equivalence`.

The voter asks the teacher ``k`` times (:func:`~sdg_voting.ballot.collect_votes`), groups
equal answers (:mod:`sdg_voting.weights`) and labels the sample with the largest group; the
comparator scores a student's attempts against that label with the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sdg_voting.answers import extract
from sdg_voting.ballot import collect_votes
from sdg_voting.equivalence import Equivalence, compare
from sdg_voting.weights import group_votes, winner
from sdgcore import Attempt, Comparator, Sample, Voter
from sdgcore.context import RunContext

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]
_non_negative = attrs.validators.ge(0.0)


@attrs.frozen
class ExactConfig:
    """``voter:`` for ``type: exact``.

    :param k: teacher answers per question.
    :param temperature: the teacher's temperature while voting (> 0 for diverse answers).
    :param min_agreement: drop a sample whose winning share is below this.
    :param min_valid: drop a sample with fewer answers that could be extracted.
    :param answer_tag: the tag a final answer is wrapped in (``<answer>...</answer>``).
    :param tolerance: relative tolerance when comparing numbers.
    :param abs_tolerance: absolute tolerance when comparing numbers (answers near zero).
    :param symbolic: compare math expressions with sympy (the ``sdg-voting[math]`` extra;
        skipped when sympy is not installed).
    :param weighted: ask for log-probs and weigh each vote by its length-normalised
        probability: the heaviest group wins (``agreement`` stays the share of votes).
    :param model: the model role that votes.
    """

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    min_valid: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    answer_tag: str = "answer"
    tolerance: float = attrs.field(default=1e-6, validator=_non_negative)
    abs_tolerance: float = attrs.field(default=1e-9, validator=_non_negative)
    symbolic: bool = True
    weighted: bool = False
    model: str = "teacher"

    def __attrs_post_init__(self) -> None:
        if self.min_valid > self.k:
            raise ValueError(f"min_valid ({self.min_valid}) cannot exceed k ({self.k}): "
                             "no sample could ever be labelled")

    @property
    def equivalence(self) -> Equivalence:
        """The comparison rules' settings."""
        return Equivalence(self.tolerance, self.abs_tolerance, self.symbolic)


class ExactVoter(Voter):
    """Majority vote over extracted answers, equal answers grouped by the equivalence rules."""

    name = "exact"
    Config = ExactConfig
    config: ExactConfig

    async def label(self, ctx: RunContext, sample: Sample) -> Sample:
        """Ask ``config.model`` for ``k`` answers in one request and take the majority.

        Votes without an extracted answer, and choices that never came back, count against
        the agreement (winning votes / ``k``). Equal answers are grouped and the winner
        chosen as :mod:`sdg_voting.weights` says: most votes (or most weight when
        ``weighted``; ``meta["weighted_agreement"]`` is then the winner's share of the weight
        of every vote that came back), ties to the group whose first vote came earliest.
        The winner's first answer becomes ``answer`` and its full response ``reference``.
        A sample that cannot be labelled is returned with ``dropped`` set, keeping its votes
        and tokens.
        """
        cfg = self.config
        sample, error = await collect_votes(ctx, sample, model=cfg.model, k=cfg.k,
                                            temperature=cfg.temperature,
                                            answer_tag=cfg.answer_tag, logprobs=cfg.weighted)
        if error is not None:
            return attrs.evolve(sample, dropped=f"label: teacher failed: {error}")
        votes = sample.votes
        valid = [vote for vote in votes if vote.answer is not None]
        if len(valid) < cfg.min_valid:
            return attrs.evolve(
                sample, dropped=f"label: too few valid answers ({len(valid)} of {cfg.k})")

        rules = cfg.equivalence
        groups = group_votes(votes, lambda a, b: compare(a, b, rules)[0])
        best = winner(groups, weighted=cfg.weighted)
        agreement = best.count / max(cfg.k, len(votes))
        if cfg.weighted:
            total = sum(vote.weight for vote in votes)
            share = best.weight / total if total > 0 else 0.0
            sample = attrs.evolve(sample, meta={**sample.meta, "weighted_agreement": share})
        if agreement < cfg.min_agreement:
            return attrs.evolve(
                sample, agreement=agreement,
                dropped=f"label: low agreement {agreement:.2f} < {cfg.min_agreement:.2f}")
        first = best.votes[0]
        return attrs.evolve(sample, answer=first.answer, reference=first.response,
                            agreement=agreement)


@attrs.frozen
class ExactCompareConfig:
    """``solve.comparator:`` for ``type: exact``.

    :param answer_tag: the tag a final answer is wrapped in (``<answer>...</answer>``).
    :param tolerance: relative tolerance when comparing numbers.
    :param abs_tolerance: absolute tolerance when comparing numbers (answers near zero).
    :param symbolic: compare math expressions with sympy (the ``sdg-voting[math]`` extra;
        skipped when sympy is not installed).
    """

    answer_tag: str = "answer"
    tolerance: float = attrs.field(default=1e-6, validator=_non_negative)
    abs_tolerance: float = attrs.field(default=1e-9, validator=_non_negative)
    symbolic: bool = True

    @property
    def equivalence(self) -> Equivalence:
        """The comparison rules' settings."""
        return Equivalence(self.tolerance, self.abs_tolerance, self.symbolic)


class ExactComparator(Comparator):
    """An attempt is correct when its extracted answer is equivalent to the label."""

    name = "exact"
    Config = ExactCompareConfig
    config: ExactCompareConfig

    async def compare(self, ctx: RunContext, sample: Sample,
                      responses: Sequence[str]) -> list[Attempt]:
        """Score each response with :meth:`check`."""
        return [self.check(sample, response) for response in responses]

    def check(self, sample: Sample, response: str) -> Attempt:
        """Score one student ``response``: its extracted answer (``extractor`` says how)
        against ``sample.answer``; ``reason`` names the rule that decided
        (:func:`~sdg_voting.equivalence.compare`)."""
        answer, how = extract(response, self.config.answer_tag)
        if answer is None:
            return Attempt(response, None, correct=False, reason="no answer found")
        if sample.answer is None:
            return Attempt(response, answer, correct=False, reason="the sample has no label",
                           extractor=how)
        correct, rule = compare(answer, sample.answer, self.config.equivalence)
        return Attempt(response, answer, correct=correct, reason=rule, extractor=how)
