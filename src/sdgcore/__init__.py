"""sdg: difficulty-calibrated synthetic training data for LLM fine-tuning.

A plugin imports what it needs from here::

    from sdgcore import hookimpl, Task, Sample
"""

from importlib.metadata import PackageNotFoundError, version

from sdgcore.base import (
    Backend,
    Comparator,
    Component,
    Hit,
    Passage,
    Retriever,
    Rewriter,
    Task,
    Trainer,
    Voter,
)
from sdgcore.errors import ConfigError, SdgError
from sdgcore.hookspecs import hookimpl
from sdgcore.records import Attempt, Sample, Source, Tokens, Vote

try:
    __version__ = version("sdgcore")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Attempt",
    "Backend",
    "Comparator",
    "Component",
    "ConfigError",
    "Hit",
    "Passage",
    "Retriever",
    "Rewriter",
    "Sample",
    "SdgError",
    "Source",
    "Task",
    "Tokens",
    "Trainer",
    "Vote",
    "Voter",
    "__version__",
    "hookimpl",
]
