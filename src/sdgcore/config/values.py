"""Value types that configs are made of: secrets and plugin selections."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from sdgcore.kinds import KINDS


class Interpolated(str):
    """A string whose value came from ``${VAR}`` interpolation; keeps its template."""

    template: str

    def __new__(cls, value: str, template: str) -> Interpolated:
        obj = super().__new__(cls, value)
        obj.template = template
        return obj


@attrs.frozen(repr=False)
class Secret:
    """A value that must never reach a file or a log, such as an API key.

    ``str()`` and ``repr()`` mask it; :meth:`get` returns it. Written back into a resolved
    config, it becomes the ``${VAR}`` reference it was read from, or ``"***"`` if it was typed
    into the file literally.
    """

    value: str
    template: str | None = None

    def get(self) -> str:
        """The secret itself."""
        return self.value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def reference(self) -> str:
        """What a saved config holds in place of the secret."""
        return self.template if self.template else "***"


@attrs.frozen
class Selected:
    """A config section whose ``type:`` key picked a registered component.

    Each kind has one subclass, named by :attr:`sdgcore.kinds.Kind.choice`; it sets ``kind``
    and, where its section has shared keys, ``Common``.

    :param name: the chosen name (the ``type:`` value).
    :param component: the registered class.
    :param config: that class's ``Config``, structured from the section's other keys.
    :param common: the section's own fields shared by every choice (see :attr:`Common`).
    :param origin: the distribution that registered the class.
    """

    kind: ClassVar[str]
    key: ClassVar[str] = "type"
    Common: ClassVar[type | None] = None

    name: str
    component: type = attrs.field(repr=False)
    config: Any
    common: Any = None
    origin: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A class for one kind (it sets ``kind``) takes its :attr:`key` from
        :data:`sdgcore.kinds.KINDS`."""
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            if kind not in KINDS:
                raise TypeError(f"{cls.__qualname__}: kind {kind!r} is not in sdgcore.kinds.KINDS")
            cls.key = KINDS[kind].key

    def create(self) -> Any:
        """A new instance of the chosen component with its config."""
        return self.component(self.config)

    @classmethod
    def shared_keys(cls) -> tuple[str, ...]:
        """The section's keys that belong to no one choice: :attr:`key` and the fields of
        :attr:`Common`. A component's ``Config`` may not have a field of these names."""
        common = [f.name for f in attrs.fields(cls.Common)] if cls.Common is not None else []
        return (cls.key, *common)


class TaskChoice(Selected):
    """``task:``: the task that makes samples."""

    kind = "task"


class VoterChoice(Selected):
    """``voter:``: the voter that labels samples."""

    kind = "voter"


class ComparatorChoice(Selected):
    """``solve.comparator:``: how the student's attempts are scored."""

    kind = "comparator"


class RetrieverChoice(Selected):
    """A ``retriever:`` section inside a task's config."""

    kind = "retriever"


class TrainerChoice(Selected):
    """``train:``: the trainer that receives the exported data."""

    kind = "trainer"
