"""The distill task end to end: real HTTP to the loopback server, and the embedded model."""

import asyncio
import json

import pytest

import sdgcore.testing.components
from sdg_distill import plugin
from sdg_distill.prompts import question_messages
from sdgcore import AnswerFormat, derive_seed
from sdgcore.config.values import Secret
from sdgcore.context import RunContext
from sdgcore.dedup import NearDuplicates, similarity
from sdgcore.errors import SdgError
from sdgcore.models import Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig, Sampling
from sdgcore.testing import structure
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script

PATTERN = "Short arithmetic word problems about everyday things."
EXAMPLES = [{"question": "Tom has 3 apples and eats one. How many are left?", "answer": "2"},
            {"question": "A train travels 60 km in one hour. How far does it go in three?"},
            {"question": "What is the sum of 12 and 30?", "reference": "42"}]


def teacher(server, retries=0):
    backend = OpenAICompatBackend(
        OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test")),
        EndpointCommon(model="fake-model", sampling=Sampling(max_tokens=64),
                       limits=Limits(retries=retries, backoff=0.01, max_backoff=0.1,
                                     timeout=5.0, reask=0)))
    return Endpoint("teacher", backend)


def make_run(make_plugin_manager, tmp_path, endpoint, seed=0, **task):
    registry = make_plugin_manager(sdgcore.testing.components, plugin).registry
    options = {"type": "distill", "instruction": "Write a grade-school math word problem.", **task}
    config = structure({"task": options, "run": {"dir": str(tmp_path), "seed": seed}}, registry)
    ctx = RunContext(run_dir=tmp_path, config=config, models={"teacher": endpoint})
    return config.task.create(), ctx


def write_examples(tmp_path, rows=EXAMPLES):
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def is_pattern(request):
    return "response_format" not in request.body


def index_of(seed, run_seed=0, upto=400):
    return {derive_seed(run_seed, "distill", i): i for i in range(upto)}[seed]


def scripted(questions, then="the same old question", run_seed=0):
    """Answers the pattern request with PATTERN and attempt i with questions[i] (then ``then``);
    a Fault in ``questions`` answers that attempt with the fault."""
    def answer(request):
        if is_pattern(request):
            return Reply(PATTERN)
        i = index_of(request.body["seed"], run_seed)
        item = questions[i] if i < len(questions) else then
        return item if isinstance(item, Fault) else Reply.json({"question": item})
    return Script.respond(answer)


def last_user(logged):
    return [m for m in logged.body["messages"] if m["role"] == "user"][-1]["content"]


def take(task, ctx, limit=None):
    """The samples ``task`` generates (up to ``limit``), the stream closed after."""
    async def go():
        out = []
        stream = task.generate(ctx)
        try:
            async for sample in stream:
                out.append(sample)
                if limit is not None and len(out) >= limit:
                    break
        finally:
            await stream.aclose()
            await ctx.models["teacher"].aclose()
        return out
    return asyncio.run(go())


def prepare(task, ctx):
    async def go():
        try:
            await task.prepare(ctx)
        finally:
            await ctx.models["teacher"].aclose()
    asyncio.run(go())



def test_samples_carry_source_meta_tokens_and_the_prompt_has_the_seeds(make_plugin_manager,
                                                                       tmp_path):
    def answer(request):
        if is_pattern(request):
            return Reply(PATTERN)
        topic = "trains" if "Topic: trains" in request.last_user else "apples"
        return Reply.json({"question": f"  A {topic} problem number {request.body['seed']}?  "},
                          prompt_tokens=11, completion_tokens=7)

    with FakeOpenAIServer(Script.respond(answer)) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server), seed=7,
                             examples=str(write_examples(tmp_path)), topics=["apples", "trains"],
                             keywords=["half", "twice", "sum", "dozen"], temperature=0.6,
                             input_format="One paragraph.", output_format="End with \\boxed{}.")
        prepare(task, ctx)
        samples = take(task, ctx, limit=4)
        requests = server.requests
    assert [s.source.locator for s in samples] == [
        {"index": i, "topic": ["apples", "trains"][i % 2]} for i in range(4)]
    for i, sample in enumerate(samples):
        seed = derive_seed(7, "distill", i)
        assert sample.task == "distill" and sample.question == \
            f"A {['apples', 'trains'][i % 2]} problem number {seed}?"
        assert sample.source.kind == "teacher" and sample.source.ref == "fake-model"
        assert sample.answer_format == AnswerFormat(instruction="End with \\boxed{}.")
        assert sample.meta == {}
        assert sample.prompt().endswith("\n\nEnd with \\boxed{}.")
        assert (sample.tokens.prompt, sample.tokens.completion) == (11, 7)
    pattern, first = requests[0], next(r for r in requests[1:] if r.body["seed"] ==
                                       derive_seed(7, "distill", 0))
    assert is_pattern(pattern) and pattern.body["temperature"] == 0.0
    assert pattern.body["seed"] == derive_seed(7, "distill", "pattern")
    assert EXAMPLES[2]["question"] in last_user(pattern)
    prompt = last_user(first)
    assert "Write a grade-school math word problem." in prompt and PATTERN in prompt
    assert "Topic: apples" in prompt and "One paragraph." in prompt
    assert "Answer format (whoever answers later is told): End with \\boxed{}." in prompt
    assert EXAMPLES[0]["question"] in prompt and "ONE new question" in prompt
    keywords = prompt.split("Work in these keywords: ")[1].splitlines()[0].split(", ")
    assert len(keywords) == 3 and set(keywords) <= {"half", "twice", "sum", "dozen"}
    assert first.body["temperature"] == 0.6 and first.body["response_format"]["type"] == \
        "json_schema"
    second = next(r for r in requests if r.body.get("seed") == derive_seed(7, "distill", 1))
    assert EXAMPLES[1]["question"] in last_user(second).split("Example 1:")[1].splitlines()[1]


def test_the_answer_tag_reaches_the_teacher_and_the_samples():
    """Issue 12: the task states the answer format once; without an ``output_format`` its
    line is the default one for ``answer_tag``, and the teacher is told it too."""
    config = plugin.DistillConfig(instruction="Math.", answer_tag="final")
    assert config.answer_format == AnswerFormat(tag="final")
    prompt = question_messages(config, None, None, [], [])[-1]["content"]
    assert "Answer format (whoever answers later is told): End your reply with the final " \
           "answer alone, as <final>...</final>." in prompt
    with pytest.raises(ValueError, match="answer tag"):
        plugin.DistillConfig(instruction="Math.", answer_tag="<final>")


def test_rejects_duplicates_empties_and_failures_then_ends(make_plugin_manager, tmp_path):
    questions = ["What is the capital of France?", "what is the capital of  France ?", "",
                 "   ", Fault.server_error(500), EXAMPLES[0]["question"].upper(),
                 "What is the capital of Spain?"]
    with FakeOpenAIServer(scripted(questions, then=questions[0])) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server),
                             examples=str(write_examples(tmp_path)))
        samples = take(task, ctx)
        count = server.count()
    assert [(s.question, s.source.locator["index"]) for s in samples] == [
        ("What is the capital of France?", 0), ("What is the capital of Spain?", 6)]
    assert task.counts == {"made": 2, "duplicate": 2 + 50, "empty": 2, "failed": 1}
    assert count == 1 + 7 + 50  # the pattern, then no request past the last attempt


def test_fifty_rejects_in_a_row_end_the_stream(make_plugin_manager, tmp_path):
    with FakeOpenAIServer(scripted([], then="Always this question?")) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server))
        samples = take(task, ctx)
        assert server.count() == 1 + 51
    assert [s.question for s in samples] == ["Always this question?"]
    assert task.counts == {"made": 1, "duplicate": 50}


def test_pattern_is_asked_once_and_reused(make_plugin_manager, tmp_path):
    examples = str(write_examples(tmp_path))
    with FakeOpenAIServer(scripted(["Q one?", "Q two?"])) as server:
        def asked():
            return sum(is_pattern(r) for r in server.requests)

        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server), examples=examples)
        prepare(task, ctx)
        prepare(task, ctx)
        saved = json.loads((tmp_path / "task-distill" / "pattern.json").read_text())
        assert server.count() == 1
        again, ctx = make_run(make_plugin_manager, tmp_path, teacher(server), examples=examples)
        prepare(again, ctx)  # a resume: a new task instance, the same run directory
        assert server.count() == 1 and again.pattern.text == PATTERN
        assert take(again, ctx, limit=1)[0].question == "Q one?" and asked() == 1
        changed, ctx = make_run(make_plugin_manager, tmp_path, teacher(server),
                                examples=examples, instruction="Write a riddle.")
        prepare(changed, ctx)  # other inputs: pattern.json is not reused
        assert asked() == 2
    assert saved["pattern"] == PATTERN and saved["source"] == "teacher" and saved["error"] is None
    assert saved["examples"] == [dict(e) for e in EXAMPLES]


def test_a_failed_pattern_request_falls_back_to_the_instruction(make_plugin_manager, tmp_path):
    def answer(request):
        if is_pattern(request):
            return Fault.server_error(503)
        return Reply.json({"question": "Fine question?"})

    with FakeOpenAIServer(Script.respond(answer)) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server))
        samples = take(task, ctx, limit=1)  # generate prepares itself where needed
        prompt = last_user(server.requests[1])
    saved = json.loads((tmp_path / "task-distill" / "pattern.json").read_text())
    assert saved["source"] == "instruction" and "HTTP 503" in saved["error"]
    assert saved["pattern"] == "Write a grade-school math word problem."
    assert samples[0].question == "Fine question?" and "What the questions look like" not in prompt


@pytest.mark.parametrize("content, message", [
    (None, "distill examples file not found: {path}"),
    ('{"question": "ok?"}\n{"question": "broken"\n', "{path}, line 2: not valid JSON"),
    ('\n{"reference": "no question here"}\n', "{path}, line 2: has no \"question\""),
    ('{"question": ""}\n', "{path}, line 1: has an empty or non-string \"question\""),
    ('["question"]\n', "{path}, line 1: expected a JSON object, got list"),
    ("\n\n", "distill examples file {path} holds no examples"),
])
def test_bad_examples_are_clear_errors(make_plugin_manager, tmp_path, content, message):
    path = tmp_path / "seeds.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with FakeOpenAIServer(scripted([])) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path, teacher(server), examples=str(path))
        with pytest.raises(SdgError) as info:
            prepare(task, ctx)
        assert server.count() == 0
    assert message.format(path=path) in info.value.message


def test_the_same_config_and_seed_replay_the_same_requests(make_plugin_manager, tmp_path):
    questions = [f"Question {i} about {'xyz'[i % 3]} things?" for i in range(6)]

    def run(run_dir, seed=0):
        with FakeOpenAIServer(scripted(questions, then=questions[1], run_seed=seed)) as server:
            task, ctx = make_run(make_plugin_manager, run_dir, teacher(server), seed=seed,
                                 examples=str(write_examples(tmp_path)), topics=["a", "b", "c"],
                                 keywords=["k1", "k2", "k3", "k4", "k5"])
            samples = take(task, ctx, limit=1 if seed else None)
            bodies = sorted(json.dumps(r.body, sort_keys=True) for r in server.requests)
        return [s.to_dict() for s in samples], bodies

    first, second = run(tmp_path / "one"), run(tmp_path / "two")
    assert [s["question"] for s in first[0]] == questions
    assert first == second and len(first[1]) == 1 + 6 + 50
    other = {json.loads(b)["seed"] for b in run(tmp_path / "three", seed=1)[1]}
    assert other.isdisjoint(json.loads(b)["seed"] for b in first[1])


def test_near_duplicate_measure():
    assert similarity("What is 2+2?", "what is 2 + 2 ?") == 1.0
    assert similarity("Write a riddle about cats", "Write a riddle about dogs") == 0.5
    seen = NearDuplicates(0.9)
    seen.add("A long question about trains leaving a station at noon and at one?")
    assert seen.is_duplicate("a long question about trains leaving a station at noon and at one")
    assert not seen.is_duplicate("A long question about trains leaving a station at dawn?")
    assert NearDuplicates(0.0).is_duplicate("anything") is False


@pytest.mark.slow
def test_the_embedded_model_makes_questions(make_plugin_manager, tmp_path):
    pytest.importorskip("llama_cpp")
    from sdgcore.errors import MissingExtraError
    from sdgcore.models.backends.llamacpp import LlamaCppBackend, default_model_path
    from sdgcore.models.config import LlamaCppConfig

    try:
        default_model_path()
    except MissingExtraError as exc:
        pytest.skip(str(exc))
    backend = LlamaCppBackend(LlamaCppConfig(n_ctx=2048), EndpointCommon(
        sampling=Sampling(max_tokens=96), limits=Limits(retries=0, reask=1)))
    endpoint = Endpoint("teacher", backend)
    task, ctx = make_run(make_plugin_manager, tmp_path, endpoint, topics=["apples", "trains"],
                         examples=str(write_examples(tmp_path)), temperature=0.8)

    async def go():
        try:
            await task.prepare(ctx)
            out = []
            stream = task.generate(ctx)
            async for sample in stream:
                out.append(sample)
                if len(out) == 3:
                    break
            await stream.aclose()
            return out
        finally:
            await endpoint.aclose()

    samples = asyncio.run(go())
    assert (tmp_path / "task-distill" / "pattern.json").is_file()
    assert len(samples) == 3
    for sample in samples:
        assert isinstance(sample.question, str) and sample.question.strip()
        assert sample.source.ref and sample.source.ref.endswith(".gguf")
        assert sample.tokens.completion > 0
