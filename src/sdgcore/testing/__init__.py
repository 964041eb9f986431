"""The sdg test kit, for sdg's own tests and for plugin authors.

* :mod:`sdgcore.testing.server` — a loopback OpenAI-compatible server with scripted replies,
  latency and faults, and a request log;
* :mod:`sdgcore.testing.replies` — what that server answers: replies, faults, and the scripts
  that choose between them for each :class:`~sdgcore.testing.replies.IncomingRequest`;
* :mod:`sdgcore.testing.fixtures` — pytest fixtures (``pytest_plugins = [...]``);
* :mod:`sdgcore.testing.components` — small real components (a task that needs no model);
* :mod:`sdgcore.testing.world` — a scripted teacher and student whose replies say which
  request paid for them, and the run configs that use them;
* :mod:`sdgcore.testing.drills` — a run killed and resumed, or run against a faulty server,
  with what the server saw and what the run kept;
* :mod:`sdgcore.testing.modules` — loading a helper file beside a test by its path.

What a plugin's tests need besides, without importing sdgcore's internals:

* :func:`structure` — a config from a plain dict, with a plugin manager's registry
  (``structure({"task": {...}}, make_plugin_manager(plugin).registry)``);
* :class:`Models` — a run's endpoints by role, built from ``config.models``, for
  ``RunContext(run_dir=..., config=config, models=Models(config.models))``.
"""

from sdgcore.config.loader import structure
from sdgcore.models.roles import Models

__all__ = ["Models", "structure"]
