"""What a component sees of the run it works in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from sdgcore.config.schema import RunConfig
from sdgcore.pool import SamplePool

if TYPE_CHECKING:
    from sdgcore.models.roles import Models


@attrs.frozen
class RunContext:
    """Handed to every component call.

    :param run_dir: the run directory; a component keeps its own files under
        ``run_dir / "<kind>-<name>"`` (see :meth:`workdir`).
    :param config: the whole resolved run config.
    :param models: the run's model endpoints by role (``ctx.models["teacher"].chat(...)``).
    :param pool: the samples generated so far, in the task's order (for a rewriter that
        combines a sample with an earlier one).
    """

    run_dir: Path
    config: RunConfig
    models: Models
    pool: SamplePool = attrs.field(factory=SamplePool, eq=False, repr=False)

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self.config.run.seed

    def workdir(self, kind: str, name: str) -> Path:
        """A directory of the run reserved for one component, created on first use."""
        path = self.run_dir / f"{kind}-{name}"
        path.mkdir(parents=True, exist_ok=True)
        return path
