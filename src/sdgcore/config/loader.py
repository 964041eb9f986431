"""Reading a config: YAML, ``--set`` overrides, ``${VAR}`` interpolation, then structuring.

Every problem is gathered and raised at once as a :class:`~sdgcore.errors.ConfigError`,
each with its key path, before any work starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import cattrs
import yaml

from sdgcore.config.converter import converter_for
from sdgcore.config.problems import Problem, collect_problems, join
from sdgcore.config.schema import DEFAULTS, RunConfig
from sdgcore.config.values import Interpolated
from sdgcore.errors import ConfigError
from sdgcore.kinds import KINDS, by_section
from sdgcore.models.config import ROLES, default_endpoint
from sdgcore.plugins.components import Registry

T = TypeVar("T")

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


MAX_CONFIG_BYTES = 8 * 2**20
"""A config file larger than this is refused before it is parsed (YAML parsing is slow)."""


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in a YAML file, or a :class:`ConfigError` saying why there is none."""
    source = str(path)
    try:
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_CONFIG_BYTES:
            raise ConfigError([("", f"{path} is {size / 2**20:.1f} MiB; a config is at most "
                                    f"{MAX_CONFIG_BYTES // 2**20} MiB (keep large data in "
                                    "files the config names)")], source=source)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([("", f"file not found: {path}")], source=source) from None
    except IsADirectoryError:
        raise ConfigError([("", f"{path} is a directory, not a config file")],
                          source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([("", f"cannot read {path}: {exc}")], source=source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([("", f"not valid YAML: {where}{problem}")], source=source) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("", "the file must hold a mapping of sections (task:, models:, ...)")],
                          source=source)
    return unshared(data, source)


MAX_CONFIG_VALUES = 1_000_000
"""A config whose YAML aliases expand to more values than this is refused (an alias bomb)."""


def unshared(data: Any, source: str | None = None) -> Any:
    """``data`` with every mapping and list copied, so that no two key paths share one.

    YAML aliases (``student: *embedded``) load as one object reachable from several paths;
    an override or a default filled in on one path must not change the others.

    :raises ConfigError: the aliases expand to more than :data:`MAX_CONFIG_VALUES` values.
    """
    count = 0

    def copy(node: Any) -> Any:
        nonlocal count
        count += 1
        if count > MAX_CONFIG_VALUES:
            raise ConfigError([("", f"the YAML aliases expand to more than "
                                    f"{MAX_CONFIG_VALUES:,} values")], source=source)
        if isinstance(node, dict):
            return {k: copy(v) for k, v in node.items()}
        if isinstance(node, list):
            return [copy(v) for v in node]
        return node

    return copy(data)


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> list[Problem]:
    """Apply ``a.b.c=value`` overrides to ``data``; ``value`` is read as YAML (``3`` is a
    number). Each override changes its own key path only: the mappings along the path are
    copied before they are changed, so a mapping that other paths share stays as it was.

    :return: problems with malformed overrides.
    """
    problems: list[Problem] = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            problems.append(("", f"--set {item!r}: expected KEY.PATH=VALUE"))
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part, {})
            if not isinstance(nxt, dict):
                problems.append((".".join(parts[: i + 1]), f"--set {key}: is not a mapping"))
                break
            node[part] = nxt = dict(nxt)
            node = nxt
        else:
            node[parts[-1]] = value
    return problems


def interpolate(data: Any, env: Mapping[str, str], path: str = "") -> tuple[Any, list[Problem]]:
    """Replace ``${VAR}`` (or ``${VAR:-default}``) in every string; ``$$`` is a literal ``$``.

    A variable that is not set (and has no default) is left as written and reported.

    :return: the new data and problems for variables that are not set.
    """
    problems: list[Problem] = []
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            out[k], found = interpolate(v, env, join(path, k))
            problems += found
        return out, problems
    if isinstance(data, list):
        items = []
        for i, v in enumerate(data):
            item, found = interpolate(v, env, join(path, i))
            items.append(item)
            problems += found
        return items, problems
    if not isinstance(data, str) or "$" not in data:
        return data, problems

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append((path, f"environment variable {name} is not set"))
        return match.group(0)

    value = _VAR.sub(substitute, data)
    return (Interpolated(value, data) if value != data else value), problems


def structure(data: dict[str, Any], registry: Registry, *, source: str | None = None) -> RunConfig:
    """Structure plain config data into a :class:`RunConfig`, filling defaults.

    Plugin sections left out get their default choice (:data:`sdgcore.kinds.KINDS`) where it
    is installed (the comparator: the task's own choice, else ``exact``); every role in
    :data:`~sdgcore.models.config.ROLES` without an endpoint gets the embedded default.
    """
    data = dict(data)
    for section, default in DEFAULTS.items():
        kind = by_section(section)
        if section not in data and registry.get(kind.name, default[kind.key]) is not None:
            data[section] = dict(default)
    solve = data.get("solve", {})
    if isinstance(solve, dict) and "comparator" not in solve:
        comparator = _default_comparator(data.get("task"), registry)
        if comparator is not None:
            data["solve"] = {**solve, "comparator": {KINDS["comparator"].key: comparator}}
    models = data.get("models")
    if models is None or isinstance(models, dict):
        data["models"] = {**{r: default_endpoint() for r in ROLES}, **(models or {})}
    try:
        return converter_for(registry).structure(data, RunConfig)
    except cattrs.BaseValidationError as exc:
        raise ConfigError(collect_problems(exc), source=source,
                          hint="`sdg validate CONFIG` checks a config; docs/config.md lists keys") \
            from None


def structure_section(data: dict[str, Any], cls: type[T], registry: Registry, *,
                      path: str, env: Mapping[str, str] | None = None) -> T:
    """One config section on its own (an endpoint given on the command line), interpolated
    and structured as :func:`load_config` would; problems are named from ``path``.

    :raises ConfigError: with every problem found.
    """
    data, problems = interpolate(data, os.environ if env is None else env, path)
    if not problems:
        try:
            return converter_for(registry).structure(data, cls)
        except cattrs.BaseValidationError as exc:
            problems = collect_problems(exc, path)
        except (ValueError, TypeError) as exc:
            problems = [(path, str(exc))]
    raise ConfigError(problems)


def load_config(
    path: Path | str,
    registry: Registry,
    *,
    overrides: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    on_missing_env: Callable[[str, str], None] | None = None,
) -> RunConfig:
    """Read, override, interpolate and structure the config at ``path``.

    :param on_missing_env: called with ``(key path, message)`` for each variable that is not
        set, instead of counting it as a problem (``sdg validate`` warns; ``sdg run`` fails).
    :raises ConfigError: with every problem found, each naming its key path.
    """
    path = Path(path)
    data = read_yaml(path)
    problems = apply_overrides(data, overrides)
    data, missing = interpolate(data, os.environ if env is None else env)
    if on_missing_env is None:
        problems += missing
    else:
        for where, msg in missing:
            on_missing_env(where, msg)
    if problems:
        raise ConfigError(problems, source=str(path))
    return structure(data, registry, source=str(path))


def dump_config(config: RunConfig, registry: Registry) -> dict[str, Any]:
    """The resolved config as plain data, secrets replaced by their ``${VAR}`` reference."""
    return converter_for(registry).unstructure(config)


def fingerprint(resolved: Mapping[str, Any]) -> str:
    """A hash of a resolved config, to tell a resume under the same config from another.

    ``budget`` and ``target.learnable`` say when a run stops, and ``executor`` where it
    runs, not what it makes: they are left out, so a run stopped by its budget resumes under
    a larger one, and a run started here may go on on a Ray cluster."""
    kept = {k: v for k, v in resolved.items() if k not in ("budget", "executor")}
    if isinstance(kept.get("target"), Mapping):
        kept["target"] = {k: v for k, v in kept["target"].items() if k != "learnable"}
    blob = json.dumps(kept, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _default_comparator(task: Any, registry: Registry) -> str | None:
    name = task.get(KINDS["task"].key) if isinstance(task, dict) else None
    entry = registry.get("task", name) if isinstance(name, str) else None
    for choice in (entry.cls.comparator if entry else None, KINDS["comparator"].default):
        if choice and registry.get("comparator", choice) is not None:
            return choice
    return None

