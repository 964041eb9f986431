"""The sdg test kit, for sdg's own tests and for plugin authors.

* :mod:`sdgcore.testing.server` — a loopback OpenAI-compatible server with scripted replies,
  latency and faults, and a request log;
* :mod:`sdgcore.testing.fixtures` — pytest fixtures (``pytest_plugins = [...]``);
* :mod:`sdgcore.testing.components` — small real components (a task that needs no model);
* :mod:`sdgcore.testing.scripted` — a scripted teacher and student whose replies say which
  request paid for them, and the run configs that use them;
* :mod:`sdgcore.testing.drills` — a run killed and resumed, or run against a faulty server,
  with what the server saw and what the run kept;
* :mod:`sdgcore.testing.modules` — loading a helper file beside a test by its path.
"""
