"""A finished (or running) run, read back: its config and endpoints for commands that work on
a run directory after ``sdg run`` (``sdg train``, ``sdg eval``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdgcore.config.loader import load_config, structure_section
from sdgcore.config.schema import RunConfig
from sdgcore.errors import ConfigError, InputError
from sdgcore.models.config import BackendChoice
from sdgcore.models.roles import Models

if TYPE_CHECKING:
    from sdgcore.plugins import Registry

CACHE_FILE = "requests.sqlite"
"""The run's request cache, inside the run directory."""


def _registry(registry: Registry | None) -> Registry:
    """``registry``; else, inside an ``sdg`` command, the invocation's plugins (``-p`` and
    blocked plugins counted); else the installed plugins."""
    if registry is not None:
        return registry
    import click

    from sdgcore.plugins import SdgPluginManager, create_plugin_manager

    ctx = click.get_current_context(silent=True)
    manager = ctx.find_root().obj if ctx is not None else None
    if isinstance(manager, SdgPluginManager):
        return manager.registry
    return create_plugin_manager().registry


def load_run(run_dir: Path, *, registry: Registry | None = None) -> RunConfig:
    """The config a run was made with (``RUN_DIR/config.yaml``, resolved by ``sdg run``),
    structured with the installed plugins.

    Environment variables the config names (API keys) may be unset: they are needed only by
    an endpoint that is used.

    :param registry: the components to structure it with; default: those of the ``sdg``
        invocation this is called in, else the installed plugins.
    :raises InputError: ``run_dir`` holds no run.
    :raises ConfigError: the saved config no longer fits the installed plugins.
    """
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise InputError(f"{run_dir} is not an sdg run directory (no config.yaml)",
                         hint="run `sdg run CONFIG` first")
    return load_config(path, _registry(registry), on_missing_env=lambda where, msg: None)


def endpoint_choices(config: RunConfig, specs: Mapping[str, str | Mapping[str, Any]], *,
                     registry: Registry | None = None) -> dict[str, BackendChoice]:
    """The endpoint config of each name in ``specs`` (see :func:`run_endpoints`), checked
    without reaching any model.

    :raises ConfigError: a role the run does not have, or a wrong endpoint config (each
        problem named by ``<name>.<key path>``).
    """
    choices: dict[str, BackendChoice] = {}
    problems: list[tuple[str, str]] = []
    for name, spec in specs.items():
        if isinstance(spec, str):
            if spec in config.models:
                choices[name] = config.models[spec]
            else:
                known = ", ".join(sorted(config.models))
                problems.append((name, f"{spec!r} is not a role of the run (roles: {known}); "
                                       "give a role or an endpoint mapping"))
            continue
        try:
            choices[name] = structure_section(dict(spec), BackendChoice, _registry(registry),
                                              path=name)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems, source="the endpoints given")
    return choices


def run_endpoints(config: RunConfig, run_dir: Path,
                  specs: Mapping[str, str | Mapping[str, Any]], *,
                  registry: Registry | None = None) -> Models:
    """Endpoints by name for work on a run, sharing the run's request cache and seed.

    :param specs: name -> a role of the run's ``models:`` (``"student"``), or an endpoint
        config as under ``models.<role>`` (``{backend: openai, model: ..., base_url: ...}``).
    :raises ConfigError: as :func:`endpoint_choices`.
    """
    choices = endpoint_choices(config, specs, registry=registry)
    return Models(choices, Path(run_dir) / CACHE_FILE, seed=config.run.seed)


__all__ = ["CACHE_FILE", "endpoint_choices", "load_run", "run_endpoints"]
