"""Backend ``openai_compat``: a lean aiohttp client for any OpenAI-compatible server.

This is the hot path at scale (OpenAI, DeepSeek, vLLM and SGLang servers, Ollama, the llama.cpp
server), so it does one thing: one POST to ``{api_base}/chat/completions`` per call, over a
keep-alive connection pool, with errors mapped to :class:`~sdgcore.models.types.BackendError`.
Retries, limits, timeouts and caching live in the layer above.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from sdgcore.base import Backend
from sdgcore.models.config import EndpointCommon, OpenAICompatConfig
from sdgcore.models.types import (
    BackendError,
    BackendReply,
    ChatRequest,
    Choice,
    Usage,
    error_for_status,
    retry_after_seconds,
)


class OpenAICompatBackend(Backend):
    """Lean aiohttp client for any OpenAI-compatible api_base (the hot path at scale)."""

    name = "openai_compat"
    Config = OpenAICompatConfig

    def __init__(self, config: OpenAICompatConfig, endpoint: EndpointCommon) -> None:
        super().__init__(config, endpoint)
        self._url = config.api_base.rstrip("/") + "/chat/completions"
        self._headers = {"Content-Type": "application/json", **config.headers}
        if config.api_key is not None:
            self._headers["Authorization"] = f"Bearer {config.api_key.get()}"
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def native_schema(self) -> bool:  # type: ignore[override]
        return self.config.structured == "json_schema"

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "api_base": self.config.api_base}

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=self.endpoint.limits.concurrency,
                                             ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector,
                                                  timeout=aiohttp.ClientTimeout(total=None))
            self._loop = loop
        return self._session

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for ``request``."""
        body: dict[str, Any] = {"model": self.model, "messages": list(request.messages),
                                **request.openai_fields()}
        if request.json_schema is not None:
            if self.config.structured == "json_schema":
                body["response_format"] = request.schema_format()
            elif self.config.structured == "json_object":
                body["response_format"] = {"type": "json_object"}
        return body

    async def complete(self, request: ChatRequest) -> BackendReply:
        import aiohttp

        data = json.dumps(self.payload(request), ensure_ascii=False).encode("utf-8")
        try:
            async with self._client().post(self._url, data=data, headers=self._headers) as resp:
                raw = await resp.read()
                status, headers = resp.status, resp.headers
        except aiohttp.ClientError as exc:
            raise BackendError("connection", f"{type(exc).__name__}: {exc}") from None
        if status != 200:
            raise error_for_status(status, _error_message(raw), retry_after_seconds(headers))
        try:
            return parse_reply(json.loads(raw))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise BackendError("malformed", f"unreadable reply ({type(exc).__name__}: {exc})",
                               status=status) from None

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            if self._loop is asyncio.get_running_loop():
                await self._session.close()
        self._session = None


def parse_reply(data: Mapping[str, Any]) -> BackendReply:
    """A :class:`BackendReply` from an OpenAI chat.completion body."""
    choices = []
    for item in data["choices"]:
        message = item.get("message") or {}
        logprob = None
        content_lp = (item.get("logprobs") or {}).get("content")
        if content_lp:
            logprob = sum(float(t["logprob"]) for t in content_lp)
        choices.append(Choice(text=message.get("content") or "",
                              finish_reason=item.get("finish_reason"), logprob=logprob))
    usage = data.get("usage") or {}
    return BackendReply(tuple(choices), Usage(int(usage.get("prompt_tokens") or 0),
                                              int(usage.get("completion_tokens") or 0)))


def _error_message(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:500]
    except (ValueError, AttributeError):
        pass
    return raw[:200].decode("utf-8", "replace") or "no body"
