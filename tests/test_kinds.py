"""One table of kinds: every place a kind shows up is derived from, or checked against,
:data:`sdgcore.kinds.KINDS`, so adding a kind is one edit to the table plus the code that
cannot be a table (base class, hookspec, choice class, config field), and a kind added in
one place only fails here, naming what is missing."""

import importlib
import inspect
import typing
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest

from sdgcore import base, hookspecs
from sdgcore.config import reference, schema
from sdgcore.config.loader import structure
from sdgcore.config.values import Selected
from sdgcore.kinds import KINDS, Kind, by_section
from sdgcore.plugins import catalog, create_plugin_manager, manager
from sdgcore.plugins.catalog import provider_hint
from sdgcore.plugins.components import Registry
from sdgcore.testing import components

SRC = Path(base.__file__).parent


def load(ref: str) -> type:
    """The class a ``"module:Class"`` reference of the table names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
NOT_KINDS = {"sdg_add_commands", "sdg_run_finished"}
"""Hookspecs that register no kind."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_plugin_manager(plugins=[components]).registry


def _subclasses(cls: type) -> list[type]:
    return [s for c in cls.__subclasses__() for s in (c, *_subclasses(c))]


def _walk(cls: type, prefix: str) -> list[tuple[str, type[Selected]]]:
    """(key path, choice class) of every plugin section below the attrs class ``cls``."""
    hints = typing.get_type_hints(cls)
    return [found for f in attrs.fields(cls)
            for found in _walk_type(hints[f.name], prefix + f.name)]


def _walk_type(tp: typing.Any, path: str) -> list[tuple[str, type[Selected]]]:
    if isinstance(tp, type) and issubclass(tp, Selected):
        return [(path, tp)]
    if isinstance(tp, type) and attrs.has(tp):
        return _walk(tp, path + ".")
    if typing.get_origin(tp) in (dict, Mapping):  # a mapping of sections: any key
        return _walk_type(typing.get_args(tp)[1], path + ".<role>")
    return [found for arg in typing.get_args(tp) for found in _walk_type(arg, path)]


def config_sections(registry: Registry) -> dict[str, type[Selected]]:
    """Every plugin section a config can have: in RunConfig, and in the Config of each
    installed component (``task.retriever`` lives in the local task's config)."""
    found = dict(_walk(schema.RunConfig, ""))
    for entry in registry.entries():
        for section in [p for p, c in found.items() if c.kind == entry.kind]:
            found.update(_walk(entry.cls.Config, section + "."))
    return found


def disagreements(table: Mapping[str, Kind], registry: Registry) -> list[str]:
    """Everything the code says about kinds that ``table`` does not, and the reverse."""
    out: list[str] = []
    bases = {c.__name__: c for c in vars(base).values() if isinstance(c, type)
             and issubclass(c, base.Component) and c is not base.Component
             and c.__module__ == base.__name__ and "kind" in c.__dict__}
    specs = {n: f for n, f in vars(hookspecs).items() if n.startswith("sdg_") and callable(f)}
    choices = [c for c in _subclasses(Selected)
               if c.__module__.startswith("sdgcore.") and "kind" in c.__dict__]
    sections = config_sections(registry)
    for name, kind in table.items():
        cls = bases.get(kind.base)
        if cls is None or cls.kind != name:
            out.append(f"{name}: no base class sdgcore.base.{kind.base} with kind = {name!r}")
        spec = specs.get(kind.hook)
        if spec is None:
            out.append(f"{name}: no hookspec sdgcore.hookspecs.{kind.hook}")
        else:
            register = inspect.signature(spec).parameters.get("register")
            if register is None or f"type[{kind.base}]" not in str(register.annotation):
                out.append(f"{name}: {kind.hook} takes no register(type[{kind.base}])")
            if f"``{kind.section}.{kind.key}``" not in (spec.__doc__ or ""):
                out.append(f"{name}: {kind.hook}'s docstring does not name "
                           f"``{kind.section}.{kind.key}``")
        try:
            choice = load(kind.choice)
        except (ImportError, AttributeError):
            out.append(f"{name}: no choice class {kind.choice}")
        else:
            if not (issubclass(choice, Selected) and choice.kind == name
                    and choice.key == kind.key):
                out.append(f"{name}: {kind.choice} is not a Selected of kind {name!r}")
        if name not in {c.kind for p, c in sections.items() if p == kind.section}:
            out.append(f"{name}: no config field at {kind.section} holds its choice class")
    for cls in bases.values():
        if cls.kind not in table:
            out.append(f"sdgcore.base.{cls.__name__}: kind {cls.kind!r} is not in KINDS")
    for hook in set(specs) - NOT_KINDS - {k.hook for k in table.values()}:
        out.append(f"sdgcore.hookspecs.{hook}: no kind in KINDS has this hook")
    for cls in choices:
        ref = f"{cls.__module__}:{cls.__qualname__}"
        if cls.kind not in table or table[cls.kind].choice != ref:
            out.append(f"{ref}: not the choice class of a kind in KINDS")
    for path, cls in sections.items():
        if cls.kind not in table or table[cls.kind].section != path:
            out.append(f"config field {path}: not the section of kind {cls.kind!r} in KINDS")
    return out


def test_the_code_agrees_with_the_table(registry):
    assert disagreements(KINDS, registry) == []


def test_a_kind_added_to_the_table_only_is_named_everywhere_it_is_missing(registry):
    ranker = Kind("ranker", "Ranker", "sdg_register_rankers", "rank",
                  "sdgcore.config.values:RankerChoice")
    assert disagreements({**KINDS, "ranker": ranker}, registry) == [
        "ranker: no base class sdgcore.base.Ranker with kind = 'ranker'",
        "ranker: no hookspec sdgcore.hookspecs.sdg_register_rankers",
        "ranker: no choice class sdgcore.config.values:RankerChoice",
        "ranker: no config field at rank holds its choice class",
    ]


def test_a_kind_missing_from_the_table_is_named_everywhere_it_is_written(registry):
    table = {name: kind for name, kind in KINDS.items() if name != "trainer"}
    assert sorted(disagreements(table, registry)) == [
        "config field train: not the section of kind 'trainer' in KINDS",
        "sdgcore.base.Trainer: kind 'trainer' is not in KINDS",
        "sdgcore.config.values:TrainerChoice: not the choice class of a kind in KINDS",
        "sdgcore.hookspecs.sdg_register_trainers: no kind in KINDS has this hook",
    ]


def test_every_other_table_is_derived_from_the_one():
    assert base.KINDS == {name: getattr(base, kind.base) for name, kind in KINDS.items()}
    assert list(base.KINDS) == list(KINDS)  # the registry's (and `sdg plugins`') order
    assert manager._REGISTER_HOOKS == {name: kind.hook for name, kind in KINDS.items()}
    assert schema.CHOICES == {name: load(kind.choice) for name, kind in KINDS.items()}
    assert reference.PLUGIN_SECTIONS == {name: kind.section for name, kind in KINDS.items()}
    assert schema.DEFAULTS == {"voter": {"type": "exact"}, "rewrite": {"type": "difficulty"}}
    assert catalog.FIRST_PARTY == {(kind.name, name): dist for kind in KINDS.values()
                                   for name, dist in kind.provides.items()}
    assert all(by_section(kind.section) is kind for kind in KINDS.values())
    assert set(Registry()._entries) == set(KINDS)


def test_no_other_module_spells_out_a_table_of_hook_names():
    hooks = [f'"{kind.hook}"' for kind in KINDS.values()]
    for path in SRC.rglob("*.py"):
        if path.name != "kinds.py":
            text = path.read_text()
            assert not [h for h in hooks if h in text], path


def test_every_left_out_section_gets_its_kinds_default(registry):
    config = structure({"task": {"type": "list", "questions": ["q"]}}, registry)
    for kind in (k for k in KINDS.values() if k.default is not None):
        chosen = [c for _, c in config.selections() if c.kind == kind.name]
        assert chosen and all(c.name == kind.default for c in chosen), kind.name


def test_the_first_party_hints_match_what_the_first_party_packages_register(registry):
    first_party = {(e.kind, e.name): e.origin for e in registry.entries()
                   if e.origin.startswith("sdg-")}
    assert first_party == catalog.FIRST_PARTY
    assert provider_hint("task", "web") == "pip install sdg-web"
    assert provider_hint("task", "nope") is None and provider_hint("nope", "web") is None


def test_selections_list_every_kind_a_run_config_holds(registry):
    config = structure({"task": {"type": "list", "questions": ["q"]}, "train": {"type": "verl"}},
                       registry)
    listed = config.selections()
    assert {c.kind for _, c in listed} == {c.kind for _, c in _walk(schema.RunConfig, "")}
    assert [p for p, _ in listed] == ["task", "voter", "solve.comparator", "rewrite", "train",
                                      "models.teacher", "models.student", "models.judge"]
    assert all(by_section(p if not p.startswith("models.") else "models.<role>").name == c.kind
               for p, c in listed)


def test_a_run_without_a_voter_installed_names_the_package_that_adds_one():
    from sdgcore.errors import NotBuiltError
    from sdgcore.pipeline.run import check_built

    bare = create_plugin_manager(plugins=[components], entry_points=False).registry
    config = structure({"task": {"type": "list", "questions": ["q"]}}, bare)
    with pytest.raises(NotBuiltError) as info:
        check_built(config)
    assert str(info.value).startswith("voter: no voter is installed")
    assert info.value.hint == KINDS["voter"].install_hint("exact") == "pip install sdg-voting"
