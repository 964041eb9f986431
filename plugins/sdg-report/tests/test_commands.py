"""The plugin's commands are found through its entry point, and listing them costs no plot
library: matplotlib is imported only when a report is drawn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import contextlib, io, json, sys
from sdgcore.cli import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(sys.argv[1:], prog_name="sdg", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps({"out": out.getvalue(), "modules": sorted(sys.modules)}))
"""
HEAVY = ("matplotlib", "numpy", "PIL", "selenium")


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["view", "--help"]])
def test_listing_the_commands_imports_no_plot_library(args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, check=True, timeout=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "sdg_report.plugin" in result["modules"]  # found through the entry point
    assert not {m for m in result["modules"] if m.split(".")[0] in HEAVY}
    if args == ["--help"]:
        assert "report " in result["out"] and "view " in result["out"]
    else:
        assert "RUN_DIR" in result["out"]
