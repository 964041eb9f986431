"""The difficulty and evol rewriters through real HTTP: openai_compat against the loopback
server: prompts, targeted strategies, Evol-Instruct evolutions, and the checks a rewrite
passes (changed, no scaffolding, answerable)."""

import asyncio

import attrs
import pytest

import sdgcore.testing.components
from sdg_rewriters import plugin
from sdgcore import AnswerFormat
from sdgcore.config.values import Secret
from sdgcore.context import RunContext
from sdgcore.models import Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig
from sdgcore.records import Attempt, Sample, Source, Tokens
from sdgcore.testing import structure
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script

QUESTION = "What is 17 + 25?"
FORMAT = "Put the final answer in <answer></answer> tags."
ANSWER_FORMAT = AnswerFormat(instruction=FORMAT)
WRONG = "17 + 25 = 32, so the answer is <answer>32</answer>."


def sample(attempts=None):
    if attempts is None:
        attempts = (Attempt("Adding: 42 <answer>42</answer>", "42", True),) * 4
    return Sample(task="list", question=QUESTION, reference="17 + 25 = 42", answer="42",
                  source=Source(kind="list", locator={"index": 0}),
                  attempts=tuple(attempts), round=0, answer_format=ANSWER_FORMAT, gold="42",
                  context="Some numbers.", agreement=1.0, scoring={"gate": "passed"},
                  meta={"evidence": "17 + 25 = 42"})


def failing():
    return sample([Attempt(WRONG, "32", False)] + [Attempt("no idea", None, False)] * 3)


def rewrite(make_plugin_manager, tmp_path, script, direction, *samples, retries=2,
            earlier=(), **rewrite_cfg):
    """Rewrite each sample in ``direction`` with a fresh server and endpoint; returns the
    results and the request bodies the server saw."""
    registry = make_plugin_manager(sdgcore.testing.components, plugin).registry
    rewrite_cfg = {"type": "difficulty", **rewrite_cfg}
    config = structure({"task": {"type": "list", "questions": ["q"]},
                        "rewrite": rewrite_cfg}, registry)
    rewriter = config.rewrite.create()
    with FakeOpenAIServer(script) as server:
        backend = OpenAICompatBackend(
            OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test")),
            EndpointCommon(model="fake-model",
                           limits=Limits(backoff=0.01, max_backoff=0.1, timeout=5.0,
                                         retries=retries)),
        )
        endpoint = Endpoint("teacher", backend)
        ctx = RunContext(run_dir=tmp_path, config=config,
                         models={"teacher": endpoint, "judge": endpoint})
        for generated in (*earlier, *samples):  # the task's order: earlier ones first
            ctx.pool.add(generated)

        async def go():
            try:
                return [await rewriter.rewrite(ctx, s, direction) for s in samples]
            finally:
                await endpoint.aclose()

        results = asyncio.run(go())
        return results, [r.body for r in server.requests]


def prompt_of(body):
    return "\n".join(m["content"] for m in body["messages"])


NEW = Reply.json({"question": "What is 17 + 25 - 8, times 2?", "change": "two more steps"},
                 prompt_tokens=50, completion_tokens=12)


@pytest.mark.parametrize("direction, original", [("harder", sample), ("easier", failing)])
def test_a_rewrite_is_a_new_child_sample(make_plugin_manager, tmp_path, direction, original):
    parent = original()
    [child], [body] = rewrite(make_plugin_manager, tmp_path, NEW, direction, parent)
    assert child.question == "What is 17 + 25 - 8, times 2?"
    assert child.parent_id == parent.id and child.id != parent.id
    assert child.direction == direction and child.round == 1
    assert child.source == parent.source and child.task == "list"
    assert child.answer_format == ANSWER_FORMAT and child.context == parent.context
    # the teacher's change is the child's only fact; nothing of the parent's scoring carries
    assert child.meta == {"rewrite_change": "two more steps",
                          "rewrite_strategy": child.meta["rewrite_strategy"]}
    assert child.meta["rewrite_strategy"] in (
        ["constraint", "steps", "depth"] if direction == "harder"
        else ["decompose", "hint", "simplify"])
    assert child.tokens == Tokens(50, 12)
    assert child.reference is None and child.answer is None and child.attempts == ()
    assert child.pass_rate is None and child.votes == () and child.agreement is None
    assert child.gold is None and child.scoring == {}
    assert body["response_format"]["type"] == "json_schema"
    assert body["temperature"] == 0.7


def test_the_harder_prompt_shows_the_record_but_no_attempt(make_plugin_manager, tmp_path):
    [_], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample())
    text = prompt_of(body)
    assert QUESTION in text and "17 + 25 = 42" in text and "Reference answer: 42" in text
    assert "the student solved it in 4 of 4 attempts" in text
    assert "How to make it harder:" in text and FORMAT in text and "same format" in text
    assert "Adding: 42" not in text


def test_the_easier_prompt_shows_a_failed_attempt(make_plugin_manager, tmp_path):
    [_], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "easier", failing())
    text = prompt_of(body)
    assert QUESTION in text and "the student solved it in 0 of 4 attempts" in text
    assert WRONG in text and "no idea" not in text  # the first failed attempt only
    assert "How to make it easier:" in text and FORMAT in text and "same format" in text


def test_the_failed_attempt_is_the_first_incorrect_one(make_plugin_manager, tmp_path):
    mixed = sample([Attempt("Adding: 42 <answer>42</answer>", "42", True),
                    Attempt(WRONG, "32", False)])
    [_], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "easier", mixed)
    text = prompt_of(body)
    assert WRONG in text and "Adding: 42" not in text
    assert "the student solved it in 1 of 2 attempts" in text


def test_a_long_failed_attempt_is_cut(make_plugin_manager, tmp_path):
    long = "x" * 5000 + " <answer>7</answer>"
    [_], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "easier",
                          sample([Attempt(long, "7", False)]))
    text = prompt_of(body)
    assert "<answer>7</answer>" in text and "characters cut" in text and len(text) < 4000


def test_a_custom_prompt_replaces_the_built_in_one(make_plugin_manager, tmp_path):
    [child], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample(),
                              harder_prompt="MAKE IT NASTY", temperature=0.2)
    text = prompt_of(body)
    assert not child.dropped and "MAKE IT NASTY" in text and "How to make" not in text
    assert child.meta["rewrite_strategy"] == "custom"
    assert QUESTION in text and body["temperature"] == 0.2


@pytest.mark.parametrize(("answer", "reason", "transient"), [
    (Reply.json({"question": "  what is 17 +  25?\n", "change": "none"}),
     "the question is (nearly) its parent's (similarity 1.00)", False),
    (Reply.json({"question": "What is 17 + 25 ?"}), "(nearly) its parent's", False),
    (Reply.json({"question": "   "}), "the teacher gave no question", False),
    (Reply.json({"question": "#Rewritten Prompt#: What is 17 + 26?"}), "scaffolding", False),
    (Reply.json({"question": "Why?"}), "too short", False),
    (Fault.server_error(400), "the request failed", False),
    (Fault.server_error(503), "the request failed", True),
])
def test_an_unusable_rewrite_comes_back_dropped_with_the_reason(make_plugin_manager, tmp_path,
                                                                answer, reason, transient):
    parent = sample()
    [child], bodies = rewrite(make_plugin_manager, tmp_path, Script.always(answer), "harder",
                              parent, retries=1)
    assert child.dropped.startswith("rewrite: ") and reason in child.dropped
    assert child.dropped_transient is transient
    assert child.parent_id == parent.id and child.direction == "harder"
    assert len(bodies) == (2 if transient else 1)


def test_a_missing_change_is_left_out(make_plugin_manager, tmp_path):
    parent = sample()
    parent = attrs.evolve(parent, meta={**parent.meta, "rewrite_change": "an earlier round's"})
    [child], _ = rewrite(make_plugin_manager, tmp_path,
                         Reply.json({"question": "Harder, please?"}),
                         "harder", parent)
    assert child.question == "Harder, please?" and set(child.meta) == {"rewrite_strategy"}


def test_requests_are_seeded_per_sample_and_direction(make_plugin_manager, tmp_path):
    _, first = rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample(), sample())
    _, easier = rewrite(make_plugin_manager, tmp_path, NEW, "easier", sample())
    assert first[0] == first[1] and isinstance(first[0]["seed"], int)
    assert easier[0]["seed"] != first[0]["seed"] and easier[0] != first[0]


def many(n: int) -> list[Sample]:
    base = sample()
    return [Sample(task=base.task, question=f"{QUESTION} (variant {i})", answer="42",
                   source=base.source, answer_format=base.answer_format) for i in range(n)]


def test_harder_strategies_are_spread_over_samples_and_named(make_plugin_manager, tmp_path):
    children, bodies = rewrite(make_plugin_manager, tmp_path, NEW, "harder", *many(12))
    used = [c.meta["rewrite_strategy"] for c in children]
    assert set(used) == {"constraint", "steps", "depth", "combine"}
    for child, body in zip(children, bodies, strict=True):
        line = {"constraint": "Add a constraint", "steps": "more reasoning or calculation",
                "depth": "deepen the reasoning",
                "combine": "The second question"}[child.meta["rewrite_strategy"]]
        assert line in prompt_of(body)
    again, _ = rewrite(make_plugin_manager, tmp_path, NEW, "harder", *many(12))
    assert [c.meta["rewrite_strategy"] for c in again] == used  # the same on a rerun


def test_configured_strategies_are_the_only_ones_used(make_plugin_manager, tmp_path):
    children, bodies = rewrite(make_plugin_manager, tmp_path, NEW, "easier", *many(6),
                               easier=["hint"])
    assert {c.meta["rewrite_strategy"] for c in children} == {"hint"}
    assert all("give a hint that points at the method" in prompt_of(b) for b in bodies)


@pytest.mark.parametrize("bad", [[], ["fuse"]])
def test_a_bad_strategy_list_is_a_config_error(make_plugin_manager, tmp_path, bad):
    from sdgcore import ConfigError

    with pytest.raises(ConfigError) as err:
        rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample(), harder=bad)
    [(where, problem)] = err.value.problems
    assert "harder" in where + problem


def test_evol_harder_is_an_in_depth_evolution(make_plugin_manager, tmp_path):
    children, bodies = rewrite(make_plugin_manager, tmp_path, NEW, "harder", *many(8),
                               type="evol", max_added_words=15)
    methods = {c.meta["rewrite_strategy"] for c in children}
    assert methods <= {"in-depth:constraints", "in-depth:deepen", "in-depth:concretize",
                       "in-depth:reasoning"} and len(methods) > 1
    text = prompt_of(bodies[0])
    assert "more complex version" in text and "add at most 15 words" in text
    assert QUESTION in text


@pytest.mark.parametrize(("breadth", "strategy", "phrase"), [
    (True, "in-breadth", "brand new question in the same domain"),
    (False, "decompose", "Ask only for one sub-problem"),
])
def test_evol_easier(make_plugin_manager, tmp_path, breadth, strategy, phrase):
    [child], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "easier", sample(),
                              type="evol", breadth=breadth)
    assert child.meta["rewrite_strategy"] == strategy and phrase in prompt_of(body)


def judged(verdict: bool):
    def answer(request):
        if "answerable" in str(request.body.get("response_format")):
            return Reply.json({"answerable": verdict, "reason": "two answers fit"})
        return NEW
    return Script.respond(answer)


def test_the_judge_rejects_an_unanswerable_rewrite(make_plugin_manager, tmp_path):
    [child], bodies = rewrite(make_plugin_manager, tmp_path, judged(False), "harder",
                              sample(), check_answerable=True)
    assert child.dropped == "rewrite: the judge found it unanswerable: two answers fit"
    assert child.scoring["answerable"] == {"verdict": False, "reason": "two answers fit"}
    assert len(bodies) == 2 and "What is 17 + 25 - 8, times 2?" in prompt_of(bodies[1])


def test_an_answerable_rewrite_keeps_the_verdict(make_plugin_manager, tmp_path):
    [child], bodies = rewrite(make_plugin_manager, tmp_path, judged(True), "harder",
                              sample(), check_answerable=True)
    assert not child.dropped and child.scoring["answerable"]["verdict"] is True
    _, unchecked = rewrite(make_plugin_manager, tmp_path, judged(True), "harder", sample())
    assert len(bodies) == 2 and len(unchecked) == 1  # the check is off by default


def test_combine_joins_a_sample_with_an_earlier_one(make_plugin_manager, tmp_path):
    earlier = many(3)
    later = [Sample(task="list", question=f"What is {i} times 7?", answer=str(7 * i),
                    source=sample().source) for i in range(12)]
    children, bodies = rewrite(make_plugin_manager, tmp_path, NEW, "harder", *later,
                               earlier=earlier, harder=["combine"])
    assert {c.meta["rewrite_strategy"] for c in children} == {"combine"}
    questions = {s.id: s.question for s in earlier + later}
    for child, body, parent in zip(children, bodies, later, strict=True):
        partner = child.meta["rewrite_partner"]
        position = [s.id for s in earlier + later].index(parent.id)
        assert partner in [s.id for s in (earlier + later)[:position]]  # generated before
        assert f"The second question:\n{questions[partner]}" in prompt_of(body)
        assert "needs the answers to both" in prompt_of(body)
    again, _ = rewrite(make_plugin_manager, tmp_path, NEW, "harder", *later, earlier=earlier,
                       harder=["combine"])
    assert [c.meta for c in again] == [c.meta for c in children]  # the same partners


def test_the_first_sample_has_no_partner_and_gets_another_strategy(make_plugin_manager,
                                                                   tmp_path):
    [child], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample(),
                              harder=["combine", "steps"])
    assert child.meta["rewrite_strategy"] == "steps" and "rewrite_partner" not in child.meta
    assert "second question" not in prompt_of(body)
