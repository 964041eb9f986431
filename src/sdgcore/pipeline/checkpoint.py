"""Checkpoints: finished samples, written atomically, one file after another.

``rounds/round-NNNNN.jsonl`` holds the samples of one checkpoint (generated, rewritten,
dropped): on the stream schedule, the chains that finished since the last one, in generation
order (:mod:`sdgcore.pipeline.stream`); with ``run.schedule: rounds``, a whole round. The
files keep the name ``round`` either way. ``rounds/round-NNNNN.json`` records what had been
spent when it was written; it is written last, so a checkpoint without one is unfinished and
its samples are processed again on resume (at no cost: their requests are in the request
cache).

A generated sample and its rewrites form a *chain* (what
:meth:`~sdgcore.pipeline.stages.Flow.process` returns), written together in one checkpoint,
parents before children. A chain whose last version was dropped transiently
(:attr:`~sdgcore.Sample.dropped_transient`) is not taken as seen when a run directory is opened,
so the resumed run processes that generated sample again and writes its new chain in a later
checkpoint; from then on the new chain supersedes the old one in :meth:`Checkpoints.samples`
and :attr:`Checkpoints.counts`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from sdgcore.records import Sample
from sdgcore.store.rundir import write_atomic


@attrs.define
class _Chain:
    """Where a generated sample's latest chain is, and what it holds."""

    round: int
    keys: list[str] = attrs.field(factory=list)
    transient: bool = False


class Checkpoints:
    """The checkpoints of a run directory (:attr:`rounds`: each one's ``.json``).

    :ivar counts: samples per category (and ``dropped``) over the latest chain of each
        generated sample.
    :ivar seen: the ids of the generated samples that need no more processing: every one with
        a chain, but those whose chain ended in a transient drop when the directory was opened.
    """

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir / "rounds"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rounds: list[dict[str, Any]] = []
        while (meta := self._path(len(self.rounds), ".json")).exists():
            self.rounds.append(json.loads(meta.read_text(encoding="utf-8")))
        self.counts: dict[str, int] = {}
        self._chains: dict[str, _Chain] = {}
        for number in range(len(self.rounds)):
            self._add(number, self._read(number))
        self.seen: set[str] = {root for root, chain in self._chains.items()
                               if not chain.transient}

    def _path(self, number: int, suffix: str) -> Path:
        return self.dir / f"round-{number:05d}{suffix}"

    def _read(self, number: int) -> Iterator[Sample]:
        with self._path(number, ".jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                yield Sample.from_json(line)

    def _add(self, number: int, samples: Iterator[Sample] | Sequence[Sample]) -> None:
        """Note round ``number``'s chains, each superseding an earlier chain of its root."""
        for root, sample in _rooted(samples):
            chain = self._chains.get(root)
            if chain is None or chain.round != number:
                for key in chain.keys if chain is not None else ():
                    self.counts[key] -= 1
                chain = self._chains[root] = _Chain(number)
            key = "dropped" if sample.dropped else (sample.category or "uncategorized")
            chain.keys.append(key)
            chain.transient = bool(sample.dropped) and sample.dropped_transient
            self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def spent(self) -> dict[str, int]:
        """Requests and tokens spent by the finished rounds."""
        return dict(self.rounds[-1]["spent"]) if self.rounds else {"requests": 0, "tokens": 0}

    def write(self, samples: Sequence[Sample], spent: dict[str, Any], note: dict[str, Any]) -> None:
        """Record the next round: its samples (whole chains, parents first), then what had
        been spent when it ended and how many samples were learnable with it
        (``learnable``)."""
        number = len(self.rounds)
        write_atomic(self._path(number, ".jsonl"), (s.to_json() + "\n" for s in samples))
        self._add(number, samples)
        meta = {"round": number, "samples": len(samples), "spent": spent,
                "learnable": self.counts.get("learnable", 0), **note}
        write_atomic(self._path(number, ".json"), json.dumps(meta) + "\n")
        self.rounds.append(meta)
        self.seen.update(s.id for s in samples if s.parent_id is None)

    def outcomes(self) -> list[tuple[str, bool, bool]]:
        """Each generated sample with a chain, in the order it was first checkpointed:
        its id, whether its latest chain has a learnable version, and whether that chain
        ended in a transient drop."""
        return [(root, "learnable" in chain.keys, chain.transient)
                for root, chain in self._chains.items()]

    def samples(self) -> Iterator[Sample]:
        """The latest chain of every generated sample, in round order (streamed from disk);
        chains a later round superseded are left out."""
        for number in range(len(self.rounds)):
            for root, sample in _rooted(self._read(number)):
                chain = self._chains.get(root)
                if chain is not None and chain.round == number:
                    yield sample


def _rooted(samples: Iterator[Sample] | Sequence[Sample]) -> Iterator[tuple[str, Sample]]:
    """Each sample of one round with the id of the generated sample its chain starts from
    (a rewrite finds it through ``parent_id``: parents come first in a round)."""
    roots: dict[str, str] = {}
    for sample in samples:
        parent = sample.parent_id
        root = sample.id if parent is None else roots.get(parent, parent)
        roots[sample.id] = root
        yield root, sample
