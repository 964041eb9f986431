"""The ``exact`` voter: the teacher answers ``k`` times and the most common final answer wins.

Answers are extracted and grouped with :mod:`sdg_voting.answers` (numbers by value, text by
its normalised form); the same rules score a student's attempts in :class:`ExactComparator`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sdg_voting.answers import answer_key, equivalent, extract
from sdgcore import Attempt, Comparator, Sample, Vote, Voter
from sdgcore.context import RunContext
from sdgcore.models import ChatRequest
from sdgcore.records import derive_seed

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]

SYSTEM_PROMPT = (
    "Answer the question. Reason as much as you need, then end your reply with the final "
    "answer alone, written as <{tag}>X</{tag}>, unless the question asks for another format."
)
"""The system message of a labelling request; ``{tag}`` is the configured answer tag."""


@attrs.frozen
class ExactConfig:
    """``voter:`` for ``type: exact``.

    :param k: teacher answers per question.
    :param temperature: the teacher's temperature while voting (> 0 for diverse answers).
    :param min_agreement: drop a sample whose winning share is below this.
    :param min_valid: drop a sample with fewer answers that could be extracted.
    :param answer_tag: the tag a final answer is wrapped in (``<answer>...</answer>``).
    :param tolerance: relative tolerance when comparing numbers.
    :param model: the model role that votes.
    """

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    min_valid: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    answer_tag: str = "answer"
    tolerance: float = 1e-6
    model: str = "teacher"

    def __attrs_post_init__(self) -> None:
        if self.min_valid > self.k:
            raise ValueError(f"min_valid ({self.min_valid}) cannot exceed k ({self.k}): "
                             "no sample could ever be labelled")


class ExactVoter(Voter):
    """Majority vote over normalised extracted answers."""

    name = "exact"
    Config = ExactConfig
    config: ExactConfig

    def request(self, ctx: RunContext, sample: Sample) -> ChatRequest:
        """The one request that asks the teacher for all ``k`` answers to ``sample``."""
        cfg = self.config
        return ChatRequest(
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT.format(tag=cfg.answer_tag)},
                {"role": "user", "content": sample.prompt()},
            ],
            n=cfg.k,
            temperature=cfg.temperature,
            seed=derive_seed(ctx.seed, sample.id, "label"),
        )

    async def label(self, ctx: RunContext, sample: Sample) -> Sample:
        """Ask ``config.model`` for ``k`` answers in one request and take the majority.

        Votes without an extracted answer, and choices that never came back, count against
        the agreement (winning votes / ``k``). Ties go to the group whose first vote came
        earliest. The winner's first answer becomes ``answer`` and its full response
        ``reference``. A sample that cannot be labelled is returned with ``dropped`` set,
        keeping its votes and tokens.
        """
        cfg = self.config
        completion = await ctx.models[cfg.model].chat(self.request(ctx, sample))
        votes = tuple(Vote(choice.text, *extract(choice.text, cfg.answer_tag))
                      for choice in completion.choices)
        sample = attrs.evolve(
            sample, votes=votes,
            tokens=sample.tokens + completion.tokens,
        )
        if not votes:
            error = completion.error or "no choices came back"
            return attrs.evolve(sample, dropped=f"label: teacher failed: {error}")

        valid = [vote for vote in votes if vote.answer is not None]
        if len(valid) < cfg.min_valid:
            return attrs.evolve(
                sample, dropped=f"label: too few valid answers ({len(valid)} of {cfg.k})")

        groups: dict[str, list[Vote]] = {}
        for vote in valid:
            groups.setdefault(answer_key(vote.answer or "", cfg.tolerance), []).append(vote)
        winners = max(groups.values(), key=len)  # the first of equal groups: earliest vote
        agreement = len(winners) / max(cfg.k, len(votes))
        if agreement < cfg.min_agreement:
            return attrs.evolve(
                sample, agreement=agreement,
                dropped=f"label: low agreement {agreement:.2f} < {cfg.min_agreement:.2f}")
        first = winners[0]
        return attrs.evolve(sample, answer=first.answer, reference=first.response,
                            agreement=agreement)


@attrs.frozen
class ExactCompareConfig:
    """``solve.comparator:`` for ``type: exact``.

    :param answer_tag: the tag a final answer is wrapped in (``<answer>...</answer>``).
    :param tolerance: relative tolerance when comparing numbers.
    """

    answer_tag: str = "answer"
    tolerance: float = 1e-6


class ExactComparator(Comparator):
    """An attempt is correct when its extracted answer is equivalent to the label."""

    name = "exact"
    Config = ExactCompareConfig
    config: ExactCompareConfig

    async def compare(self, ctx: RunContext, sample: Sample,
                      responses: Sequence[str]) -> list[Attempt]:
        return [self.check(sample, response) for response in responses]

    def check(self, sample: Sample, response: str) -> Attempt:
        """Score one student ``response``: its extracted answer, equivalent to
        ``sample.answer`` within ``config.tolerance``."""
        answer, how = extract(response, self.config.answer_tag)
        if answer is None:
            return Attempt(response, None, correct=False, reason="no answer found")
        if sample.answer is None:
            return Attempt(response, answer, correct=False, reason="the sample has no label",
                           extractor=how)
        return Attempt(response, answer, extractor=how,
                       correct=equivalent(answer, sample.answer, self.config.tolerance))
