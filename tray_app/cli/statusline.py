"""`claude-status-tray statusline`: one short line for shell prompts and Claude Code's status
line, from the summary the app (or a `check`) saves after every check. No network, and only
light imports: it runs on every prompt.

The line is the same headline the icon, tooltip, menu and `check` show (tray_app.core.headline),
with the icon's glyph first: "Claude: ✗ major outage — Claude API, Claude Code +2 more".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tray_app.core.headline import GLYPHS
from tray_app.core.models import Health
from tray_app.core.text import clean
from tray_app.core.timefmt import format_duration

MAX_NAMES = 4  # names an old summary (without a headline) shows before "+N more"
STALE_AFTER = timedelta(minutes=10)


def format_statusline(summary: dict[str, Any] | None, now: datetime) -> str:
    """One short line for shell prompts, from the state file's summary (no network)."""
    if not summary:
        return "Claude: ? (no data yet)"
    try:
        overall = Health(summary.get("overall", "unknown"))
    except ValueError:
        overall = Health.UNKNOWN
    phrase = summary.get("headline")
    if not isinstance(phrase, str) or not phrase:
        phrase = _phrase_from_problems(overall, summary.get("problems"))
    text = f"Claude: {GLYPHS[overall]} {phrase}"
    checked = summary.get("checked_at")
    if isinstance(checked, str):
        try:
            age = now - datetime.fromisoformat(checked)
        except (ValueError, TypeError):
            age = None
        if age is not None and age > STALE_AFTER:
            text += f" (stale: {format_duration(age)} old)"
    return clean(text)


def _phrase_from_problems(overall: Health, problems: object) -> str:
    """A summary saved before the headline was: its health and troubled services, worst first."""
    names: list[tuple[int, str]] = []
    if isinstance(problems, list):
        for p in problems:
            if not isinstance(p, dict):
                continue
            try:
                rank = Health(p.get("health", "unknown")).rank
            except ValueError:
                rank = -1
            names.append((rank, f"{p.get('name')}{' (from here)' if p.get('probe_only') else ''}"))
    names.sort(key=lambda n: -n[0])
    text = overall.label
    if names:
        text += " — " + ", ".join(n for _, n in names[:MAX_NAMES])
        if len(names) > MAX_NAMES:
            text += f" +{len(names) - MAX_NAMES} more"
    return text


__all__ = ["MAX_NAMES", "format_statusline"]
