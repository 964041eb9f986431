"""The kinds of plugin component (task, retriever, voter, ...), each declared once.

A kind shows up in many places: its abstract base class, its registration hook, the config
section that picks one and the class that section is structured into, the choice a config
gets when it leaves the section out, and the first-party packages that provide choices.
:data:`KINDS` declares all of that once; the other tables are derived from it:

* :data:`sdgcore.base.KINDS` (kind -> base class) and so the registry's kinds;
* the plugin manager's registration hooks (``sdgcore.plugins.manager._REGISTER_HOOKS``);
* :data:`sdgcore.config.schema.CHOICES` and :data:`~sdgcore.config.schema.DEFAULTS`, the
  ``key`` of every :class:`~sdgcore.config.values.Selected` class and the loader's defaults;
* :meth:`sdgcore.config.schema.RunConfig.selections`, the config reference's section names
  and the ``pip install`` hints (:data:`sdgcore.plugins.catalog.FIRST_PARTY`).

Adding a kind: add its :class:`Kind` here, then write what the tests then ask for: its base
class in :mod:`sdgcore.base`, its hookspec in :mod:`sdgcore.hookspecs`, its
:class:`~sdgcore.config.values.Selected` class (listed in :data:`sdgcore.config.schema.CHOICES`)
and the config field that holds it.

What is code rather than data stays written out where it lives: the base class, the hookspec
(with its docstring), the choice class and the config field that holds it.
``tests/test_kinds.py`` checks each of them against this table, both ways, so a kind added in
one place only fails the tests and names what is missing.

This module imports nothing from sdgcore, so any module may import it. It names classes as
text and never imports them: the modules that hold them build their tables from their own
classes (``sdgcore.base.KINDS``, ``sdgcore.config.schema.CHOICES``), and the tests check both.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class Kind:
    """One kind of component.

    :param name: the kind's name (``"task"``); each base class's ``kind`` is this name.
    :param base: the name of its abstract base class in :mod:`sdgcore.base`.
    :param hook: the registration hookspec in :mod:`sdgcore.hookspecs` that collects it.
    :param section: the config key path of the section that picks one (``"solve.comparator"``;
        ``<role>`` stands for any key of a mapping, as in ``"models.<role>"``).
    :param choice: the :class:`~sdgcore.config.values.Selected` class that section is
        structured into, as ``"module:Class"``.
    :param key: the section's key that names the choice.
    :param default: the choice a config gets where it leaves the section out and that choice
        is installed, or None: the section is required, or optional with no default.
    :param provides: the first-party choices, each mapped to the distribution to install.
    """

    name: str
    base: str
    hook: str
    section: str
    choice: str
    key: str = "type"
    default: str | None = None
    provides: Mapping[str, str] = attrs.field(factory=dict)

    def install_hint(self, name: str) -> str | None:
        """``"pip install sdg-web"`` for a first-party choice, else None."""
        dist = self.provides.get(name)
        return f"pip install {dist}" if dist else None


_VALUES = "sdgcore.config.values"

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("task", "Task", "sdg_register_tasks", "task", f"{_VALUES}:TaskChoice",
         provides={"local": "sdg-local", "web": "sdg-web", "distill": "sdg-distill"}),
    Kind("retriever", "Retriever", "sdg_register_retrievers", "task.retriever",
         f"{_VALUES}:RetrieverChoice",
         provides={"bm25": "sdg-local", "embedding": "sdg-local", "hybrid": "sdg-local"}),
    Kind("voter", "Voter", "sdg_register_voters", "voter", f"{_VALUES}:VoterChoice",
         default="exact",
         provides={"exact": "sdg-voting", "semantic": "sdg-voting", "llm_judge": "sdg-voting"}),
    Kind("comparator", "Comparator", "sdg_register_comparators", "solve.comparator",
         f"{_VALUES}:ComparatorChoice", default="exact",
         provides={"exact": "sdg-voting", "semantic": "sdg-voting", "llm_judge": "sdg-voting"}),
    Kind("rewriter", "Rewriter", "sdg_register_rewriters", "rewrite",
         "sdgcore.config.schema:RewriteChoice", default="difficulty",
         provides={"difficulty": "sdg-rewriters", "evol": "sdg-rewriters"}),
    Kind("trainer", "Trainer", "sdg_register_trainers", "train", f"{_VALUES}:TrainerChoice",
         provides={"verl": "sdg-verl"}),
    Kind("backend", "Backend", "sdg_register_backends", "models.<role>",
         "sdgcore.models.config:BackendChoice", key="backend", default="llamacpp"),
)}
"""Every kind by name, in registration order (the order ``sdg plugins`` lists them in).

Defaults: a left-out ``voter:`` or ``rewrite:`` section gets its default where installed; a
left-out ``solve.comparator`` gets the task's own comparator, else the default; every model
role left out gets ``backend: llamacpp`` (the core's embedded backend)."""


def by_section(section: str) -> Kind:
    """The kind whose config section is ``section`` (``"rewrite"`` -> the rewriter kind)."""
    for kind in KINDS.values():
        if kind.section == section:
            return kind
    raise KeyError(f"no kind has the config section {section!r}")


__all__ = ["KINDS", "Kind", "by_section"]
