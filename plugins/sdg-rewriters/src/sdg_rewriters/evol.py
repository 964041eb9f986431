"""Evol-Instruct's evolutions (Xu et al., 2023, "WizardLM"), as rewrite instructions.

In-depth evolution makes a question harder in one of four ways; in-breadth evolution makes a
new question in the same domain. sdg uses in-breadth for the *easier* direction: the new
question is asked to be more basic than the original, so a too-hard sample gets a sibling the
student can sometimes solve.
"""

from __future__ import annotations

from typing import Literal

Depth = Literal["constraints", "deepen", "concretize", "reasoning"]

DEPTH: dict[str, str] = {
    "constraints": "Add one more constraint or requirement to the question.",
    "deepen": "If the question asks about a certain issue, increase the depth and breadth of "
              "the inquiry.",
    "concretize": "Replace general concepts with more specific ones.",
    "reasoning": "If the question can be solved with just a few simple thinking steps, "
                 "rewrite it to explicitly require multiple-step reasoning.",
}
"""Evol-Instruct's in-depth methods."""


def in_depth(method: str, max_added_words: int) -> str:
    """The instruction of an in-depth evolution by ``method``."""
    return (
        "You act as a question rewriter. Rewrite the given question into a more complex "
        "version that is harder for an AI model to answer, but still reasonable, understood "
        "by humans and answerable with exactly one well-defined answer. Keep any context "
        "and the answer format. Method: " + DEPTH[method] + " Do not make the question "
        f"verbose: add at most {max_added_words} words. Do not include the answer."
    )


def in_breadth() -> str:
    """The instruction of an in-breadth evolution toward a more basic question."""
    return (
        "You act as a question creator. Draw inspiration from the given question to create a "
        "brand new question in the same domain and of the same kind, answered in the same "
        "format, but more basic: answerable in fewer steps, with simpler numbers or concepts. "
        "It must be self-contained and have exactly one well-defined answer. Do not include "
        "the answer."
    )
