"""``sdg plugin new NAME --kind KIND``: a new plugin package that passes its own tests.

The package (``sdg-NAME``) has a ``pyproject.toml`` with the ``sdg`` entry point, the
implementation with its config class in ``src/sdg_NAME/plugin.py``, and tests that use
:mod:`sdgcore.testing`: the component on its own and, for a task, rewriter, voter or trainer,
a whole ``sdg run`` with it against the scripted loopback server. The templates are the files
under ``templates/`` (``*.tmpl``, so no tool reads them as code or config;
``string.Template``: ``${name}``, ``${cls}``, ...).
"""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

from sdgcore.errors import InputError
from sdgcore.kinds import KINDS

SCAFFOLDED = ("task", "rewriter", "voter", "retriever", "trainer")
"""The kinds ``sdg plugin new`` writes a starter for."""
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def files(name: str, kind: str) -> dict[str, str]:
    """Relative path -> content of the package for component ``name`` of ``kind``."""
    if kind not in SCAFFOLDED:
        raise InputError(f"--kind: {kind!r} is not one of {', '.join(SCAFFOLDED)}")
    if not NAME.match(name):
        raise InputError(f"NAME: {name!r} is not a plugin name: lower-case letters, digits and "
                         "underscores, starting with a letter")
    module = f"sdg_{name}"
    values = {
        "name": name, "kind": kind, "module": module, "dist": f"sdg-{name.replace('_', '-')}",
        "cls": "".join(part.title() for part in name.split("_")),
        "kind_class": KINDS[kind].base, "kind_section": KINDS[kind].section,
        "sdgcore_version": _version(),
    }
    root = resources.files(__package__) / "templates"
    layout = {
        "pyproject.toml": root / "common" / "pyproject.toml.tmpl",
        "README.md": root / "common" / "README.md.tmpl",
        f"src/{module}/__init__.py": root / "common" / "__init__.py.tmpl",
        f"src/{module}/plugin.py": root / kind / "plugin.py.tmpl",
        "tests/conftest.py": root / "common" / "conftest.py.tmpl",
        f"tests/test_{name}.py": root / kind / "test_plugin.py.tmpl",
    }
    return {path: string.Template(source.read_text(encoding="utf-8")).substitute(values)
            for path, source in layout.items()}


def _version() -> str:
    """The installed sdgcore's version, which the new package requires at least."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sdgcore")
    except PackageNotFoundError:  # a source tree
        return "0.1.0"


def new_plugin(name: str, kind: str, parent: Path) -> Path:
    """Write the package into ``parent / "sdg-NAME"`` and return that folder.

    :raises InputError: a bad name or kind, or the folder exists and is not empty.
    """
    made = files(name, kind)
    folder = parent / f"sdg-{name.replace('_', '-')}"
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"{folder} exists and is not empty", hint="choose another NAME or --dir")
    for path, content in made.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return folder


__all__ = ["SCAFFOLDED", "files", "new_plugin"]
