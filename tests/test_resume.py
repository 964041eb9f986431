"""Resuming a run retries the samples whose requests failed for a reason that may pass.

A sample dropped because the teacher or the student was down after every retry (5xx, 429,
timeouts, ...) is processed again by the next ``sdg run`` of the same run directory, its paid
requests coming from the request cache; a sample dropped for its content (low agreement, a
refused request) stays dropped and is not asked again.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from sdgcore.pipeline.checkpoint import Checkpoints
from sdgcore.records import Sample, Source
from sdgcore.testing import components, drills, world
from sdgcore.testing.server import FakeOpenAIServer, Fault, Script

QUESTIONS = ["Q1 [learnable]", "Q2 [easy]", "Q3 [learnable]", "Q4 [easy]", "Q5 [split]",
             "Q6 [broken]"]
"""Q2: the teacher is down while labelling it; Q3: the student is down while solving it;
Q4: fine, but the teacher is down while labelling its rewrite; Q5: low agreement; Q6: the
teacher refuses it (HTTP 400)."""


def outage(request):
    """The scripted world with the teacher down for Q2 and Q4's rewrite, the student for Q3."""
    text = request.last_user
    labelling = request.model == "teacher-model" and not request.body.get("response_format")
    if labelling and ("Q2 [" in text or "from 'Q4'" in text):
        return Fault.server_error(500, "the teacher is down")
    if request.model == "student-model" and "Q3 [" in text:
        return Fault.server_error(503, "the student is down")
    return world.answer(request)


def questions_of(requests) -> str:
    return "\n".join(r.body["messages"][-1]["content"] for r in requests if r.body)


def test_transient_drops_are_retried_on_resume_and_content_drops_are_not(
        sdg_cli, make_plugin_manager, tmp_path):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting, rewriters)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(outage)) as server:
        path = world.write_config(tmp_path / "run.yaml", server.url, run_dir, QUESTIONS,
                                     target={"learnable": 100})
        first = sdg_cli(["run", str(path)], manager=manager)
        assert first.exit_code == 0, first.output
        before = drills.outputs(run_dir)
        kept = drills.committed(run_dir)
        mark = server.count()

        server.script = Script.respond(world.answer)  # everything is up again
        second = sdg_cli(["run", str(path)], manager=manager)
        assert second.exit_code == 0, second.output
        again = server.requests[mark:]
        after = drills.outputs(run_dir)

        # a third run finds nothing left to do and asks for nothing
        third = sdg_cli(["run", str(path)], manager=manager)
        assert third.exit_code == 0, third.output
        assert server.count() == mark + len(again)
    assert drills.outputs(run_dir) == after

    dropped = {s["question"]: s for s in before["dropped"]}
    child_of_q4 = next(q for q in dropped if "from 'Q4'" in q)
    assert set(dropped) == {"Q2 [easy]", "Q3 [learnable]", child_of_q4, "Q5 [split]",
                            "Q6 [broken]"}
    assert {q for q, s in dropped.items() if s["dropped_transient"]} == {
        "Q2 [easy]", "Q3 [learnable]", child_of_q4}
    assert "the teacher is down" in dropped["Q2 [easy]"]["dropped"]
    assert dropped["Q3 [learnable]"]["dropped"].startswith("solve: student failed: server")

    # the resume asked again for what had failed, and for nothing it had been paid for
    assert again and not any(drills.reference(r.body) in kept for r in again)
    asked = questions_of(again)
    assert "Q2 [" in asked and "Q3 [" in asked and "from 'Q4'" in asked
    assert "Q1 [" not in asked and "Q5 [" not in asked and "Q6 [" not in asked

    found = {name: sorted(s["question"] for s in rows) for name, rows in after.items()}
    assert found["dropped"] == ["Q5 [split]", "Q6 [broken]"]
    assert "Q3 [learnable]" in found["learnable"] and "Q1 [learnable]" in found["learnable"]
    assert found["too_easy"] == ["Q2 [easy]", "Q4 [easy]"]  # each once: the old chain is gone
    children = [s for s in after["learnable"] if s["parent_id"]]
    assert len(children) == 2 and {s["round"] for s in children} == {1}
    ids = [s["id"] for rows in after.values() for s in rows]
    assert len(ids) == len(set(ids)) == 8

    summary = json.loads((run_dir / "summary.json").read_text())
    counts = {"learnable": 4, "too_easy": 2, "too_hard": 0, "dropped": 2}
    assert summary["counts"] == counts
    assert {k: v for k, v in Checkpoints(run_dir).counts.items() if v} == {
        k: v for k, v in counts.items() if v}
    assert summary["rounds"] == 2


def sample(question: str, **fields) -> Sample:
    return Sample(task="list", question=question, source=Source("list"), **fields)


def test_a_later_chain_supersedes_the_transiently_dropped_one(tmp_path):
    store = Checkpoints(tmp_path)
    kept = sample("A", category="learnable", pass_rate=0.5)
    root = sample("B", category="too_easy", pass_rate=1.0)
    failed = root.rewrite("B harder", "harder").drop("label: teacher failed", transient=True)
    lasting = sample("C").drop("label: low agreement 0.40 < 0.60")
    spent = {"requests": 1, "tokens": 1}
    store.write([kept, root, failed, lasting], spent, {})
    assert store.counts == {"learnable": 1, "too_easy": 1, "dropped": 2}

    reopened = Checkpoints(tmp_path)
    assert reopened.seen == {kept.id, lasting.id}  # B is to be processed again
    assert reopened.counts == store.counts
    child = attrs.evolve(root.rewrite("B harder", "harder"), category="learnable")
    reopened.write([root, child], spent, {})
    assert {k: v for k, v in reopened.counts.items() if v} == {
        "learnable": 2, "too_easy": 1, "dropped": 1}
    assert [s.question for s in reopened.samples()] == ["A", "C", "B", "B harder"]

    last = Checkpoints(tmp_path)
    assert last.seen == {kept.id, root.id, lasting.id}
    assert [s.question for s in last.samples()] == ["A", "C", "B", "B harder"]
    assert {k: v for k, v in last.counts.items() if v} == {
        k: v for k, v in reopened.counts.items() if v}


def test_a_missing_round_file_is_not_read_past(tmp_path: Path):
    """A round whose ``.json`` was never written is unfinished: it is neither counted nor
    exported, and the samples it held are processed again."""
    store = Checkpoints(tmp_path)
    store.write([sample("A", category="learnable", pass_rate=0.5)], {"requests": 0,
                                                                     "tokens": 0}, {})
    (tmp_path / "rounds" / "round-00001.jsonl").write_text(
        sample("B", category="learnable", pass_rate=0.5).to_json() + "\n")
    reopened = Checkpoints(tmp_path)
    assert [s.question for s in reopened.samples()] == ["A"] and len(reopened.seen) == 1
