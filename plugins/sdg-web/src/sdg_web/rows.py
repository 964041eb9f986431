"""Reading rows: Hub datasets streamed with ``datasets``, and local data offline.

A dataset is named by a :class:`DatasetRef`: a Hub id (``owner/name``, ``owner/name:config``)
or a local path: a parquet, JSONL / JSON or CSV file, a folder of such files, or a folder
written by ``save_to_disk``. Hub rows are streamed (only the rows asked for are fetched);
``datasets`` runs no dataset script (it has refused them since 4.0, which sdg-web requires),
so no code from a dataset repository ever runs. Rows come back JSON-safe, with their index in
the split: the lineage a sample keeps.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from sdg_web.hub import Hub, datasets_module, token
from sdgcore import InputError

LOCAL_KINDS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}
"""File suffix -> the ``datasets`` builder that reads it."""
SAVED_MARKERS = ("dataset_dict.json", "state.json", "dataset_info.json")
"""Files that mark a folder written by ``save_to_disk``."""
MAX_CELL = 20_000
"""Characters kept of one cell (longer text is cut)."""


@attrs.frozen
class DatasetRef:
    """A dataset to read.

    :param name: the Hub id (``owner/name``), or the local path as given.
    :param config: the Hub config (``owner/name:config``), or None for its default.
    :param kind: ``hub``, or for local data ``parquet``, ``json``, ``csv``, ``folder`` (a
        folder of data files) or ``saved`` (``save_to_disk``).
    """

    name: str
    config: str | None = None
    kind: str = "hub"

    @property
    def local(self) -> bool:
        """Whether the data is on this machine."""
        return self.kind != "hub"

    @property
    def path(self) -> Path:
        """The local path (local data only)."""
        return Path(self.name).expanduser()

    def __str__(self) -> str:
        return f"{self.name}:{self.config}" if self.config else self.name


def parse_ref(text: str) -> DatasetRef:
    """The dataset ``text`` names: a local path when it exists, looks like a path (starts
    with ``.``, ``/`` or ``~``) or ends with a data-file suffix; else a Hub id with an
    optional ``:config``.

    :raises InputError: a local path that does not exist, or a Hub id that is not
        ``owner/name``.
    """
    path = Path(text).expanduser()
    if path.exists() or text.startswith((".", "/", "~")) or path.suffix.lower() in LOCAL_KINDS:
        if not path.exists():
            raise InputError(f"task.datasets: {text}: no such file or folder")
        if path.is_dir():
            saved = any((path / marker).exists() for marker in SAVED_MARKERS)
            return DatasetRef(str(path), kind="saved" if saved else "folder")
        kind = LOCAL_KINDS.get(path.suffix.lower())
        if kind is None:
            raise InputError(f"task.datasets: {text}: not a parquet, JSONL, JSON or CSV file",
                             hint="local data is a .parquet, .jsonl, .json or .csv file, a "
                                  "folder of them, or a folder written by save_to_disk")
        return DatasetRef(str(path), kind=kind)
    repo, _, config = text.partition(":")
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise InputError(f"task.datasets: {text!r} is neither a local file nor a Hub id "
                         "(owner/name or owner/name:config)")
    return DatasetRef(repo, config or None)


def plain(value: Any) -> Any:
    """``value`` as JSON-safe builtins (arrays as lists, bytes and other objects as a short
    description, NaN as None, long text cut to :data:`MAX_CELL`)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, str):
        return value[:MAX_CELL]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return plain(value.tolist())
    return str(value)[:MAX_CELL]


def cell_text(value: Any) -> str:
    """A cell as text: a string stripped, a number written out, a list of strings one per
    line, anything else as JSON; empty for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(v.strip() for v in value).strip()
    return json.dumps(value, ensure_ascii=False)


def configs(hub: Hub, ref: DatasetRef) -> list[str | None]:
    """The dataset's config names, its default first (``[None]`` for local data)."""
    if ref.local:
        return [None]
    datasets = datasets_module()
    names = hub.call(f"the configs of {ref.name}", lambda: list(
        datasets.get_dataset_config_names(ref.name, token=token())))
    default = hub.call(f"the default config of {ref.name}",
                       lambda: datasets.get_dataset_default_config_name(ref.name,
                                                                        token=token()))
    return sorted(names, key=lambda n: n != default) or [None]


def splits(hub: Hub, ref: DatasetRef, config: str | None) -> list[str]:
    """The split names of ``ref`` (``config``)."""
    if ref.kind == "saved":
        loaded = hub.call(f"reading {ref.name}", lambda: datasets_module().load_from_disk(
            str(ref.path)))
        return list(loaded.keys()) if hasattr(loaded, "keys") else ["train"]
    if ref.local and ref.kind != "folder":
        return ["train"]
    datasets = datasets_module()
    path = str(ref.path) if ref.local else ref.name
    return hub.call(f"the splits of {ref}", lambda: list(
        datasets.get_dataset_split_names(path, config, token=token())))


def pick_split(available: list[str], wanted: str | None, ref: DatasetRef) -> str:
    """``wanted`` if given (it must exist), else ``train`` where there is one, else the
    first split.

    :raises InputError: ``wanted`` is not a split of the dataset, or it has none.
    """
    if wanted is not None:
        if wanted not in available:
            raise InputError(f"task.split: {ref} has no split {wanted!r} "
                             f"(its splits: {', '.join(available) or 'none'})")
        return wanted
    if not available:
        raise InputError(f"task.datasets: {ref} has no splits")
    return "train" if "train" in available else available[0]


def read_rows(hub: Hub, ref: DatasetRef, config: str | None, split: str,
              limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` rows of ``split``, JSON-safe, in split order (a row's index in
    the list is its index in the split)."""
    def read() -> list[dict[str, Any]]:
        return [plain(dict(row)) for row in itertools.islice(_stream(ref, config, split),
                                                              limit)]

    return hub.call(f"reading rows of {ref} ({split})", read)


def _stream(ref: DatasetRef, config: str | None, split: str) -> Iterable[Any]:
    datasets = datasets_module()
    if ref.kind == "saved":
        loaded = datasets.load_from_disk(str(ref.path))
        table = loaded[split] if hasattr(loaded, "keys") else loaded
        return (table[i] for i in range(len(table)))
    if ref.kind == "folder":
        return datasets.load_dataset(str(ref.path), split=split, streaming=True)
    if ref.local:
        return datasets.load_dataset(ref.kind, data_files=str(ref.path), split=split,
                                     streaming=True)
    return datasets.load_dataset(ref.name, config, split=split, streaming=True,
                                 token=token())
