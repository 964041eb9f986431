"""``sdg train RUN_DIR_OR_CONFIG [--dry-run]``: export a run for verl and launch training.

The ``train:`` section comes from the config file when one is given (its ``run.dir`` names
the run directory), else from the run directory's resolved ``config.yaml``. The parquet
files, ``export.json`` and ``train.sh`` are written under ``RUN_DIR/<train.output>/``.
"""

from __future__ import annotations

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


def structure(section: dict[str, Any] | None, source: str, *,
              need_model: bool = True) -> VerlConfig:
    """The ``train:`` section as a :class:`VerlConfig`, with the model to train set (unless
    not ``need_model``)."""
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
    if need_model and not cfg.model:
        raise ConfigError([("train.model", "not set: the model to train (a Hugging Face id "
                                           "or a local path)")], source=source)
    return cfg


@click.command()
@click.argument("target", metavar="RUN_DIR_OR_CONFIG",
                type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Export and check the data, print the command; start nothing.")
def train(target: Path, dry_run: bool) -> None:
    """Export a run's samples for verl (SFT or GRPO) and launch training.

    Writes the parquet files, export.json and train.sh under RUN_DIR/verl/ (train.output);
    a launch streams verl's output (also to train.log) and records the newest checkpoint in
    train.json.
    """
    from sdg_verl import handoff

    run_dir, resolved, section, source = locate(target)
    cfg = structure(section, source)
    prepared = handoff.prepare(run_dir, cfg, resolved)
    for warning in prepared.warnings:
        click.echo(f"warning: {warning}", err=True)
    for line in prepared.summary(cfg.mode):
        click.echo(line)
    if dry_run:
        click.echo("dry run: the data files load and have the expected columns; "
                   "nothing was started")
        return
    handoff.train(prepared, click.echo)


def parse_models(given: tuple[str, ...]) -> dict[str, str | dict[str, Any]]:
    """``--model`` values by name: ``ROLE`` (named after the role), ``NAME=ROLE`` or
    ``NAME={endpoint mapping}`` (YAML)."""
    named: dict[str, str | dict[str, Any]] = {}
    problems = []
    for item in given or ("student",):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep:
            name, value = item.strip(), item.strip()
        spec: Any = value
        if value.startswith("{"):
            try:
                spec = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                problems.append((f"--model {name}", f"not a YAML mapping ({exc})"))
                continue
        if not name or not spec or not isinstance(spec, (str, dict)):
            problems.append((f"--model {item}", "expected ROLE, NAME=ROLE or NAME={backend: "
                                                "..., model: ...}"))
        elif name in named:
            problems.append((f"--model {name}", "given twice"))
        else:
            named[name] = spec
    if problems:
        raise ConfigError(problems, source="the command line")
    return named


@click.command("eval")
@click.argument("target", metavar="RUN_DIR_OR_CONFIG",
                type=click.Path(exists=True, path_type=Path))
@click.option("--model", "-m", "models", multiple=True, metavar="NAME=ENDPOINT",
              help="A model to score: a role of the run (student), NAME=ROLE, or "
                   "NAME='{backend: openai, model: M, base_url: URL}' (repeatable; "
                   "default: the run's student).")
@click.option("-n", "n", type=click.IntRange(min=1), default=None,
              help="Attempts per question (default: the run's solve.n).")
@click.option("--temperature", type=float, default=None,
              help="Sampling temperature (default: the run's solve.temperature).")
@click.option("--split", "split_name", type=click.Choice(["val", "train", "all"]),
              default="val", show_default=True,
              help="Which samples: the held-out split of the train: section, the training "
                   "split, or both.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Score only the first N questions of the split.")
def eval_command(target: Path, models: tuple[str, ...], n: int | None,
                 temperature: float | None, split_name: str, limit: int | None) -> None:
    """Pass rates of models on a run's held-out samples, side by side.

    Each model answers every question of the split (the validation split `sdg train`
    exports) N times with the prompt training uses; the run's comparator scores the answers.
    Requests go through the run's cache: an eval run twice pays once. Writes
    RUN_DIR/verl/eval.json (train.output).
    """
    import asyncio

    from sdg_verl import evaluate, handoff
    from sdg_verl import export as exporting
    from sdgcore import RunContext, SdgError, endpoint_choices, load_run, run_endpoints

    run_dir, resolved, section, source = locate(target)
    cfg = (structure(section, source, need_model=False) if section
           else VerlConfig(mode="grpo"))
    named = parse_models(models)
    config = load_run(run_dir)
    clash = [name for name, spec in named.items() if name in config.models and spec != name]
    if clash:
        raise ConfigError([(f"--model {name}", "a role of the run has this name; pick "
                                               "another name") for name in clash],
                          source="the command line")
    specs = {**{role: role for role in config.models}, **named}
    endpoint_choices(config, specs)  # a wrong --model fails before anything is read
    parts = exporting.choose(handoff.datasets_of(run_dir), cfg, config.run.seed).parts
    samples = parts["train"] + parts["val"] if split_name == "all" else parts[split_name]
    samples = samples[:limit] if limit else samples
    if not samples:
        raise SdgError(f"no samples in the {split_name} split of {run_dir} "
                       f"(categories {', '.join(cfg.chosen_categories())})",
                       hint="run `sdg train RUN_DIR --dry-run` to see what the export "
                            "takes and leaves out")
    n = n or config.solve.n
    temperature = config.solve.temperature if temperature is None else temperature
    endpoints = run_endpoints(config, run_dir, specs)
    ctx = RunContext(run_dir=run_dir, config=config, models=endpoints)
    comparator = config.solve.comparator.create()  # type: ignore[union-attr]
    click.echo(f"scoring {', '.join(named)} on {len(samples)} {split_name} question(s) of "
               f"{run_dir}, {n} attempt(s) each at temperature {temperature}")

    async def score() -> list[evaluate.Score]:
        try:
            return await evaluate.evaluate(
                ctx, endpoints, {name: name for name in named}, comparator, samples,
                n=n, temperature=temperature, system_prompt=cfg.system_prompt,
                concurrency=config.run.concurrency)
        finally:
            await endpoints.aclose()

    scores = asyncio.run(score())
    rows = evaluate.table(scores)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    out = run_dir / cfg.output / "eval.json"
    evaluate.write_report(out, scores, {
        "split": split_name, "questions": len(samples), "n": n, "temperature": temperature,
        "comparator": config.solve.comparator.name,  # type: ignore[union-attr]
        "categories": cfg.chosen_categories(), "system_prompt": cfg.system_prompt})
    click.echo(f"written to {out}")
    for s in scores:
        if s.failed():
            reasons = "; ".join(sorted({a.error for a in s.answered if a.error}))[:300]
            click.echo(f"warning: {s.name}: {s.failed()} question(s) got no answer ({reasons})",
                       err=True)
    if any(s.failed() == len(s.answered) for s in scores):
        raise SdgError("a model answered no question; see the warnings above")
