"""A model's attempts at a labelled sample, scored by a comparator: the student's solve step
and ``sdg eval`` both go through :func:`solve`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from sdgcore.base import Comparator
from sdgcore.context import RunContext
from sdgcore.models.types import ChatRequest
from sdgcore.records import Attempt, Sample, Tokens

if TYPE_CHECKING:
    from sdgcore.models.endpoint import Endpoint

STUDENT_SYSTEM = ("Solve the problem. Think briefly, then give the final answer in the format "
                  "the problem asks for.")
"""The student's system message; the answer format is the last line of the sample's prompt
(:meth:`~sdgcore.Sample.prompt`)."""


def student_messages(sample: Sample) -> list[dict[str, str]]:
    """The chat the student is asked: :data:`STUDENT_SYSTEM`, then the sample's prompt."""
    return [{"role": "system", "content": STUDENT_SYSTEM},
            {"role": "user", "content": sample.prompt()}]


@attrs.frozen
class Solved:
    """What :func:`solve` got back.

    :param attempts: one scored attempt per choice that came back (fewer than asked for when
        ``error`` is set; none when the request failed outright).
    :param tokens: the tokens the request paid for now (cached choices cost nothing).
    :param error: why fewer attempts than asked for came back, or None.
    :param transient: ``error`` is of a kind that may pass (a retry later may succeed).
    """

    attempts: tuple[Attempt, ...]
    tokens: Tokens
    error: str | None = None
    transient: bool = False

    @property
    def pass_rate(self) -> float | None:
        """Correct attempts / attempts (None with no attempt)."""
        if not self.attempts:
            return None
        return sum(a.correct for a in self.attempts) / len(self.attempts)


async def solve(ctx: RunContext, endpoint: Endpoint, comparator: Comparator, sample: Sample,
                messages: Sequence[dict[str, str]], *, n: int, temperature: float,
                seed: int) -> Solved:
    """Ask ``endpoint`` for ``n`` answers to ``messages`` and score each against the
    sample's label with ``comparator``.

    The request goes through the endpoint's cache, so the same sample, messages, ``n``,
    temperature and ``seed`` are paid once.
    """
    done = await endpoint.chat(ChatRequest(messages=list(messages), n=n,
                                           temperature=temperature, seed=seed))
    attempts = await comparator.compare(ctx, sample, [c.text for c in done.choices]) \
        if done.choices else []
    return Solved(tuple(attempts), done.tokens, None if done.ok else done.error,
                  done.transient)


__all__ = ["STUDENT_SYSTEM", "Solved", "solve", "student_messages"]
