"""Loading a helper file beside a test by its path.

Tests run with ``--import-mode=importlib``, so a test module cannot import a sibling
(``pdfs.py``, a table of cases) or a script folder (``bench/``) by name.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_path(path: Path | str, name: str | None = None) -> ModuleType:
    """Import the Python file at ``path`` once per process, as ``name`` (default: the file's
    stem), with its folder importable while it loads (so it can import its own siblings).

    :return: the module; a second call with the same name returns the same module.
    """
    path = Path(path).resolve()
    name = name or path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(path.parent))
    return module
