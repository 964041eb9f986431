"""The repositories the fake Hub serves: files, tags, card metadata, gating."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import yaml

SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")]
"""Row counts and the Hub's size category below each."""


@attrs.define
class HubRepo:
    """One dataset repository the fake serves.

    :param id: ``owner/name``.
    :param files: path in the repository -> content.
    :param tags: the Hub's tags (``license:mit``, ``modality:text``, ...).
    :param card_data: the card's YAML metadata, as the Hub reports it (``cardData``).
    :param gated: ``False``, or ``"auto"`` / ``"manual"`` for a gated repository.
    :param private: a private repository (listed and served only with the token).
    :param downloads: what search results are sorted by.
    """

    id: str
    files: dict[str, bytes]
    tags: list[str] = attrs.field(factory=list)
    card_data: dict[str, Any] = attrs.field(factory=dict)
    gated: bool | str = False
    private: bool = False
    downloads: int = 0
    likes: int = 0

    @property
    def sha(self) -> str:
        """The commit: a digest of every file."""
        digest = hashlib.sha1()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + self.files[path])
        return digest.hexdigest()

    def info(self) -> dict[str, Any]:
        """What ``/api/datasets`` and ``/api/datasets/{id}`` answer for this repository."""
        return {"_id": self.sha[:24], "id": self.id, "author": self.id.split("/")[0],
                "sha": self.sha, "private": self.private, "gated": self.gated,
                "disabled": False, "downloads": self.downloads, "likes": self.likes,
                "tags": list(self.tags), "cardData": dict(self.card_data),
                "lastModified": "2024-01-01T00:00:00.000Z",
                "createdAt": "2024-01-01T00:00:00.000Z",
                "siblings": [{"rfilename": p} for p in sorted(self.files)]}

    def entries(self, folder: str, recursive: bool) -> list[dict[str, Any]] | None:
        """The tree below ``folder`` ('' for the root), or None when there is no such
        folder."""
        folder = folder.strip("/")
        prefix = f"{folder}/" if folder else ""
        if folder and not any(p.startswith(prefix) for p in self.files):
            return None
        found: dict[str, dict[str, Any]] = {}
        for path in sorted(self.files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            depth = len(rest) if recursive else 1
            for i in range(1, min(depth, len(rest)) + 1):
                sub = prefix + "/".join(rest[:i])
                if i == len(rest):
                    found[sub] = self.entry(sub)
                else:
                    found.setdefault(sub, {"type": "directory", "path": sub,
                                           "oid": oid(sub.encode()), "size": 0})
        return list(found.values())

    def entry(self, path: str) -> dict[str, Any] | None:
        """The tree entry of ``path`` (a file or a folder), or None."""
        path = path.strip("/")
        if path in self.files:
            return {"type": "file", "path": path, "oid": oid(self.files[path]),
                    "size": len(self.files[path])}
        if path and any(p.startswith(path + "/") for p in self.files):
            return {"type": "directory", "path": path, "oid": oid(path.encode()), "size": 0}
        return None


def oid(data: bytes) -> str:
    """The git-style object id the Hub reports for ``data``."""
    return hashlib.sha1(data).hexdigest()


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for ``rows`` rows."""
    for bound, name in SIZES:
        if rows < bound:
            return name
    return "10M<n<100M"


def dataset_repo(repo_id: str, splits: Mapping[str, Sequence[Mapping[str, Any]]], *,
                 license: str | None = "mit", fmt: str = "parquet", description: str = "",
                 tags: Sequence[str] = (), gated: bool | str = False, private: bool = False,
                 downloads: int = 0, size_rows: int | None = None,
                 configs: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None,
                 ) -> HubRepo:
    """A repository as ``push_to_hub`` lays one out: data files per split under ``data/``
    (``fmt``: ``parquet`` or ``jsonl``) and a ``README.md`` whose YAML names the licence,
    the size category, the task categories (``tags`` of the form ``task_categories:x``) and
    each config's data files.

    :param splits: split -> rows, for the ``default`` config.
    :param configs: more configs: name -> split -> rows (files under ``<name>/``).
    :param size_rows: the row count the size category is given for (default: the rows).
    """
    every = {"default": splits, **(configs or {})}
    files: dict[str, bytes] = {}
    card_configs = []
    total = 0
    for name, by_split in every.items():
        folder = "data" if name == "default" else name
        data_files = []
        for split, rows in by_split.items():
            path = f"{folder}/{split}-00000-of-00001.{fmt}"
            files[path] = _encode(rows, fmt)
            data_files.append({"split": split, "path": f"{folder}/{split}-*"})
            total += len(rows)
        card_configs.append({"config_name": name, "data_files": data_files})
    size = size_category(total if size_rows is None else size_rows)
    tasks = [t.split(":", 1)[1] for t in tags if t.startswith("task_categories:")]
    card: dict[str, Any] = {"size_categories": [size], "configs": card_configs}
    if license:
        card["license"] = license
    if tasks:
        card["task_categories"] = tasks
    files["README.md"] = ("---\n" + yaml.safe_dump(card, sort_keys=False) + "---\n\n"
                          f"# {repo_id}\n\n{description}\n").encode()
    hub_tags = [*tags, "modality:text", f"format:{fmt}", f"size_categories:{size}"]
    if license:
        hub_tags.append(f"license:{license}")
    return HubRepo(repo_id, files, tags=list(dict.fromkeys(hub_tags)), card_data=card,
                   gated=gated, private=private, downloads=downloads)


def _encode(rows: Sequence[Mapping[str, Any]], fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(dict(r)) + "\n" for r in rows).encode()
    if fmt != "parquet":
        raise ValueError(f"unknown format {fmt!r}")
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([dict(r) for r in rows]), sink)
    return sink.getvalue()
