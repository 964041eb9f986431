"""The benchmarks' plumbing, cheaply: every bench module answers ``--help`` with the
``--json``/``--quick`` options ``bench/run_all.py`` relies on, the fake server counts what it
received, a child process is measured from outside, and run_all's headline tables read every
results shape. The benchmarks themselves run under ``make bench``, never here."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sdgcore.testing.modules import load_path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str):
    """Import ``bench/NAME.py`` (bench/ is a folder of scripts, not a package)."""
    return load_path(BENCH / f"{name}.py", f"bench_{name}")


run_all = load("run_all")
common = load("common")


@pytest.mark.parametrize("name", run_all.discover())
def test_every_bench_takes_json_and_quick(name):
    done = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--json" in done.stdout and "--quick" in done.stdout


def test_discover_puts_the_documented_order_first():
    names = run_all.discover()
    assert names[:2] == ["client", "peers"]
    assert "run_all" not in names and "common" not in names


def test_peers_rejects_an_unknown_peer():
    done = subprocess.run([sys.executable, str(BENCH / "peers.py"), "--peers", "sdg,nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--peers: unknown nope" in done.stderr


def _post(url: str, content: str) -> dict:
    body = json.dumps({"model": "fake-model", "messages": [{"role": "user", "content": content}]})
    request = urllib.request.Request(f"{url}/chat/completions", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_fake_server_process_counts_requests_until_reset():
    with common.FakeServer(latency=0.0) as server:
        for i in range(3):
            assert _post(server.url, f"q{i}")["choices"][0]["message"]["content"] == "ok"
        bad = urllib.request.Request(f"{server.url}/chat/completions", data=b'{"model": "m"}',
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad, timeout=30)
        assert server.stats() == {"requests": 4, "completed": 3}
        server.reset()
        assert server.stats() == {"requests": 0, "completed": 0}
    assert server.proc.returncode == 0


def test_run_child_measures_cpu_memory_and_output():
    code = ("import time; block = bytearray(96 * 2**20); "
            "t = time.process_time(); exec('while time.process_time() - t < 0.2: pass'); "
            "print('RESULT', len(block))")
    done = common.run_child([sys.executable, "-c", code], timeout=60)
    assert done["returncode"] == 0 and not done["timed_out"]
    assert done["stdout"].strip() == f"RESULT {96 * 2**20}"
    assert done["cpu_s"] >= 0.2
    assert done["max_rss_mb"] >= 96 and done["tree_rss_mb"] >= done["max_rss_mb"]


def test_run_child_kills_what_runs_past_its_timeout():
    done = common.run_child([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    assert done["timed_out"] and done["returncode"] == -9


def test_headline_reads_a_table_rows_or_plain_values():
    table = {"benchmark": "x", "table": {"title": "x: t", "columns": ["a"], "rows": [["1"]]}}
    assert run_all.headline(table) == ("x: t", ["a"], [["1"]])
    rows = {"benchmark": "y", "rows": [{"n": 10, "ms": 1.23456, "nested": {"no": 1}},
                                       {"n": 20, "extra": None}]}
    assert run_all.headline(rows) == ("y", ["n", "ms", "extra"],
                                      [["10", "1.235", "-"], ["20", "-", "-"]])
    plain = {"benchmark": "z", "recall": 0.5, "detail": [1, 2]}
    assert run_all.headline(plain) == ("z", ["key", "value"], [["benchmark", "z"],
                                                               ["recall", "0.5"]])
