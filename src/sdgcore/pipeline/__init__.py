"""The run: compose the configured plugins and drive samples through the stages."""

from sdgcore.pipeline.run import STAGES, RunResult, run

__all__ = ["STAGES", "RunResult", "run"]
