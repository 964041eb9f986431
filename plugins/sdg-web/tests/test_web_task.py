"""The ``web`` task end to end, on the fake Hub and the scripted server: discovery, filtering,
mapping by the judge, conversion by the teacher, lineage, and ``sdg run``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sdg_web import plugin
from sdg_web.hub import HubError
from sdg_web.prompts import CONVERT_SCHEMA, MAPPING_SCHEMA
from sdgcore.context import RunContext
from sdgcore.errors import SdgError
from sdgcore.testing import Models, structure
from sdgcore.testing.modules import load_path
from sdgcore.testing.server import FakeOpenAIServer, Script
from sdgcore.testing.world import sdg_env

world = load_path(Path(__file__).with_name("world.py"), "sdg_web_test_world")


def make_task(make_plugin_manager, run_dir: Path, server, **task):
    registry = make_plugin_manager(plugin).registry
    config = structure({"task": world.task(**task), "models": world.models(server.url),
                        "run": {"dir": str(run_dir)}}, registry)
    ctx = RunContext(run_dir=run_dir, config=config,
                     models=Models(config.models, run_dir / "cache.sqlite"))
    return config.task.create(), ctx


def drive(task, ctx):
    async def go():
        try:
            await task.prepare(ctx)
            return [s async for s in task.generate(ctx)]
        finally:
            await ctx.models.aclose()

    return asyncio.run(go())


def kinds(server) -> list[str]:
    return [world.kind(r) for r in server.requests]


def test_discovery_filtering_mapping_conversion_and_lineage(make_plugin_manager, on_fake_hub,
                                                           tmp_path):
    hub = on_fake_hub
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server)
        samples = drive(task, ctx)
        requests = list(server.requests)

    # discovery: the teacher's keywords, one search each, the filters' reasons recorded
    plan = task.plan
    assert plan.keywords == world.KEYWORDS
    seen = {s.id: (s.status, s.reason) for s in plan.seen}
    assert seen == {
        "acme/arith-gated": ("left_out", "gated (auto)"),
        "acme/arith-nc": ("left_out", "licence cc-by-nc-4.0 is not in the allow-list"),
        "acme/arith-huge": ("left_out", "size 1M<n<10M is above max_size 1000000"),
        "acme/arith-poems": ("left_out", "relevance 1 < min_relevance 3"),
        "acme/arith-qa": ("used", "addition problems with answers"),
        "acme/arith-facts": ("used", "facts, not questions"),
    }
    # nothing of a dataset left out by the filters was fetched; private never showed
    for name in ("arith-gated", "arith-nc", "arith-huge", "arith-private", "cooking"):
        assert not hub.hits(f"acme/{name}/|other/{name}/"), name
    # probing read the cards through the Hub API and rows with datasets
    assert hub.hits(r"^/datasets/acme/arith-qa/resolve/[0-9a-f]+/README.md$")
    assert hub.hits(r"^/datasets/acme/arith-facts/resolve/[0-9a-f]+/data/train-.*\.jsonl$")

    # mapping: the judge saw each probed dataset once, in structured output
    maps = [r for r in requests if world.kind(r) == "map"]
    assert len(maps) == 3 and {r.body["model"] for r in maps} == {"judge-model"}
    assert all(r.body["response_format"]["json_schema"]["schema"] == MAPPING_SCHEMA
               for r in maps)
    qa_map = world.last_user(next(r for r in maps if "acme/arith-qa" in world.last_user(r)))
    assert "Columns: problem, solution" in qa_map
    assert "What is 1 + 40?" in qa_map  # a probe row
    assert "Addition problems with worked solutions." in qa_map  # the card
    [qa, facts] = plan.used
    assert (qa.ref.name, qa.map.fields, qa.map.weight) == (
        "acme/arith-qa", {"question": "problem", "answer": "solution"}, 20.0)
    assert (facts.ref.name, facts.map.needs_conversion, facts.map.weight) == (
        "acme/arith-facts", True, 12.0)
    assert (qa.split, qa.config, qa.license, qa.rows) == ("train", "default", "mit", 30)

    # selection: drawn from both datasets in proportion to their weights (20:12)
    first = [s.source.ref for s in samples[:16]]
    assert first.count("acme/arith-qa") == 10 and first.count("acme/arith-facts") == 6
    assert len(samples) == 30 + 18 and task.counts["made"] == 48

    shas = {r.id: r.sha for r in world.repos()}
    for sample in samples:
        locator = sample.source.locator
        assert sample.source.kind == "dataset" and sample.task == "web"
        assert locator["config"] == "default" and locator["split"] == "train"
        assert locator["revision"] == shas[sample.source.ref]
        row = locator["row"]
        if sample.source.ref == "acme/arith-qa":  # as it is: the gold read from "#### N"
            assert sample.question == world.QA[row]["problem"]
            assert sample.reference == world.QA[row]["solution"]
            assert sample.gold == world.QA[row]["solution"].rsplit("#### ", 1)[1]
            assert sample.meta == {"converted": False}
        else:  # rewritten by the teacher from the row, its answer the row's
            fact = world.FACTS[row]
            assert sample.question == f"What is {row + 2} times {row + 3}?"
            assert sample.gold == str(fact["result"]) and sample.meta == {"converted": True}
            assert sample.tokens.prompt > 0
        assert sample.answer_format.tag == "answer"
    converts = [r for r in requests if world.kind(r) == "convert"]
    assert len(converts) == 18 and {r.body["model"] for r in converts} == {"teacher-model"}
    assert all(r.body["response_format"]["json_schema"]["schema"] == CONVERT_SCHEMA
               for r in converts)

    workdir = tmp_path / "run" / "task-web"
    saved = json.loads((workdir / "plan.json").read_text())
    assert [u["ref"]["name"] for u in saved["used"]] == ["acme/arith-qa", "acme/arith-facts"]
    assert (workdir / "rows" / "00.jsonl").read_text().count("\n") == 30
    generation = json.loads((workdir / "generation.json").read_text())
    assert generation["samples"] == {"acme/arith-qa": 30, "acme/arith-facts": 18}


def test_a_resumed_task_reads_its_plan_back_without_the_hub(make_plugin_manager, on_fake_hub,
                                                            tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server)
        before = drive(task, ctx)
        hub_calls, model_calls = len(on_fake_hub.requests), len(server.requests)
        again, ctx = make_task(make_plugin_manager, tmp_path / "run", server)
        after = drive(again, ctx)
        assert len(on_fake_hub.requests) == hub_calls  # no search, probe or read
        assert len(server.requests) == model_calls  # conversions came from the cache
    assert [s.id for s in after] == [s.id for s in before]


def test_listed_datasets_with_fields_need_no_judge(make_plugin_manager, on_fake_hub,
                                                   tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server, query=None,
                              datasets=["acme/arith-qa:default"], split="test",
                              fields={"question": "problem", "answer": "solution"})
        samples = drive(task, ctx)
        assert server.requests == []  # no keywords, no judge, no conversion
    assert sorted(s.source.locator["row"] for s in samples) == [0, 1, 2]
    assert {s.source.locator["split"] for s in samples} == {"test"}
    assert not on_fake_hub.hits(r"^/api/datasets$")  # no search


def test_a_listed_dataset_that_cannot_be_read_stops_the_run_clearly(
        make_plugin_manager, on_fake_hub, tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server, query=None,
                              datasets=["acme/arith-gated"], fields={"question": "problem"})
        with pytest.raises(HubError, match="acme/arith-gated.*gated"):
            drive(task, ctx)
        task, ctx = make_task(make_plugin_manager, tmp_path / "run2", server, query=None,
                              datasets=["acme/arith-qa"], fields={"question": "prompt"})
        with pytest.raises(SdgError, match="has no column 'prompt'"):
            drive(task, ctx)


def test_nothing_usable_lists_every_reason(make_plugin_manager, on_fake_hub, tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server,
                              licenses=["gpl-3.0"])
        with pytest.raises(SdgError) as info:
            drive(task, ctx)
    message = str(info.value)
    assert message.startswith("task web: no usable dataset")
    assert "acme/arith-qa: left_out: licence mit is not in the allow-list" in message


def test_convert_never_keeps_rows_as_they_are(make_plugin_manager, on_fake_hub, tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server, convert="never",
                              max_datasets=1, keywords=["arith-facts"], query=None)
        samples = drive(task, ctx)
        assert "convert" not in kinds(server)
    assert samples[0].question.startswith("Multiplying") and samples[0].meta["converted"] is False
    assert {s.source.ref for s in samples} == {"acme/arith-facts"}


def run_sdg(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    sdg = str(Path(sys.executable).with_name("sdg"))
    return subprocess.run([sdg, "run", str(config)], capture_output=True, text=True,
                          env={**sdg_env(), **env}, timeout=300)


def test_sdg_run_of_the_web_task_with_known_answers(fake_hub, tmp_path):
    """A real ``sdg run`` in its own process, HF_ENDPOINT in its environment: the web task
    finds, maps and converts the datasets, ``label: gold`` labels each sample with its
    dataset's answer (no teacher vote), and the student's pass rates split them."""
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        config = world.write_config(tmp_path / "web.yaml", server.url, run_dir)
        done = run_sdg(config, fake_hub.env(tmp_path / "hf"))
        assert done.returncode == 0, done.stderr[-3000:]
        asked = kinds(server)
    assert "vote" not in asked and asked.count("map") == 3 and asked.count("convert") == 18
    learnable, too_easy = world.read(run_dir, "learnable"), world.read(run_dir, "too_easy")
    assert len(learnable) == 30 and len(too_easy) == 18
    for sample in learnable + too_easy:
        assert sample["answer"] == sample["gold"] == str(world.solve(sample["question"]))
        assert sample["agreement"] == 1.0 and sample["scoring"]["gold"] == {"mode": "gold"}
    for sample in learnable:
        row = sample["source"]["locator"]["row"]
        assert sample["source"]["ref"] == "acme/arith-qa" and sample["pass_rate"] == 0.5
        assert sample["question"] == world.QA[row]["problem"]
    assert {s["source"]["ref"] for s in too_easy} == {"acme/arith-facts"}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"] == {"learnable": 30, "too_easy": 18, "too_hard": 0, "dropped": 0}


def test_sdg_run_verifies_known_answers_against_the_vote(sdg_cli, make_plugin_manager,
                                                         on_fake_hub, tmp_path):
    """``label: verify``: the teacher votes, and the one question where its vote (40) differs
    from the dataset's answer (41) is dropped with both answers; the rest keep the gold."""
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        config = world.write_config(tmp_path / "web.yaml", server.url, run_dir,
                                    label="verify", task=world.task(max_datasets=1))
        result = sdg_cli(["run", str(config)], manager=make_plugin_manager(entry_points=True))
        assert result.exit_code == 0, result.output
        assert kinds(server).count("vote") == 30
    [dropped] = world.read(run_dir, "dropped")
    assert dropped["question"] == "What is 7 + 34?"
    assert dropped["dropped"] == ("label: the vote '40' disagrees with the gold answer '41' "
                                  "(exact: number)")
    assert dropped["scoring"]["gold"]["agrees"] is False
    kept = world.read(run_dir, "learnable")
    assert len(kept) == 29 and all(s["scoring"]["gold"]["agrees"] for s in kept)
    assert all(s["scoring"]["gold"]["votes_agreeing"] == 1.0 for s in kept)


def test_hub_and_local_datasets_mix_and_every_listed_one_is_used(make_plugin_manager,
                                                                 on_fake_hub, tmp_path):
    local = tmp_path / "ours.jsonl"
    local.write_text("".join(json.dumps({"problem": f"What is {i} + 100?",
                                         "solution": str(i + 100)}) + "\n" for i in range(4)))
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        task, ctx = make_task(make_plugin_manager, tmp_path / "run", server, query=None,
                              max_datasets=1, datasets=["acme/arith-qa", str(local)],
                              fields={"question": "problem", "answer": "solution"})
        samples = drive(task, ctx)
        assert server.requests == []
    refs = [s.source.ref for s in samples]
    assert refs[:8].count(str(local)) == 4 and refs.count("acme/arith-qa") == 30  # 1:1
    ours = [s for s in samples if s.source.ref == str(local)]
    assert {s.source.locator["format"] for s in ours} == {"json"}
    assert all(s.gold == str(int(s.question.split()[2]) + 100) for s in ours)
