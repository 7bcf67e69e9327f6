"""`claude-status-tray statusline`: one short line for shell prompts and Claude Code's status
line, from the summary the app saves after every check. No network, and only light imports:
it runs on every prompt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tray_app.core.models import Health
from tray_app.core.text import clean
from tray_app.core.timefmt import format_duration

SYMBOLS = {
    Health.OPERATIONAL: "✓",
    Health.DEGRADED: "!",
    Health.PARTIAL_OUTAGE: "!!",
    Health.MAJOR_OUTAGE: "✗",
    Health.MAINTENANCE: "⚒",
    Health.UNKNOWN: "?",
    Health.OFFLINE: "⌁",
    Health.STATUS_PAGE_UNREACHABLE: "?",
}


def format_statusline(summary: dict[str, Any] | None, now: datetime) -> str:
    """One short line for shell prompts, from the state file's summary (no network)."""
    if not summary:
        return "Claude: ? (no data yet)"
    try:
        overall = Health(summary.get("overall", "unknown"))
    except ValueError:
        overall = Health.UNKNOWN
    text = f"Claude: {SYMBOLS[overall]} {overall.label}"
    problems = summary.get("problems") or []
    if problems and isinstance(problems, list):
        names = ", ".join(
            f"{p.get('name')}{' (from here)' if p.get('probe_only') else ''}"
            for p in problems[:3]
            if isinstance(p, dict)
        )
        text += f" — {names}"
    checked = summary.get("checked_at")
    if isinstance(checked, str):
        try:
            age = now - datetime.fromisoformat(checked)
        except (ValueError, TypeError):
            age = None
        if age is not None and age > timedelta(minutes=10):
            text += f" (stale: {format_duration(age)} old)"
    return clean(text)


__all__ = ["SYMBOLS", "format_statusline"]
