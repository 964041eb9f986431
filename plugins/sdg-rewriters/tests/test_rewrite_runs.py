"""Rewriting in a whole run on the scripted loopback server: a known share of too-easy
samples moves into ``learnable``, every rewrite's lineage is right, and a rejected rewrite
leaves its reason on its parent and in ``dropped.jsonl``."""

import json

import pytest

from sdg_rewriters import plugin as rewriters
from sdgcore import Sample
from sdgcore.testing import components, world
from sdgcore.testing.replies import Reply
from sdgcore.testing.server import FakeOpenAIServer, Script

QUESTIONS = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]", "Q5 [easy]", "Q6 [learnable]",
             "Q7 [easy]", "Q8 [hard]", "Q9 [easy]"]


def with_a_stubborn_teacher(request):
    """The world, except that the teacher "rewrites" Q9 into itself."""
    if request.body.get("response_format") and "Q9 [easy]" in request.last_user:
        return Reply.json({"question": "Q9 [easy]", "change": "nothing"})
    return world.answer(request)


def read(path):
    return [Sample.from_json(line) for line in path.open()] if path.exists() else []


@pytest.mark.parametrize("rewriter", ["difficulty", "evol"])
def test_rewriting_moves_too_easy_samples_into_learnable(tmp_path, sdg_cli, make_plugin_manager,
                                                         rewriter):
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting, rewriters)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(with_a_stubborn_teacher)) as server:
        config = world.write_config(tmp_path / "config.yaml", server.url, run_dir, QUESTIONS,
                                    rewrite={"type": rewriter, "max_rounds": 1})
        result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    learnable, easy = read(run_dir / "learnable.jsonl"), read(run_dir / "too_easy.jsonl")
    hard, dropped = read(run_dir / "too_hard.jsonl"), read(run_dir / "dropped.jsonl")
    originals = {s.id: s for s in learnable + easy + hard + dropped if s.parent_id is None}
    assert sorted(s.question for s in originals.values()) == sorted(QUESTIONS)

    # 3 of the 4 too-easy questions were made harder into learnable ones
    easy_ids = {s.id for s in easy}
    moved = [s for s in learnable if s.parent_id is not None]
    assert len(easy) == 4 and len(moved) == 3
    assert {originals[s.parent_id].question for s in moved} == {"Q2 [easy]", "Q5 [easy]",
                                                               "Q7 [easy]"}
    for child in moved:
        assert child.parent_id in easy_ids and child.direction == "harder"
        assert child.round == 1 and child.source == originals[child.parent_id].source
        assert child.meta["rewrite_strategy"] and child.pass_rate == 0.5
        assert child.answer == "8" and child.attempts  # labelled and solved anew
    # the too-hard ones were made easier, and stayed too hard
    rewritten_hard = [s for s in hard if s.parent_id is not None]
    assert len(rewritten_hard) == 2
    assert all(originals[s.parent_id].category == "too_hard" and s.direction == "easier"
               for s in rewritten_hard)
    # Q9's rewrite was rejected: the reason is on the parent and on the dropped child
    [q9] = [s for s in easy if s.question == "Q9 [easy]"]
    assert q9.scoring["rewrite"].startswith("rewrite: the question is (nearly) its parent's")
    [child] = [s for s in dropped if s.parent_id == q9.id]
    assert child.dropped == q9.scoring["rewrite"] and child.direction == "harder"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"]["learnable"] == 2 + 3
