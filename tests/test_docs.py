"""Docs that cannot go stale: the generated config reference and the hook table."""

from pathlib import Path

import attrs

from sdgcore import hookspecs
from sdgcore.config.reference import render
from sdgcore.plugins import create_plugin_manager

ROOT = Path(__file__).resolve().parents[1]


def test_config_reference_is_current():
    expected = render(create_plugin_manager().registry)
    actual = (ROOT / "docs" / "config.md").read_text()
    assert actual == expected, "docs/config.md is stale: run `make docs`"


def test_every_hook_is_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    for name in (n for n in dir(hookspecs) if n.startswith("sdg_")):
        assert f"`{name}(" in guide, name


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_every_hook_is_exercised_by_a_test():
    """Each hookspec is implemented by a test's plugin or a first-party plugin that a test
    loads, and its name appears in a test (so a hook nobody calls or tests is noticed)."""
    tests = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("plugins/*/tests/*.py"),
             *(ROOT / "src" / "sdgcore" / "testing").glob("*.py")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in tests)
    implemented = "\n".join(p.read_text(encoding="utf-8") for p in [
        *ROOT.glob("plugins/*/src/*/*.py"), *(ROOT / "src" / "sdgcore").rglob("*.py")])
    specs = [n for n in dir(hookspecs) if n.startswith("sdg_")]
    unimplemented = [n for n in specs if f"def {n}(" not in text + implemented]
    untested = [n for n in specs if n not in text]
    assert not unimplemented and not untested, (unimplemented, untested)


def test_every_config_field_has_a_docstring_line():
    """Every registered component's config class documents each of its fields
    (``:param name:`` in its docstring or a base's), which the reference is made from."""
    from sdgcore.config.reference import _params

    registry = create_plugin_manager().registry
    missing = []
    for entry in registry.entries():
        config = entry.cls.Config
        if config is None:
            continue
        documented = _params(config)
        missing += [f"{entry.kind} {entry.name}: {config.__name__}.{f.name}"
                    for f in attrs.fields(config) if not documented.get(f.name)]
    assert not missing, missing
