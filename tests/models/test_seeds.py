"""Every choice of a seeded request has a seed of its own, whoever draws it (issue 11, item 3).

A server that ignores ``n`` (Ollama's OpenAI API) is asked again for the missing choices, and
llama.cpp draws choices one by one: with one seed for all of them a deterministic model gives
``n`` identical attempts, and every pass rate is 0 or 1.
"""

import asyncio

import pytest

from sdgcore.config.values import Secret
from sdgcore.models import ChatRequest, Endpoint
from sdgcore.models.backends.llamacpp import LlamaCppBackend
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.cache import RequestCache, cache_key
from sdgcore.models.config import EndpointCommon, Limits, LlamaCppConfig, OpenAICompatConfig
from sdgcore.seeds import choice_seed
from sdgcore.testing.server import FakeOpenAIServer, Fault, Script

FAST = Limits(backoff=0.01, max_backoff=0.1, timeout=5.0)


def endpoint(server, cache=None):
    backend = OpenAICompatBackend(OpenAICompatConfig(api_base=server.url, api_key=Secret("k")),
                                  EndpointCommon(model="fake-model", limits=FAST))
    return Endpoint("student", backend, cache)


def ask(n=1, seed=None, text="q"):
    return ChatRequest(messages=[{"role": "user", "content": text}], n=n, seed=seed)


def chat(ep, request):
    async def go():
        try:
            return await ep.chat(request)
        finally:
            await ep.aclose()

    return asyncio.run(go())


def by_seed(request):
    """A deterministic model: the same seed gives the same answer."""
    return f"drawn with seed {request.body.get('seed')}"


def sent_seeds(server):
    return [r.body.get("seed") for r in server.requests]


def test_a_server_that_ignores_n_gets_a_seed_per_choice_and_the_cache_keeps_them(tmp_path):
    with FakeOpenAIServer(Script.respond(by_seed), ignore_n=True) as server:
        cache = RequestCache(tmp_path / "c.sqlite")
        ep = endpoint(server, cache)
        done = chat(ep, ask(n=8, seed=42))
        seeds = sent_seeds(server)
        assert done.ok and server.count() == 8
        assert seeds == [choice_seed(42, i) for i in range(8)] and seeds[0] == 42
        assert len(set(seeds)) == 8
        assert [r.body.get("n", 1) for r in server.requests] == [8, 7, 6, 5, 4, 3, 2, 1]
        assert all("seeds" not in r.body for r in server.requests)
        texts = [c.text for c in done.choices]
        assert texts == [f"drawn with seed {s}" for s in seeds] and len(set(texts)) == 8

        key = cache_key(ep.backend.identity(), ep.resolve(ask(n=8, seed=42)))
        assert [c.text for c in cache.get(key, 100)] == texts  # indices 0..7, no gap
        again = chat(endpoint(server, cache), ask(n=8, seed=42))
        assert again.attempts == 0 and server.count() == 8
        assert [c.text for c in again.choices] == texts and all(c.cached for c in again.choices)
        cache.close()


def test_a_truncated_reply_is_asked_again_with_a_seed_no_choice_uses():
    script = Script.sequence([by_seed, Fault.truncated("cut"), by_seed, by_seed])
    with FakeOpenAIServer(script, ignore_n=True) as server:
        done = chat(endpoint(server), ask(n=3, seed=7))
        seeds = sent_seeds(server)
    per_choice = {choice_seed(7, i) for i in range(8)}
    assert done.ok and seeds[:2] == [7, choice_seed(7, 1)]
    assert seeds[2] == choice_seed(7, 1, 1) and seeds[2] not in per_choice
    assert seeds[3] == choice_seed(7, 2, 1) and seeds[3] not in per_choice
    assert [c.text for c in done.choices] == [f"drawn with seed {s}" for s in
                                              (seeds[0], seeds[2], seeds[3])]


def test_a_transient_failure_resends_the_same_seed():
    script = Script.sequence([by_seed, Fault.server_error(503), by_seed, by_seed])
    with FakeOpenAIServer(script, ignore_n=True) as server:
        done = chat(endpoint(server), ask(n=3, seed=7))
        seeds = sent_seeds(server)
    assert done.ok and seeds == [7, choice_seed(7, 1), choice_seed(7, 1), choice_seed(7, 2)]


def test_a_server_that_honours_n_gets_the_requests_own_seed_once():
    with FakeOpenAIServer(Script.respond(by_seed)) as server:
        many = chat(endpoint(server), ask(n=4, seed=5))
        single = chat(endpoint(server), ask(seed=9, text="other"))
        bodies = [r.body for r in server.requests]
    assert many.ok and single.ok and len(bodies) == 2
    assert (bodies[0]["n"], bodies[0]["seed"]) == (4, 5) and bodies[1]["seed"] == 9
    assert "n" not in bodies[1] and all("seeds" not in b for b in bodies)


def test_seeds_are_the_backends_not_the_servers():
    request = ChatRequest(messages=[{"role": "user", "content": "q"}], n=2, seed=3,
                          seeds=(3, 11))
    assert request.openai_fields() == {"n": 2, "seed": 3}
    assert request.choice_seeds() == (3, 11)
    assert ask(n=3, seed=3).choice_seeds() == tuple(choice_seed(3, i) for i in range(3))
    assert ask(n=2).choice_seeds() == (None, None)
    with pytest.raises(ValueError, match="seeds has 1 seeds for n=2"):
        ChatRequest(messages=[{"role": "user", "content": "q"}], n=2, seeds=(1,))


def test_choice_seeds_are_hashed_not_consecutive():
    assert choice_seed(100, 0) == 100
    seeds = {choice_seed(base, i, r) for base in (100, 101) for i in range(8) for r in range(3)}
    assert len(seeds) == 2 * 8 * 3
    assert choice_seed(100, 1) != 101  # as seed + i was: choice 1 of 100 was choice 0 of 101


class RecordingLlama:
    """Stands in for a loaded ``llama_cpp.Llama``: answers with the seed it was given."""

    def __init__(self):
        self.seeds = []

    def reset(self):
        """The backend empties the KV cache before each choice."""

    def create_chat_completion(self, *, seed=None, **kwargs):
        self.seeds.append(seed)
        return {"choices": [{"message": {"content": f"drawn with seed {seed}"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4}}


def test_llamacpp_draws_choice_i_with_the_endpoints_seed_i():
    backend = LlamaCppBackend(LlamaCppConfig(), EndpointCommon(limits=FAST))
    backend._llama = llama = RecordingLlama()  # loaded: no model file is read
    backend.identity = lambda: {"backend": "llamacpp", "model": "recording"}
    request = ChatRequest(messages=[{"role": "user", "content": "q"}], n=2, seed=5, seeds=(5, 8))
    reply = asyncio.run(backend.complete(request))
    assert llama.seeds == [5, 8] and len(reply.choices) == 2

    llama.seeds.clear()
    done = chat(Endpoint("student", backend), ask(n=4, seed=11))  # unloads it at the end
    assert done.ok and llama.seeds == [choice_seed(11, i) for i in range(4)]
    assert len({c.text for c in done.choices}) == 4
