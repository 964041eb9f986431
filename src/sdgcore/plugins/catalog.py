"""What the first-party plugin packages provide, for hints when a choice is not installed."""

from __future__ import annotations

from sdgcore.kinds import KINDS

FIRST_PARTY: dict[tuple[str, str], str] = {
    (kind.name, name): dist for kind in KINDS.values() for name, dist in kind.provides.items()
}
"""``(kind, name)`` mapped to the distribution that registers it (from
:attr:`sdgcore.kinds.Kind.provides`)."""


def provider_hint(kind: str, name: str) -> str | None:
    """``"pip install sdg-web"`` for a known first-party component, else None."""
    return KINDS[kind].install_hint(name) if kind in KINDS else None
