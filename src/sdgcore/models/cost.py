"""What requests cost, and a hard stop on a run's spending (``budget.cost``).

A request's cost is the backend's own figure where it gives one (litellm), else its tokens at
the endpoint's configured ``price`` (dollars per million prompt / completion tokens), else, for
``budget.cost``, litellm's price table for the model name. Local backends (``llamacpp``,
``vllm``) cost nothing. The :class:`CostBudget` is shared by every endpoint of a run and
checked before each request: once the spending reaches the limit, no request is sent.
"""

from __future__ import annotations

import os

import attrs


@attrs.frozen
class Price:
    """``models.<role>.price``: dollars per million tokens.

    :param prompt: per million prompt (input) tokens.
    :param completion: per million completion (output) tokens.
    """

    prompt: float = attrs.field(validator=attrs.validators.ge(0.0))
    completion: float = attrs.field(validator=attrs.validators.ge(0.0))

    def of(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The dollars for these tokens."""
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1e6


def table_price(model: str) -> Price | None:
    """The price of ``model`` in litellm's bundled price table (never fetched), or None."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:
        return None
    entry = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[-1])
    if not entry or entry.get("input_cost_per_token") is None:
        return None
    return Price(prompt=float(entry["input_cost_per_token"]) * 1e6,
                 completion=float(entry.get("output_cost_per_token") or 0.0) * 1e6)


class CostBudget:
    """Dollars spent by a run's endpoints, against a limit.

    :param limit: the most to spend, or None for no limit (spending is still counted).
    :param spent: what earlier invocations of the run spent.
    """

    def __init__(self, limit: float | None = None, spent: float = 0.0) -> None:
        self.limit = limit
        self.spent = spent

    @property
    def exhausted(self) -> bool:
        """Whether no more requests may be sent."""
        return self.limit is not None and self.spent >= self.limit

    def add(self, dollars: float) -> None:
        """Count a request's cost."""
        self.spent += dollars
