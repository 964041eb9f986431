"""What ``prepare`` decided, kept in the run directory: the datasets used and how, and every
dataset looked at with the reason it was or was not used (``task-web/plan.json``), and the
rows read from each (``task-web/rows/NN.jsonl``). A resumed run reads them back instead of
searching and probing again. :func:`interleave` draws rows from the datasets in proportion to
their weights.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs

from sdg_web.mapping import FieldMap
from sdg_web.rows import DatasetRef
from sdgcore import derive_seed, write_atomic

PLAN_FILE = "plan.json"
ROWS_DIR = "rows"
_converter = cattrs.Converter(forbid_extra_keys=True)


@attrs.frozen
class Used:
    """A dataset samples are drawn from.

    :param ref: the dataset.
    :param config: the config read.
    :param split: the split read.
    :param revision: the Hub commit read (None for local data).
    :param license: the licence its card states, if any.
    :param map: how its rows become samples, and its scores.
    :param rows: rows read (the pool).
    """

    ref: DatasetRef
    config: str | None
    split: str
    revision: str | None
    license: str | None
    map: FieldMap
    rows: int = 0

    @property
    def source_ref(self) -> str:
        """What a sample's ``source.ref`` says: the Hub id, or the local path."""
        return self.ref.name


@attrs.frozen
class Seen:
    """A dataset looked at: ``status`` is ``used``, ``left_out`` (by a filter), ``unusable``
    (probing or mapping failed) or ``outscored`` (others scored higher); ``reason`` says
    why, and ``facts`` what the search and the judge said of it."""

    id: str
    status: str
    reason: str = ""
    facts: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Plan:
    """``prepare``'s decisions: the search ``keywords``, the datasets ``used`` (in order)
    and every dataset ``seen``."""

    keywords: list[str] = attrs.field(factory=list)
    used: list[Used] = attrs.field(factory=list)
    seen: list[Seen] = attrs.field(factory=list)

    def save(self, workdir: Path, rows: Sequence[list[dict[str, Any]]]) -> None:
        """Write the plan and each used dataset's rows under ``workdir`` (rows first, so a
        plan on disk always has its rows)."""
        folder = workdir / ROWS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for i, pool in enumerate(rows):
            write_atomic(folder / f"{i:02d}.jsonl", "".join(
                json.dumps(r, ensure_ascii=False) + "\n" for r in pool))
        write_atomic(workdir / PLAN_FILE,
                     json.dumps(_converter.unstructure(self), indent=2, ensure_ascii=False)
                     + "\n")

    @classmethod
    def load(cls, workdir: Path) -> tuple[Plan, list[list[dict[str, Any]]]] | None:
        """The plan and rows a previous ``prepare`` saved, or None when there are none."""
        path = workdir / PLAN_FILE
        if not path.is_file():
            return None
        plan = _converter.structure(json.loads(path.read_text(encoding="utf-8")), cls)
        rows = [[json.loads(line) for line in (workdir / ROWS_DIR / f"{i:02d}.jsonl")
                 .read_text(encoding="utf-8").splitlines() if line.strip()]
                for i in range(len(plan.used))]
        return plan, rows


def interleave(weights: Sequence[float], sizes: Sequence[int],
               seed: int) -> Iterator[tuple[int, int]]:
    """``(dataset, row)`` pairs drawing from every dataset in proportion to its weight:
    each next row comes from the dataset furthest behind its share (ties to the first), so
    any prefix of the draw is close to proportional, and a dataset that runs out leaves the
    rest to the others. Each dataset's rows are taken in an order shuffled by ``seed``
    (the same every run), not in split order."""
    orders = []
    for d, size in enumerate(sizes):
        order = list(range(size))
        random.Random(derive_seed(seed, "web", "rows", d)).shuffle(order)
        orders.append(order)
    taken = [0] * len(sizes)
    while True:
        live = [d for d in range(len(sizes)) if taken[d] < sizes[d] and weights[d] > 0]
        if not live:
            return
        d = min(live, key=lambda i: ((taken[i] + 1) / weights[i], i))
        yield d, orders[d][taken[d]]
        taken[d] += 1
