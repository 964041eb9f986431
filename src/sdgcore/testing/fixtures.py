"""Pytest fixtures for sdg and its plugins. Enable them in a ``conftest.py``::

    pytest_plugins = ["sdgcore.testing.fixtures"]

* ``fake_openai`` — a started :class:`~sdgcore.testing.server.FakeOpenAIServer` answering
  ``"ok"``; set ``fake_openai.script`` or build your own server for scripted replies.
* ``make_plugin_manager`` — builds a fresh plugin manager from plugin objects you pass,
  without entry points unless asked; nothing global is changed, so nothing needs cleaning up.
* ``sdg_cli`` — runs the ``sdg`` command line in-process with a given plugin manager.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sdgcore.plugins import SdgPluginManager, create_plugin_manager


@pytest.fixture
def fake_openai() -> Iterator[Any]:
    """A loopback OpenAI-compatible server, stopped after the test."""
    from sdgcore.testing.server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def make_plugin_manager() -> Callable[..., SdgPluginManager]:
    """``make_plugin_manager(*plugins, entry_points=False, blocked=())`` -> a new manager."""

    def make(*plugins: Any, entry_points: bool = False,
             blocked: Sequence[str] = ()) -> SdgPluginManager:
        return create_plugin_manager(plugins=plugins, entry_points=entry_points, blocked=blocked)

    return make


@pytest.fixture
def sdg_cli() -> Callable[..., Result]:
    """``sdg_cli(args, manager=None, input=None)`` -> click's Result of ``sdg ARGS``."""
    from sdgcore.cli import cli

    def invoke(args: Sequence[str], manager: SdgPluginManager | None = None,
               input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), obj=manager, input=input,
                                  catch_exceptions=True)

    return invoke
