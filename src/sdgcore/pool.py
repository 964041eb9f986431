"""The samples a run's task has generated, in generation order: what a rewriter that
combines samples draws a partner from (:attr:`RunContext.pool <sdgcore.RunContext.pool>`)."""

from __future__ import annotations

from sdgcore.records import Sample

RECENT = 64
"""How many of the samples generated before a sample :meth:`SamplePool.earlier` is sure to
hold on every executor: a Ray worker's pool is sent those (and keeps what it was sent
before), so a rewriter that draws from the last ``RECENT`` at most chooses the same there."""


class SamplePool:
    """Generated samples in the order the task made them, and the original each rewrite
    comes from.

    The order is the task's, whatever order samples finish in, and a resumed run replays it
    (samples it skips as done are added too), so :meth:`earlier` gives the same samples on
    every run and resume: a choice made from it is repeatable.
    """

    def __init__(self) -> None:
        self._samples: list[Sample] = []
        self._position: dict[str, int] = {}
        self._origin: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._samples)

    def add(self, sample: Sample) -> None:
        """A sample the task generated (again, on a resume: kept once)."""
        if sample.id not in self._position:
            self._position[sample.id] = len(self._samples)
            self._samples.append(sample)

    def link(self, child: Sample, parent: Sample) -> None:
        """``child`` is a rewrite of ``parent``."""
        self._origin[child.id] = self.origin(parent)

    def origin(self, sample: Sample) -> str:
        """The id of the generated sample ``sample`` is (a rewrite of)."""
        return self._origin.get(sample.id, sample.id)

    def position(self, sample: Sample) -> int | None:
        """Where the generated sample ``sample`` is (a rewrite of) comes in the task's order;
        None for one the pool does not know."""
        return self._position.get(self.origin(sample))

    def between(self, start: int, stop: int) -> list[Sample]:
        """The generated samples at positions ``start`` to ``stop - 1``."""
        return self._samples[max(0, start):stop]

    def earlier(self, sample: Sample) -> list[Sample]:
        """The samples generated before the one ``sample`` is (a rewrite of); none for a
        sample the pool does not know. On a Ray worker only the last :data:`RECENT` of them
        are sure to be there."""
        position = self._position.get(self.origin(sample))
        return [] if position is None else self._samples[:position]
