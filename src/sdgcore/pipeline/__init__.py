"""The run: compose the configured plugins and drive samples through the stages."""

from sdgcore.pipeline.run import (
    CACHE_FILE,
    Progress,
    RunFinishedWarning,
    RunResult,
    check_built,
    run,
)

__all__ = ["CACHE_FILE", "Progress", "RunFinishedWarning", "RunResult", "check_built", "run"]
