"""What a run tells its caller as it goes."""

from __future__ import annotations


class Progress:
    """What a run reports as it goes; the command line shows it as progress bars."""

    def start(self, learnable_target: int) -> None:
        """The run begins (``learnable_target`` samples are wanted)."""

    def advance(self, stage: str) -> None:
        """A sample finished ``stage`` (``generate``, ``label``, ``solve``, ``rewrite``) or
        landed in a category (``learnable``, ``too_easy``, ``too_hard``, ``dropped``)."""
