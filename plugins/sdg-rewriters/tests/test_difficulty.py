"""The difficulty rewriter through real HTTP: openai_compat against the loopback server."""

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


def rewrite(make_plugin_manager, tmp_path, script, direction, *samples, **rewrite_cfg):
    """Rewrite each sample in ``direction`` with a fresh server and endpoint; returns the
    results and the request bodies the server saw."""
    registry = make_plugin_manager(sdgcore.testing.components, plugin).registry
    config = structure({"task": {"type": "list", "questions": ["q"]},
                        "rewrite": {"type": "difficulty", **rewrite_cfg}}, registry)
    rewriter = config.rewrite.create()
    with FakeOpenAIServer(script) as server:
        backend = OpenAICompatBackend(
            OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test")),
            EndpointCommon(model="fake-model",
                           limits=Limits(backoff=0.01, max_backoff=0.1, timeout=5.0)),
        )
        endpoint = Endpoint("teacher", backend)
        ctx = RunContext(run_dir=tmp_path, config=config, models={"teacher": endpoint})

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
    assert child.meta == {"rewrite_change": "two more steps"}
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
    assert "reasoning step" in text and FORMAT in text and "same format" in text
    assert "Adding: 42" not in text


def test_the_easier_prompt_shows_a_failed_attempt(make_plugin_manager, tmp_path):
    [_], [body] = rewrite(make_plugin_manager, tmp_path, NEW, "easier", failing())
    text = prompt_of(body)
    assert QUESTION in text and "the student solved it in 0 of 4 attempts" in text
    assert WRONG in text and "no idea" not in text  # the first failed attempt only
    assert "give a hint" in text and FORMAT in text and "same format" in text


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
    assert child is not None and "MAKE IT NASTY" in text and "reasoning step" not in text
    assert QUESTION in text and body["temperature"] == 0.2


@pytest.mark.parametrize("answer", [
    Reply.json({"question": "  what is 17 +  25?\n", "change": "none"}),
    Reply.json({"question": "   "}),
    Fault.server_error(400),
])
def test_no_rewrite_gives_none(make_plugin_manager, tmp_path, answer):
    [child], bodies = rewrite(make_plugin_manager, tmp_path, Script.always(answer), "harder",
                              sample())
    assert child is None and len(bodies) == 1


def test_a_missing_change_is_left_out(make_plugin_manager, tmp_path):
    parent = sample()
    parent = attrs.evolve(parent, meta={**parent.meta, "rewrite_change": "an earlier round's"})
    [child], _ = rewrite(make_plugin_manager, tmp_path, Reply.json({"question": "Harder?"}),
                         "harder", parent)
    assert child.question == "Harder?" and child.meta == {}


def test_requests_are_seeded_per_sample_and_direction(make_plugin_manager, tmp_path):
    _, first = rewrite(make_plugin_manager, tmp_path, NEW, "harder", sample(), sample())
    _, easier = rewrite(make_plugin_manager, tmp_path, NEW, "easier", sample())
    assert first[0] == first[1] and isinstance(first[0]["seed"], int)
    assert easier[0]["seed"] != first[0]["seed"] and easier[0] != first[0]
