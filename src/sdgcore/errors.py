"""Errors that sdg reports to a user as a readable line and an exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence


class SdgError(Exception):
    """An error the user can act on.

    :param message: one readable line saying what is wrong.
    :param hint: an optional line saying what to do about it.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The lines the command line prints for this error, hint excluded."""
        return [self.message]


class PluginError(SdgError):
    """A plugin is broken: an invalid class, a duplicate name, a clash of commands."""


class MissingExtraError(SdgError):
    """A feature needs an optional dependency that is not installed."""


class NotBuiltError(SdgError):
    """A plugin that is registered but not built yet was selected for a run."""

    exit_code = 2


class InputError(SdgError):
    """A file the config names (examples, documents) is missing, unreadable or malformed;
    the message names the key path and the file. Found when a run starts, it is still the
    user's input that is wrong, so it exits like a config error."""

    exit_code = 2


class Interrupted(SdgError):
    """The user stopped a run (Ctrl-C); it resumes where it stopped."""

    exit_code = 130


class ConfigError(SdgError):
    """A config is wrong. Carries one line per problem, each naming its key path.

    :param problems: ``(path, message)`` pairs; ``path`` is dotted (``task.chunk_size``,
        ``models.teacher.limits.rpm``, ``task.examples[2]``) or empty for the whole file.
    :param source: the file (or other origin) the config came from, for the headline.
    """

    exit_code = 2

    def __init__(
        self,
        problems: Sequence[tuple[str, str]],
        *,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"config{where} has {count} {noun}", hint=hint)

    def lines(self) -> list[str]:
        """The headline, then one ``path: message`` line per problem."""
        return [self.message] + [
            f"  {path}: {msg}" if path else f"  {msg}" for path, msg in self.problems
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def import_optional(module: str, *, extra: str, feature: str):
    """Import ``module`` for ``feature``, or raise :class:`MissingExtraError` naming the fix.

    :param module: the module to import, e.g. ``"litellm"``.
    :param extra: the requirement that provides it, e.g. ``"sdgcore[litellm]"``.
    :param feature: what needs it, for the message, e.g. ``"backend 'litellm'"``.
    :return: the imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{feature} needs {module!r}, which is not installed ({exc})",
            hint=f"pip install '{extra}'",
        ) from exc
