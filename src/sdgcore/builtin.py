"""The core's own plugin: it registers through the same hooks as every other plugin."""

from __future__ import annotations

from collections.abc import Callable

from sdgcore.base import Backend
from sdgcore.hookspecs import hookimpl
from sdgcore.models.backends import CORE_BACKENDS


@hookimpl
def sdg_register_backends(register: Callable[[type[Backend]], None]) -> None:
    for backend in CORE_BACKENDS:
        register(backend)
