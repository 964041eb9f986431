"""The loopback OpenAI server, exercised through real HTTP clients."""

import asyncio
import json
import re
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script


def body(content="hi", **extra):
    return {"model": "fake-model", "messages": [{"role": "user", "content": content}], **extra}


async def post(server, payload, timeout=10.0):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(f"{server.url}/chat/completions", json=payload) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def call(server, payload, timeout=10.0):
    return asyncio.run(post(server, payload, timeout))


def test_reply_shape_and_usage():
    with FakeOpenAIServer("4") as server:
        status, _, raw = call(server, body("what is two plus two", temperature=0.3))
    data = json.loads(raw)
    assert status == 200 and data["object"] == "chat.completion"
    assert data["model"] == "fake-model"
    assert data["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "4"},
                                "finish_reason": "stop", "logprobs": None}]
    assert data["usage"] == {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    [logged] = server.requests
    assert logged.completed and logged.outcome == "ok" and logged.body["temperature"] == 0.3


def test_n_choices_cycle_and_logprobs():
    script = Script.always([Reply("a b", logprobs=[-0.1, -0.2]), "c"])
    with FakeOpenAIServer(script) as server:
        data = json.loads(call(server, body(n=3))[2])
    assert [c["message"]["content"] for c in data["choices"]] == ["a b", "c", "a b"]
    assert data["choices"][0]["logprobs"]["content"][1] == {
        "token": "b", "logprob": -0.2, "top_logprobs": []}


def test_sequence_then_exhausted():
    with FakeOpenAIServer(["one", Reply("two", completion_tokens=7)]) as server:
        first = json.loads(call(server, body())[2])
        second = json.loads(call(server, body())[2])
        status, _, raw = call(server, body())
    assert first["choices"][0]["message"]["content"] == "one"
    assert second["usage"]["completion_tokens"] == 7
    assert status == 500 and json.loads(raw)["error"]["message"] == "script exhausted"
    assert [r.outcome for r in server.requests] == ["ok", "ok", "server_error"]
    with FakeOpenAIServer(Script.sequence(["x"], then="rest")) as server:
        call(server, body())
        assert json.loads(call(server, body())[2])["choices"][0]["message"]["content"] == "rest"


def test_by_content_and_respond():
    script = Script.by_content({"capital": "Paris", re.compile(r"\d+ \+ \d+"): "sum",
                                "echo": lambda req: req.last_user.upper()}, default="?")
    with FakeOpenAIServer(script) as server:
        answers = [json.loads(call(server, body(q))[2])["choices"][0]["message"]["content"]
                   for q in ("the capital of France", "2 + 2", "echo me", "nothing")]
    assert answers == ["Paris", "sum", "ECHO ME", "?"]

    seen = []

    def fn(req):
        seen.append((req.index, req.model, req.system, req.body.get("response_format")))
        return Reply.json({"n": req.n})

    with FakeOpenAIServer(Script.respond(fn)) as server:
        payload = body(n=2, response_format={"type": "json_object"})
        payload["messages"].insert(0, {"role": "system", "content": "be terse"})
        data = json.loads(call(server, payload)[2])
    assert json.loads(data["choices"][1]["message"]["content"]) == {"n": 2}
    assert seen == [(0, "fake-model", "be terse", {"type": "json_object"})]


def test_rate_limit_and_server_errors():
    script = [Fault.rate_limit(0.25), Fault.rate_limit(None), Fault.server_error(503, "busy")]
    with FakeOpenAIServer(script) as server:
        status, headers, raw = call(server, body())
        assert status == 429 and headers["Retry-After"] == "0.25"
        assert headers["retry-after-ms"] == "250"
        assert json.loads(raw)["error"]["code"] == "rate_limit_exceeded"
        status, headers, _ = call(server, body())
        assert status == 429 and "Retry-After" not in headers
        status, _, raw = call(server, body())
        assert status == 503 and json.loads(raw)["error"]["message"] == "busy"
    assert server.count("rate_limited") == 2 and server.count("server_error") == 1
    assert server.completed() == []


def test_timeout_fault_times_the_client_out_and_stop_is_prompt():
    server = FakeOpenAIServer([Fault.timeout(60)]).start()
    with pytest.raises(asyncio.TimeoutError):
        call(server, body(), timeout=0.3)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert [r.outcome for r in server.requests] == ["timeout"]
    assert server.requests[0].status is None


def test_malformed_and_truncated():
    with FakeOpenAIServer([Fault.malformed(), Fault.truncated("half an ans")]) as server:
        status, _, raw = call(server, body())
        assert status == 200
        with pytest.raises(ValueError):
            json.loads(raw)
        data = json.loads(call(server, body(n=2))[2])
    assert [c["finish_reason"] for c in data["choices"]] == ["length", "length"]
    assert data["choices"][0]["message"]["content"] == "half an ans"
    assert [r.outcome for r in server.requests] == ["malformed", "truncated"]
    assert not any(r.completed for r in server.requests)


def test_disconnect_is_a_connection_error_not_a_hang():
    with FakeOpenAIServer([Fault.disconnect(), "after"]) as server:
        with pytest.raises(aiohttp.ClientConnectionError):
            call(server, body(), timeout=5)
        assert json.loads(call(server, body())[2])["choices"][0]["message"]["content"] == "after"
    assert [r.outcome for r in server.requests] == ["disconnect", "ok"]


def test_with_faults_is_deterministic_and_does_not_consume_the_script():
    def outcomes(seed):
        inner = Script.sequence([str(i) for i in range(100)])
        script = inner.with_faults(0.5, ["rate_limit", "server_error", "truncated"], seed=seed)
        contents = []
        with FakeOpenAIServer(script) as server:
            for _ in range(30):
                status, _, raw = call(server, body())
                if status == 200:
                    choice = json.loads(raw)["choices"][0]
                    if choice["finish_reason"] == "stop":
                        contents.append(choice["message"]["content"])
        return [r.outcome for r in server.requests], contents

    first, contents = outcomes(7)
    assert first == outcomes(7)[0] and first != outcomes(8)[0]
    assert 5 < first.count("ok") < 25
    assert contents == [str(i) for i in range(len(contents))]  # no item skipped by a fault
    with pytest.raises(ValueError, match="unknown fault kind"):
        Script.always("x").with_faults(0.1, ["nope"])


def test_latency_overlaps_concurrent_requests():
    async def burst(server, n):
        async with aiohttp.ClientSession() as session:
            async def one():
                async with session.post(f"{server.url}/chat/completions", json=body()) as r:
                    return r.status
            return await asyncio.gather(*(one() for _ in range(n)))

    with FakeOpenAIServer("ok", latency=0.2) as server:
        started = time.monotonic()
        statuses = asyncio.run(burst(server, 50))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 50
    assert elapsed < 5  # 50 sequential requests would take 10 s
    arrivals = [r.received_at for r in server.requests]
    assert max(arrivals) - min(arrivals) < 2


def test_bad_requests_and_unknown_paths():
    with FakeOpenAIServer() as server:
        assert call(server, body(stream=True))[0] == 400
        assert call(server, {"model": "m", "messages": []})[0] == 400
        assert call(server, {"messages": [{"role": "user", "content": "x"}]})[0] == 400
        req = urllib.request.Request(f"{server.url}/chat/completions", data=b"{not json",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 400
        assert "JSON object" in json.loads(info.value.read())["error"]["message"]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{server.url}/embeddings", timeout=5)
        assert info.value.code == 404
        with urllib.request.urlopen(f"{server.url}/models", timeout=5) as resp:
            assert json.loads(resp.read())["data"][0]["id"] == "fake-model"
    assert server.count("bad_request") == 4


def test_two_servers_reset_and_wait_for():
    with FakeOpenAIServer("a") as one, FakeOpenAIServer("b") as two:
        assert one.port != two.port
        assert json.loads(call(one, body())[2])["choices"][0]["message"]["content"] == "a"
        assert json.loads(call(two, body())[2])["choices"][0]["message"]["content"] == "b"
        assert one.wait_for(1, timeout=1) and not one.wait_for(2, timeout=0.1)
    with FakeOpenAIServer(["first"]) as server:
        call(server, body())
        server.reset()
        assert server.requests == []
        data = json.loads(call(server, body())[2])  # a second asyncio.run, rewound script
        assert data["choices"][0]["message"]["content"] == "first"


def test_fixture(fake_openai):
    assert json.loads(call(fake_openai, body())[2])["choices"][0]["message"]["content"] == "ok"
    assert len(fake_openai.completed()) == 1
