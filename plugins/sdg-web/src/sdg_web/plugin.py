"""Registers the ``web`` task (not built yet: its config is final, its generator is not)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from sdgcore import Task, hookimpl


@attrs.frozen
class WebConfig:
    """``task:`` for ``type: web``.

    :param query: what to search the Hub for, when ``datasets`` is empty.
    :param datasets: dataset ids to use directly (``owner/name`` or ``owner/name:config``).
    :param split: the split to read.
    :param max_rows: rows read per dataset.
    :param fields: sample field -> dataset column (``question: problem``); probed if empty.
    :param model: the model role that maps and rewrites rows.
    """

    query: str | None = None
    datasets: list[str] = attrs.field(factory=list)
    split: str = "train"
    max_rows: int = attrs.field(default=1000, validator=attrs.validators.ge(1))
    fields: dict[str, str] = attrs.field(factory=dict)
    model: str = "teacher"


class WebTask(Task):
    """Hugging Face dataset discovery, probing and field mapping."""

    name = "web"
    Config = WebConfig
    status = "planned"


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(WebTask)
