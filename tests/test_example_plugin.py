"""The example third-party plugin in examples/faq-plugin: written against `sdgcore` alone,
installed with pip, discovered through its entry point and run by `sdg run`."""

import ast
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sdgcore import Sample
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "faq-plugin"
SDG = str(Path(sys.executable).with_name("sdg"))
with open(EXAMPLE / "sdg_faq" / "faqs.csv", newline="", encoding="utf-8") as _file:
    FAQS = list(csv.DictReader(_file))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("faq")
    shutil.copytree(EXAMPLE, root / "faq-plugin")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--target", str(root / "site"),
                    str(root / "faq-plugin")], check=True, capture_output=True, text=True)
    return root / "site"


def sdg(args, site, cwd):
    env = {k: v for k, v in os.environ.items() if k != "SDG_DISABLE_PLUGINS"}
    return subprocess.run([SDG, *args], cwd=cwd, env={**env, "PYTHONPATH": str(site)},
                          capture_output=True, text=True, timeout=120)


def test_the_example_imports_nothing_of_sdg_but_sdgcore():
    sources = sorted(EXAMPLE.rglob("*.py"))
    assert sources
    used = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                used |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                used.add("." if node.level else node.module)
    assert "sdgcore" in used
    assert not [m for m in used if m.startswith(("sdg", ".")) and m != "sdgcore"], used


def faq_of(text: str) -> int:
    """The number (from 0) of the FAQ whose question ``text`` quotes."""
    return next(i for i, faq in enumerate(FAQS) if faq["question"] in text)


def answer(request):
    """The teacher rephrases (``Could you tell me: ...``) and votes the FAQ's answer; the
    student knows the answer to every third FAQ, half of the next ones and none of the rest."""
    i = faq_of(request.last_user)
    if "response_format" in request.body:
        return Reply.json({"question": f"Could you tell me: {FAQS[i]['question']}"})
    if request.model == "teacher-model":
        return [Reply(f"So: <answer>{FAQS[i]['answer']}</answer>")] * request.n
    right = {0: request.n, 1: request.n // 2, 2: 0}[i % 3]
    return ([Reply(f"<answer>{FAQS[i]['answer']}</answer>")] * right
            + [Reply("<answer>no idea</answer>")] * (request.n - right))


def test_sdg_runs_the_example_and_samples_keep_their_faq_row(site, tmp_path):
    listed = sdg(["plugins", "--json"], site, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert {"name": "faq", "kind": "task", "distribution": "sdg-faq", "version": "0.1.0",
            "status": "ready"} in json.loads(listed.stdout)["components"]
    with FakeOpenAIServer(Script.respond(answer)) as server:
        remote = {"backend": "openai_compat", "api_base": server.url,
                  "limits": {"retries": 0, "timeout": 10}}
        (tmp_path / "faq.yaml").write_text(yaml.safe_dump({
            "task": {"type": "faq"},
            "models": {"teacher": {**remote, "model": "teacher-model"},
                       "judge": {**remote, "model": "teacher-model"},
                       "student": {**remote, "model": "student-model"}},
            "voter": {"type": "exact", "k": 3},
            "solve": {"n": 4},
            "rewrite": {"type": "difficulty", "max_rounds": 0},
            "target": {"learnable": 100},
            "run": {"dir": "out", "seed": 1},
        }))
        result = sdg(["run", "faq.yaml"], site, tmp_path)
    assert result.returncode == 0, result.stderr
    found = {category: [Sample.from_json(line) for line in
                        (tmp_path / "out" / f"{category}.jsonl").read_text().splitlines()]
             for category in ("learnable", "too_easy", "too_hard")}
    rows = {}
    for category, samples in found.items():
        for sample in samples:
            number = sample.source.locator["row"]
            faq = FAQS[number - 1]
            rows[number] = category
            assert sample.category == category and sample.task == "faq"
            assert sample.source.kind == "faq" and sample.source.ref.endswith("faqs.csv")
            assert sample.source.locator["question"] == faq["question"]
            assert sample.question == f"Could you tell me: {faq['question']}"
            assert sample.gold == sample.answer == faq["answer"]
            assert len(sample.attempts) == 4
    assert rows == {n: ("too_easy", "learnable", "too_hard")[(n - 1) % 3]
                    for n in range(1, len(FAQS) + 1)}
