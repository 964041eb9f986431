"""Pointing ``huggingface_hub`` and ``datasets`` at the fake Hub, in this process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sdg_web.testing.server import FakeHub


@contextlib.contextmanager
def pointed_at(hub: FakeHub, home: Path, *, token: bool = False) -> Iterator[None]:
    """Point ``huggingface_hub`` and ``datasets``, in this process, at ``hub``, with empty
    caches under ``home``, for the duration of the block (everything is put back after).

    Both libraries read ``HF_ENDPOINT`` once, when they are imported: this patches the
    module constants derived from it (``huggingface_hub.constants.ENDPOINT`` and its URL
    template, ``datasets.config.HF_ENDPOINT`` and its URL) and the cache folders, and sets
    the environment of :meth:`FakeHub.env` for anything imported later. It also turns off
    the two requests ``datasets`` sends elsewhere than the endpoint: the download count (a
    HEAD to Amazon S3) and the dataset viewer's parquet export (``datasets-server.`` + the
    endpoint's host).
    """
    import datasets.config as dconfig
    import huggingface_hub.constants as hconst

    env = hub.env(home, token=token)
    patches: list[tuple[Any, str, Any]] = [
        (hconst, "ENDPOINT", hub.url),
        (hconst, "HUGGINGFACE_CO_URL_TEMPLATE",
         hub.url + "/{repo_id}/resolve/{revision}/{filename}"),
        (hconst, "HF_HUB_CACHE", str(home / "hub")),
        (hconst, "HF_HUB_DISABLE_TELEMETRY", True),
        (dconfig, "HF_ENDPOINT", hub.url),
        (dconfig, "HUB_DATASETS_URL", hub.url + "/datasets/{repo_id}/resolve/{revision}/{path}"),
        (dconfig, "HF_DATASETS_CACHE", home / "datasets"),
        (dconfig, "HF_UPDATE_DOWNLOAD_COUNTS", False),
        (dconfig, "USE_PARQUET_EXPORT", False),
        # online, even where an earlier import read HF_HUB_OFFLINE=1 from the environment
        (hconst, "HF_HUB_OFFLINE", False),
        (dconfig, "HF_HUB_OFFLINE", False),
        (dconfig, "HF_DATASETS_OFFLINE", False),
    ]
    if token:
        patches.append((hconst, "HF_TOKEN_PATH", str(home / "token")))
    saved_env = {k: os.environ.get(k) for k in [*env, "HF_TOKEN"]}
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        os.environ.update(env)
        if not token:
            os.environ.pop("HF_TOKEN", None)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
