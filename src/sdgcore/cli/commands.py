"""The built-in commands: run, validate, plugins, init."""

from __future__ import annotations

import asyncio
import contextlib
import json
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import click
import yaml
from rich.table import Table

from sdgcore.cli.app import cli, manager_from
from sdgcore.cli.output import models_table, stdout, warn
from sdgcore.config.loader import dump_config, fingerprint, load_config
from sdgcore.errors import Interrupted, SdgError

if TYPE_CHECKING:
    from sdgcore.base import Trainer
    from sdgcore.config.schema import RunConfig

config_arg = click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
set_opt = click.option(
    "--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
    help="Override a config value, e.g. --set target.learnable=50 (repeatable).",
)


@cli.command()
@config_arg
@set_opt
@click.option("--fresh", is_flag=True, help="Discard an existing run directory and start anew.")
@click.option("--train", "then_train", is_flag=True,
              help="Then hand the datasets to the config's trainer (train:) and train.")
@click.pass_context
def run(ctx: click.Context, config: Path, overrides: tuple[str, ...], fresh: bool,
        then_train: bool) -> None:
    """Run the pipeline described by CONFIG.

    An existing run directory of the same config is resumed; one of another config is refused
    unless --fresh is given. With --train, the trainer of the config's train: section exports
    the datasets and trains when the run ends.
    """
    from sdgcore import pipeline
    from sdgcore.cli.progress import LiveProgress
    from sdgcore.models import Models
    from sdgcore.store import RunDir

    manager = manager_from(ctx)
    cfg = load_config(config, manager.registry, overrides=overrides)
    pipeline.check_built(cfg)
    trainer = trainer_for(cfg) if then_train else None
    if cfg.train is not None and trainer is None:
        warn(train_not_run(cfg))
    resolved = dump_config(cfg, manager.registry)
    versions = {p.distribution: p.version for p in manager.plugins if p.state == "loaded"}
    rundir = RunDir.open(cfg.run.dir, resolved=resolved, fingerprint=fingerprint(resolved),
                         versions=versions, fresh=fresh)
    models = Models(cfg.models, rundir.path / pipeline.CACHE_FILE, seed=cfg.run.seed,
                    cost_limit=cfg.budget.cost)
    out = stdout()
    if rundir.resumed:
        out.print(f"resuming the run in {rundir.path}")
    live = LiveProgress(out, models.stats) if out.is_terminal else None
    with live or contextlib.nullcontext(), finish_warnings():
        try:
            result = asyncio.run(pipeline.run(cfg, rundir.path, models, live,
                                               hooks=manager.pm.hook, plugins=manager))
        except KeyboardInterrupt:
            raise Interrupted("interrupted", hint=f"run `sdg run {config}` again to resume; "
                                               "nothing paid for is lost") from None
    print_summary(out, result)
    if trainer is not None:
        train(trainer, cfg, rundir.path)


@contextlib.contextmanager
def finish_warnings() -> Iterator[None]:
    """A plugin's failed ``sdg_run_finished`` hook as one ``warning:`` line; any other
    warning as Python shows it."""
    from sdgcore.pipeline import RunFinishedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RunFinishedWarning)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, RunFinishedWarning):
                    warn(str(w.message))
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def trainer_for(cfg: RunConfig) -> Trainer:
    """The config's trainer, checked before the run starts (``sdg run --train``).

    :raises ConfigError: there is no ``train:`` section, or the trainer refuses its config.
    :raises NotBuiltError: the trainer is not built yet.
    """
    from sdgcore.errors import ConfigError

    if cfg.train is None:
        raise ConfigError([("train", "missing: --train needs a train: section (type: verl, "
                                     "...)")], hint="docs/training.md")
    cfg.train.component.ensure_built(f"train.{cfg.train.key}", cfg.train.origin)
    trainer = cfg.train.create()
    trainer.check()
    return trainer


def train(trainer: Trainer, cfg: RunConfig, run_dir: Path) -> None:
    """Hand the run's category files to ``trainer``, then train."""
    from sdgcore.context import RunContext
    from sdgcore.models import Models
    from sdgcore.records import Category

    ctx = RunContext(run_dir=run_dir, config=cfg, models=Models({}))
    datasets = {name: run_dir / f"{name}.jsonl" for name in get_args(Category)}
    trainer.train(ctx, trainer.export(ctx, datasets))


def train_not_run(cfg: RunConfig) -> str:
    """The warning for a config with a ``train:`` section: no trainer is run yet."""
    return (f"train: the trainer {cfg.train.name!r} is not run by `sdg run`; run `sdg train "
            f"{cfg.run.dir}` to export its data for {cfg.train.name} and launch it, or "
            "`sdg run --train`")


def print_summary(out, result) -> None:
    """The run's summary: categories, pass rates, time, model accounts, where the files are."""
    table = Table(title=f"sdg run: {result.run_dir}")
    table.add_column("category")
    table.add_column("samples", justify="right")
    table.add_column("file")
    for name, count in result.counts.items():
        table.add_row(name, str(count), str(result.run_dir / f"{name}.jsonl"))
    out.print(table)
    hist = Table(title="pass rate")
    for label in result.histogram:
        hist.add_column(label, justify="right")
    hist.add_row(*(str(v) for v in result.histogram.values()))
    out.print(hist)
    out.print("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items()))
    used = {name: st for name, st in result.models.items() if st["requests"] or st["cache_hits"]}
    if used:
        out.print(models_table(used))
    out.print(f"{result.generated} sample(s) generated, {result.rounds} checkpoint(s); "
              f"stopped because {result.stopped}")


@cli.command()
@config_arg
@set_opt
@click.option("--show", is_flag=True, help="Print the resolved config (secrets masked).")
@click.pass_context
def validate(ctx: click.Context, config: Path, overrides: tuple[str, ...], show: bool) -> None:
    """Check CONFIG without running anything; exit 2 naming each wrong key."""
    manager = manager_from(ctx)
    cfg = load_config(config, manager.registry, overrides=overrides,
                      on_missing_env=lambda path, msg: warn(f"{path}: {msg}; `sdg run` needs it"))
    out = stdout()
    table = Table(title=f"{config}: valid")
    for col in ("section", "choice", "from", "status"):
        table.add_column(col)
    for path, sel in cfg.selections():
        status = "ready" if sel.component.status == "ready" else "not built yet"
        if path == "train":
            status = "not run by `sdg run` yet"
        table.add_row(path, sel.name, sel.origin, status)
    out.print(table)
    for path, sel in cfg.selections():
        if path != "train" and sel.component.status != "ready":
            warn(f"{path}: {sel.kind} {sel.name!r} is not built yet; `sdg run` cannot use it")
    if cfg.train is not None:
        warn(train_not_run(cfg))
    if show:
        out.print(yaml.safe_dump(dump_config(cfg, manager.registry), sort_keys=False), end="")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List installed plugins and the components they register."""
    manager = manager_from(ctx)
    entries = manager.registry.entries()
    if as_json:
        data = {
            "plugins": [
                {"name": p.name, "distribution": p.distribution, "version": p.version,
                 "state": p.state, "error": p.error}
                for p in manager.plugins
            ],
            "components": [
                {"name": e.name, "kind": e.kind, "distribution": e.origin,
                 "version": e.version, "status": e.cls.status}
                for e in entries
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    out = stdout()
    table = Table(title="components")
    for col in ("name", "kind", "distribution", "version", "status", "summary"):
        table.add_column(col)
    for e in entries:
        status = "ready" if e.cls.status == "ready" else "[yellow]not built yet[/]"
        table.add_row(e.name, e.kind, e.origin, e.version or "-", status, e.cls.describe())
    out.print(table)
    table = Table(title="plugin packages")
    for col in ("plugin", "distribution", "version", "state"):
        table.add_column(col)
    for p in manager.plugins:
        state = p.state if p.state != "failed" else f"[red]failed[/]: {p.error}"
        table.add_row(p.name, p.distribution, p.version or "-", state)
    out.print(table)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="sdg.yaml")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter config to PATH (default: sdg.yaml)."""
    if path.exists() and not force:
        raise SdgError(f"{path} exists", hint="use --force to overwrite it, or name another path")
    text = resources.files("sdgcore.cli").joinpath("starter.yaml").read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    stdout().print(f"wrote {path}; check it with: sdg validate {path}")


@cli.command()
@click.argument("run_dirs", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False, exists=True))
def prior(run_dirs: tuple[Path, ...]) -> None:
    """Print a solve.prior fitted from earlier runs' datasets (for solve.risk)."""
    from sdgcore.pipeline.fit_prior import prior_config

    click.echo(prior_config(run_dirs), nl=False)


@cli.group("plugin")
def plugin_group() -> None:
    """Write new plugins."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--kind", "-k", required=True,
              type=click.Choice(["task", "rewriter", "voter", "retriever", "trainer"]),
              help="What the plugin registers.")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Where the package folder goes.")
def plugin_new(name: str, kind: str, parent: Path) -> None:
    """Scaffold an installable plugin package sdg-NAME: pyproject with the entry point, the
    implementation with its config class, and tests that pass as generated."""
    from sdgcore.scaffold import new_plugin

    folder = new_plugin(name, kind, parent)
    out = stdout()
    out.print(f"wrote {folder}")
    out.print(f"next: pip install -e '{folder}[test]' && pytest {folder}")
