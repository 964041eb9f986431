"""examples/calibrate.yaml: its bundled questions are what make_questions.py writes, every
answer is right, and the web task reads them offline, with no model request, as samples whose
gold answer is the row's and whose lineage is the row."""

import asyncio
import json
import re
from pathlib import Path

import yaml

from sdgcore.context import RunContext
from sdgcore.testing import Models, structure
from sdgcore.testing.modules import load_path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "calibrate.yaml"
DATA = ROOT / "examples" / "calibrate" / "questions.jsonl"


def rows() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text().splitlines()]


def test_the_bundled_file_is_the_generated_one_and_every_answer_is_right():
    make = load_path(DATA.with_name("make_questions.py"), "sdg_web_test_make_questions")
    assert rows() == make.questions()
    for row in rows():
        question, answer = row["question"], int(row["answer"])
        numbers = [int(n) for n in re.findall(r"\d+", question)]
        if "double" in question:
            assert answer == 2 * numbers[0]
        elif row["kind"] == "addition":
            assert answer == sum(numbers)
        elif row["kind"] == "subtraction":
            assert answer == numbers[0] - numbers[1] and answer >= 0
        else:
            assert answer == numbers[0] * numbers[1]
    assert "license: cc0-1.0" in DATA.with_name("README.md").read_text()


def test_the_example_reads_the_file_offline_with_no_model_request(make_plugin_manager,
                                                                  monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # task.datasets is relative to the repository root
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = yaml.safe_load(EXAMPLE.read_text())
    assert data["label"] == "gold" and "teacher" not in data["models"]
    config = structure({**data, "run": {"dir": str(tmp_path / "run")}},
                       make_plugin_manager(entry_points=True).registry)
    ctx = RunContext(run_dir=tmp_path / "run", config=config,
                     models=Models(config.models, tmp_path / "cache.sqlite"))
    task = config.task.create()

    async def go():
        await task.prepare(ctx)
        return [s async for s in task.generate(ctx)]

    samples = asyncio.run(go())
    by_row = {row["id"]: row for row in rows()}
    assert len(samples) == len(by_row) == 47
    for sample in samples:
        row = by_row[sample.source.locator["row"]]
        assert sample.source.ref == "examples/calibrate/questions.jsonl"
        assert sample.source.locator["format"] == "json"
        assert (sample.question, sample.gold) == (row["question"], row["answer"])
        assert sample.tokens.prompt == 0  # no request was made
    assert task.plan.used[0].license == "cc0-1.0"
