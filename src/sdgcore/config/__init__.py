"""Run configs: YAML in, attrs out, every problem named by its key path.

Names are imported on first use, so that ``sdgcore.config.values`` can be imported by the
modules the schema itself is built from.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RunConfig": "sdgcore.config.schema",
    "Secret": "sdgcore.config.values",
    "Selected": "sdgcore.config.values",
    "dump_config": "sdgcore.config.loader",
    "fingerprint": "sdgcore.config.loader",
    "load_config": "sdgcore.config.loader",
    "structure": "sdgcore.config.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sdgcore.config' has no attribute {name!r}")
