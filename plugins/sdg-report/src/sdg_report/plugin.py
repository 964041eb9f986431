"""The hooks of sdg-report: the ``report`` and ``view`` commands, and the report that
``sdg run`` writes when it ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sdgcore import hookimpl


@hookimpl
def sdg_add_commands(cli: click.Group) -> None:
    """Add ``sdg report`` and ``sdg view``."""
    from sdg_report.commands import report, view

    cli.add_command(report)
    cli.add_command(view)


@hookimpl
def sdg_run_finished(run_dir: Path, config: Any) -> None:
    """Write ``run_dir/report.html``; the core turns a failure into a warning."""
    from sdg_report.report import write_report

    write_report(run_dir)
