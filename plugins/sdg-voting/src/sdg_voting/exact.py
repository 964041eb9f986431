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
from sdg_voting.equivalence import compare
from sdg_voting.settings import AnswerRules, BallotConfig
from sdg_voting.weights import group_votes, winner
from sdgcore import Attempt, Comparator, RunContext, Sample, Voter


@attrs.frozen
class ExactConfig(BallotConfig):
    """``voter:`` for ``type: exact``.

    :param weighted: ask for log-probs and weigh each vote by its length-normalised
        probability: the heaviest group wins (``agreement`` stays the share of votes).
    """

    weighted: bool = False


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
        ``weighted``; ``scoring["weighted_agreement"]`` is then the winner's share of the weight
        of every vote that came back), ties to the group whose first vote came earliest.
        The winner's first answer becomes ``answer`` and its full response ``reference``.
        A sample that cannot be labelled is returned with ``dropped`` set, keeping its votes
        and tokens.
        """
        cfg = self.config
        sample = await collect_votes(ctx, sample, model=cfg.model, k=cfg.k,
                                     temperature=cfg.temperature, logprobs=cfg.weighted)
        if sample.dropped:
            return sample
        votes = sample.votes
        dropped = cfg.too_few(sample, sum(vote.answer is not None for vote in votes))
        if dropped:
            return dropped

        rules = cfg.equivalence
        groups = group_votes(votes, lambda a, b: compare(a, b, rules)[0])
        best = winner(groups, weighted=cfg.weighted)
        agreement = cfg.agreement(best.count, len(votes))
        if cfg.weighted:
            total = sum(vote.weight for vote in votes)
            share = best.weight / total if total > 0 else 0.0
            sample = attrs.evolve(sample,
                                  scoring={**sample.scoring, "weighted_agreement": share})
        first = best.votes[0]
        return cfg.settle(sample, agreement, answer=first.answer, reference=first.response)


@attrs.frozen
class ExactCompareConfig(AnswerRules):
    """``solve.comparator:`` for ``type: exact``."""


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
        """Score one student ``response``: its answer extracted by the sample's answer format
        (``extractor`` says how) against ``sample.answer``; ``reason`` names the rule that decided
        (:func:`~sdg_voting.equivalence.compare`)."""
        answer, how = extract(response, sample.answer_format.tag)
        if answer is None:
            return Attempt(response, None, correct=False, reason="no answer found")
        if sample.answer is None:
            return Attempt(response, answer, correct=False, reason="the sample has no label",
                           extractor=how)
        correct, rule = compare(answer, sample.answer, self.config.equivalence)
        return Attempt(response, answer, correct=correct, reason=rule, extractor=how)
