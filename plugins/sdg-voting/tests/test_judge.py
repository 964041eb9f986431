"""The ``llm_judge`` voter and comparator: real teacher and judge endpoints (openai_compat)
over the loopback server, whose judge replies are scripted per test."""

import asyncio

import attrs
import pytest

from sdg_voting import plugin
from sdg_voting.prompts import GRADE_SCHEMA, PICK_SCHEMA
from sdgcore import derive_seed
from sdgcore.context import RunContext
from sdgcore.records import Sample, Source, Tokens
from sdgcore.testing import Models, components, structure
from sdgcore.testing.server import Fault, Reply, Script

SAMPLE = Sample(task="list", question="What is the capital of France?",
                source=Source(kind="list"), tokens=Tokens(1, 1))
VOTES = ["<answer>Lyon</answer>", "<answer>Paris</answer>",
         "<answer>The capital is Paris</answer>", "Hmm. <answer>paris</answer>",
         "<answer>Lyon</answer>"]


@pytest.fixture
def run(make_plugin_manager, fake_openai, tmp_path):
    """``run(call, judge, teacher=VOTES, **section)`` -> ``call(component, ctx)`` for the
    voter (``voter=``) or comparator (``comparator=``) section, with the teacher answering
    ``teacher`` and the judge ``judge`` (a reply, a fault, or a list of them in turn)."""
    registry = make_plugin_manager(components, plugin).registry

    def go(call, judge, teacher=VOTES, voter=None, comparator=None):
        judged = iter(judge if isinstance(judge, list) else [judge] * 10)
        fake_openai.script = Script.respond(
            lambda request: teacher if request.model == "teacher-model" else next(judged))
        remote = {"backend": "openai_compat", "api_base": fake_openai.url,
                  "limits": {"backoff": 0.01, "retries": 0, "reask": 1, "timeout": 5}}
        config = structure({
            "task": {"type": "list", "questions": ["q"]}, "run": {"seed": 7},
            "models": {role: {**remote, "model": f"{role}-model"}
                       for role in ("teacher", "student", "judge")},
            "voter": {"type": "llm_judge", "k": len(teacher) if isinstance(teacher, list) else 5,
                      **(voter or {})},
            "solve": {"comparator": {"type": "llm_judge", **(comparator or {})}},
        }, registry)
        models = Models(config.models)
        ctx = RunContext(run_dir=tmp_path, config=config, models=models)
        component = config.voter.create() if comparator is None else (
            config.solve.comparator.create())

        async def main():
            try:
                return await call(component, ctx)
            finally:
                await models.aclose()
        return asyncio.run(main())

    return go


def label(run, judge, sample=SAMPLE, **kwargs):
    return run(lambda voter, ctx: voter.label(ctx, sample), judge, **kwargs)


def judge_requests(server):
    return [r.body for r in server.requests if r.body["model"] == "judge-model"]


def pick(index, agree=(), reason="most say Paris", **kwargs):
    return Reply.json({"index": index, "agree": list(agree), "reason": reason}, **kwargs)


# -- the voter ------------------------------------------------------------------------------

def test_the_judge_picks_the_consensus(run, fake_openai):
    teacher = [Reply(v, prompt_tokens=20, completion_tokens=3) for v in VOTES]
    labelled = label(run, pick(2, agree=[3, 4], prompt_tokens=50, completion_tokens=9),
                     teacher=teacher)
    assert labelled.dropped is None
    assert labelled.answer == "Paris" and labelled.reference == "<answer>Paris</answer>"
    # the pick, the candidates it says agree, and "paris" (equivalent anyway): 3 of 5
    assert labelled.agreement == pytest.approx(3 / 5)
    assert labelled.scoring == {"judge_reason": "most say Paris"}
    assert "voter_fallback" not in labelled.scoring
    assert labelled.tokens == Tokens(1 + 20 + 50, 1 + 5 * 3 + 9)

    [body] = judge_requests(fake_openai)
    assert body["temperature"] == 0.0 and body["seed"] == derive_seed(7, SAMPLE.id, "judge")
    assert body["response_format"]["json_schema"]["schema"] == PICK_SCHEMA
    prompt = body["messages"][-1]["content"]
    assert "What is the capital of France?" in prompt
    assert "[1] Lyon\n\n[2] Paris\n\n[3] The capital is Paris\n\n[4] paris\n\n[5] Lyon" in prompt


def test_agreement_counts_equivalent_answers_without_the_judges_list(run):
    labelled = label(run, pick(2), voter={"min_agreement": 0.4})
    assert labelled.answer == "Paris" and labelled.agreement == pytest.approx(2 / 5)
    dropped = label(run, pick(3), voter={"min_agreement": 0.3})
    assert dropped.dropped == "label: low agreement 0.20 < 0.30"
    assert dropped.scoring == {"judge_reason": "most say Paris"} and dropped.answer is None


@pytest.mark.parametrize("judge, why", [
    (pick(9), "exact: the judge picked 9, not a candidate from 1 to 5"),
    (pick(0), "exact: the judge picked 0, not a candidate from 1 to 5"),
    (pick(2, agree=[6]), "exact: the judge said 6 agrees, not a candidate from 1 to 5"),
    (Fault.server_error(400, "no such model"),
     "exact: the judge failed: client: HTTP 400: no such model (after 1 attempt)"),
])
def test_a_bad_pick_falls_back_to_the_exact_majority(run, judge, why):
    labelled = label(run, judge, voter={"min_agreement": 0.4})
    # exact: Lyon and paris tie at two votes each; Lyon came first
    assert labelled.scoring == {"voter_fallback": why}
    assert labelled.answer == "Lyon" and labelled.reference == "<answer>Lyon</answer>"
    assert labelled.agreement == pytest.approx(2 / 5) and labelled.dropped is None


def test_garbage_is_asked_again_then_falls_back(run, fake_openai):
    labelled = label(run, ["I pick number two!", "still not JSON"], voter={"min_agreement": 0.4})
    assert labelled.scoring["voter_fallback"].startswith(
        "exact: the judge failed: unparseable structured output: no JSON value found")
    assert labelled.answer == "Lyon"
    first, second = judge_requests(fake_openai)
    assert second["messages"][-2] == {"role": "assistant", "content": "I pick number two!"}

    fake_openai.reset()
    recovered = label(run, ["I pick number two!", pick(2).content],
                      voter={"min_agreement": 0.4})
    assert recovered.answer == "Paris" and recovered.scoring == {"judge_reason": "most say Paris"}


def test_blank_votes_are_not_candidates(run, fake_openai):
    labelled = label(run, pick(2), teacher=["", "<answer>7</answer>", "<answer>8</answer>"],
                     voter={"min_agreement": 0.3})
    assert labelled.answer == "8" and labelled.agreement == pytest.approx(1 / 3)
    prompt = judge_requests(fake_openai)[0]["messages"][-1]["content"]
    assert "numbered from 1 to 2" in prompt and "[1] 7\n\n[2] 8" in prompt


def test_no_judge_is_asked_without_enough_votes(run, fake_openai):
    labelled = label(run, pick(1), teacher=["", "<answer>7</answer>"])
    assert labelled.dropped == "label: too few valid answers (1 of 2)"
    assert judge_requests(fake_openai) == []
    failed = label(run, pick(1), teacher=Fault.server_error(400), voter={"k": 3})
    assert failed.dropped.startswith("label: teacher failed: client: HTTP 400")
    assert judge_requests(fake_openai) == []


# -- the comparator ---------------------------------------------------------------------------

ATTEMPTS = ["<answer>Paris</answer>", "It is Paris.", "<answer>Lyon</answer>",
            "I say <answer>Paris</answer>", ""]
LABELLED = attrs.evolve(SAMPLE, answer="Paris")


def grade(run, judge, sample=LABELLED, responses=ATTEMPTS):
    return run(lambda comparator, ctx: comparator.compare(ctx, sample, responses), judge,
               comparator={})


def verdicts(*items):
    return Reply.json({"verdicts": [{"correct": c, "reason": r} for c, r in items]})


def test_the_judge_grades_each_distinct_answer_once(run, fake_openai):
    judge = verdicts((True, "same city"), (True, "says Paris"), (False, "another city"))
    attempts = grade(run, judge)
    assert [(a.correct, a.reason) for a in attempts] == [
        (True, "same city"), (True, "says Paris"), (False, "another city"),
        (True, "same city"), (False, "empty response")]
    assert [a.answer for a in attempts] == ["Paris", None, "Lyon", "Paris", None]
    assert [a.response for a in attempts] == ATTEMPTS

    [body] = judge_requests(fake_openai)
    assert body["response_format"]["json_schema"]["schema"] == GRADE_SCHEMA
    prompt = body["messages"][-1]["content"]
    assert "Reference answer:\nParis" in prompt
    assert "[1] Paris\n\n[2] It is Paris.\n\n[3] Lyon\n\nFor each" in prompt
    assert "exactly 3 objects" in prompt


@pytest.mark.parametrize("judge, why", [
    (verdicts((True, "ok"), (True, "ok")), "the judge gave 2 verdicts for 3 answers"),
    (Fault.server_error(400, "down"), "the judge failed: client: HTTP 400: down (after 1 attempt)"),
])
def test_a_bad_grade_falls_back_to_exact(run, judge, why):
    attempts = grade(run, judge)
    assert [a.correct for a in attempts] == [True, False, False, True, False]
    assert all(a.reason.startswith(f"exact fallback ({why})") for a in attempts[:4])
    assert attempts[1].reason == f"exact fallback ({why}): no answer found"
    assert attempts[4].reason == "empty response"


def test_the_label_falls_back_to_the_reference_and_is_needed(run, fake_openai):
    reference = attrs.evolve(SAMPLE, reference="The capital is Paris.")
    grade(run, verdicts((True, "ok")), sample=reference, responses=["Paris"])
    assert "Reference answer:\nThe capital is Paris." in (
        judge_requests(fake_openai)[0]["messages"][-1]["content"])
    fake_openai.reset()
    unlabelled = grade(run, verdicts((True, "ok")), sample=SAMPLE, responses=["Paris", ""])
    assert [(a.correct, a.reason) for a in unlabelled] == [
        (False, "the sample has no label")] * 2
    assert judge_requests(fake_openai) == []
    assert grade(run, verdicts(), responses=[]) == []


def test_a_judge_role_without_an_endpoint_is_a_clear_error(run, fake_openai):
    from sdgcore.errors import SdgError

    with pytest.raises(SdgError, match="voter.judge: no model endpoint for role 'grader'"):
        label(run, pick(1), voter={"judge": "grader"})
    assert len(fake_openai.requests) == 1  # the votes were asked for; no judge was
