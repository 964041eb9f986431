"""A loopback fake of the Hugging Face Hub endpoints that ``huggingface_hub`` and ``datasets``
call, for tests that must not touch the network.

It serves dataset repositories made in the test (:func:`dataset_repo`: parquet or JSONL data
files and a ``README.md`` card whose YAML holds the licence, size category and configs) on
the paths the libraries use:

* ``GET /api/datasets`` — search (``search``, ``filter``, ``sort``, ``limit``);
* ``GET /api/datasets/{id}`` and ``/api/datasets/{id}/revision/{rev}`` — repository info;
* ``GET /api/datasets/{id}/tree/{rev}/{path}`` and ``POST /api/datasets/{id}/paths-info/{rev}``
  — file listings (what ``HfFileSystem`` globs with);
* ``HEAD``/``GET /datasets/{id}/resolve/{rev}/{path}`` — files, with ``Range`` requests
  (how a streamed parquet file is read).

A gated repository answers its files with 401 (``X-Error-Code: GatedRepo``) unless the
request carries the hub's token; a private one is listed and served only with it. Every
request is logged (:attr:`FakeHub.requests`), and :meth:`FakeHub.fail` makes the next
requests to a path fail (429 with ``Retry-After``, 5xx) to exercise retries.

Point the libraries at it with :func:`pointed_at` (patches the endpoint both libraries read,
and gives them an empty cache), or, in a subprocess, with the environment of
:meth:`FakeHub.env` (``HF_ENDPOINT`` is read when ``huggingface_hub`` is imported)::

    with FakeHub([dataset_repo("acme/math", {"train": rows}, license="mit")]) as hub, \\
            pointed_at(hub, tmp_path / "hf"):
        ...
"""

from sdg_web.testing.pointing import pointed_at
from sdg_web.testing.repos import HubRepo, dataset_repo, size_category
from sdg_web.testing.server import FakeHub, HubRequest

__all__ = ["FakeHub", "HubRepo", "HubRequest", "dataset_repo", "pointed_at", "size_category"]
