"""The whole pipeline against a scripted loopback server whose student pass rates are known.

The teacher (model "teacher-model") and the student ("student-model") are both served by one
:class:`FakeOpenAIServer` answering with :mod:`sdgcore.testing.world`; replies depend only on
the request's content, so a run is deterministic whatever order requests arrive in.
Real plugins throughout: the ``list`` task, the ``exact`` voter and the ``difficulty`` rewriter.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import attrs
import pytest

from sdgcore import AnswerFormat
from sdgcore.hookspecs import hookimpl
from sdgcore.records import Sample
from sdgcore.testing import components, drills, world
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script


def config(tmp_path: Path, server: FakeOpenAIServer, run_dir: Path, questions: list[str],
           **extra) -> Path:
    return world.write_config(tmp_path / f"{run_dir.name}.yaml", server.url, run_dir,
                               questions, **{"target": {"learnable": 100}, **extra})


def read(run_dir: Path, name: str) -> list[Sample]:
    return [Sample.from_json(line)
            for line in (run_dir / f"{name}.jsonl").read_text().splitlines()]


def test_every_sample_lands_where_its_pass_rate_says(sdg_cli, make_plugin_manager, tmp_path):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    questions = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]", "Q4 [split]", "Q5 [broken]"]
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        manager = make_plugin_manager(components, voting, rewriters)
        result = sdg_cli(["run", str(config(tmp_path, server, run_dir, questions))],
                         manager=manager)
        assert result.exit_code == 0, result.output

    learnable = {s.question: s for s in read(run_dir, "learnable")}
    too_easy = {s.question: s for s in read(run_dir, "too_easy")}
    too_hard = {s.question: s for s in read(run_dir, "too_hard")}
    dropped = {s.question: s for s in read(run_dir, "dropped")}

    assert learnable["Q1 [learnable]"].pass_rate == 0.5
    assert learnable["Q1 [learnable]"].answer == "4" and learnable["Q1 [learnable]"].agreement == 1
    assert too_easy["Q2 [easy]"].pass_rate == 1.0
    assert too_hard["Q3 [hard]"].pass_rate == 0.0

    # rewrite lineage: the too-easy sample was made harder and became learnable
    [child] = [s for s in learnable.values() if s.parent_id == too_easy["Q2 [easy]"].id]
    assert child.direction == "harder" and child.round == 1 and "[harder-easy]" in child.question
    assert child.answer == "8" and child.pass_rate == 0.5
    # the too-hard one was made easier, stayed too hard, and max_rounds=1 stopped there
    [easier] = [s for s in too_hard.values() if s.parent_id == too_hard["Q3 [hard]"].id]
    assert easier.direction == "easier" and easier.pass_rate == 0.0

    assert dropped["Q4 [split]"].dropped == "label: low agreement 0.40 < 0.60"
    assert dropped["Q5 [broken]"].dropped.startswith("label: teacher failed")
    assert "the teacher refuses" in dropped["Q5 [broken]"].dropped
    assert len(learnable) == 2 and len(too_easy) == 1 and len(too_hard) == 2

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"] == {"learnable": 2, "too_easy": 1, "too_hard": 2, "dropped": 2}
    assert summary["histogram"]["(.25, .5]"] == 2 and summary["histogram"]["0"] == 2
    assert summary["stopped"] == "the task has no more new samples"
    assert "learnable" in result.stdout and "pass rate" in result.stdout


@attrs.frozen
class StatedConfig(components.ListTaskConfig):
    """``task:`` for ``type: stated``: the ``list`` task, each sample with ``answer_format``
    (the instruction of its answer format) and, where ``gold`` names its question, a known
    answer."""

    answer_format: str | None = None
    gold: dict[str, str] = attrs.field(factory=dict)


class StatedTask(components.ListTask):
    """The ``list`` task stating an answer format and known answers."""

    name = "stated"
    Config = StatedConfig
    config: StatedConfig

    async def generate(self, ctx):
        async for sample in super().generate(ctx):
            fmt = AnswerFormat(self.config.answer_tag, self.config.answer_format)
            yield attrs.evolve(sample, answer_format=fmt,
                               gold=self.config.gold.get(sample.question))


class Stated:
    @hookimpl
    def sdg_register_tasks(self, register):
        register(StatedTask)


def test_a_rewrite_starts_clean_of_its_parents_scoring(sdg_cli, make_plugin_manager,
                                                      tmp_path):
    """Issue 11, item 5: the parent passes the gate, its harder rewrite fails it and is solved
    in full; the child has its own attempts and pass rate and no gate record, keeps the
    answer format and has no gold answer (a new question)."""
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    fmt = "End your reply with <answer>N</answer>."
    questions = ["Q2 [easy]", "Q3 [hard]"]
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        path = config(tmp_path, server, run_dir, questions, solve={"n": 4, "gate": True},
                      task={"type": "stated", "questions": questions, "answer_format": fmt,
                            "gold": {"Q2 [easy]": "7"}})
        result = sdg_cli(["run", str(path)],
                         manager=make_plugin_manager(components, voting, rewriters, Stated()))
        assert result.exit_code == 0, result.output
        prompts = [r.body["messages"][-1]["content"] for r in server.requests
                   if not r.body.get("response_format")]

    exported = {name: {s["question"]: s for s in rows}
                for name, rows in drills.outputs(run_dir).items()}
    parent = exported["too_easy"]["Q2 [easy]"]
    assert parent["scoring"] == {"gate": "passed"} and len(parent["attempts"]) == 1
    stated = {"tag": "answer", "instruction": fmt}
    assert parent["gold"] == "7" and parent["answer_format"] == stated
    [child] = [s for s in exported["learnable"].values() if s["parent_id"] == parent["id"]]
    assert len(child["attempts"]) == 4 and child["pass_rate"] == 0.5
    assert "gate" not in child["scoring"] and "gate" not in child["meta"]
    assert child["gold"] is None and child["answer_format"] == stated
    assert set(child["meta"]) == {"rewrite_change", "rewrite_strategy"}
    # the hard one failed the gate: no record either, and its full n attempts
    hard = exported["too_hard"]["Q3 [hard]"]
    assert hard["scoring"] == {} and len(hard["attempts"]) == 4 and hard["gold"] is None
    # every model answering a sample, the child included, is told the answer format
    assert prompts and all(p.endswith(fmt) for p in prompts)
    assert any(child["question"] in p for p in prompts)


_STATED_TAG = re.compile(r"as <(\w+)>\.\.\.</\1>\.$")


def follows_the_format(request):
    """:func:`world.answer`, by a model that writes its final answer in the tag the prompt
    asks for (``<answer>`` when it asks for none); a generation request (no system message)
    is answered with the question its first line names after "Write "."""
    if not any(m.get("role") == "system" for m in request.body["messages"]):
        return Reply(request.last_user.splitlines()[0].removeprefix("Write "))
    answer = world.answer(request)
    if not isinstance(answer, list):
        return answer
    stated = _STATED_TAG.search(request.last_user)
    tag = stated.group(1) if stated else "answer"
    return [attrs.evolve(reply, content=reply.content.replace("<answer>", f"<{tag}>")
                         .replace("</answer>", f"</{tag}>")) for reply in answer]


def test_the_tasks_answer_format_reaches_every_model_and_every_reader(
        sdg_cli, make_plugin_manager, tmp_path):
    """Issue 12: one answer-format contract. The task states a format with the tag
    ``final``; the teacher generating the questions, the teacher voting and the student
    (a rewrite's too) are all told it, and the voter and the comparator read the answers
    from ``<final>`` tags, with no ``answer_tag`` in their config."""
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting
    from sdg_voting.ballot import SYSTEM_PROMPT

    line = "End your reply with the final answer alone, as <final>...</final>."
    with FakeOpenAIServer(Script.respond(follows_the_format)) as server:
        run_dir = tmp_path / "run"
        path = config(tmp_path, server, run_dir, [], task={
            "type": "prompt", "prompts": ["Write Q1 [learnable]", "Write Q2 [easy]"],
            "answer_tag": "final"})
        result = sdg_cli(["run", str(path)],
                         manager=make_plugin_manager(components, voting, rewriters))
        assert result.exit_code == 0, result.output
        requests = [(r.body["model"], r.body["messages"]) for r in server.requests
                    if not r.body.get("response_format")]  # the rewrites aside

    generate = [m[-1]["content"] for model, m in requests if len(m) == 1]
    ballots = [m for model, m in requests if model == "teacher-model" and len(m) == 2]
    students = [m[-1]["content"] for model, m in requests if model == "student-model"]
    assert len(generate) == 2 and all(p.endswith(f"told): {line}") for p in generate)
    assert len(ballots) == 3 and all(m[-1]["content"].endswith(f"\n\n{line}") and
                                     m[0]["content"] == SYSTEM_PROMPT for m in ballots)
    assert len(students) == 3 and all(p.endswith(f"\n\n{line}") for p in students)
    assert len(requests) == len(generate) + len(ballots) + len(students)

    learnable = {s.question: s for s in read(run_dir, "learnable")}
    [easy] = read(run_dir, "too_easy")
    [child] = [s for s in learnable.values() if s.parent_id == easy.id]
    assert learnable["Q1 [learnable]"].pass_rate == 0.5 and child.pass_rate == 0.5
    assert easy.pass_rate == 1.0 and easy.answer == "7"
    for sample in (learnable["Q1 [learnable]"], easy, child):
        assert sample.answer_format == AnswerFormat(tag="final")
        assert sample.prompt().endswith(line) and sample.agreement == 1.0
        assert [v.extractor for v in sample.votes] == ["tag"] * 5
        assert [a.extractor for a in sample.attempts] == ["tag"] * 4
        assert all("<final>" in r.response for r in (*sample.votes, *sample.attempts))


def test_targets_and_budgets_stop_the_stream(sdg_cli, make_plugin_manager, tmp_path):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting, rewriters)
    questions = [f"Q{i} [learnable]" for i in range(30)]
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "target"
        path = config(tmp_path, server, run_dir, questions,
                      target={"learnable": 5, "batch": 4})
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        # 0-3 are taken at once (batch 4); with 3 known learnable, 3 + 0.8 x 3 in flight is
        # expected to reach 5, and position 6 is never taken: 6 learnable, whatever the order
        assert summary["counts"]["learnable"] == 6 and summary["generated"] == 6
        assert summary["stopped"] == "the learnable target is reached"

        run_dir = tmp_path / "samples"
        path = config(tmp_path, server, run_dir, questions, budget={"samples": 3})
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["stopped"] == "the budget of 3 samples is spent"
        assert summary["generated"] == 3 and summary["counts"]["learnable"] == 3

        run_dir = tmp_path / "budget"
        path = config(tmp_path, server, run_dir, questions,
                      target={"learnable": 50, "batch": 4}, budget={"requests": 10})
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["stopped"] == "the budget of 10 requests is spent"
        # two requests a sample (vote, solve): 5 samples spend it, and at most 4 are ahead
        assert 5 <= summary["generated"] <= 9


def test_targets_and_budgets_stop_rounds(sdg_cli, make_plugin_manager, tmp_path):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting, rewriters)
    questions = [f"Q{i} [learnable]" for i in range(30)]

    def rounds(run_dir: Path) -> dict:
        return {"dir": str(run_dir), "concurrency": 4, "schedule": "rounds"}

    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "target"
        path = config(tmp_path, server, run_dir, questions,
                      target={"learnable": 5, "batch": 4}, run=rounds(run_dir))
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        # round 0 takes 4; round 1 starts while round 0 is in flight, sized from what is
        # certain then: twice the 5 missing, less the 4 in flight; then round 0's 4 learnable
        # leave 1 missing, which the 4 of round 1 in flight cover: no third round
        assert summary["counts"]["learnable"] == 8
        assert summary["rounds"] == 2 and summary["stopped"] == "the learnable target is reached"

        run_dir = tmp_path / "budget"
        path = config(tmp_path, server, run_dir, questions,
                      target={"learnable": 50, "batch": 4}, budget={"requests": 10},
                      run=rounds(run_dir))
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["stopped"] == "the budget of 10 requests is spent"
        assert summary["rounds"] == 2  # 8 requests after round one, 16 after round two

        run_dir = tmp_path / "rounds"
        path = config(tmp_path, server, run_dir, questions, target={"learnable": 50, "batch": 4},
                      budget={"rounds": 2, "samples": 6}, run=rounds(run_dir))
        assert sdg_cli(["run", str(path)], manager=manager).exit_code == 0
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["generated"] == 6 and summary["rounds"] == 2  # 4, then the 2 left


@pytest.mark.parametrize(("kill_at", "learnable", "schedule"), [
    (0.1, 100, "stream"), (0.5, 100, "stream"), (0.9, 100, "stream"),
    (0.3, 5, "stream"), (0.7, 5, "stream"), (0.5, 5, "rounds")])
def test_killed_runs_resume_to_the_same_datasets_without_paying_twice(tmp_path, kill_at,
                                                                      learnable, schedule):
    """Killed at a share of the reference run's requests; the target 5 stops the run midway
    through the task's 40 questions, so which samples are taken must not depend on timing."""
    questions = world.questions(40 if learnable < 100 else 20)
    target = {"learnable": learnable, "batch": 6}

    def settings(run_dir: Path) -> dict:
        return {"target": target,
                "run": {"dir": str(run_dir), "concurrency": 4, "schedule": schedule}}

    with FakeOpenAIServer(world.script(), latency=0.02) as server:
        reference_dir = tmp_path / "reference"
        reference = subprocess.run(
            world.sdg_command(config(tmp_path, server, reference_dir, questions,
                                     **settings(reference_dir))),
            env=world.sdg_env(), capture_output=True, text=True, timeout=120)
        assert reference.returncode == 0, reference.stderr
        kill_after = max(1, int(kill_at * server.count()))

        run_dir = tmp_path / "killed"
        path = config(tmp_path, server, run_dir, questions, **settings(run_dir))
        drill = drills.kill_and_resume(server, path, run_dir, kill_after)

    assert drill.exit_code == 0, drill.stderr
    assert drills.datasets(run_dir) == drills.datasets(reference_dir)
    summary = json.loads((reference_dir / "summary.json").read_text())
    if learnable < 100:
        assert summary["stopped"] == "the learnable target is reached"
        assert summary["generated"] < len(questions)
    assert drill.paid_twice == 0, f"{drill.paid_twice} requests paid for before the kill " \
                                  "were paid again"


def test_which_samples_a_stream_takes_does_not_depend_on_timing(tmp_path):
    """Replies come back after random delays, so samples finish in another order on each
    run: one at a time and eight at a time, the stream takes the same samples."""
    import random

    def jittered(request):
        got = world.answer(request)
        replies = [got] if isinstance(got, (Reply, str)) else list(got)
        delay = random.random() * 0.05
        return [attrs.evolve(r, delay=delay) if isinstance(r, Reply) else Reply(r, delay=delay)
                for r in replies]

    questions = world.questions(40)
    runs = {}
    with FakeOpenAIServer(Script.respond(jittered)) as server:
        for concurrency in (1, 8):
            run_dir = tmp_path / f"c{concurrency}"
            path = config(tmp_path, server, run_dir, questions,
                          target={"learnable": 5, "batch": 8},
                          run={"dir": str(run_dir), "concurrency": concurrency})
            done = subprocess.run(world.sdg_command(path), env=world.sdg_env(),
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            runs[concurrency] = drills.datasets(run_dir)
    assert runs[1] == runs[8]
    assert runs[1]["learnable"]


def test_parquet_and_hf_exports_match_the_jsonl(sdg_cli, make_plugin_manager, tmp_path):
    import datasets as hf
    import pyarrow.parquet as pq

    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    questions = ["Q1 [learnable]", "Q2 [easy]", "Q4 [split]"]
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        path = config(tmp_path, server, run_dir, questions,
                      export={"formats": ["jsonl", "parquet", "hf"]})
        result = sdg_cli(["run", str(path)],
                         manager=make_plugin_manager(components, voting, rewriters))
        assert result.exit_code == 0, result.output
    assert read(run_dir, "too_hard") == []
    assert not (run_dir / "hf" / "too_hard").exists()  # an empty category has no copies
    for name in ("learnable", "too_easy", "dropped"):
        rows = read(run_dir, name)
        table = pq.read_table(run_dir / "parquet" / f"{name}.parquet").to_pylist()
        saved = hf.load_from_disk(str(run_dir / "hf" / name))
        assert len(table) == len(saved) == len(rows)
        assert sorted(r["id"] for r in table) == sorted(saved["id"]) == sorted(s.id for s in rows)
    learnable = hf.load_from_disk(str(run_dir / "hf" / "learnable"))
    assert {row["question"]: row["pass_rate"] for row in learnable}["Q1 [learnable]"] == 0.5
    assert json.loads(learnable[0]["meta"]) == read(run_dir, "learnable")[0].meta
    assert json.loads(learnable[0]["scoring"]) == read(run_dir, "learnable")[0].scoring
