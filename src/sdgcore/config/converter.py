"""The one cattrs converter that turns plain config data into attrs config classes.

Built by :func:`make_converter` after the plugins have loaded, because its dispatch hook must
see every registered component; :func:`converter_for` keeps one per registry. What it adds
to cattrs' defaults:

* scalars are strict: ``"abc"`` is no integer, ``"no"`` is no ``True``, a list is no string;
  a numeric string is accepted for a number, since ``${VAR}`` interpolation yields strings;
* sequences and mappings must be YAML lists and mappings, never a string split into letters;
* ``Literal`` fields name their allowed values;
* :class:`~sdgcore.config.values.Secret` fields keep their ``${VAR}`` reference;
* :class:`~sdgcore.config.values.Selected` sections dispatch on their ``type:`` key (``backend:``
  for models) to the chosen component's ``Config`` class, and unknown keys name the valid ones.

Errors are raised as cattrs' exception groups; :func:`sdgcore.config.problems.collect_problems`
turns them into ``(key path, message)`` pairs.
"""

from __future__ import annotations

import re
import typing
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.cols import is_mapping, is_sequence, list_structure_factory, mapping_structure_factory

from sdgcore.config.problems import ConfigProblem, closest, collect_problems, describe_value
from sdgcore.config.values import Secret, Selected
from sdgcore.plugins.catalog import provider_hint
from sdgcore.plugins.components import Registry

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


_CONVERTERS: weakref.WeakKeyDictionary[Registry, cattrs.Converter] = weakref.WeakKeyDictionary()


def converter_for(registry: Registry) -> cattrs.Converter:
    """The converter of ``registry``, made on first use and kept as long as the registry."""
    conv = _CONVERTERS.get(registry)
    if conv is None:
        conv = _CONVERTERS[registry] = make_converter(registry)
    return conv


def make_converter(registry: Registry) -> cattrs.Converter:
    """A converter for configs, dispatching ``type:`` keys through ``registry``."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(Path, _structure_path)
    conv.register_unstructure_hook(Path, str)
    conv.register_structure_hook(Secret, _structure_secret)
    conv.register_unstructure_hook(Secret, Secret.reference)
    conv.register_structure_hook_func(_is_literal, _structure_literal)
    conv.register_structure_hook_factory(
        lambda t: is_sequence(t) and t not in (str, bytes), _strict_sequence(conv)
    )
    conv.register_structure_hook_factory(is_mapping, _strict_mapping(conv))
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, Selected), _selected_hooks(conv, registry)
    )
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, Selected), _unstructure_selected(conv)
    )
    return conv


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigProblem(f"expected a string, got {describe_value(value)}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value)
    raise ConfigProblem(f"expected an integer, got {describe_value(value)}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    raise ConfigProblem(f"expected a number, got {describe_value(value)}")


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigProblem(f"expected true or false, got {describe_value(value)}")


def _structure_path(value: Any, _: type) -> Path:
    if isinstance(value, str) and value:
        return Path(value).expanduser()
    raise ConfigProblem(f"expected a path, got {describe_value(value)}")


def _structure_secret(value: Any, _: type) -> Secret:
    if not isinstance(value, str):
        raise ConfigProblem(f"expected a string, got {describe_value(value)}")
    return Secret(str(value), getattr(value, "template", None))


def _is_literal(t: Any) -> bool:
    return typing.get_origin(t) is typing.Literal


def _structure_literal(value: Any, t: Any) -> Any:
    choices = typing.get_args(t)
    if value in choices and type(value) is type(choices[choices.index(value)]):
        return value
    listed = ", ".join(repr(c) for c in choices)
    raise ConfigProblem(f"expected one of {listed}, got {describe_value(value)}")


def _strict_sequence(conv: cattrs.Converter):
    def factory(t: Any) -> Any:
        inner = list_structure_factory(t, conv)
        origin = typing.get_origin(t) or t

        def hook(value: Any, _: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                raise ConfigProblem(f"expected a list, got {describe_value(value)}")
            items = inner(value, t)
            return tuple(items) if origin in (tuple, Sequence) else items

        return hook

    return factory


def _strict_mapping(conv: cattrs.Converter):
    def factory(t: Any) -> Any:
        inner = mapping_structure_factory(t, conv)

        def hook(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise ConfigProblem(f"expected a mapping, got {describe_value(value)}")
            return inner(value, t)

        return hook

    return factory


def _fields(cls: type | None) -> list[str]:
    return [f.name for f in attrs.fields(cls)] if cls is not None and attrs.has(cls) else []


def _selected_hooks(conv: cattrs.Converter, registry: Registry):
    def factory(t: type[Selected]) -> Any:
        def hook(value: Any, _: Any) -> Selected:
            if isinstance(value, str):
                value = {t.key: value}
            if not isinstance(value, Mapping):
                raise ConfigProblem(f"expected a mapping with a {t.key!r} key, got "
                                    f"{describe_value(value)}")
            names = registry.names(t.kind)
            choices = ", ".join(names) or "none installed"
            if t.key not in value:
                raise ConfigProblem(f"required key missing; choose from: {choices}", at=t.key)
            name = value[t.key]
            entry = registry.get(t.kind, name) if isinstance(name, str) else None
            if entry is None:
                msg = f"unknown {t.kind} {describe_value(name)}; choose from: {choices}"
                hint = provider_hint(t.kind, name) if isinstance(name, str) else None
                raise ConfigProblem(msg + (f" ({hint})" if hint else ""), at=t.key)
            plugin_cls = entry.cls.Config
            own, common = _fields(plugin_cls), _fields(t.Common)
            rest = {k: v for k, v in value.items() if k != t.key}
            problems = [
                (str(k), _unknown_key(k, [t.key, *own, *common], f"{t.kind} {name!r}"))
                for k in rest
                if k not in own and k not in common
            ]
            config = _try(conv, {k: v for k, v in rest.items() if k in own}, plugin_cls,
                          problems)
            shared = None
            if t.Common is not None:
                shared = _try(conv, {k: v for k, v in rest.items() if k in common}, t.Common,
                              problems)
            if problems:
                raise ConfigProblem.many(problems)
            return t(name=name, component=entry.cls, config=config, common=shared,
                     origin=entry.origin)

        return hook

    return factory


def _try(conv: cattrs.Converter, data: dict[str, Any], cls: type, problems: list) -> Any:
    try:
        return conv.structure(data, cls)
    except (cattrs.BaseValidationError, ConfigProblem) as exc:
        problems.extend(collect_problems(exc))
        return None


def _unknown_key(key: Any, valid: list[str], owner: str) -> str:
    guess = closest(str(key), valid)
    if guess:
        return f"unknown key for {owner}; did you mean {guess!r}?"
    return f"unknown key for {owner}; valid keys: {', '.join(valid)}"


def _unstructure_selected(conv: cattrs.Converter):
    def hook(sel: Selected) -> dict[str, Any]:
        out: dict[str, Any] = {sel.key: sel.name}
        if sel.common is not None:
            out.update(conv.unstructure(sel.common))
        out.update(conv.unstructure(sel.config))
        return out

    return hook
