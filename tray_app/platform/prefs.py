"""Choices the user makes from the tray (or `claude-status-tray snooze`) that are not settings:
the snooze.

Kept out of config.toml on purpose: a snooze is a moment's choice, not a setting, and writing it
into the user's file would churn it. A running app re-reads the file when it changes, so the CLI
can snooze it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tray_app.core.timefmt import until_tomorrow
from tray_app.platform.store import write_json_atomic


@dataclass(frozen=True)
class Prefs:
    snoozed_until: datetime | None = None


def load_prefs(path: Path) -> Prefs:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        raw = doc.get("snoozed_until") if isinstance(doc, dict) else None
        until = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except (OSError, ValueError):
        return Prefs()
    if until is not None and until.tzinfo is None:
        return Prefs()
    return Prefs(snoozed_until=until)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)\s*$", re.IGNORECASE)
_UNIT = {"m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_snooze(text: str, now: datetime) -> datetime | None:
    """ "90m", "2h", "1d", "tomorrow" -> when the snooze ends; "off" -> None (resume)."""
    word = text.strip().lower()
    if word in ("off", "resume", "0"):
        return None
    if word == "tomorrow":
        return now + until_tomorrow(now)
    match = _DURATION.match(word)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f'expected e.g. "30m", "2h", "1d", "tomorrow" or "off", got {text!r}')
    return now + timedelta(seconds=float(match.group(1)) * _UNIT[match.group(2).lower()])


def save_prefs(path: Path, prefs: Prefs) -> None:
    snoozed = prefs.snoozed_until.isoformat() if prefs.snoozed_until else None
    write_json_atomic(path, {"snoozed_until": snoozed})


__all__ = ["Prefs", "load_prefs", "save_prefs"]
