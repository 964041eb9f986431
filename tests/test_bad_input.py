"""Bad input: every broken config, document and run directory of ``bench/bad_input.py``'s
corpus gets exit 2 and a one-line error naming the key path or file, or a recorded skip,
and no file of an existing run directory changes. ``sdg`` runs in-process here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sdgcore.testing import components, world
from sdgcore.testing.modules import load_path
from sdgcore.testing.server import FakeOpenAIServer

BENCH = Path(__file__).resolve().parents[1] / "bench"


bad_input = load_path(BENCH / "bad_input.py", "bench_bad_input")


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    """Every case's outcome, the corpus built once (run in-process, with the test tasks)."""
    from click.testing import CliRunner

    from sdgcore.cli import cli
    from sdgcore.plugins import create_plugin_manager

    root = tmp_path_factory.mktemp("bad-input")

    def invoke(args: list[str]) -> tuple[int, str]:
        manager = create_plugin_manager(plugins=[components])
        result = CliRunner().invoke(cli, args, obj=manager, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"sdg {args} raised {result.exception!r}"
        return result.exit_code, result.output

    try:
        with FakeOpenAIServer(world.script()) as server:
            rows = bad_input.drill(root, server.url, invoke)
        yield root, {row["case"]: row for row in rows}
    finally:
        for path in root.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, 0o755)


CONFIG_CASES = ["wrong type", "unknown key", "missing key", "unknown type", "unset variable",
                "missing examples file", "missing config", "config is a directory",
                "unreadable config", "unreadable config (/proc)", "non-UTF-8 config",
                "binary config", "huge config", "invalid YAML", "not a mapping",
                "run dir of another config", "run dir is a file", "run dir is someone else's",
                "run dir with a corrupt marker", "run dir without permission"]
DOCUMENT_CASES = ["good text", "encrypted PDF", "truncated PDF", "corrupt PDF", "empty PDF",
                  "binary .txt", "non-UTF-8 text", "undecodable text", "empty text",
                  "unsupported type", "huge file", "unreadable folder"]


@pytest.mark.parametrize("name", CONFIG_CASES)
def test_a_bad_config_is_a_one_line_error_naming_what_is_wrong(drill, name):
    _, rows = drill
    row = rows[name]
    if row["outcome"] == "not tried":
        pytest.skip(row["message"])
    assert row["exit"] == 2, row
    assert row["ok"], row  # the expected text is on one line, no traceback, nothing changed


@pytest.mark.parametrize("name", DOCUMENT_CASES)
def test_a_bad_document_is_skipped_with_its_reason(drill, name):
    _, rows = drill
    row = rows[name]
    if row["outcome"] == "not tried":
        pytest.skip(row["message"])
    assert row["outcome"] == ("read" if name in ("good text", "non-UTF-8 text") else "skipped")
    assert row["ok"], row


def test_the_drill_covers_every_case_and_leaves_protected_runs_alone(drill):
    root, rows = drill
    assert set(rows) == set(CONFIG_CASES) | set(DOCUMENT_CASES)
    finished = root / "finished-run"
    assert (finished / "learnable.jsonl").read_text()  # the protected run is a real one
    assert sorted(p.name for p in (root / "someone-elses").iterdir()) == ["thesis.tex"]
    assert not (root / "new-run" / "learnable.jsonl").exists()  # the failed run made nothing


def test_the_config_size_limit_is_exact(sdg_cli, tmp_path, monkeypatch):
    from sdgcore.config import loader

    monkeypatch.setattr(loader, "MAX_CONFIG_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("task: {}\n" + "#" * (1000 - 10) + "\n")
    assert path.stat().st_size == 1000
    result = sdg_cli(["validate", str(path)])
    assert result.exit_code == 2 and "at most" not in result.output
    assert "task.type: required key missing" in result.output  # it was read and parsed
    path.write_text("task: {}\n" + "#" * (1000 - 9) + "\n")
    result = sdg_cli(["validate", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and "a config is at most" in result.output
