"""How the command line speaks: errors as a line and a hint, warnings, tables."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

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


def models_table(stats: dict, title: str = "models") -> Table:
    """Per-endpoint accounting (``Models.stats()``) as a table."""
    table = Table(title=title)
    for col in ("endpoint", "requests", "retries", "rate limited", "cache hits", "failures",
                "tokens in", "tokens out", "cost $"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for name, st in stats.items():
        cost = "-" if st["cost"] is None else f"{st['cost']:.4f}"
        table.add_row(name, *(str(st[k]) for k in (
            "requests", "retries", "rate_limited", "cache_hits", "failures",
            "prompt_tokens", "completion_tokens")), cost)
    return table
