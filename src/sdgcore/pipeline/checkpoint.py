"""Round checkpoints: each finished round's samples, written atomically.

``rounds/round-NNNNN.jsonl`` holds every sample a round produced (generated, rewritten,
dropped), and ``rounds/round-NNNNN.json`` what had been spent when it ended; the ``.json`` is
written last, so a round without one is unfinished and is run again on resume (at no cost: its
requests are in the request cache).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sdgcore.records import Sample
from sdgcore.store.rundir import write_atomic


class Checkpoints:
    """The finished rounds of a run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir / "rounds"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rounds: list[dict[str, Any]] = []
        while (meta := self._path(len(self.rounds), ".json")).exists():
            self.rounds.append(json.loads(meta.read_text(encoding="utf-8")))
        self.counts: dict[str, int] = {}
        self.seen: set[str] = set()
        for sample in self.samples():
            self._note(sample)

    def _path(self, number: int, suffix: str) -> Path:
        return self.dir / f"round-{number:05d}{suffix}"

    def _note(self, sample: Sample) -> None:
        if sample.parent_id is None:
            self.seen.add(sample.id)
        key = "dropped" if sample.dropped else (sample.category or "uncategorized")
        self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def spent(self) -> dict[str, int]:
        """Requests and tokens spent by the finished rounds."""
        return dict(self.rounds[-1]["spent"]) if self.rounds else {"requests": 0, "tokens": 0}

    def write(self, samples: Sequence[Sample], spent: dict[str, int], note: dict[str, Any]) -> None:
        """Record the next round: its samples, then what had been spent when it ended."""
        number = len(self.rounds)
        write_atomic(self._path(number, ".jsonl"), (s.to_json() + "\n" for s in samples))
        meta = {"round": number, "samples": len(samples), "spent": spent, **note}
        write_atomic(self._path(number, ".json"), json.dumps(meta) + "\n")
        self.rounds.append(meta)
        for sample in samples:
            self._note(sample)

    def samples(self) -> Iterator[Sample]:
        """Every sample of the finished rounds, in order (streamed from disk)."""
        for number in range(len(self.rounds)):
            with self._path(number, ".jsonl").open(encoding="utf-8") as fh:
                for line in fh:
                    yield Sample.from_json(line)
