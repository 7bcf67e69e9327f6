"""Choices the user makes from the tray that are not settings: the snooze.

Kept out of config.toml on purpose: a snooze is a moment's choice, not a setting, and writing it
into the user's file would churn it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tray_app.store import write_json_atomic


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


def save_prefs(path: Path, prefs: Prefs) -> None:
    snoozed = prefs.snoozed_until.isoformat() if prefs.snoozed_until else None
    write_json_atomic(path, {"snoozed_until": snoozed})


__all__ = ["Prefs", "load_prefs", "save_prefs"]
