"""Casting the votes: ask the teacher for ``k`` answers to a sample in one request.

Shared by every voter (``exact``, ``semantic``, ``llm_judge``): they differ in how they count
the votes, not in how they collect them.
"""

from __future__ import annotations

import math

import attrs

from sdg_voting.answers import extract, free_answer
from sdgcore import ChatRequest, Choice, RunContext, Sample, Vote, derive_seed

SYSTEM_PROMPT = (
    "Answer the question. Reason as much as you need, then end your reply with the final "
    "answer alone, in the format the question asks for."
)
"""The system message of a labelling request; the answer format itself is the last line of the
sample's prompt (:meth:`~sdgcore.Sample.prompt`), and its tag is where the answer is read."""


def vote_weight(choice: Choice) -> float:
    """A choice's weight as a vote: 1.0 without log-probs, else its length-normalised
    probability ``exp(logprob / words)`` in ``(0, 1]``.

    Backends report the summed token log-probability of a choice but not its token count, so
    the mean is taken per whitespace-separated word of the response (at least one). Words
    and tokens are near-proportional, so this ranks choices like ``exp(mean token logprob)``
    does, without the bias of the raw sequence probability towards short replies.
    """
    if choice.logprob is None:
        return 1.0
    words = max(1, len(choice.text.split()))
    return math.exp(min(0.0, choice.logprob) / words)


def ballot_request(ctx: RunContext, sample: Sample, *, k: int, temperature: float,
                   logprobs: bool = False, stage: str = "label") -> ChatRequest:
    """The one request that asks for all ``k`` answers to ``sample`` (its prompt ends with the
    sample's answer format); its seed derives from the run seed, the sample id and ``stage``,
    so a rerun hits the request cache."""
    return ChatRequest(
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": sample.prompt()},
        ],
        n=k,
        temperature=temperature,
        seed=derive_seed(ctx.seed, sample.id, stage),
        logprobs=logprobs,
    )


async def collect_votes(ctx: RunContext, sample: Sample, *, model: str, k: int,
                        temperature: float, logprobs: bool = False,
                        stage: str = "label", free_text: bool = False
                        ) -> Sample:
    """Ask ``model`` for ``k`` answers in one request (:func:`ballot_request`).

    :returns: the sample with one :class:`~sdgcore.Vote` per choice that came back (the
        answer :func:`~sdg_voting.answers.extract` found in the tag of the sample's
        :attr:`~sdgcore.Sample.answer_format` or elsewhere,
        how, and :func:`vote_weight`; with ``free_text``, a bare last number is not taken as
        the answer, :func:`~sdg_voting.answers.free_answer`) and the request's tokens added;
        dropped ("label: teacher failed: ...") when no choice came back at all, or when the
        request failed for a reason that may pass (:attr:`~sdgcore.models.types.Completion.
        transient`): such a drop is transient (:meth:`~sdgcore.Sample.drop`), so a resumed
        run asks again for the missing answers instead of labelling from part of the ballot.
        Choices that came back unusable (truncated, unparseable) count against the agreement.
    """
    request = ballot_request(ctx, sample, k=k, temperature=temperature, logprobs=logprobs,
                             stage=stage)
    completion = await ctx.models[model].chat(request)
    read = free_answer if free_text else extract
    tag = sample.answer_format.tag
    votes = tuple(Vote(choice.text, *read(choice.text, tag),
                       weight=vote_weight(choice))
                  for choice in completion.choices)
    sample = attrs.evolve(sample, votes=votes, tokens=sample.tokens + completion.tokens)
    if votes and not completion.transient:
        return sample
    error = completion.error or "no choices came back"
    got = f" ({len(votes)} of {k} answers came back)" if votes else ""
    return sample.drop(f"label: teacher failed: {error}{got}", transient=completion.transient)
