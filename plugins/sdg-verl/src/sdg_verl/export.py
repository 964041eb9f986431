"""The run's samples as verl parquet files: SFT (``messages``) or GRPO (``prompt`` + reward).

:func:`export` reads the chosen categories' JSONL files of a run, leaves out what
cannot be trained on (counted by reason), splits train / validation (seeded by the run seed,
by sample, per category when ``stratify``), optionally keeps a pass-rate band and repeats
training rows by learnability, and writes ``<mode>_train.parquet``, ``<mode>_val.parquet`` and
``export.json``. pyarrow is imported when a file is written.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from sdg_verl.plugin import VerlConfig
from sdgcore import Sample, derive_seed, write_atomic

SPLITS = ("train", "val")


@attrs.frozen
class RunFacts:
    """What the export reads from a run's resolved config.

    :param seed: ``run.seed``.
    :param student: ``{model, n, temperature}``: who the pass rates were measured on.
    :param equivalence: the exact comparator's rules (``tolerance``, ``abs_tolerance``,
        ``symbolic``), for the reward to compare answers as the run did.
    """

    seed: int = 0
    student: dict[str, Any] = attrs.field(factory=dict)
    equivalence: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_resolved(cls, resolved: dict[str, Any]) -> RunFacts:
        """From a run directory's ``config.yaml``, read as a dict."""
        solve = resolved.get("solve") or {}
        student = ((resolved.get("models") or {}).get("student") or {})
        comparator = solve.get("comparator") or {}
        rules = {"tolerance": float(comparator.get("tolerance", 1e-6)),
                 "abs_tolerance": float(comparator.get("abs_tolerance", 1e-9)),
                 "symbolic": bool(comparator.get("symbolic", True))}
        return cls(seed=int((resolved.get("run") or {}).get("seed", 0)),
                   student={"model": student.get("model"), "n": solve.get("n"),
                            "temperature": solve.get("temperature")},
                   equivalence=rules)


@attrs.frozen
class ExportResult:
    """What :func:`export` wrote: ``files`` by split, and the report kept in ``export.json``."""

    files: dict[str, Path]
    report: dict[str, Any]


def learnability(sample: Sample) -> float:
    """p(1-p) of the sample's pass rate (0 without one)."""
    p = sample.pass_rate
    return 0.0 if p is None else p * (1.0 - p)


def read_samples(path: Path) -> list[Sample]:
    """The samples of a run's JSONL file (none if the file is missing)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [Sample.from_json(line) for line in fh if line.strip()]


def left_out_reason(sample: Sample, cfg: VerlConfig) -> str | None:
    """Why ``sample`` cannot go in, or None."""
    if sample.dropped:
        return "dropped"
    if sample.answer is None:
        return "no label"
    if cfg.mode == "sft" and not (sample.reference or "").strip():
        return "no reference"
    band = cfg.select.band
    if band is not None and (sample.pass_rate is None
                             or not band[0] <= sample.pass_rate <= band[1]):
        return "outside select.band"
    return None


def split(samples: list[Sample], val_fraction: float, seed: int,
          stratify: bool) -> dict[str, list[Sample]]:
    """Train / validation by sample, reproducible from ``seed``.

    Each stratum (a category when ``stratify``, else all) is ordered by sample id, shuffled
    with a seed derived from ``seed`` and the stratum, and its first
    ``round(len * val_fraction)`` samples (at most all but one) go to ``val``.
    """
    strata: dict[str, list[Sample]] = {}
    for sample in samples:
        key = (sample.category or "none") if stratify else "all"
        strata.setdefault(key, []).append(sample)
    out: dict[str, list[Sample]] = {"train": [], "val": []}
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda s: s.id)
        random.Random(derive_seed(seed, "verl-split", key)).shuffle(group)
        n_val = min(round(len(group) * val_fraction), len(group) - 1) if val_fraction else 0
        out["val"] += group[:n_val]
        out["train"] += group[n_val:]
    return out


def repeats(samples: list[Sample], max_repeats: int) -> list[int]:
    """How often each training row is written under ``weight: learnability``:
    ``max(1, round(l / max_l * max_repeats))`` for learnability ``l``; 1 for all when no
    sample has a learnability above 0."""
    values = [learnability(s) for s in samples]
    top = max(values, default=0.0)
    if top <= 0.0:
        return [1] * len(samples)
    return [max(1, round(v / top * max_repeats)) for v in values]


def messages(sample: Sample, system: str | None) -> list[dict[str, str]]:
    """The chat the model sees: an optional system message, then the sample's prompt."""
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": sample.prompt()}]


def sft_row(sample: Sample, cfg: VerlConfig) -> dict[str, Any]:
    """One SFT row: ``messages`` ending with the reference response."""
    return {"messages": [*messages(sample, cfg.system_prompt),
                         {"role": "assistant", "content": sample.reference}]}


def grpo_row(sample: Sample, cfg: VerlConfig, facts: RunFacts, index: int,
             split_name: str) -> dict[str, Any]:
    """One GRPO row in verl's RL dataset layout."""
    return {
        "data_source": f"sdg/{sample.task}",
        "prompt": messages(sample, cfg.system_prompt),
        "ability": cfg.ability or sample.task,
        "reward_model": {"style": "rule", "ground_truth": sample.answer},
        "extra_info": {
            "index": index,
            "split": split_name,
            "sample_id": sample.id,
            "pass_rate": sample.pass_rate,
            "category": sample.category,
            "learnability": learnability(sample),
            "student": dict(facts.student),
            "answer_tag": sample.answer_format.tag,
            "format_reward": cfg.format_reward,
            "equivalence": dict(facts.equivalence),
        },
    }


@attrs.frozen
class Chosen:
    """The samples an export takes, by split, and what it read and left out.

    :param parts: ``train`` and ``val`` samples (before repeats).
    :param read: samples read per category.
    :param left_out: samples left out, by reason (:func:`left_out_reason`).
    """

    parts: dict[str, list[Sample]]
    read: dict[str, int]
    left_out: dict[str, int]


def choose(datasets: Mapping[str, Path], cfg: VerlConfig, seed: int) -> Chosen:
    """The chosen categories' samples (``datasets``: category -> JSONL file) that can be
    trained on, split as :func:`split` does: what :func:`export` writes, and what
    ``sdg eval`` holds out."""
    read: dict[str, int] = {}
    left_out: Counter[str] = Counter()
    kept: list[Sample] = []
    for category in cfg.chosen_categories():
        samples = read_samples(datasets[category]) if category in datasets else []
        read[category] = len(samples)
        for sample in samples:
            reason = left_out_reason(sample, cfg)
            if reason:
                left_out[reason] += 1
            else:
                kept.append(sample)
    return Chosen(split(kept, cfg.val_fraction, seed, cfg.stratify), read,
                  dict(sorted(left_out.items())))


def export(datasets: Mapping[str, Path], cfg: VerlConfig, facts: RunFacts,
           out_dir: Path) -> ExportResult:
    """Write the ``cfg.mode`` parquet files of ``datasets`` (category -> JSONL file) and
    ``export.json`` under ``out_dir``."""
    from sdg_verl.schemas import write_parquet

    chosen = choose(datasets, cfg, facts.seed)
    parts = chosen.parts
    files, rows_written = {}, {}
    for name in SPLITS:
        samples = parts[name]
        counts = (repeats(samples, cfg.max_repeats)
                  if name == "train" and cfg.weight == "learnability" else [1] * len(samples))
        rows: list[dict[str, Any]] = []
        for sample, count in zip(samples, counts, strict=True):
            for _ in range(count):
                rows.append(sft_row(sample, cfg) if cfg.mode == "sft"
                            else grpo_row(sample, cfg, facts, len(rows), name))
        files[name] = out_dir / f"{cfg.mode}_{name}.parquet"
        write_parquet(files[name], rows, cfg.mode)
        rows_written[name] = len(rows)
    report = {
        "mode": cfg.mode,
        "categories": cfg.chosen_categories(),
        "read": chosen.read,
        "left_out": chosen.left_out,
        "samples": {name: len(parts[name]) for name in SPLITS},
        "rows": rows_written,
        "by_category": {name: dict(sorted(Counter(s.category or "none"
                                                  for s in parts[name]).items()))
                        for name in SPLITS},
        "val_fraction": cfg.val_fraction,
        "seed": facts.seed,
        "select": attrs.asdict(cfg.select),
        "weight": cfg.weight,
        "max_repeats": cfg.max_repeats,
        "files": {name: str(path) for name, path in files.items()},
        "sample_ids": {name: [s.id for s in parts[name]] for name in SPLITS},
    }
    write_atomic(out_dir / "export.json", json.dumps(report, indent=2) + "\n")
    return ExportResult(files, report)
