"""The model layer: one async client for every backend.

A stage asks an :class:`Endpoint` (``ctx.models["teacher"]``) with a :class:`ChatRequest` and
gets a :class:`Completion` back, always: limits, retries, timeouts, the request cache,
structured output and accounting sit above every backend.
"""

from sdgcore.models.endpoint import Endpoint
from sdgcore.models.roles import Models
from sdgcore.models.types import BackendError, BackendReply, ChatRequest, Choice, Completion, Usage

__all__ = ["BackendError", "BackendReply", "ChatRequest", "Choice", "Completion", "Endpoint",
           "Models", "Usage"]
