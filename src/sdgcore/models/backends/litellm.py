"""Backend ``litellm``: every provider litellm knows, one ``litellm.acompletion`` per call.

litellm (``sdgcore[litellm]``) is imported on first use, never when this module is imported.
Its own retries (``num_retries``) and the OpenAI client's (``max_retries``) are switched off, so
the layer above owns retries, backoff and timeouts; litellm's exceptions are mapped to
:class:`~sdgcore.models.types.BackendError` kinds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from sdgcore.base import Backend
from sdgcore.models.config import EndpointCommon, RemoteConfig
from sdgcore.models.types import (
    BackendError,
    BackendReply,
    ChatRequest,
    Choice,
    Usage,
    error_for_status,
    retry_after_seconds,
)

_MIN_TIMEOUT = 600.0
"""litellm's own per-call timeout floor; the layer above applies the real one."""


def _litellm() -> Any:
    """Import litellm (with the bundled price map, and without its feedback banner)."""
    from sdgcore.errors import import_optional

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = import_optional("litellm", extra="sdgcore[litellm]", feature="backend 'litellm'")
    litellm.suppress_debug_info = True
    return litellm


class LiteLLMBackend(Backend):
    """Every provider litellm knows (OpenAI, Anthropic, Gemini, Ollama, hosted_vllm/...)."""

    name = "litellm"
    Config = RemoteConfig
    native_schema = False  # providers differ: the layer parses and re-asks

    def __init__(self, config: RemoteConfig, endpoint: EndpointCommon) -> None:
        super().__init__(config, endpoint)
        self._key = config.api_key.get() if config.api_key is not None else None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "api_base": self.config.api_base}

    def arguments(self, request: ChatRequest) -> dict[str, Any]:
        """The keyword arguments of ``litellm.acompletion`` for ``request`` (key included)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in request.messages],
            "num_retries": 0,  # litellm's retry wrapper
            "max_retries": 0,  # the OpenAI SDK client's retries
            "timeout": max(_MIN_TIMEOUT, self.endpoint.limits.timeout + 60.0),
        }
        kwargs.update(request.openai_fields())
        if request.json_schema is not None:
            kwargs["response_format"] = request.schema_format()
        if self.config.api_base:
            kwargs["api_base"] = self.config.api_base
        if self._key is not None:
            kwargs["api_key"] = self._key
        kwargs.update(self.config.extra)
        return kwargs

    async def complete(self, request: ChatRequest) -> BackendReply:
        litellm = _litellm()
        try:
            response = await litellm.acompletion(**self.arguments(request))
        except Exception as exc:
            raise self._error(exc) from None
        try:
            reply = _reply(response)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise BackendError("malformed", f"unreadable reply ({type(exc).__name__}: {exc})",
                               status=200) from None
        try:
            cost = float(litellm.completion_cost(completion_response=response))
        except Exception:  # unknown model or provider: no price
            cost = None
        return BackendReply(reply.choices, reply.usage, cost)

    def _error(self, exc: BaseException) -> BackendError:
        """The :class:`BackendError` for an exception litellm raised."""
        import httpx
        import openai

        chain = list(_chain(exc))
        message = str(getattr(exc, "message", None) or exc) or type(exc).__name__
        if self._key:
            message = message.replace(self._key, "***")
        message = message[:500]
        if any(isinstance(e, (openai.APITimeoutError, httpx.TimeoutException)) for e in chain):
            return BackendError("timeout", message)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, openai.RateLimitError) or status == 429:
            return BackendError("rate_limit", message, retry_after=_retry_after_of(exc),
                                status=429)
        if any(isinstance(e, ValueError) and type(e).__name__ == "JSONDecodeError"
               for e in chain):
            return BackendError("malformed", message)
        if any(isinstance(e, (openai.APIConnectionError, httpx.TransportError)) for e in chain):
            return BackendError("connection", message)
        if isinstance(status, int) and status >= 400:
            return error_for_status(status, message, _retry_after_of(exc))
        if isinstance(exc, openai.APIError):
            return BackendError("server", message)
        return BackendError("client", f"{type(exc).__name__}: {message}")


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and its causes, outermost first."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _retry_after_of(exc: BaseException) -> float | None:
    """Seconds from the Retry-After headers of the failed response, where litellm kept them."""
    import httpx

    for headers in (getattr(getattr(exc, "response", None), "headers", None),
                    getattr(exc, "litellm_response_headers", None),
                    getattr(exc, "headers", None)):
        if headers:
            seconds = retry_after_seconds(httpx.Headers(dict(headers)))
            if seconds is not None:
                return seconds
    return None


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _reply(response: Any) -> BackendReply:
    """The choices and usage of a litellm ``ModelResponse``."""
    choices = []
    for item in response.choices:
        message = _field(item, "message")
        tokens = _field(_field(item, "logprobs"), "content")
        logprob = sum(float(_field(t, "logprob")) for t in tokens) if tokens else None
        choices.append(Choice(text=_field(message, "content") or "",
                              finish_reason=_field(item, "finish_reason"), logprob=logprob))
    usage = _field(response, "usage")
    return BackendReply(tuple(choices), Usage(int(_field(usage, "prompt_tokens") or 0),
                                              int(_field(usage, "completion_tokens") or 0)))
