"""The loopback OpenAI server, exercised through real HTTP clients."""

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from sdgcore.testing.server import FakeOpenAIServer, Fault, LoggedRequest, Reply, Script


def body(content="hi", **extra):
    return {"model": "fake-model", "messages": [{"role": "user", "content": content}], **extra}


async def post(server, payload, timeout=10.0):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(f"{server.url}/chat/completions", json=payload) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def call(server, payload, timeout=10.0):
    return asyncio.run(post(server, payload, timeout))


def content(raw, i=0):
    return json.loads(raw)["choices"][i]["message"]["content"]


def urlopen(url, payload=None, timeout=5):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return json.loads(resp.read())


def test_reply_shape_usage_and_log():
    with FakeOpenAIServer("4") as server:
        assert server.url == f"http://127.0.0.1:{server.port}/v1"
        status, _, raw = call(server, body("what is two plus two", temperature=0.3, seed=1))
    data = json.loads(raw)
    assert status == 200 and data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-") and isinstance(data["created"], int)
    assert data["model"] == "fake-model"
    assert data["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "4"},
                                "finish_reason": "stop", "logprobs": None}]
    assert data["usage"] == {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    [logged] = server.requests
    assert isinstance(logged, LoggedRequest)
    assert (logged.index, logged.path, logged.outcome, logged.status) == (
        0, "/v1/chat/completions", "ok", 200)
    assert logged.completed and logged.body["temperature"] == 0.3 and logged.body["seed"] == 1
    assert json.loads(logged.raw) == logged.body
    assert logged.headers["Content-Type"] == "application/json"
    assert abs(logged.received_at - time.time()) < 60


def test_sync_client_and_explicit_usage():
    parts = [{"type": "text", "text": "two words"}, {"type": "text", "text": "and three more"}]
    payload = {"model": "other", "messages": [{"role": "user", "content": parts}]}
    with FakeOpenAIServer([Reply("x"), Reply("y z", prompt_tokens=100, completion_tokens=7)],
                          models=["a", "b"]) as server:
        first = urlopen(f"{server.url}/chat/completions", payload)
        second = urlopen(f"{server.url}/chat/completions", payload)
        models = urlopen(f"{server.url}/models")
    assert first["model"] == "other" and first["usage"]["prompt_tokens"] == 5
    assert second["usage"] == {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107}
    assert [m["id"] for m in models["data"]] == ["a", "b"]


def test_n_choices_cycle_and_logprobs():
    script = Script.always([Reply("a b", logprobs=[-0.1, -0.2]), "c"])
    with FakeOpenAIServer(script) as server:
        data = json.loads(call(server, body(n=3))[2])
    assert [c["message"]["content"] for c in data["choices"]] == ["a b", "c", "a b"]
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert data["choices"][0]["logprobs"]["content"][1] == {
        "token": "b", "logprob": -0.2, "top_logprobs": []}
    assert data["usage"]["completion_tokens"] == 5


def test_ignore_n_answers_one_choice_as_ollama_does():
    seen = []

    def answer(req):
        seen.append(req.n)
        return [f"seed {req.body.get('seed')}", "never"]

    with FakeOpenAIServer(Script.respond(answer), ignore_n=True) as server:
        data = json.loads(call(server, body(n=3, seed=4))[2])
        server.script = Fault.truncated("cut")
        cut = json.loads(call(server, body(n=2))[2])
    assert [c["message"]["content"] for c in data["choices"]] == ["seed 4"] and seen == [1]
    assert [c["finish_reason"] for c in cut["choices"]] == ["length"]
    assert [r.body["n"] for r in server.requests] == [3, 2]  # logged as sent


def test_sequence_then_exhausted():
    with FakeOpenAIServer(["one", Reply("two", completion_tokens=7)]) as server:
        first = call(server, body())[2]
        second = json.loads(call(server, body())[2])
        status, _, raw = call(server, body())
    assert content(first) == "one" and second["usage"]["completion_tokens"] == 7
    assert status == 500 and json.loads(raw)["error"]["message"] == "script exhausted"
    assert [r.outcome for r in server.requests] == ["ok", "ok", "server_error"]
    with FakeOpenAIServer(Script.sequence(["x"], then=lambda r: f"rest {r.index}")) as server:
        call(server, body())
        assert content(call(server, body())[2]) == "rest 1"


def test_by_content_and_respond():
    script = Script.by_content({"capital": "Paris", re.compile(r"\d+ \+ \d+"): "sum",
                                "echo": lambda req: req.last_user.upper()}, default="?")
    with FakeOpenAIServer(script) as server:
        answers = [content(call(server, body(q))[2])
                   for q in ("the capital of France", "2 + 2", "echo me", "nothing")]
    assert answers == ["Paris", "sum", "ECHO ME", "?"]
    with FakeOpenAIServer(Script.by_content({"x": "y"})) as server:
        assert call(server, body("no match"))[0] == 500

    seen = []

    def fn(req):
        seen.append((req.index, req.model, req.system, req.body.get("response_format"),
                     len(req.messages)))
        return Reply.json({"n": req.n})

    with FakeOpenAIServer(fn) as server:
        payload = body(n=2, response_format={"type": "json_object"})
        payload["messages"].insert(0, {"role": "system", "content": "be terse"})
        data = json.loads(call(server, payload)[2])
    assert json.loads(data["choices"][1]["message"]["content"]) == {"n": 2}
    assert seen == [(0, "fake-model", "be terse", {"type": "json_object"}, 2)]


def test_a_failing_script_answers_500_and_script_can_be_replaced():
    with FakeOpenAIServer(lambda req: 1 / 0) as server:
        status, _, raw = call(server, body())
        assert status == 500 and "ZeroDivisionError" in json.loads(raw)["error"]["message"]
        server.script = "replaced"
        assert content(call(server, body())[2]) == "replaced"
    assert [r.outcome for r in server.requests] == ["server_error", "ok"]


def test_rate_limit_and_server_errors():
    script = [Fault.rate_limit(0.05), Fault.rate_limit(None), Fault.server_error(503, "busy"),
              [Reply("a"), Fault.server_error(502)]]
    with FakeOpenAIServer(script) as server:
        status, headers, raw = call(server, body())
        assert status == 429 and headers["Retry-After"] == "0.05"
        assert headers["retry-after-ms"] == "50"
        error = json.loads(raw)["error"]
        assert error["code"] == error["type"] == "rate_limit_exceeded" and error["message"]
        status, headers, _ = call(server, body())
        assert status == 429 and "Retry-After" not in headers
        status, _, raw = call(server, body())
        assert status == 503 and json.loads(raw)["error"]["message"] == "busy"
        assert call(server, body())[0] == 502
    assert server.count("rate_limited") == 2 and server.count("server_error") == 2
    assert [r.status for r in server.requests] == [429, 429, 503, 502]
    assert server.completed() == []


def test_timeout_fault_times_the_client_out_and_ends_quietly():
    with FakeOpenAIServer([Fault.timeout(60), "next"]) as server:
        with pytest.raises(asyncio.TimeoutError):
            call(server, body(), timeout=0.2)
        assert server.wait_for(1, timeout=1)
        assert content(call(server, body())[2]) == "next"
    assert [(r.outcome, r.status) for r in server.requests] == [("timeout", None), ("ok", 200)]
    with FakeOpenAIServer(Fault.timeout(0.05)) as server:
        status, _, raw = call(server, body())
    assert status == 504 and json.loads(raw)["error"]["type"] == "timeout"
    assert [(r.outcome, r.status) for r in server.requests] == [("timeout", 504)]


def test_stop_is_prompt_with_a_client_still_waiting():
    server = FakeOpenAIServer(Fault.timeout(60)).start()
    errors = []

    def client():
        try:
            urlopen(f"{server.url}/chat/completions", body(), timeout=30)
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    assert server.wait_for(1, timeout=5)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(5)
    assert not stopper.is_alive()  # the pending timeout fault was cancelled, not waited out
    thread.join(5)
    assert not thread.is_alive() and len(errors) == 1
    server.stop()


def test_malformed_and_truncated():
    with FakeOpenAIServer([Fault.malformed(), Fault.truncated("half an ans")]) as server:
        status, headers, raw = call(server, body())
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        with pytest.raises(ValueError):
            json.loads(raw)
        data = json.loads(call(server, body(n=2))[2])
    assert [c["finish_reason"] for c in data["choices"]] == ["length", "length"]
    assert data["choices"][0]["message"]["content"] == "half an ans"
    assert [(r.outcome, r.status) for r in server.requests] == [
        ("malformed", 200), ("truncated", 200)]
    assert not any(r.completed for r in server.requests)


def test_disconnect_is_a_connection_error_not_a_hang():
    with FakeOpenAIServer([Fault.disconnect(), "after"]) as server:
        with pytest.raises(aiohttp.ClientConnectionError):
            call(server, body(), timeout=5)
        assert content(call(server, body())[2]) == "after"
    assert [(r.outcome, r.status) for r in server.requests] == [("disconnect", None), ("ok", 200)]


def test_a_client_that_left_is_not_counted_as_completed():
    with FakeOpenAIServer([Reply("slow", delay=0.3), "fast"]) as server:
        with pytest.raises(asyncio.TimeoutError):
            call(server, body(), timeout=0.1)
        assert content(call(server, body())[2]) == "fast"
        assert server.wait_for(2, timeout=2)
    slow, fast = server.requests
    assert (slow.outcome, slow.status, slow.completed) == ("ok", None, False)
    assert fast.completed and server.completed() == [fast]


def test_with_faults_is_deterministic_and_does_not_consume_the_script():
    def outcomes(seed):
        inner = Script.sequence([str(i) for i in range(100)])
        script = inner.with_faults(0.5, ["rate_limit", "server_error", "truncated"], seed=seed)
        contents = []
        with FakeOpenAIServer(script) as server:
            for _ in range(30):
                status, headers, raw = call(server, body())
                if status == 429:
                    assert headers["Retry-After"] == "0.05"
                if status == 200:
                    choice = json.loads(raw)["choices"][0]
                    if choice["finish_reason"] == "stop":
                        contents.append(choice["message"]["content"])
        return [r.outcome for r in server.requests], contents

    first, contents = outcomes(7)
    assert first == outcomes(7)[0] and first != outcomes(8)[0]
    assert 5 < first.count("ok") < 25 and set(first) > {"ok"}
    assert contents == [str(i) for i in range(len(contents))]
    with pytest.raises(ValueError, match="unknown fault kind"):
        Script.always("x").with_faults(0.1, ["nope"])


def test_latency_overlaps_concurrent_requests():
    async def burst(server, n):
        async with aiohttp.ClientSession() as session:
            async def one():
                async with session.post(f"{server.url}/chat/completions", json=body()) as r:
                    return r.status
            return await asyncio.gather(*(one() for _ in range(n)))

    answered_before = []

    def reply(request):
        answered_before.append(len(server.completed()))
        return "ok"

    with FakeOpenAIServer(Script.respond(reply), latency=1.0) as server:
        started = time.monotonic()
        statuses = asyncio.run(burst(server, 50))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 50
    assert elapsed >= 1.0  # the latency was applied
    assert sorted(r.index for r in server.requests) == list(range(50))
    # every request arrived while the first was still sleeping: they overlapped
    assert answered_before == [0] * 50


def test_bad_requests_and_unknown_paths():
    with FakeOpenAIServer() as server:
        status, _, raw = call(server, body(stream=True))
        assert status == 400
        message = json.loads(raw)["error"]["message"]
        assert message == "streaming is not supported by the fake server"
        assert call(server, {"model": "m", "messages": []})[0] == 400
        assert call(server, {"messages": [{"role": "user", "content": "x"}]})[0] == 400
        req = urllib.request.Request(f"{server.url}/chat/completions", data=b"{not json",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 400
        error = json.loads(info.value.read())["error"]
        assert "JSON object" in error["message"] and error["type"] == "invalid_request_error"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{server.url}/embeddings", timeout=5)
        assert info.value.code == 404
        assert set(json.loads(info.value.read())["error"]) >= {"message", "type", "code"}
        assert urlopen(f"{server.url}/models")["data"][0]["id"] == "fake-model"
    assert server.count("bad_request") == 4 and server.count() == 4
    assert server.requests[-1].body is None and server.requests[-1].raw == b"{not json"


def test_two_servers_reset_and_wait_for():
    with FakeOpenAIServer("a") as one, FakeOpenAIServer("b") as two:
        assert one.port != two.port
        assert content(call(one, body())[2]) == "a"
        assert content(call(two, body())[2]) == "b"
        assert one.wait_for(1, timeout=1) and not one.wait_for(2, timeout=0.1)
    with FakeOpenAIServer(["first"]) as server:
        call(server, body())
        server.reset()
        assert server.requests == []
        assert content(call(server, body())[2]) == "first"
        assert server.requests[0].index == 0


def test_used_from_inside_a_running_loop_and_from_a_subprocess():
    async def inside():
        with FakeOpenAIServer(lambda r: r.last_user[::-1]) as server:
            answers = await asyncio.gather(*(post(server, body(q)) for q in ("ab", "cd")))
            child = subprocess.run(
                [sys.executable, "-c", "import json, sys, urllib.request as u; r = u.Request("
                 "sys.argv[1], data=sys.argv[2].encode(), headers={'Content-Type': "
                 "'application/json'}); print(json.load(u.urlopen(r, timeout=5))"
                 "['choices'][0]['message']['content'])",
                 f"{server.url}/chat/completions", json.dumps(body("xyz"))],
                capture_output=True, text=True, timeout=20)
        return sorted(content(raw) for _, _, raw in answers), child.stdout.strip()

    assert asyncio.run(inside()) == (["ba", "dc"], "zyx")


def test_fixture(fake_openai):
    assert content(call(fake_openai, body())[2]) == "ok"
    assert len(fake_openai.completed()) == 1
