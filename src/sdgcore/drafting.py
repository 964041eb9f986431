"""Scaffolding for a task that drafts its samples with a model, one attempt at a time.

Such a task asks a model once or more per attempt (a seed, a chunk of a document, a row of a
file), keeps several attempts in flight, and yields the samples they make strictly in attempt
order, so a resumed run replays the same requests. It skips what an attempt rejects and
questions too close to one already made, and gives up after too many attempts in a row made
nothing new. :func:`draft_samples` is that loop; :func:`endpoint_for` finds the model the
task's config names::

    async def generate(self, ctx):
        teacher = endpoint_for(ctx, self.config.model, "task.model")

        async def attempt(row):
            done = await teacher.chat(ChatRequest(...))
            return Sample(...) if done.ok else "failed"

        drafts = draft_samples(rows, attempt, window=teacher.concurrency, max_rejects=20,
                               seen=NearDuplicates(0.9), counts=self.counts)
        async with contextlib.aclosing(drafts):
            async for sample in drafts:
                yield sample
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from sdgcore.dedup import NearDuplicates
from sdgcore.errors import SdgError
from sdgcore.lookahead import Lookahead
from sdgcore.records import Sample

if TYPE_CHECKING:
    from sdgcore.context import RunContext
    from sdgcore.models import Endpoint

T = TypeVar("T")

MADE = "made"
"""The count of attempts that made a sample."""
DUPLICATE = "duplicate"
"""The count of attempts whose question was a near-duplicate of one already made."""


def endpoint_for(ctx: RunContext, role: str, key: str) -> Endpoint:
    """The run's endpoint for model ``role`` (``ctx.models[role]``).

    :param key: the config key that named the role (``task.model``), for the error.
    :raises SdgError: the run has no endpoint for ``role``.
    """
    try:
        return ctx.models[role]
    except KeyError:
        raise SdgError(f"{key}: no model endpoint for role {role!r}",
                       hint=f"configure models.{role}, or set {key} to a configured role"
                       ) from None


async def draft_samples(items: Iterable[T] | AsyncIterable[T],
                        attempt: Callable[[T], Awaitable[Sample | str]], *, window: int,
                        max_rejects: int, seen: NearDuplicates | None = None,
                        counts: Counter[str] | None = None) -> AsyncIterator[Sample]:
    """The samples that attempts at ``items`` make, in the order of ``items``.

    Up to ``window`` attempts run at once; ``items`` is read in order, one item per attempt
    started, and never further than the attempt at which drafting would end.

    :param items: what each attempt works from: attempt numbers (``itertools.count()``), rows,
        plans... An async iterable may do its work off the event loop. Drafting ends when it
        runs out.
    :param attempt: called with each item, in order; returns the :class:`Sample` it made,
        or a word saying why it made none (``"failed"``, ``"empty"``), or a sample it made
        but rejects (``sample.drop(reason)``), which is still checked for being a
        near-duplicate and counted as one if it is. It should not raise for a failed request.
    :param window: the most attempts in flight at once (for example the endpoint's
        ``concurrency``).
    :param max_rejects: end after this many attempts in a row made no new sample.
    :param seen: the questions made so far (pre-filled with any the task wants to avoid);
        a sample whose question is a near-duplicate of one of them is rejected as
        ``"duplicate"``, and each sample yielded is added. None: no check.
    :param counts: updated in place with every attempt's outcome: ``"made"``,
        ``"duplicate"`` or the attempt's own reason.

    Close the stream when done with it early (``contextlib.aclosing``): the attempts still
    in flight are cancelled then.
    """
    counts = Counter() if counts is None else counts
    is_async = isinstance(items, AsyncIterable)
    source = aiter(items) if is_async else iter(items)  # type: ignore[arg-type]

    async def launch(_: int) -> Awaitable[Sample | str] | None:
        try:
            item = await anext(source) if is_async else next(source)  # type: ignore
        except (StopIteration, StopAsyncIteration):
            return None
        return attempt(item)

    ahead: Lookahead[Sample | str] = Lookahead(launch, window)
    rejects = 0
    try:
        while rejects < max_rejects:
            # never start an attempt beyond the one at which drafting would end
            taken = await ahead.take(max_rejects - rejects)
            if taken is None:
                break
            made = taken[1]
            if isinstance(made, str):
                outcome = made
            elif seen is not None and seen.is_duplicate(made.question):
                outcome = DUPLICATE
            else:
                outcome = made.dropped or MADE
            counts[outcome] += 1
            if isinstance(made, str) or outcome != MADE:
                rejects += 1
                continue
            rejects = 0
            if seen is not None:
                seen.add(made.question)
            yield made
    finally:
        await ahead.aclose()
        closing = getattr(source, "aclose", None)
        if closing is not None:
            await closing()
