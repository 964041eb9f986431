"""The sdg test kit, for sdg's own tests and for plugin authors.

* :mod:`sdgcore.testing.server` — a loopback OpenAI-compatible server with scripted replies,
  latency and faults, and a request log;
* :mod:`sdgcore.testing.fixtures` — pytest fixtures (``pytest_plugins = [...]``);
* :mod:`sdgcore.testing.components` — small real components (a task that needs no model).
"""
