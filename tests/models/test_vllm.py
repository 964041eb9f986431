"""The vllm backend: its micro-batcher driven by a stand-in engine (runs anywhere), and the
real engine on a small model (``@pytest.mark.gpu``: needs vllm and a CUDA device)."""

import asyncio
import importlib.util
import json
import os
import threading
import time
from collections import namedtuple
from types import SimpleNamespace

import pytest

from sdgcore.errors import MissingExtraError
from sdgcore.models.backends.vllm import VllmBackend
from sdgcore.models.config import EndpointCommon, VllmConfig
from sdgcore.models.types import BackendError, ChatRequest

Output = namedtuple("Output", "text finish_reason token_ids cumulative_logprob")
RequestOutput = namedtuple("RequestOutput", "prompt_token_ids outputs")


class Params:
    """Stands in for vllm.SamplingParams (and the structured-output params): keeps kwargs."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class FakeEngine:
    """Shaped like vllm.LLM: ``chat`` takes conversations and one params object each."""

    def __init__(self, delay=0.0, fail=None, gate=None):
        self.batches, self.delay, self.fail, self.shut = [], delay, fail, False
        self.gate, self.running = gate, threading.Event()

    def chat(self, conversations, params, use_tqdm=True):
        assert len(conversations) == len(params)
        self.batches.append(len(conversations))
        self.running.set()
        if self.gate is not None:  # hold the batch until the test opens the gate
            assert self.gate.wait(10)
            self.gate.clear()
        time.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        if any("TOO LONG" in c[-1]["content"] for c in conversations):
            raise ValueError("The decoder prompt is longer than the maximum model length")
        return [RequestOutput(list(range(len(c[-1]["content"]))),
                              [Output(f"{c[-1]['content']}#{i}", "stop", [1, 2, 3], -0.5)
                               for i in range(p.n)])
                for c, p in zip(conversations, params, strict=True)]

    def shutdown(self):
        self.shut = True


def fake_vllm(api="new"):
    sp = SimpleNamespace()
    if api == "new":
        sp.StructuredOutputsParams = Params
    elif api == "old":
        sp.GuidedDecodingParams = Params
    return SimpleNamespace(SamplingParams=Params, sampling_params=sp, LLM=None)


def backend(engine=None, api="new", window=0.05, model="some/model"):
    return VllmBackend(VllmConfig(batch_window=window), EndpointCommon(model=model),
                       engine=engine or FakeEngine(), vllm=fake_vllm(api))


def ask(text, **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], **kw)


def test_the_component():
    b = backend()
    assert b.status == "ready" and b.native_schema
    assert b.identity() == {"backend": "vllm", "model": "some/model", "dtype": "auto"}


def test_concurrent_requests_share_one_engine_call():
    engine = FakeEngine()
    b = backend(engine)

    async def go():
        return await asyncio.gather(*(b.complete(ask(f"q{i}", n=1 + i % 2)) for i in range(10)))

    replies = asyncio.run(go())
    assert 1 <= len(engine.batches) <= 2 and sum(engine.batches) == 10
    for i, reply in enumerate(replies):
        assert [c.text for c in reply.choices] == [f"q{i}#{k}" for k in range(1 + i % 2)]
        assert reply.choices[0].logprob == -0.5 and reply.choices[0].finish_reason == "stop"
        assert reply.usage.prompt_tokens == len(f"q{i}")
        assert reply.usage.completion_tokens == 3 * (1 + i % 2)


async def until_running(engine):
    while not engine.running.is_set():
        await asyncio.sleep(0.005)
    engine.running.clear()


def test_one_batch_at_a_time_and_late_arrivals_go_in_the_next():
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    b = backend(engine, window=0.02)

    async def go():
        first = [asyncio.ensure_future(b.complete(ask(f"a{i}"))) for i in range(3)]
        await until_running(engine)  # the first batch is in the engine now
        later = [asyncio.ensure_future(b.complete(ask(f"b{i}"))) for i in range(4)]
        await asyncio.sleep(0.1)
        gate.set()
        await until_running(engine)
        gate.set()
        return await asyncio.gather(*first, *later)

    replies = asyncio.run(go())
    assert engine.batches == [3, 4]
    assert [r.choices[0].text for r in replies] == [f"a{i}#0" for i in range(3)] + \
        [f"b{i}#0" for i in range(4)]


def test_a_full_queue_does_not_wait_for_the_window():
    engine = FakeEngine()
    b = backend(engine, window=30.0)
    b.max_batch = 4

    async def go():
        return await asyncio.wait_for(
            asyncio.gather(*(b.complete(ask(f"q{i}")) for i in range(8))), 5)

    assert len(asyncio.run(go())) == 8 and engine.batches == [4, 4]


def test_sampling_params():
    b = backend()
    p = b.sampling_params(ask("x", n=3, temperature=0.7, seed=5, stop=("END",), logprobs=True))
    assert (p.n, p.temperature, p.seed, p.stop, p.logprobs, p.max_tokens) == \
        (3, 0.7, 5, ["END"], 1, 512)
    assert not hasattr(p, "top_p") and not hasattr(p, "structured_outputs")
    assert b.sampling_params(ask("x", max_tokens=9)).max_tokens == 9


@pytest.mark.parametrize("api,field", [("new", "structured_outputs"),
                                       ("old", "guided_decoding")])
def test_structured_output_either_api(api, field):
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    p = backend(api=api).sampling_params(ask("x", json_schema=schema))
    assert getattr(p, field).json == schema


def test_no_structured_output_support_is_a_client_error():
    b = backend(api="none")

    async def go():
        return await b.complete(ask("x", json_schema={"type": "object"}))

    with pytest.raises(BackendError) as info:
        asyncio.run(go())
    assert info.value.kind == "client"


def test_a_cancelled_caller_does_not_break_the_batch():
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    b = backend(engine, window=0.1)

    async def go():
        tasks = [asyncio.ensure_future(b.complete(ask(f"q{i}"))) for i in range(5)]
        await asyncio.sleep(0.01)
        tasks[1].cancel()  # while it waits for the window
        await until_running(engine)
        tasks[3].cancel()  # while its batch runs
        await asyncio.sleep(0.02)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(go())
    assert engine.batches == [4]
    assert isinstance(results[1], asyncio.CancelledError)
    assert isinstance(results[3], asyncio.CancelledError)
    assert [results[i].choices[0].text for i in (0, 2, 4)] == ["q0#0", "q2#0", "q4#0"]


def test_a_timed_out_caller_leaves_the_others_served():
    b = backend(FakeEngine(delay=0.2), window=0.01)

    async def go():
        slow = asyncio.wait_for(b.complete(ask("gone")), 0.05)
        return await asyncio.gather(slow, b.complete(ask("kept")), return_exceptions=True)

    gone, kept = asyncio.run(go())
    assert isinstance(gone, TimeoutError) and kept.choices[0].text == "kept#0"


def test_an_engine_failure_fails_every_caller_in_the_batch():
    b = backend(FakeEngine(fail=RuntimeError("CUDA out of memory")))

    async def go():
        return await asyncio.gather(*(b.complete(ask(f"q{i}")) for i in range(4)),
                                    return_exceptions=True)

    results = asyncio.run(go())
    assert all(isinstance(r, BackendError) and r.kind == "server" and "out of memory" in str(r)
               for r in results)


def test_a_too_long_prompt_fails_alone_as_a_client_error():
    engine = FakeEngine()
    b = backend(engine)

    async def go():
        return await asyncio.gather(b.complete(ask("ok1")), b.complete(ask("TOO LONG")),
                                    b.complete(ask("ok2")), return_exceptions=True)

    ok1, bad, ok2 = asyncio.run(go())
    assert isinstance(bad, BackendError) and bad.kind == "client"
    assert ok1.choices[0].text == "ok1#0" and ok2.choices[0].text == "ok2#0"
    assert engine.batches == [3, 1, 1, 1]


def test_loading_happens_once_in_a_worker_thread():
    built = []
    main = threading.get_ident()

    def llm(**kw):
        time.sleep(0.1)
        built.append((kw, threading.get_ident()))
        return FakeEngine()

    vllm = fake_vllm()
    vllm.LLM = llm
    b = VllmBackend(VllmConfig(max_model_len=2048, dtype="bfloat16"),
                    EndpointCommon(model="m"), vllm=vllm)

    async def go():
        return await asyncio.gather(*(b.complete(ask(f"q{i}")) for i in range(3)))

    assert len(asyncio.run(go())) == 3 and len(built) == 1
    kw, thread = built[0]
    assert thread != main
    assert kw == {"model": "m", "tensor_parallel_size": 1, "gpu_memory_utilization": 0.85,
                  "max_model_len": 2048, "dtype": "bfloat16", "seed": 0}


def test_no_model_is_a_client_error():
    b = VllmBackend(VllmConfig(), EndpointCommon(), vllm=fake_vllm())
    with pytest.raises(BackendError) as info:
        asyncio.run(b.complete(ask("x")))
    assert info.value.kind == "client" and "model" in str(info.value)


def test_aclose_drops_the_engine():
    engine = FakeEngine()
    b = backend(engine)

    async def go():
        await b.complete(ask("x"))
        await b.aclose()

    asyncio.run(go())
    assert engine.shut and b._engine is None


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_missing_vllm_names_the_extra():
    b = VllmBackend(VllmConfig(), EndpointCommon(model="some/model"))
    with pytest.raises(MissingExtraError) as info:
        asyncio.run(b.load())
    assert info.value.hint == "pip install 'sdgcore[vllm]'"
    with pytest.raises(MissingExtraError):
        asyncio.run(b.complete(ask("x")))


# --- the real engine -------------------------------------------------------------------------

MODEL = os.environ.get("SDG_TEST_VLLM_MODEL", "Qwen/Qwen2.5-0.5B-Instruct")


@pytest.fixture(scope="module")
def real():
    pytest.importorskip("vllm")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    b = VllmBackend(VllmConfig(gpu_memory_utilization=0.3, max_model_len=2048),
                    EndpointCommon(model=MODEL))
    asyncio.run(b.load())
    yield b
    asyncio.run(b.aclose())


@pytest.mark.gpu
def test_real_chat(real):
    reply = asyncio.run(real.complete(ask("What is 2+2? Answer with one number.",
                                          temperature=0.0, max_tokens=16)))
    assert "4" in reply.choices[0].text and reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens > 0


@pytest.mark.gpu
def test_real_n_choices(real):
    reply = asyncio.run(real.complete(ask("Name a colour.", n=3, temperature=1.0,
                                          max_tokens=8, seed=1)))
    assert len(reply.choices) == 3 and all(c.text for c in reply.choices)


@pytest.mark.gpu
def test_real_requests_are_batched(real):
    engine, calls = real._engine, []
    chat = engine.chat

    def counting(conversations, *args, **kw):
        calls.append(len(conversations))
        return chat(conversations, *args, **kw)

    engine.chat = counting
    try:
        async def go():
            return await asyncio.gather(*(real.complete(ask(f"Say the number {i}.",
                                                            max_tokens=8)) for i in range(20)))
        replies = asyncio.run(go())
    finally:
        del engine.chat
    assert len(replies) == 20 and all(r.choices[0].text for r in replies)
    assert sum(calls) == 20 and len(calls) < 20


@pytest.mark.gpu
def test_real_json_schema(real):
    schema = {"type": "object", "properties": {"city": {"type": "string"}},
              "required": ["city"]}
    reply = asyncio.run(real.complete(ask("Give the capital of France as JSON.",
                                          json_schema=schema, temperature=0.0, max_tokens=64)))
    assert isinstance(json.loads(reply.choices[0].text)["city"], str)


@pytest.mark.gpu
def test_real_aclose_frees_the_gpu(real):
    import torch

    free_before, _ = torch.cuda.mem_get_info()  # device-wide: the engine may be a subprocess
    asyncio.run(real.aclose())
    free_after, _ = torch.cuda.mem_get_info()
    assert real._engine is None and free_after - free_before > 2**30
