"""Reaching the Hugging Face Hub: the token, the endpoint, retries and a request budget.

Every Hub call the task makes (a search, a repository's info, its card, rows read with
``datasets``) goes through :meth:`Hub.call`, which retries a failure that may pass (429, 5xx,
a dropped connection) the way the model layer does: ``hub_retries`` times, waiting
``hub_backoff`` seconds doubled each time with jitter, or what ``Retry-After`` says, at most
``hub_max_backoff``; ``hub_rpm`` spaces requests out. ``HF_TOKEN`` comes from the
environment, never from the config. The libraries are imported on first use.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sdg_web.config import WebConfig
from sdgcore import SdgError, import_optional

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses a Hub request is retried on."""
HUB_HOSTS = frozenset({"huggingface.co", "hub-ci.huggingface.co"})
"""Endpoints with the Hub's side services (the dataset viewer, download counts)."""
EXTRA = "sdg-web"
"""The distribution whose dependencies bring ``datasets`` and ``huggingface_hub``."""


class HubError(SdgError):
    """A Hub request failed for good (after its retries, or for a reason that will not pass)."""


def token() -> str | None:
    """``HF_TOKEN`` from the environment, or None (the libraries' own login is then used)."""
    return os.environ.get("HF_TOKEN") or None


def hf_api() -> Any:
    """A ``huggingface_hub.HfApi`` for the configured endpoint, with the environment's token."""
    hub = import_optional("huggingface_hub", extra=EXTRA, feature="task 'web'")
    return hub.HfApi(token=token())


def datasets_module() -> Any:
    """The ``datasets`` library, set up for the endpoint in use.

    ``datasets`` sends two requests elsewhere than ``HF_ENDPOINT`` when it loads a Hub dataset:
    a download count (to Amazon S3) and a look-up of the dataset viewer's parquet export
    (``datasets-server.`` + the endpoint's host). Both exist only beside huggingface.co, so
    with another endpoint (a mirror, a local fake) they are turned off.
    """
    datasets = import_optional("datasets", extra=EXTRA, feature="task 'web'")
    if urlsplit(datasets.config.HF_ENDPOINT).hostname not in HUB_HOSTS:
        datasets.config.USE_PARQUET_EXPORT = False
        datasets.config.HF_UPDATE_DOWNLOAD_COUNTS = False
    return datasets


def retry_hint(exc: BaseException) -> tuple[bool, float | None]:
    """Whether ``exc`` (or what caused it) may pass on a retry, and the wait the server asked
    for (``Retry-After``, in seconds), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            if status not in RETRY_STATUSES:
                return False, None
            return True, _retry_after(getattr(response, "headers", {}) or {})
        name = type(current).__name__
        if isinstance(current, (ConnectionError, TimeoutError)) or name in {
                "ConnectError", "ConnectTimeout", "ReadTimeout", "ReadError", "WriteError",
                "RemoteProtocolError", "PoolTimeout", "TimeoutException"}:
            return True, None
        current = current.__cause__ or current.__context__
    return False, None


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


class Hub:
    """Hub calls with retries and a per-minute budget (thread-safe: calls run off the event
    loop).

    :param config: the task's config (``hub_*`` keys).
    :param sleep: how to wait (tests pass a recorder).
    """

    def __init__(self, config: WebConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.retries = config.hub_retries
        self.backoff = config.hub_backoff
        self.max_backoff = config.hub_max_backoff
        self.interval = 60.0 / config.hub_rpm if config.hub_rpm else 0.0
        self.sleep = sleep
        self.retried = 0
        self._lock = threading.Lock()
        self._next = 0.0
        self._api: Any = None

    @property
    def api(self) -> Any:
        """The ``HfApi`` (made on first use)."""
        if self._api is None:
            self._api = hf_api()
        return self._api

    def _pace(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            self.sleep(wait)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()``, retried while it fails for a reason that may pass.

        :param what: what the call does, for the error ("the card of acme/math").
        :raises HubError: it failed for good; the message names ``what`` and the cause.
        """
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                return fn()
            except Exception as exc:  # the libraries raise many kinds
                may_pass, after = retry_hint(exc)
                if not may_pass or attempt == self.retries:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise HubError(f"{what} failed{tries}: {_describe(exc)}") from exc
                wait = self.backoff * 2 ** attempt * (0.5 + random.random() / 2)
                self.retried += 1
                self.sleep(min(self.max_backoff, after if after is not None else wait))
        raise AssertionError("unreachable")


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
