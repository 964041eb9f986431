"""Docs that cannot go stale: the generated config reference and the hook table."""

from pathlib import Path

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
