"""How the command line speaks: errors as a line and a hint, warnings, tables."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from sdgcore.errors import SdgError

PIPE_WIDTH = 160
"""Columns used when output goes to a pipe or file, where rich would assume 80."""


def _console(stream) -> Console:
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


def stderr() -> Console:
    """A console on standard error (plain text when it is not a terminal)."""
    return _console(sys.stderr)


def stdout() -> Console:
    """A console on standard output (plain text when it is not a terminal)."""
    return _console(sys.stdout)


def report_error(err: SdgError) -> None:
    """Print ``err`` as ``error: ...`` lines and its hint; never a traceback."""
    console = stderr()
    first, *rest = err.lines()
    console.print(f"[bold red]error:[/] {escape(first)}")
    for line in rest:
        console.print(escape(line))
    if err.hint:
        console.print(f"[dim]hint:[/] {escape(err.hint)}")


def warn(message: str) -> None:
    """Print one ``warning: ...`` line on standard error."""
    stderr().print(f"[yellow]warning:[/] {escape(message)}")
