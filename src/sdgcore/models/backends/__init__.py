"""The core's model backends, registered through ``sdg_register_backends`` like any plugin's.

Each module imports its heavy library (aiohttp, litellm, llama_cpp, vllm) inside the backend,
so listing them costs nothing.
"""

from sdgcore.models.backends.litellm import LiteLLMBackend
from sdgcore.models.backends.llamacpp import LlamaCppBackend
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.backends.vllm import VllmBackend

CORE_BACKENDS = (OpenAICompatBackend, LiteLLMBackend, LlamaCppBackend, VllmBackend)

__all__ = ["CORE_BACKENDS", "LiteLLMBackend", "LlamaCppBackend", "OpenAICompatBackend",
           "VllmBackend"]
