"""The registry of component classes that plugins register, keyed by kind and name."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import attrs

from sdgcore.base import KINDS, Component
from sdgcore.config.schema import shared_keys
from sdgcore.errors import PluginError

NAME = re.compile(r"[a-z][a-z0-9_]*")


class PluginLoadWarning(UserWarning):
    """A plugin, or one component of it, was not loaded; the others still were."""


class RefusedComponent(PluginError):
    """A component that is skipped with a warning, not an error: its plugin's other
    components, and the other plugins, still load."""


@attrs.frozen
class Entry:
    """A registered class and who registered it.

    :param cls: the component class.
    :param origin: the distribution (or, for an object registered by hand, plugin) name.
    :param version: the distribution's version, if known.
    """

    cls: type[Component]
    origin: str
    version: str | None = None

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def name(self) -> str:
        return self.cls.name


class Registry:
    """Component classes by kind and name; two classes claiming one name is an error."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}

    def register_for(self, kind: str, origin: str, version: str | None) -> Callable[[type], None]:
        """The ``register`` callable handed to one plugin's registration hook for ``kind``."""

        def register(cls: type) -> None:
            try:
                self.add(kind, cls, origin=origin, version=version)
            except RefusedComponent as refused:
                warnings.warn(refused.message, PluginLoadWarning, stacklevel=2)

        return register

    def add(self, kind: str, cls: type, *, origin: str, version: str | None = None) -> None:
        """Validate and add ``cls`` as a component of ``kind``.

        :raises PluginError: ``cls`` is not a subclass of the kind's base class, has no valid
            ``name`` or no attrs ``Config``, or its name is taken.
        :raises RefusedComponent: a ``Config`` field has the name of a key every section of
            ``kind`` has (``rewrite.max_rounds``, ``models.<role>.model``...): one YAML key
            would fill both.
        """
        base = KINDS[kind]
        where = f"{getattr(cls, '__qualname__', cls)!s} from {origin}"
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(f"{where} is registered as a {kind} but is not a {base.__name__}")
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise PluginError(f"{where} needs a `name` matching {NAME.pattern}, has {name!r}")
        if not attrs.has(cls.Config):
            raise PluginError(f"{where}: `Config` must be an attrs class")
        _check_shared_keys(kind, cls, origin)
        taken = self._entries[kind].get(name)
        if taken is not None and taken.cls is not cls:
            raise PluginError(
                f"{kind} {name!r} is registered twice: by {taken.origin} and by {origin}",
                hint="uninstall one of them, or block one with `sdg -p no:PLUGIN`",
            )
        self._entries[kind][name] = Entry(cls, origin, version)

    def discard(self, origin: str) -> None:
        """Forget every class ``origin`` registered (a plugin that failed part-way)."""
        for entries in self._entries.values():
            for name in [n for n, e in entries.items() if e.origin == origin]:
                del entries[name]

    def get(self, kind: str, name: str) -> Entry | None:
        """The entry for ``name`` of ``kind``, or None."""
        return self._entries[kind].get(name)

    def names(self, kind: str) -> list[str]:
        """Registered names of ``kind``, sorted."""
        return sorted(self._entries[kind])

    def entries(self) -> list[Entry]:
        """Every entry, by kind (in :data:`~sdgcore.base.KINDS` order), then name."""
        return [self._entries[k][n] for k in KINDS for n in sorted(self._entries[k])]


def _check_shared_keys(kind: str, cls: type, origin: str) -> None:
    shared = shared_keys(kind)
    clash = [f.name for f in attrs.fields(cls.Config) if f.name in shared]
    if clash:
        fields = ", ".join(repr(k) for k in clash)
        raise RefusedComponent(
            f"{kind} {cls.name!r} from {origin} is not registered: {cls.Config.__qualname__} "
            f"has a field {fields} but every {kind} section has that key already "
            f"({', '.join(shared)}), so one YAML key would fill both; rename the field"
        )
