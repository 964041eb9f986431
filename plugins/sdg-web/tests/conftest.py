"""Fixtures of the ``web`` task's tests: the fake Hub, the libraries pointed at it, and a guard
that fails any test reaching for a host that is not this machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdg_web.testing import FakeHub, pointed_at
from sdgcore.testing.modules import load_path

world = load_path(Path(__file__).with_name("world.py"), "sdg_web_test_world")
LOOPBACK = ("127.", "localhost", "::1")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving any host but this machine fails the test (no test touches the internet:
    ``datasets`` would send a download count to S3 and ask the dataset viewer)."""
    resolve = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.startswith(LOOPBACK):
            raise AssertionError(f"a test tried to reach {name}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """The fake Hub serving :func:`world.repos`."""
    with FakeHub(world.repos()) as hub:
        yield hub


@pytest.fixture
def on_fake_hub(fake_hub: FakeHub, tmp_path: Path) -> Iterator[FakeHub]:
    """``huggingface_hub`` and ``datasets`` pointed at the fake Hub, with empty caches."""
    with pointed_at(fake_hub, tmp_path / "hf"):
        yield fake_hub
