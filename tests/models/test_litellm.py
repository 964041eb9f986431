"""The litellm backend through real HTTP to the loopback server: one request per call."""

import asyncio
import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
pytest.importorskip("litellm")

from sdgcore.config.values import Secret  # noqa: E402
from sdgcore.models.backends.litellm import LiteLLMBackend  # noqa: E402
from sdgcore.models.config import EndpointCommon, RemoteConfig  # noqa: E402
from sdgcore.models.types import BackendError, ChatRequest  # noqa: E402
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script  # noqa: E402

KEY = "sk-test-secret-key"
pytestmark = pytest.mark.filterwarnings("ignore:Items? .* `ReadOnly` qualifier:UserWarning")


def backend(server, model="openai/fake-model", **extra):
    return LiteLLMBackend(RemoteConfig(api_base=server.url, api_key=Secret(KEY), extra=extra),
                          EndpointCommon(model=model))


def ask(text="q", **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], **kw)


def complete(server, request=None, **extra):
    return asyncio.run(backend(server, **extra).complete(request or ask()))


def test_cost_of_a_priced_model():
    with FakeOpenAIServer(Reply("x", prompt_tokens=1000, completion_tokens=1000)) as server:
        reply = complete(server, model="openai/gpt-4o-mini")
    assert server.requests[0].body["model"] == "gpt-4o-mini"
    assert reply.cost is not None and reply.cost > 0


def failure(fault, **extra):
    """The BackendError a fault becomes; the server saw exactly one request (no retries).
    Counted after the server stops: a timed-out request is logged when it is cancelled."""
    with FakeOpenAIServer(Script.always(fault)) as server:
        with pytest.raises(BackendError) as info:
            complete(server, **extra)
    assert server.count() == 1, "litellm or the OpenAI client retried on its own"
    assert KEY not in str(info.value)
    return info.value


def test_reply_choices_usage_and_request_body():
    script = Script.always([Reply("a b", logprobs=[-0.5, -0.25]), "c"])
    with FakeOpenAIServer(script) as server:
        reply = complete(server, ask("two words here", n=2, temperature=0.3, seed=7, stop=("X",),
                                     logprobs=True, json_schema={"type": "object"}))
    assert [c.text for c in reply.choices] == ["a b", "c"]
    assert [c.finish_reason for c in reply.choices] == ["stop", "stop"]
    assert reply.choices[0].logprob == pytest.approx(-0.75) and reply.choices[1].logprob is None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (3, 3)
    assert reply.cost is None  # the fake model has no price
    [seen] = server.requests
    body = seen.body
    assert body["model"] == "fake-model" and body["n"] == 2 and body["temperature"] == 0.3
    assert body["seed"] == 7 and body["stop"] == ["X"] and body["logprobs"] is True
    assert "top_p" not in body and "max_tokens" not in body
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "output", "schema": {"type": "object"}}}
    assert seen.headers["Authorization"] == f"Bearer {KEY}"


def test_the_first_choice_seed_is_sent_and_the_per_choice_seeds_are_not():
    with FakeOpenAIServer() as server:
        complete(server, ask(n=2, seed=7, seeds=(7, 12345)))
    [seen] = server.requests
    assert seen.body["seed"] == 7 and seen.body["n"] == 2 and "seeds" not in seen.body


def test_identity_and_flags():
    be = LiteLLMBackend(RemoteConfig(api_base="http://h/v1", api_key=Secret(KEY)),
                        EndpointCommon(model="openai/m"))
    assert be.identity() == {"backend": "litellm", "model": "openai/m", "api_base": "http://h/v1"}
    assert be.native_schema is False and be.status == "ready"
    assert KEY not in repr(be.identity())


def test_extra_kwargs_reach_the_request():
    with FakeOpenAIServer("ok") as server:
        reply = complete(server, ask(max_tokens=5), frequency_penalty=0.5)
    assert reply.choices[0].text == "ok"
    assert server.requests[0].body["frequency_penalty"] == 0.5
    assert server.requests[0].body["max_tokens"] == 5


def test_rate_limit_carries_retry_after():
    error = failure(Fault.rate_limit(0.25))
    assert error.kind == "rate_limit" and error.status == 429
    assert error.retry_after == pytest.approx(0.25)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(status):
    error = failure(Fault.server_error(status))
    assert error.kind == "server" and error.status == status and error.retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(status):
    error = failure(Fault.server_error(status, "nope"))
    assert error.kind == "client" and error.status == status and not error.retryable
    assert "nope" in error.message


def test_malformed_body_is_retryable():
    error = failure(Fault.malformed())
    assert error.kind == "malformed" and error.retryable


def test_disconnect_is_a_connection_error():
    assert failure(Fault.disconnect()).kind == "connection"


def test_timeout_from_extra():
    error = failure(Fault.timeout(30), timeout=0.5)
    assert error.kind == "timeout" and error.retryable


def test_truncated_reply_is_a_normal_reply():
    with FakeOpenAIServer(Script.always(Fault.truncated("cut"))) as server:
        reply = complete(server)
    assert [(c.text, c.finish_reason) for c in reply.choices] == [("cut", "length")]
    assert server.count() == 1
