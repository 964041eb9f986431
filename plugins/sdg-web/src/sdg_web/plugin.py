"""Registers the ``web`` task: samples made from Hugging Face datasets found by search, or
from datasets listed by id or as local files."""

from __future__ import annotations

from collections.abc import Callable

from sdg_web.config import WebConfig
from sdg_web.task import WebTask
from sdgcore import Task, hookimpl

__all__ = ["WebConfig", "WebTask", "sdg_register_tasks"]


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(WebTask)
