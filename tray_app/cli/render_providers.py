"""Other services (``[[providers]]``) in `check`'s table. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tray_app.core.headline import GLYPHS
from tray_app.core.models import ProviderStatus
from tray_app.core.timefmt import format_duration


def providers_table(providers: Sequence[ProviderStatus], now: datetime) -> list[str]:
    """The "Other services" section of `check` (nothing when none are set)."""
    if not providers:
        return []
    width = max(len(p.name) for p in providers)
    lines = ["", "Other services (context only; Claude's state and exit code are Claude's own):"]
    for p in providers:
        state = f"{p.health.label} — {p.error}" if p.error else p.health.label
        lines.append(f"  {GLYPHS[p.health]:<2} {p.name:<{width}}  {state}")
        for i in p.incidents:
            age = f", {format_duration(now - i.created_at)}" if i.created_at else ""
            lines.append(f"     • {i.name} ({i.status}{age})")
    return lines


__all__ = ["providers_table"]
