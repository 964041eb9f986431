"""``label: vote | gold | verify``: how the label stage treats a sample that arrives with a
known answer (:attr:`Sample.gold`), in whole runs against the scripted loopback server
(:mod:`sdgcore.testing.world`: the teacher votes 4 on ``[learnable]``, 7 on ``[easy]``, splits
on ``[split]``; the student gets ``[learnable]`` right half the time)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from sdgcore.errors import ConfigError
from sdgcore.hookspecs import hookimpl
from sdgcore.testing import components, drills, structure, world
from sdgcore.testing.server import FakeOpenAIServer, Script


@attrs.frozen
class KnownConfig(components.ListTaskConfig):
    """``task:`` for ``type: known``: the ``list`` task, with a gold answer for the questions
    ``gold`` names."""

    gold: dict[str, str] = attrs.field(factory=dict)


class KnownTask(components.ListTask):
    """The ``list`` task, stating known answers."""

    name = "known"
    Config = KnownConfig

    async def generate(self, ctx):
        async for sample in super().generate(ctx):
            yield attrs.evolve(sample, gold=self.config.gold.get(sample.question))


class Known:
    @hookimpl
    def sdg_register_tasks(self, register):
        register(KnownTask)


def run(sdg_cli, make_plugin_manager, tmp_path: Path, label: str, gold: dict[str, str],
        max_rounds: int = 0) -> tuple[dict[str, dict], list]:
    """Run the ``known`` task over ``gold``'s questions; every sample by question (rewrites
    by their parent's question + " child"), and the requests the server saw."""
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    questions = list(gold)
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        run_dir = tmp_path / "run"
        path = world.write_config(
            tmp_path / "known.yaml", server.url, run_dir, [], label=label,
            task={"type": "known", "questions": questions,
                  "gold": {q: a for q, a in gold.items() if a is not None}},
            target={"learnable": 100}, rewrite={"type": "difficulty", "max_rounds": max_rounds})
        result = sdg_cli(["run", str(path)],
                         manager=make_plugin_manager(components, voting, rewriters, Known()))
        assert result.exit_code == 0, result.output
        requests = list(server.requests)
    samples = [s for rows in drills.outputs(run_dir).values() for s in rows]
    by_question = {s["question"]: s for s in samples if s["parent_id"] is None}
    for child in (s for s in samples if s["parent_id"] is not None):
        parent = next(p for p in samples if p["id"] == child["parent_id"])
        by_question[parent["question"] + " child"] = child
    return by_question, requests


def votes_for(requests: list, question: str) -> int:
    """Ballot requests (the teacher answering, not rewriting) for ``question``."""
    return sum(1 for r in requests if r.body["model"] == "teacher-model"
               and not r.body.get("response_format")
               and question in r.body["messages"][-1]["content"])


def test_gold_is_the_label_with_no_teacher_request(sdg_cli, make_plugin_manager, tmp_path):
    found, requests = run(sdg_cli, make_plugin_manager, tmp_path, "gold",
                          {"Q1 [learnable]": "4", "Q2 [easy]": "5", "Q3 [hard]": None})
    learnable, easy, hard = (found[q] for q in ("Q1 [learnable]", "Q2 [easy]", "Q3 [hard]"))
    assert learnable["answer"] == "4" and learnable["pass_rate"] == 0.5
    assert learnable["agreement"] == 1.0 and learnable["votes"] == []
    assert learnable["scoring"] == {"gold": {"mode": "gold"}}
    assert learnable["reference"] == "4"  # the task gave none: the gold answer
    # the gold answer wins over what the teacher would have voted (7): the student's 7s fail
    assert easy["answer"] == "5" and easy["pass_rate"] == 0.0 and easy["category"] == "too_hard"
    assert votes_for(requests, "Q1 [learnable]") == votes_for(requests, "Q2 [easy]") == 0
    # a sample without a gold answer is voted on
    assert votes_for(requests, "Q3 [hard]") == 1 and hard["answer"] == "9"
    assert "gold" not in hard["scoring"] and len(hard["votes"]) == 5


def test_a_rewrite_has_no_gold_answer_and_is_voted_on(sdg_cli, make_plugin_manager,
                                                      tmp_path):
    found, requests = run(sdg_cli, make_plugin_manager, tmp_path, "gold",
                          {"Q2 [easy]": "7"}, max_rounds=1)
    parent, child = found["Q2 [easy]"], found["Q2 [easy] child"]
    assert parent["category"] == "too_easy" and parent["scoring"]["gold"] == {"mode": "gold"}
    assert child["gold"] is None and child["answer"] == "8" and len(child["votes"]) == 5
    assert "gold" not in child["scoring"] and child["category"] == "learnable"
    assert votes_for(requests, "Q2 [easy]") == 0


def test_verify_keeps_agreeing_samples_and_drops_the_others_with_the_reason(
        sdg_cli, make_plugin_manager, tmp_path):
    found, requests = run(sdg_cli, make_plugin_manager, tmp_path, "verify",
                          {"Q1 [learnable]": "4.0", "Q2 [easy]": "6", "Q4 [split]": "1",
                           "Q3 [hard]": None})
    agreed = found["Q1 [learnable]"]
    assert agreed["category"] == "learnable" and agreed["answer"] == "4.0"  # the gold answer
    assert agreed["agreement"] == 1.0 and len(agreed["votes"]) == 5
    assert agreed["reference"].endswith("<answer>4</answer>")  # the winning vote's response
    assert agreed["scoring"]["gold"] == {"mode": "verify", "votes_agreeing": 1.0,
                                         "agrees": True, "vote": "4", "reason": "number"}
    disagreed = found["Q2 [easy]"]
    assert disagreed["dropped"] == ("label: the vote '7' disagrees with the gold answer '6' "
                                    "(exact: number)")
    assert disagreed["scoring"]["gold"]["agrees"] is False
    assert disagreed["scoring"]["gold"]["votes_agreeing"] == 0.0
    assert disagreed["attempts"] == []  # never solved
    # the voter's own drop stands; how many votes matched the gold answer is still recorded
    split = found["Q4 [split]"]
    assert split["dropped"] == "label: low agreement 0.40 < 0.60"
    assert split["scoring"]["gold"] == {"mode": "verify", "votes_agreeing": 0.4}
    hard = found["Q3 [hard]"]  # no gold answer: voted on, nothing to verify
    assert hard["answer"] == "9" and "gold" not in hard["scoring"]
    assert votes_for(requests, "Q1 [learnable]") == 1


def test_vote_ignores_the_gold_answer(sdg_cli, make_plugin_manager, tmp_path):
    found, _ = run(sdg_cli, make_plugin_manager, tmp_path, "vote", {"Q2 [easy]": "6"})
    easy = found["Q2 [easy]"]
    assert easy["gold"] == "6" and easy["answer"] == "7" and easy["scoring"] == {}
    assert easy["category"] == "too_easy"


def test_label_takes_three_values(make_plugin_manager):
    registry = make_plugin_manager(components).registry
    assert structure({"task": {"type": "list", "questions": []}}, registry).label == "vote"
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "list", "questions": []}, "label": "trust"}, registry)
    assert dict(info.value.problems) == {
        "label": "expected one of 'vote', 'gold', 'verify', got 'trust'"}
