"""`sdg --help`, `sdg plugins` and `sdg validate` answer without importing heavy libraries."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "litellm", "datasets", "vllm", "llama_cpp", "verl", "sentence_transformers",
         "tantivy", "fitz", "pymupdf", "ray", "numpy", "pandas", "openai", "aiohttp")

PROBE = """
import contextlib, io, json, sys
from sdgcore.cli import cli
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main(sys.argv[1:], prog_name="sdg", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("args", [
    ["--help"],
    ["plugins"],
    ["validate", str(ROOT / "examples" / "quickstart.yaml")],
    ["validate", str(ROOT / "examples" / "vllm.yaml")],
])
def test_no_heavy_imports(args):
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         check=True, timeout=60)
    modules = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "sdgcore.plugins.manager" in modules  # the probe really ran the command
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
