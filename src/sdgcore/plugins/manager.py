"""Building the plugin manager: load entry points, honour blocks, collect registrations.

Nothing here runs at import time. :func:`create_plugin_manager` builds a fresh manager each
call, so building two in one process (as tests do) is safe; nothing global is touched.
"""

from __future__ import annotations

import difflib
import os
import types
import warnings
from collections.abc import Iterable
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

import attrs
import pluggy

from sdgcore import builtin, hookspecs
from sdgcore.errors import PluginError
from sdgcore.kinds import KINDS
from sdgcore.plugins.components import PluginLoadWarning, Registry

if TYPE_CHECKING:
    import click

GROUP = "sdg"
"""The entry-point group plugins are found in."""
DISABLE_ENV = "SDG_DISABLE_PLUGINS"
"""Comma-separated plugin (entry point) or distribution names to block."""
CORE = "sdgcore"

_REGISTER_HOOKS = {name: kind.hook for name, kind in KINDS.items()}
"""Each kind's registration hook (from :data:`sdgcore.kinds.KINDS`)."""


@attrs.frozen
class PluginInfo:
    """One plugin as the manager saw it.

    :param name: the entry point (plugin) name, e.g. ``"voting"``.
    :param distribution: the distribution that declares it, e.g. ``"sdg-voting"``.
    :param version: that distribution's version.
    :param state: ``"loaded"``, ``"blocked"`` or ``"failed"``.
    :param error: why it failed, for ``"failed"``.
    """

    name: str
    distribution: str
    version: str | None
    state: Literal["loaded", "blocked", "failed"]
    error: str | None = None


@attrs.frozen
class PluginRecipe:
    """How a plugin manager was made, so another process (a Ray worker) can make the same:
    whether entry points were loaded, the plugins blocked, and the modules registered by
    name (``sdg -p MODULE``)."""

    entry_points: bool = True
    blocked: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()


class SdgPluginManager:
    """A typed facade over the pluggy manager: the registry, the plugins, the hooks.

    The registry is collected from the plugins' registration hooks on first use (or by
    :meth:`collect`), so that what needs only the commands (``sdg --help``, ``sdg init``) never
    runs a registration hook and is not stopped by one that fails.
    """

    def __init__(self, pm: pluggy.PluginManager, plugins: list[PluginInfo],
                 recipe: PluginRecipe | None = None) -> None:
        self.pm = pm
        self.plugins = plugins
        self.recipe = recipe
        """How to make this manager again, or None where a plugin is not a module."""
        self._registry: Registry | None = None
        self._collecting = Registry()
        self._origins = {p.name: p for p in plugins}

    @property
    def registry(self) -> Registry:
        """Every registered component class (collected on first use; see :meth:`collect`)."""
        if self._registry is None:
            self.collect()
        assert self._registry is not None
        return self._registry

    @property
    def failures(self) -> list[PluginInfo]:
        """Plugins that failed to load or register."""
        return [p for p in self.plugins if p.state == "failed"]

    def collect(self) -> None:
        """Call every registration hook, one plugin at a time so each class has its origin.

        Once only: the registry is kept after the first success.

        :raises PluginError: two plugins claim one name, or a class is invalid.
        """
        if self._registry is not None:
            return
        self._collecting = Registry()
        for kind, hook_name in _REGISTER_HOOKS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                info = self._origins.get(impl.plugin_name)
                origin = info.distribution if info else impl.plugin_name
                register = self._collecting.register_for(kind, origin,
                                                         info.version if info else None)
                try:
                    impl.function(register=register)
                except PluginError:
                    raise
                except Exception as exc:  # a broken plugin must not stop the others
                    self._fail(impl.plugin_name, f"{hook_name} raised {_reason(exc)}")
        self._registry = self._collecting

    def add_commands(self, cli: click.Group) -> None:
        """Let each plugin add commands to ``cli``, one plugin at a time.

        A plugin whose hook raises, or that takes a command name already taken, has all of its
        commands left out with a :class:`PluginLoadWarning`; the other plugins' commands, and
        its components, stay.
        """
        for impl in self.pm.hook.sdg_add_commands.get_hookimpls():
            before = dict(cli.commands)
            try:
                impl.function(cli=cli)
            except Exception as exc:  # a broken plugin must not stop the command line
                problem = f"sdg_add_commands raised {_reason(exc)}"
            else:
                taken = [n for n, c in cli.commands.items() if n in before and before[n] is not c]
                if not taken:
                    continue
                problem = f"it adds the command {taken[0]!r}, which is already taken"
            cli.commands.clear()
            cli.commands.update(before)
            info = self._origins.get(impl.plugin_name)
            warnings.warn(f"plugin {impl.plugin_name!r} "
                          f"({info.distribution if info else impl.plugin_name}): {problem}; "
                          "its commands are left out", PluginLoadWarning, stacklevel=2)

    def _fail(self, name: str, reason: str) -> None:
        info = self._origins.get(name)
        failed = PluginInfo(
            name, info.distribution if info else name, info.version if info else None,
            "failed", reason,
        )
        self.plugins = [failed if p.name == name else p for p in self.plugins]
        self._origins[name] = failed
        self._collecting.discard(failed.distribution)
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        warnings.warn(f"plugin {name!r} ({failed.distribution}) failed: {reason}",
                      PluginLoadWarning, stacklevel=2)


def create_plugin_manager(
    *,
    blocked: Iterable[str] = (),
    entry_points: bool = True,
    plugins: Iterable[Any] = (),
    collect: bool = True,
) -> SdgPluginManager:
    """Build a plugin manager with every registration collected.

    :param blocked: plugin (entry point) or distribution names not to load, added to those in
        the ``SDG_DISABLE_PLUGINS`` environment variable. The core cannot be blocked.
    :param entry_points: load the ``sdg`` entry-point group (off in tests that register plugin
        objects by hand).
    :param plugins: plugin objects (modules, classes or instances with hook implementations)
        to register after the entry points, e.g. from a test.
    :param collect: collect the registrations now; with False, on first use of
        :attr:`SdgPluginManager.registry` (what ``sdg`` does, so that ``sdg --help`` runs no
        registration hook).
    :raises PluginError: two plugins claim one name, or a class is invalid (where ``collect``).
    """
    plugins = list(plugins)
    block = {b.strip() for b in blocked if b.strip()}
    block |= {b.strip() for b in os.environ.get(DISABLE_ENV, "").split(",") if b.strip()}
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos = [PluginInfo(CORE, CORE, _version(CORE), "loaded")]
    pm.register(builtin, name=CORE)
    if entry_points:
        infos += _load_entry_points(pm, block)
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{i}"
        infos.append(_register(pm, plugin, PluginInfo(name, name, None, "loaded")))
    modules = tuple(p.__name__ for p in plugins if isinstance(p, types.ModuleType))
    recipe = PluginRecipe(entry_points, tuple(sorted(block)), modules) \
        if len(modules) == len(plugins) else None
    manager = SdgPluginManager(pm, infos, recipe)
    if collect:
        manager.collect()
    return manager


def _load_entry_points(pm: pluggy.PluginManager, block: set[str]) -> list[PluginInfo]:
    infos: list[PluginInfo] = []
    seen: dict[str, str] = {}
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else None
        if ep.name in seen and seen[ep.name] != dist:
            raise PluginError(
                f"plugin name {ep.name!r} is declared twice: by {seen[ep.name]} and by {dist}",
                hint=f"uninstall one of them, or block both with `sdg -p no:{ep.name}`",
            )
        if ep.name in seen:
            continue
        seen[ep.name] = dist
        if {ep.name, dist, _normalise(dist)} & block:
            infos.append(PluginInfo(ep.name, dist, version, "blocked"))
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # report it, keep loading the others
            reason = f"could not be imported: {_reason(exc)}"
            infos.append(PluginInfo(ep.name, dist, version, "failed", reason))
            warnings.warn(f"plugin {ep.name!r} ({dist}) {reason}", PluginLoadWarning, stacklevel=3)
            continue
        infos.append(_register(pm, plugin, PluginInfo(ep.name, dist, version, "loaded")))
    return infos


def _register(pm: pluggy.PluginManager, plugin: Any, info: PluginInfo) -> PluginInfo:
    """Register ``plugin`` as ``info.name``; a plugin with a hook that no spec knows or that
    takes an argument its spec does not pass is left out with a warning, as ``"failed"``."""
    reason = _hook_problem(pm, plugin)
    if reason is None:
        try:
            pm.register(plugin, name=info.name)
            return info
        except pluggy.PluginValidationError as exc:  # a case _hook_problem does not name
            reason = " ".join(str(exc).split())
            if pm.get_plugin(info.name) is not None:
                pm.unregister(name=info.name)
    warnings.warn(f"plugin {info.name!r} ({info.distribution}) not loaded: {reason}",
                  PluginLoadWarning, stacklevel=3)
    return attrs.evolve(info, state="failed", error=reason)


def _hook_problem(pm: pluggy.PluginManager, plugin: Any) -> str | None:
    """Why ``plugin``'s hook implementations do not fit the hookspecs, in one line, or None."""
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        hook_name = opts.get("specname") or attr
        caller = getattr(pm.hook, hook_name, None)
        spec = caller.spec if caller is not None else None
        if spec is None:
            if opts.get("optionalhook"):
                continue
            known = [n for n in dir(hookspecs) if n.startswith("sdg_")]
            guess = difflib.get_close_matches(hook_name, known, n=1)
            return f"{hook_name} is not an sdg hook" + (
                f"; did you mean {guess[0]}?" if guess else "")
        impl = pluggy.HookImpl(plugin, "", getattr(plugin, attr), opts)
        extra = [a for a in impl.argnames if a not in spec.argnames]
        if extra:
            return (f"{hook_name} takes {', '.join(extra)}, which the hook does not pass "
                    f"(it passes: {', '.join(spec.argnames)})")
    return None


def _normalise(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
