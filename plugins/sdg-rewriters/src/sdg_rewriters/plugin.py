"""The ``difficulty`` rewriter: asks the teacher to make a sample harder or easier.

A sample the student solves too often is rewritten ``"harder"``, one it fails too often
``"easier"``. One structured request per rewrite (seeded from the run seed, the sample id and
the direction, so a rerun hits the request cache) returns the new question; the child is made
by :meth:`Sample.rewrite <sdgcore.Sample.rewrite>`, so it carries its lineage, context and answer
format and nothing of its parent's scoring: the pipeline labels and solves it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from sdg_rewriters.prompts import SCHEMA, build_messages
from sdgcore import ChatRequest, Rewriter, Sample, derive_seed, hookimpl

if TYPE_CHECKING:
    from sdgcore import Direction, RunContext


@attrs.frozen
class DifficultyConfig:
    """``rewrite:`` for ``type: difficulty``.

    :param harder_prompt: replaces the built-in instruction for making a sample harder.
    :param easier_prompt: replaces the built-in instruction for making a sample easier.
    :param temperature: the teacher's temperature while rewriting.
    :param model: the model role that rewrites.
    """

    harder_prompt: str | None = None
    easier_prompt: str | None = None
    temperature: float = 0.7
    model: str = "teacher"


class DifficultyRewriter(Rewriter):
    """Makes too-easy samples harder and too-hard ones easier."""

    name = "difficulty"
    Config = DifficultyConfig
    config: DifficultyConfig

    async def rewrite(self, ctx: RunContext, sample: Sample, direction: Direction) -> Sample | None:
        """Ask ``config.model`` for a ``direction`` version of ``sample``.

        :returns: the child sample (:meth:`Sample.rewrite <sdgcore.Sample.rewrite>`: the
            teacher's ``meta["rewrite_change"]`` and this request's tokens), or None when the
            request failed or the teacher gave no new question (empty, or the same question).
        """
        instruction = (self.config.harder_prompt if direction == "harder"
                       else self.config.easier_prompt)
        request = ChatRequest(
            messages=build_messages(sample, direction, instruction),
            temperature=self.config.temperature,
            seed=derive_seed(ctx.seed, sample.id, "rewrite", direction),
            json_schema=SCHEMA,
        )
        done = await ctx.models[self.config.model].chat(request)
        if not done.ok or not done.choices:
            return None
        data = done.choices[0].data
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            return None
        question = data["question"].strip()
        if not question or _normal(question) == _normal(sample.question):
            return None
        change = data.get("change")
        change = change.strip() if isinstance(change, str) else ""
        return sample.rewrite(question, direction, tokens=done.tokens,
                              meta={"rewrite_change": change} if change else None)


def _normal(text: str) -> str:
    """``text`` with whitespace collapsed and case folded, to compare questions."""
    return " ".join(text.split()).casefold()


@hookimpl
def sdg_register_rewriters(register: Callable[[type[Rewriter]], None]) -> None:
    register(DifficultyRewriter)
