"""Registers the ``difficulty`` rewriter (not built yet)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from sdgcore import Rewriter, hookimpl


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
    status = "planned"


@hookimpl
def sdg_register_rewriters(register: Callable[[type[Rewriter]], None]) -> None:
    register(DifficultyRewriter)
