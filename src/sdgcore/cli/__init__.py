"""The ``sdg`` command line."""

from sdgcore.cli import commands as _commands  # noqa: F401 - adds the built-in commands
from sdgcore.cli.app import cli, main

__all__ = ["cli", "main"]
