"""Quality gates (``gates:``): decontamination and the judge's score before a sample is
labelled, exact and near-duplicate removal before it is kept.

:class:`Gates` is built when a run starts (so an unreadable evaluation set or a missing
library stops it before any work). :meth:`Gates.screen` runs on every sample, rewrites
included, before labelling; :meth:`Gates.keep` runs on finished samples in generation order
before they are checkpointed, so which of two duplicates is kept is the same on every run
and resume. A gate's drop names it: ``gate decontaminate: ...``, ``gate judge: ...``,
``gate dedup: ...``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from sdgcore.config.gates import GatesSection
from sdgcore.records import Sample

if TYPE_CHECKING:
    from sdgcore.context import RunContext


class Gates:
    """The configured gates of one run.

    :param config: ``gates:``.
    :param kept: samples kept before (a resumed run's checkpointed ones), for dedup.
    """

    def __init__(self, config: GatesSection, kept: Iterable[Sample] = ()) -> None:
        self.config = config
        self.evalsets = self.duplicates = None
        if config.decontaminate is not None and config.decontaminate.sets:
            from sdgcore.gates.contamination import EvalSets

            self.evalsets = EvalSets(config.decontaminate)
        if config.dedup is not None:
            from sdgcore.gates.duplicates import Duplicates

            self.duplicates = Duplicates(config.dedup)
            for sample in kept:
                if not sample.dropped:
                    self.duplicates.add(sample)

    async def screen(self, ctx: RunContext, sample: Sample) -> Sample:
        """``sample``, or it dropped by decontamination or the judge's score."""
        if self.evalsets is not None:
            found = self.evalsets.match(sample.question)
            if found is not None:
                item, shared = found
                gates = {**sample.scoring.get("gates", {}),
                         "decontaminate": {"item": item, "shared": shared}}
                sample = attrs.evolve(sample, scoring={**sample.scoring, "gates": gates})
                return sample.drop(f"gate decontaminate: overlaps {item} ({shared!r})")
        if self.config.judge is not None:
            from sdgcore.gates.judge import score

            return await score(ctx, sample, self.config.judge)
        return sample

    def keep(self, samples: list[Sample]) -> list[Sample]:
        """``samples`` (in generation order, each followed by its rewrites) with each exact
        or near-duplicate of a sample kept before dropped."""
        if self.duplicates is None:
            return samples
        out = []
        for sample in samples:
            if not sample.dropped:
                found = self.duplicates.check(sample)
                if found is not None and found[0] != sample.id:
                    other, similar = found
                    kind = "duplicate" if similar >= 1.0 else "near-duplicate"
                    sample = sample.drop(f"gate dedup: {kind} of {other} "
                                         f"(similarity {similar:.2f})")
                else:
                    self.duplicates.add(sample)
            out.append(sample)
        return out


__all__ = ["Gates", "GatesSection"]
