"""Export: one dataset per category, the dropped samples with their reasons, and a summary."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sdgcore.errors import import_optional
from sdgcore.records import Sample
from sdgcore.store.rundir import open_atomic

CATEGORIES = ("learnable", "too_easy", "too_hard", "dropped")
HISTOGRAM = ((0.0, 0.0, "0"), (0.0, 0.25, "(0, .25]"), (0.25, 0.5, "(.25, .5]"),
             (0.5, 0.75, "(.5, .75]"), (0.75, 1.0, "(.75, 1)"), (1.0, 1.0, "1"))


def check_formats(formats: Iterable[str]) -> None:
    """Fail before any work if a format needs a library that is not installed."""
    if {"parquet", "hf"} & set(formats):
        import_optional("datasets", extra="sdgcore[export]", feature="export formats parquet/hf")


def bucket(pass_rate: float) -> str:
    """The histogram bucket of a pass rate."""
    if pass_rate <= 0.0:
        return "0"
    if pass_rate >= 1.0:
        return "1"
    return next(label for _, high, label in HISTOGRAM[1:-1] if pass_rate <= high)


def export(samples: Iterable[Sample], out: Path, formats: Iterable[str]) -> dict[str, Any]:
    """Write ``out/<category>.jsonl`` for every category (and, when asked for, parquet / HF
    datasets copies of the categories that have samples) and return the counts and the
    pass-rate histogram.

    The JSONL files are streamed in one pass, so memory does not grow with the run; the
    parquet and HF copies are built from each category's samples in memory."""
    formats = set(formats)
    tables = bool({"parquet", "hf"} & formats)
    groups: dict[str, list[Sample]] = {c: [] for c in CATEGORIES}
    counts = dict.fromkeys(CATEGORIES, 0)
    histogram = {label: 0 for _, _, label in HISTOGRAM}
    with contextlib.ExitStack() as stack:
        files = {c: stack.enter_context(open_atomic(out / f"{c}.jsonl")) for c in CATEGORIES}
        for sample in samples:
            key = "dropped" if sample.dropped else sample.category
            if key not in files:
                continue
            files[key].write((sample.to_json() + "\n").encode("utf-8"))
            counts[key] += 1
            if tables:
                groups[key].append(sample)
            if sample.pass_rate is not None and not sample.dropped:
                histogram[bucket(sample.pass_rate)] += 1
    for name, items in groups.items():
        if items:  # `datasets` cannot load an empty one back
            _write_datasets(name, items, out, formats)
    return {"counts": counts, "pass_rate_histogram": histogram}


def _write_datasets(name: str, items: list[Sample], out: Path, formats: set[str]) -> None:
    datasets = import_optional("datasets", extra="sdgcore[export]",
                               feature="export formats parquet/hf")
    table = datasets.Dataset.from_list([_row(s) for s in items])
    if "parquet" in formats:
        path = out / "parquet" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        table.to_parquet(str(tmp))
        tmp.replace(path)
    if "hf" in formats:
        table.save_to_disk(str(out / "hf" / name))


def _row(sample: Sample) -> dict[str, Any]:
    """A sample as a table row: free-form mappings (``scoring``, ``meta``,
    ``source.locator``) as JSON text, so rows with different keys share one schema."""
    row = sample.to_dict()
    for key in ("scoring", "meta"):
        row[key] = json.dumps(row[key], ensure_ascii=False)
    row["source"]["locator"] = json.dumps(row["source"]["locator"], ensure_ascii=False)
    return row
