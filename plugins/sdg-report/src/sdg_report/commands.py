"""The ``sdg report`` and ``sdg view`` commands (their work is imported when they run)."""

from __future__ import annotations

from pathlib import Path

import click

run_dir_arg = click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))


@click.command("report")
@run_dir_arg
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the page (default: RUN_DIR/report.html).")
def report(run_dir: Path, out: Path | None) -> None:
    """Write a self-contained report.html of the run in RUN_DIR.

    Categories, pass rates, rewrites, drop reasons, tokens, cost and time, source and keyword
    coverage, and example samples; plots are inlined, so the file opens without a network.
    Works on a run still in progress (its checkpointed samples).
    """
    from sdg_report.report import write_report

    click.echo(f"report: {write_report(run_dir, out)}")


@click.command("view")
@run_dir_arg
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
def view(run_dir: Path, port: int, open_browser: bool) -> None:
    """Browse the samples of the run in RUN_DIR in a local, read-only web page.

    By category, with search and filters; each sample with its lineage: source, votes,
    student attempts and rewrite chain. Serves on 127.0.0.1 until Ctrl-C; rounds a run in
    progress finishes show up as they are written.
    """
    import webbrowser

    from sdg_report.index import SampleIndex
    from sdg_report.rundir import RunFiles
    from sdg_report.server import make_server

    index = SampleIndex(RunFiles(run_dir))
    server = make_server(index, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.echo(f"sdg view: {url} ({len(index.active)} samples of {run_dir}; Ctrl-C stops)")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
