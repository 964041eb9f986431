"""The core's model backends, registered through :func:`sdg_register_backends` like any
plugin's. Their request path (limits, retries, cache, accounting) is not built yet: they are
registered as planned so that configs naming them validate, and selecting one for a run says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sdgcore.base import Backend
from sdgcore.models.config import LlamaCppConfig, OpenAICompatConfig, RemoteConfig, VllmConfig


class _Planned(Backend):
    status = "planned"

    async def chat(self, messages: Sequence[Mapping[str, Any]], **params: Any) -> Any:
        self.ensure_built(f"backend {self.name!r}", "sdgcore")


class OpenAICompatBackend(_Planned):
    """Lean aiohttp client for any OpenAI-compatible api_base (the hot path at scale)."""

    name = "openai_compat"
    Config = OpenAICompatConfig


class LiteLLMBackend(_Planned):
    """Every provider litellm knows (OpenAI, Anthropic, Gemini, Ollama, hosted_vllm/...)."""

    name = "litellm"
    Config = RemoteConfig


class LlamaCppBackend(_Planned):
    """Embedded llama.cpp model in-process (default: SmolLM2-135M-Instruct)."""

    name = "llamacpp"
    Config = LlamaCppConfig


class VllmBackend(_Planned):
    """In-process vLLM engine for local GPU models."""

    name = "vllm"
    Config = VllmConfig


CORE_BACKENDS = (OpenAICompatBackend, LiteLLMBackend, LlamaCppBackend, VllmBackend)
