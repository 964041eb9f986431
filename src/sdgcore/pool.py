"""The samples a run's task has generated, in generation order: what a rewriter that
combines samples draws a partner from (:attr:`RunContext.pool <sdgcore.RunContext.pool>`)."""

from __future__ import annotations

from sdgcore.records import Sample


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

    def earlier(self, sample: Sample) -> list[Sample]:
        """The samples generated before the one ``sample`` is (a rewrite of); none for a
        sample the pool does not know."""
        position = self._position.get(self.origin(sample))
        return [] if position is None else self._samples[:position]
