"""``sdg train RUN_DIR_OR_CONFIG [--dry-run]``: export a run for verl and launch training.

The ``train:`` section comes from the config file when one is given (its ``run.dir`` names
the run directory), else from the run directory's resolved ``config.yaml``. The parquet
files, ``export.json`` and ``train.sh`` are written under ``RUN_DIR/<train.output>/``.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import cattrs
import click
import yaml

from sdg_verl.plugin import VerlConfig
from sdgcore import ConfigError, InputError


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a config (expected a mapping)")
    return data


def locate(target: Path) -> tuple[Path, dict[str, Any], dict[str, Any] | None, str]:
    """``(run_dir, resolved, train_section, where_from)`` for a run directory or a config."""
    if target.is_dir():
        run_dir, section_from = target, None
    else:
        section_from = _read_yaml(target)
        run_dir = Path((section_from.get("run") or {}).get("dir") or "runs/sdg")
    resolved_path = run_dir / "config.yaml"
    if not resolved_path.is_file():
        raise InputError(f"{run_dir} is not an sdg run directory (no config.yaml)",
                         hint="run `sdg run CONFIG` first, then `sdg train` on its run dir")
    resolved = _read_yaml(resolved_path)
    if section_from is not None and section_from.get("train") is not None:
        return run_dir, resolved, section_from["train"], str(target)
    return run_dir, resolved, resolved.get("train"), str(resolved_path)


_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook(Path, lambda value, _type: Path(value))


def structure(section: dict[str, Any] | None, source: str) -> VerlConfig:
    """The ``train:`` section as a :class:`VerlConfig`, with the model to train set."""
    if not section:
        raise ConfigError([("train", "missing: sdg train needs a train: section")],
                          source=source, hint="add `train: {type: verl, mode: sft, "
                                              "model: MODEL}` to the config")
    if section.get("type") != "verl":
        raise ConfigError([("train.type", f"expected 'verl', got {section.get('type')!r}")],
                          source=source)
    try:
        cfg = _converter.structure({k: v for k, v in section.items() if k != "type"},
                                   VerlConfig)
    except Exception as exc:  # cattrs groups every problem; name them in one line
        detail = "; ".join(cattrs.transform_error(exc)) if isinstance(
            exc, cattrs.BaseValidationError) else str(exc)
        raise ConfigError([("train", detail)], source=source,
                          hint="`sdg validate CONFIG` names each wrong key") from None
    if not cfg.model:
        raise ConfigError([("train.model", "not set: the model to train (a Hugging Face id "
                                           "or a local path)")], source=source)
    return cfg


@click.command()
@click.argument("target", metavar="RUN_DIR_OR_CONFIG",
                type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Export and check the data, print the command; start nothing.")
@click.pass_context
def train(ctx: click.Context, target: Path, dry_run: bool) -> None:
    """Export a run's samples for verl (SFT or GRPO) and launch training.

    Writes the parquet files, export.json and train.sh under RUN_DIR/verl/ (train.output).
    """
    from sdg_verl import export as exporting
    from sdg_verl import launch
    from sdg_verl.schemas import check_file

    run_dir, resolved, section, source = locate(target)
    run_dir = run_dir.resolve()  # train.sh may be run from anywhere
    cfg = structure(section, source)
    facts = exporting.RunFacts.from_resolved(resolved)
    out_dir = run_dir / cfg.output
    result = exporting.export(run_dir, cfg, facts, out_dir)
    rows = {name: check_file(path, cfg.mode) for name, path in result.files.items()}
    argv = launch.command(cfg, result.files, run_dir)
    launch.write_script(out_dir / "train.sh", argv)

    left = ", ".join(f"{n} {why}" for why, n in result.report["left_out"].items()) or "none"
    click.echo(f"{cfg.mode} data: {rows['train']} train rows, {rows['val']} validation rows "
               f"in {out_dir} (left out: {left})")
    if not rows["train"]:
        click.echo("warning: no training rows; see export.json for what was left out", err=True)
    elif rows["train"] < cfg.batch_size:
        click.echo(f"warning: {rows['train']} training rows are fewer than train.batch_size "
                   f"({cfg.batch_size}); verl would drop the incomplete batch and train on "
                   "nothing: lower train.batch_size", err=True)
    if cfg.dynamic_sampling and cfg.mode == "grpo" and not cfg.entrypoint:
        click.echo("warning: train.dynamic_sampling: verl.trainer.main_ppo does not read "
                   "algorithm.filter_groups; set train.entrypoint to a recipe that does "
                   "(recipe.dapo.main_dapo)", err=True)
    click.echo(shlex.join(argv))
    click.echo(f"written to {out_dir / 'train.sh'}")
    if dry_run:
        click.echo("dry run: the data files load and have the expected columns; "
                   "nothing was started")
        return
    code = launch.launch(argv)
    if code:
        ctx.exit(code)
