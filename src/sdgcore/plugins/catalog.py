"""What the first-party plugin packages provide, for hints when a choice is not installed."""

from __future__ import annotations

FIRST_PARTY: dict[tuple[str, str], str] = {
    ("task", "local"): "sdg-local",
    ("retriever", "bm25"): "sdg-local",
    ("retriever", "embedding"): "sdg-local",
    ("retriever", "hybrid"): "sdg-local",
    ("task", "web"): "sdg-web",
    ("task", "distill"): "sdg-distill",
    ("voter", "exact"): "sdg-voting",
    ("voter", "semantic"): "sdg-voting",
    ("voter", "llm_judge"): "sdg-voting",
    ("comparator", "exact"): "sdg-voting",
    ("comparator", "semantic"): "sdg-voting",
    ("comparator", "llm_judge"): "sdg-voting",
    ("rewriter", "difficulty"): "sdg-rewriters",
    ("trainer", "verl"): "sdg-verl",
}
"""``(kind, name)`` mapped to the distribution that registers it."""


def provider_hint(kind: str, name: str) -> str | None:
    """``"pip install sdg-web"`` for a known first-party component, else None."""
    dist = FIRST_PARTY.get((kind, name))
    return f"pip install {dist}" if dist else None
