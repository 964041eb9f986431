"""The hooks a plugin implements, and the markers to implement them with.

A plugin is a module (or object) named by an entry point in the ``sdg`` group::

    [project.entry-points.sdg]
    voting = "sdg_voting.plugin"

and marks its functions with :data:`hookimpl` (``from sdgcore import hookimpl``). Every
registration hook receives a ``register`` callable; the core owns the registry, validates each
class and rejects two classes that claim one name. All hooks are called once, while the plugin
manager is built (:func:`sdgcore.plugins.create_plugin_manager`), except
:func:`sdg_add_commands`, which is called when the command line is assembled, and
:func:`sdg_run_finished`, which is called when a run has written its datasets.

Each ``sdg_register_*`` hook collects one kind of :data:`sdgcore.kinds.KINDS`, the table that
declares every kind once; ``tests/test_kinds.py`` checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from sdgcore.base import (
        Backend,
        Comparator,
        Retriever,
        Rewriter,
        Task,
        Trainer,
        Voter,
    )
    from sdgcore.config.schema import RunConfig

PROJECT = "sdg"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    """Register task classes: the sources of candidate samples (``task.type`` in a config).

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Task` subclass the plugin provides.
        It raises :class:`sdgcore.errors.PluginError` for a class without a valid ``name`` or
        ``Config``, or whose name another plugin already took.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_retrievers(register: Callable[[type[Retriever]], None]) -> None:
    """Register retriever classes (``task.retriever.type``): search over prepared passages.

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Retriever` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_voters(register: Callable[[type[Voter]], None]) -> None:
    """Register voter classes (``voter.type``): they label a sample by majority vote.

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Voter` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_comparators(register: Callable[[type[Comparator]], None]) -> None:
    """Register comparator classes (``solve.comparator.type``): they score the student's
    attempts against a sample's label.

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Comparator` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_rewriters(register: Callable[[type[Rewriter]], None]) -> None:
    """Register rewriter classes (``rewrite.type``): they make a sample harder or easier.

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Rewriter` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_trainers(register: Callable[[type[Trainer]], None]) -> None:
    """Register trainer classes (``train.type``): hand-offs of the exported data to a trainer.

    Called once, when the plugin manager is built.

    :param register: call it with each :class:`sdgcore.base.Trainer` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register model backend classes (``models.<role>.backend``): how a model is reached.

    Called once, when the plugin manager is built. The core registers its own backends
    through this same hook.

    :param register: call it with each :class:`sdgcore.base.Backend` subclass.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_add_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``sdg`` command line.

    Called each time the command line is assembled, after the built-in commands are in place,
    with the plugin manager already built (commands find it as ``ctx.obj``).

    :param cli: the top-level :class:`click.Group`; call ``cli.add_command(cmd)``. A plugin
        whose hook raises, or that takes a command name already taken, has its commands left
        out with a one-line warning naming it; every other command still works.
    :return: nothing; the result is ignored.
    """


@hookspec
def sdg_run_finished(run_dir: Path, config: RunConfig) -> None:
    """Act on a finished run: write a report, notify someone, copy the datasets elsewhere.

    Called once per ``sdg run`` that ends normally, after the datasets and ``summary.json`` are
    written to ``run_dir``; not called for a run that failed or was interrupted. Each plugin's
    implementation is called on its own: one that raises is reported as a warning
    (``RunFinishedWarning``) naming the plugin and the reason, and neither the run nor the
    other implementations fail.

    :param run_dir: the run directory, holding the datasets (``<category>.jsonl``), the round
        checkpoints and ``summary.json``.
    :param config: the run's :class:`~sdgcore.config.schema.RunConfig`.
    :return: nothing; the result is ignored.
    """
