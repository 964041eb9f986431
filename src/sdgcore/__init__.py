"""sdg: difficulty-calibrated synthetic training data for LLM fine-tuning.

This module is the public API: the one import a plugin needs::

    from sdgcore import ChatRequest, Sample, Source, Task, hookimpl

Components and hooks
    ``hookimpl`` marks a plugin's hook implementations. The base classes a plugin registers:
    ``Component``, ``Task``, ``Retriever``, ``Voter``, ``Comparator``, ``Rewriter``,
    ``Trainer``, ``Backend``; what a retriever returns: ``Passage``, ``Hit``. Config fields:
    ``Secret`` (a value never written to a file or a log) and ``RetrieverChoice`` (a section
    that picks a registered retriever by its ``type:``).
Records
    ``Sample`` (one sample and its lineage), ``AnswerFormat`` (how its final answer is
    written: the tag and the line every answering model is told), ``Source``, ``Vote``,
    ``Attempt``, ``Tokens``,
    ``Direction`` (``"harder"`` or ``"easier"``), ``Category`` (``"learnable"``,
    ``"too_easy"`` or ``"too_hard"``) and ``derive_seed`` (a seed for a request that a
    resumed run repeats).
The run context and model requests
    ``RunContext`` (``ctx``: the run directory, config, seed and ``ctx.models``); an
    ``Endpoint`` (``ctx.models["teacher"]``) answers a ``ChatRequest`` with a ``Completion`` of
    ``Choice`` objects. For backends: ``BackendReply``, ``Usage`` and ``BackendError``.
Helpers for tasks
    ``draft_samples`` (a task's attempts in flight, rejects and near-duplicates skipped and
    counted, samples in attempt order) and ``endpoint_for`` (the model a config key names),
    ``Lookahead`` (requests in flight, results in order), ``NearDuplicates`` and
    ``text_tokens`` (near-duplicate questions), ``write_atomic`` (files a resume can trust),
    ``embed`` and ``DEFAULT_EMBEDDING_MODEL`` (sentence embeddings, loaded on first use) and
    ``import_optional`` (a heavy library, or a one-line error naming the extra to install).
Work on a finished run (commands such as ``sdg train`` and ``sdg eval``)
    ``load_run`` (a run directory's config, structured with the installed plugins),
    ``run_endpoints`` (``Models``: endpoints by name, roles of the run or endpoint configs
    given on the command line, on the run's request cache), ``endpoint_choices`` (the same,
    checked without reaching a model) and ``solve`` (a model's attempts at a labelled
    sample, scored by a comparator: ``Solved``), which the student's solve step uses too.
    ``embedded_model_path`` (the GGUF file the ``llamacpp`` backend serves when no ``model``
    is set: SmolLM2-135M-Instruct), for converting the embedded model to train it.
Errors
    ``SdgError`` (the base of them all), ``ConfigError``, ``InputError``, ``MissingExtraError``.

``__version__`` is the installed version of sdgcore.

Compatibility: the names in ``__all__`` (and the test kit, :mod:`sdgcore.testing`) keep working
across minor versions; a name to be removed or changed first warns for one minor version.
Everything else under ``sdgcore.*`` is internal and may change in any release.
Importing this module imports no heavy library (torch, litellm, numpy...).
"""

from importlib.metadata import PackageNotFoundError, version

from sdgcore.answer_format import AnswerFormat
from sdgcore.attempts import Solved, solve
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
from sdgcore.config.values import RetrieverChoice, Secret
from sdgcore.context import RunContext
from sdgcore.dedup import NearDuplicates
from sdgcore.dedup import tokens as text_tokens
from sdgcore.drafting import draft_samples, endpoint_for
from sdgcore.embeddings import DEFAULT_MODEL as DEFAULT_EMBEDDING_MODEL
from sdgcore.embeddings import embed
from sdgcore.errors import ConfigError, InputError, MissingExtraError, SdgError, import_optional
from sdgcore.hookspecs import hookimpl
from sdgcore.lookahead import Lookahead
from sdgcore.models import (
    BackendError,
    BackendReply,
    ChatRequest,
    Choice,
    Completion,
    Endpoint,
    Usage,
)
from sdgcore.models.backends.llamacpp import default_model_path as embedded_model_path
from sdgcore.models.roles import Models
from sdgcore.records import (
    Attempt,
    Category,
    Direction,
    Sample,
    Source,
    Tokens,
    Vote,
)
from sdgcore.runs import endpoint_choices, load_run, run_endpoints
from sdgcore.seeds import derive_seed
from sdgcore.store.rundir import write_atomic

try:
    __version__ = version("sdgcore")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AnswerFormat",
    "Attempt",
    "Backend",
    "BackendError",
    "BackendReply",
    "Category",
    "ChatRequest",
    "Choice",
    "Comparator",
    "Completion",
    "Component",
    "ConfigError",
    "DEFAULT_EMBEDDING_MODEL",
    "Direction",
    "Endpoint",
    "Hit",
    "InputError",
    "Lookahead",
    "MissingExtraError",
    "Models",
    "NearDuplicates",
    "Passage",
    "Retriever",
    "RetrieverChoice",
    "Rewriter",
    "RunContext",
    "Sample",
    "SdgError",
    "Secret",
    "Solved",
    "Source",
    "Task",
    "Tokens",
    "Trainer",
    "Usage",
    "Vote",
    "Voter",
    "__version__",
    "derive_seed",
    "draft_samples",
    "embed",
    "embedded_model_path",
    "endpoint_choices",
    "endpoint_for",
    "hookimpl",
    "import_optional",
    "load_run",
    "run_endpoints",
    "solve",
    "text_tokens",
    "write_atomic",
]
