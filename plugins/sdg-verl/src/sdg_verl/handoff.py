"""From a run directory to verl: export, check the files, write ``train.sh``, then train.

``sdg train`` and the ``verl`` trainer (``sdg run --train``) both go through :func:`prepare`
and :func:`train`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from sdg_verl import export as exporting
from sdg_verl import launch
from sdg_verl.plugin import VerlConfig
from sdg_verl.schemas import check_file
from sdgcore import SdgError

CATEGORIES = ("learnable", "too_easy", "too_hard")


def datasets_of(run_dir: Path) -> dict[str, Path]:
    """The run's JSONL file of each category."""
    return {name: run_dir / f"{name}.jsonl" for name in CATEGORIES}


@attrs.frozen
class Prepared:
    """An export ready for verl.

    :param out_dir: where everything was written (``RUN_DIR/<train.output>``).
    :param files: the parquet file of each split.
    :param rows: rows of each split, read back from the files.
    :param report: what ``export.json`` holds.
    :param argv: the verl command line (also in ``train.sh``).
    :param warnings: what the user should know before training.
    """

    out_dir: Path
    files: dict[str, Path]
    rows: dict[str, int]
    report: dict[str, Any]
    argv: list[str]
    warnings: list[str]

    def summary(self, mode: str) -> list[str]:
        """What was exported and the command, for the terminal."""
        left = ", ".join(f"{n} {why}" for why, n in self.report["left_out"].items()) or "none"
        return [f"{mode} data: {self.rows['train']} train rows, {self.rows['val']} validation "
                f"rows in {self.out_dir} (left out: {left})",
                shlex.join(self.argv), f"written to {self.out_dir / 'train.sh'}"]


def prepare(run_dir: Path, cfg: VerlConfig, resolved: dict[str, Any],
            datasets: Mapping[str, Path] | None = None) -> Prepared:
    """Export ``datasets`` (default: the run's category files) for ``cfg.mode``, read the
    files back against their schema, and write ``train.sh``.

    :param resolved: the run's resolved config (``RUN_DIR/config.yaml``) as a dict.
    """
    run_dir = run_dir.resolve()  # train.sh may be run from anywhere
    out_dir = run_dir / cfg.output
    facts = exporting.RunFacts.from_resolved(resolved)
    result = exporting.export(datasets or datasets_of(run_dir), cfg, facts, out_dir)
    rows = {name: check_file(path, cfg.mode) for name, path in result.files.items()}
    argv = launch.command(cfg, result.files, run_dir)
    launch.write_script(out_dir / "train.sh", argv)
    warnings = []
    if not rows["train"]:
        warnings.append("no training rows; see export.json for what was left out")
    elif rows["train"] < cfg.batch_size:
        warnings.append(f"{rows['train']} training rows are fewer than train.batch_size "
                        f"({cfg.batch_size}); verl would drop the incomplete batch and train "
                        "on nothing: lower train.batch_size")
    return Prepared(out_dir, result.files, rows, result.report, argv, warnings)


def train(prepared: Prepared, echo: Callable[[str], None]) -> launch.Trained:
    """Launch verl on ``prepared``; its output goes to ``echo``.

    :raises SdgError: there is nothing to train on, or verl failed (exit code and log named).
    """
    if not prepared.rows["train"]:
        raise SdgError("sdg train: no training rows, nothing to train on",
                       hint=f"see {prepared.out_dir / 'export.json'} for what was left out")
    trained = launch.launch(prepared.argv, prepared.out_dir, echo)
    if trained.exit_code:
        cause = launch.diagnose(trained.log)
        raise SdgError(f"verl exited with code {trained.exit_code}",
                       hint=f"{cause}; its output is in {trained.log}" if cause
                       else f"its output is in {trained.log}")
    where = trained.checkpoint or "none saved (set trainer.save_freq in train.overrides)"
    echo(f"trained: {trained.steps or 0} step(s) in {trained.seconds:.0f}s; "
         f"checkpoint: {where}")
    if trained.model:
        echo(f"trained model (Hugging Face format): {trained.model}")
    return trained
