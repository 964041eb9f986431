"""The model layer through real HTTP: openai_compat against the loopback server."""

import asyncio
import json

import attrs
import pytest

from sdgcore.config.values import Secret
from sdgcore.models import ChatRequest, Endpoint, Models
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.cache import RequestCache
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig, Sampling
from sdgcore.models.limits import AdaptiveLimiter
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script

FAST = dict(backoff=0.01, max_backoff=0.2, timeout=5.0)


def endpoint(server, cache=None, structured="json_schema", sampling=None, **limits):
    backend = OpenAICompatBackend(
        OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test"), structured=structured),
        EndpointCommon(model="fake-model", sampling=sampling or Sampling(),
                       limits=Limits(**{**FAST, **limits})),
    )
    return Endpoint("teacher", backend, cache)


def ask(text="q", **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], **kw)


def run(coro):
    return asyncio.run(coro)


async def chat_all(ep, requests):
    try:
        return await asyncio.gather(*(ep.chat(r) for r in requests))
    finally:
        await ep.aclose()


def test_a_plain_request(fake_openai):
    ep = endpoint(fake_openai, sampling=Sampling(temperature=0.3, max_tokens=64))
    [done] = run(chat_all(ep, [ask("hello there", n=2)]))
    assert done.ok and [c.text for c in done.choices] == ["ok", "ok"]
    assert done.usage.prompt_tokens == 2 and done.attempts == 1
    body = fake_openai.requests[0].body
    assert body["temperature"] == 0.3 and body["max_tokens"] == 64 and body["n"] == 2
    assert fake_openai.requests[0].headers["Authorization"] == "Bearer sk-test"
    assert ep.stats.requests == 1 and ep.stats.completion_tokens == 2


def test_rate_limits_honour_retry_after():
    script = [Fault.rate_limit(0.2), Fault.rate_limit(0.2), "fine"]
    with FakeOpenAIServer(script) as server:
        ep = endpoint(server)
        [done] = run(chat_all(ep, [ask()]))
    assert done.ok and done.text == "fine" and done.attempts == 3
    times = [r.received_at for r in server.requests]
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.2
    assert ep.stats.retries == 2 and ep.stats.rate_limited == 2


@pytest.mark.parametrize("fault, reason", [
    (Fault.server_error(503), "server: HTTP 503"),
    (Fault.malformed(), "malformed"),
    (Fault.disconnect(), "connection"),
    (Fault.timeout(30), "timeout: no reply within 0.3s"),
    (Fault.truncated("cut"), "truncated: the reply hit max_tokens"),
])
def test_each_fault_is_retried_then_recorded(fault, reason):
    with FakeOpenAIServer(Script.sequence([fault, "recovered"])) as server:
        [done] = run(chat_all(endpoint(server, timeout=0.3), [ask()]))
    assert done.ok and done.text == "recovered"
    with FakeOpenAIServer(Script.always(fault)) as server:
        ep = endpoint(server, timeout=0.3, retries=3)
        [done] = run(chat_all(ep, [ask()]))
    assert not done.ok and done.choices == () and reason in done.error
    assert "after 4 attempts" in done.error and server.count() == 4
    assert ep.stats.failures == 1


def test_client_errors_are_not_retried():
    with FakeOpenAIServer(Script.always(Fault.server_error(401, "bad key"))) as server:
        [done] = run(chat_all(endpoint(server), [ask()]))
    assert done.error == "client: HTTP 401: bad key (after 1 attempt)" and server.count() == 1


def test_fault_storm_every_request_ends_and_retries_stay_bounded():
    inner = Script.respond(lambda req: f"answer to {req.last_user}")
    script = inner.with_faults(0.3, seed=3, retry_after=0.01)
    with FakeOpenAIServer(script) as server:
        ep = endpoint(server, timeout=0.3, retries=4, concurrency=32)
        results = run(asyncio.wait_for(chat_all(ep, [ask(f"q{i}") for i in range(150)]), 60))
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    assert len(ok) + len(failed) == 150 and len(ok) > 130
    assert all(r.text == f"answer to q{i}" for i, r in enumerate(results) if r.ok)
    assert all(r.error and r.attempts == 5 for r in failed)
    # a call that times out on a busy machine may be given up before the server logged it
    assert ep.stats.requests <= 150 * 5 and server.count() <= ep.stats.requests
    assert len(server.completed()) == len(ok)


def test_a_rerun_makes_zero_http_calls(tmp_path):
    with FakeOpenAIServer(Script.respond(lambda r: f"a-{r.last_user}")) as server:
        cache = RequestCache(tmp_path / "cache.sqlite")
        first = run(chat_all(endpoint(server, cache), [ask(f"q{i}", n=2) for i in range(20)]))
        cache.close()
        paid = server.count()
        server.reset()
        cache = RequestCache(tmp_path / "cache.sqlite")
        ep = endpoint(server, cache)
        again = run(chat_all(ep, [ask(f"q{i}", n=2) for i in range(20)]))
        assert server.count() == 0 and paid == 20
        assert [r.choices for r in again] == [
            tuple(attrs.evolve(c, cached=True) for c in r.choices) for r in first]
        assert [r.tokens for r in again] == [r.tokens for r in first]  # same tokens, unpaid
        assert all(r.usage.prompt_tokens == 0 for r in again)
        assert ep.stats.cache_hits == 40 and ep.stats.requests == 0
        more = run(chat_all(endpoint(server, cache), [ask("q0", n=5)]))[0]
        assert more.ok and len(more.choices) == 5 and sum(c.cached for c in more.choices) == 2
        assert [r.body["n"] for r in server.requests] == [3]  # only the missing three paid
        cache.close()


def test_different_sampling_is_a_different_request(tmp_path):
    with FakeOpenAIServer() as server:
        cache = RequestCache(tmp_path / "c.sqlite")
        run(chat_all(endpoint(server, cache), [ask(temperature=0.1), ask(temperature=0.2),
                                              ask(temperature=0.1, seed=1)]))
        assert server.count() == 3


def test_identical_requests_in_flight_are_paid_once(tmp_path):
    with FakeOpenAIServer("x", latency=0.1) as server:
        cache = RequestCache(tmp_path / "c.sqlite")
        results = run(chat_all(endpoint(server, cache), [ask("same")] * 10))
        assert all(r.ok for r in results) and server.count() == 1


SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}


def test_structured_output_is_parsed_and_reasked():
    script = ["no json here", 'Sure! ```json\n{"answer": "x"}\n```', 'Result: {"answer": 4} ok']
    with FakeOpenAIServer(script) as server:
        [done] = run(chat_all(endpoint(server), [ask(json_schema=SCHEMA)]))
    assert done.ok and done.choices[0].data == {"answer": 4} and done.attempts == 3
    first, second, third = (r.body for r in server.requests)
    assert first["response_format"]["json_schema"]["schema"] == SCHEMA
    assert second["messages"][-2] == {"role": "assistant", "content": "no json here"}
    assert "could not be used: unparseable structured output" in second["messages"][-1]["content"]
    assert "$.answer: expected integer, got str" in third["messages"][-1]["content"]


def test_structured_output_without_server_support_asks_in_the_prompt():
    with FakeOpenAIServer(Reply.json({"answer": 1})) as server:
        [done] = run(chat_all(endpoint(server, structured="none"), [ask("q", json_schema=SCHEMA)]))
    assert done.choices[0].data == {"answer": 1}
    body = server.requests[0].body
    assert "response_format" not in body
    assert "matching this JSON schema" in body["messages"][-1]["content"]


def test_unparseable_output_fails_after_bounded_reasks():
    with FakeOpenAIServer(Script.always("never json")) as server:
        [done] = run(chat_all(endpoint(server, reask=2, retries=1), [ask(json_schema=SCHEMA)]))
    assert not done.ok and "unparseable structured output" in done.error
    assert server.count() == 4  # first + 2 re-asks + 1 retry


def test_servers_that_ignore_n_are_asked_again():
    with FakeOpenAIServer(Script.respond(lambda r: Reply(f"c{r.index}"))) as server:
        ep = endpoint(server)
        ep.backend.payload = _drop_n(ep.backend.payload)  # as if the server ignored n
        [done] = run(chat_all(ep, [ask(n=3)]))
    assert done.ok and [c.text for c in done.choices] == ["c0", "c1", "c2"]


def _drop_n(payload):
    def without_n(request):
        body = payload(request)
        body.pop("n", None)
        return body
    return without_n


def test_rpm_budget_spaces_requests():
    with FakeOpenAIServer() as server:
        run(chat_all(endpoint(server, rpm=60), [ask(f"q{i}") for i in range(12)]))
        times = sorted(r.received_at for r in server.requests)
    assert times[-1] - times[0] >= 1.5  # 10 in the burst, then one a second


def test_adaptive_limiter_halves_and_recovers():
    limiter = AdaptiveLimiter(16, cooldown=0)
    limiter.on_rate_limit()
    limiter.on_rate_limit()
    assert limiter.limit == 4
    for _ in range(200):
        limiter.on_success()
    assert limiter.limit == 16
    fixed = AdaptiveLimiter(8, adaptive=False)
    fixed.on_rate_limit()
    assert fixed.limit == 8


def test_concurrency_limit_holds():
    async def main(server):
        ep = endpoint(server, concurrency=4, adaptive=False)
        await chat_all(ep, [ask(f"q{i}") for i in range(20)])

    with FakeOpenAIServer(latency=0.05) as server:
        run(main(server))
        times = sorted(r.received_at for r in server.requests)
    # no more than 4 requests can arrive within one latency window
    assert all(times[i + 4] - times[i] >= 0.04 for i in range(len(times) - 4))


def test_models_share_identical_endpoints(tmp_path, make_plugin_manager):
    from sdgcore.config.loader import structure
    from sdgcore.testing import components

    registry = make_plugin_manager(components).registry
    with FakeOpenAIServer() as server:
        remote = {"backend": "openai_compat", "model": "m", "api_base": server.url}
        cfg = structure({"task": {"type": "list", "questions": ["q"]},
                         "models": {"teacher": remote, "judge": remote,
                                    "student": {**remote, "model": "small"}}}, registry)
        models = Models(cfg.models, tmp_path / "c.sqlite")
        assert models["teacher"] is models["judge"] and models["student"] is not models["teacher"]
        assert models["teacher"].name == "teacher+judge"

        async def go():
            try:
                return await models["student"].chat(ask())
            finally:
                await models.aclose()

        assert run(go()).ok
        assert set(models.stats()) == {"teacher+judge", "student"}
        with pytest.raises(KeyError, match="no model endpoint for role 'writer'"):
            models["writer"]
    assert json.loads(json.dumps(models.stats()))["student"]["requests"] == 1


def test_every_request_field_but_n_is_in_the_cache_key():
    import attrs

    from sdgcore.models.cache import _KEYED

    # seeds are the endpoint's per-choice seeds for one backend call, derived from seed
    assert set(_KEYED) == {f.name for f in attrs.fields(ChatRequest)} - {"n", "seeds"}


def test_a_serial_backend_queues_requests_outside_their_timeout():
    from sdgcore.base import Backend
    from sdgcore.models import BackendReply, Choice

    class OneAtATime(Backend):
        """Answers after 0.2 s, one call at a time."""

        name = "one_at_a_time"
        max_concurrency = 1

        async def complete(self, request):
            self._lock = getattr(self, "_lock", None) or asyncio.Lock()
            async with self._lock:  # like a llama.cpp context
                await asyncio.sleep(0.2)
            return BackendReply((Choice("ok"),))

    limits = Limits(concurrency=16, timeout=0.3, retries=0)
    ep = Endpoint("teacher", OneAtATime(None, EndpointCommon(model="m", limits=limits)))
    assert ep.concurrency == 1
    results = run(chat_all(ep, [ask(f"q{i}") for i in range(5)]))
    # five calls of 0.2 s each: queued inside the backend, the later ones would time out
    assert all(r.ok for r in results) and ep.stats.requests == 5


def test_the_embedded_backend_serves_one_request_at_a_time():
    from sdgcore.models.backends.llamacpp import LlamaCppBackend
    from sdgcore.models.config import LlamaCppConfig

    ep = Endpoint("teacher", LlamaCppBackend(LlamaCppConfig(), EndpointCommon()))
    assert ep.concurrency == 1  # nothing is loaded to know it


def test_roles_with_different_keys_do_not_share_an_endpoint(tmp_path, make_plugin_manager):
    from sdgcore.config.loader import structure
    from sdgcore.testing import components

    registry = make_plugin_manager(components).registry
    remote = {"backend": "openai_compat", "model": "m", "api_base": "http://127.0.0.1:9/v1"}
    cfg = structure({"task": {"type": "list", "questions": ["q"]},
                     "models": {"teacher": {**remote, "api_key": "sk-a"},
                                "judge": {**remote, "api_key": "sk-b"},
                                "student": {**remote, "api_key": "sk-a"}}}, registry)
    models = Models(cfg.models)
    assert len(models.endpoints()) == 2
    assert models["teacher"] is models["student"]
    assert models["judge"] is not models["teacher"]  # the key is part of the endpoint
