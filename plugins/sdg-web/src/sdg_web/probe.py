"""Probing a dataset: its card, configs and splits through the Hub API, and a few rows read
with ``datasets`` (the ``train`` split preferred), enough for the judge to map and score it.

Local data is probed the same way, offline: a ``README.md`` beside a file (or inside a folder)
is its card, and a ``save_to_disk`` folder's ``dataset_info.json`` gives its description and
licence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from sdg_web.hub import Hub, HubError
from sdg_web.rows import DatasetRef, configs, pick_split, read_rows, splits


@attrs.frozen
class Probe:
    """What probing a dataset found.

    :param ref: the dataset.
    :param config: the config read (None: the only one, or local data).
    :param split: the split read.
    :param columns: its columns, in order.
    :param rows: the first rows of the split (JSON-safe).
    :param card: the card's text, YAML front matter dropped ("" if it has none).
    :param license: the licence the card states, if it does.
    :param revision: the Hub commit read (None for local data).
    """

    ref: DatasetRef
    config: str | None
    split: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    card: str = ""
    license: str | None = None
    revision: str | None = None


def card_text(markdown: str) -> tuple[str, dict[str, Any]]:
    """A card's text without its YAML front matter, and that front matter (``{}`` if none)."""
    import yaml

    if markdown.startswith("---"):
        end = markdown.find("\n---", 3)
        if end != -1:
            try:
                meta = yaml.safe_load(markdown[3:end]) or {}
            except yaml.YAMLError:
                meta = {}
            return markdown[end + 4:].strip(), meta if isinstance(meta, dict) else {}
    return markdown.strip(), {}


def probe(hub: Hub, ref: DatasetRef, split: str | None, rows: int) -> Probe:
    """Probe ``ref``: its card, the config (``ref.config``, else the default), the split
    (``split``, else ``train``, else the first) and its first ``rows`` rows.

    :raises HubError: the Hub failed for good (a gated or missing dataset among the reasons).
    :raises InputError: ``split`` is not one of the dataset's.
    """
    card, meta, revision = _card(hub, ref)
    config = ref.config if ref.config is not None else configs(hub, ref)[0]
    chosen = pick_split(splits(hub, ref, config), split, ref)
    found = read_rows(hub, ref, config, chosen, rows)
    columns = tuple(dict.fromkeys(k for row in found for k in row))
    license = meta.get("license")
    if isinstance(license, list):
        license = ", ".join(str(x) for x in license)
    return Probe(ref, config, chosen, columns, tuple(found), card,
                 str(license) if license else None, revision)


def _card(hub: Hub, ref: DatasetRef) -> tuple[str, dict[str, Any], str | None]:
    """The card's text, its metadata and the revision read."""
    if ref.local:
        return (*_local_card(ref.path), None)
    info = hub.call(f"the info of {ref.name}", lambda: hub.api.dataset_info(ref.name))
    try:
        path = hub.call(f"the card of {ref.name}", lambda: hub.api.hf_hub_download(
            ref.name, "README.md", repo_type="dataset", revision=info.sha))
    except HubError as exc:
        if "EntryNotFound" not in str(exc) and "404" not in str(exc):
            raise
        return "", (info.card_data.to_dict() if info.card_data else {}), info.sha
    text, meta = card_text(Path(path).read_text(encoding="utf-8", errors="replace"))
    return text, meta, info.sha


def _local_card(path: Path) -> tuple[str, dict[str, Any]]:
    folder = path if path.is_dir() else path.parent
    readme = folder / "README.md"
    if readme.is_file():
        return card_text(readme.read_text(encoding="utf-8", errors="replace"))
    for info in (folder / "dataset_info.json", *folder.glob("*/dataset_info.json")):
        if info.is_file():
            data = json.loads(info.read_text(encoding="utf-8"))
            meta = {"license": data["license"]} if data.get("license") else {}
            return str(data.get("description") or ""), meta
    return "", {}
