"""The run directory and atomic file writes.

A run directory holds ``sdg-run.json`` (marker, fingerprint, versions), ``config.yaml`` (the
resolved config, secrets as ``${VAR}`` references) and the stages' outputs. A directory made by
another config is never reused or mixed into: it is refused unless ``fresh`` is asked for.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from sdgcore.errors import SdgError

MARKER = "sdg-run.json"


class RunDirError(SdgError):
    """A run directory cannot be used for this run."""

    exit_code = 2


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: on a clean exit it replaces ``path`` whole;
    on an error (or a crash) ``path`` is left as it was and nothing else is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes | Iterable[str]) -> None:
    """Write ``path`` so that a crash leaves either the old file or the whole new one.

    :param data: text, bytes, or an iterable of text chunks (streamed, for large files).
    """
    with open_atomic(path) as fh:
        if isinstance(data, bytes):
            fh.write(data)
        elif isinstance(data, str):
            fh.write(data.encode("utf-8"))
        else:
            for chunk in data:
                fh.write(chunk.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once: changing it briefly is not safe while other threads make files


class RunDir:
    """An opened run directory.

    :param path: the directory.
    :param resumed: whether it held this same config already.
    """

    def __init__(self, path: Path, resumed: bool) -> None:
        self.path = path
        self.resumed = resumed

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        resolved: Mapping[str, Any],
        fingerprint: str,
        versions: Mapping[str, str | None],
        fresh: bool = False,
    ) -> RunDir:
        """Create the run directory, or reopen one made by the same config.

        :raises RunDirError: ``path`` is a file, holds files that are not an sdg run, or is a
            run of a different config and ``fresh`` is not set.
        """
        marker = path / MARKER
        if path.exists() and not path.is_dir():
            raise RunDirError(f"run.dir {path} exists and is not a directory")
        try:
            occupied = path.is_dir() and any(path.iterdir())
        except OSError as exc:
            raise RunDirError(f"run.dir {path} cannot be read ({exc.strerror or exc})",
                              hint="give sdg read and write access to it, or set another "
                                   "run.dir") from None
        if occupied and not marker.exists():
            raise RunDirError(
                f"run.dir {path} is not empty and is not an sdg run directory",
                hint="point run.dir at a new or empty directory; sdg never overwrites other files",
            )
        if marker.exists():
            try:
                old = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise RunDirError(f"{marker} is unreadable ({exc})",
                                  hint="use --fresh to start this run anew") from None
            if old.get("fingerprint") == fingerprint and not fresh:
                # the same config, perhaps with another budget or target: keep the latest
                write_atomic(path / "config.yaml",
                             yaml.safe_dump(dict(resolved), sort_keys=False))
                return cls(path, resumed=True)
            if not fresh:
                raise RunDirError(
                    f"run.dir {path} holds a run of a different config "
                    f"(fingerprint {old.get('fingerprint')}, this config {fingerprint})",
                    hint="use --fresh to discard it and start anew, or set another run.dir",
                )
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        write_atomic(path / "config.yaml", yaml.safe_dump(dict(resolved), sort_keys=False))
        meta = {"fingerprint": fingerprint, "versions": dict(versions)}
        write_atomic(marker, json.dumps(meta, indent=2) + "\n")
        return cls(path, resumed=False)
