"""The last seen state on disk: dedupe of events across restarts and the source of ``statusline``.

One small JSON file, replaced atomically. ``statusline`` reads only the ``summary`` part, so it
needs neither the network nor the state machine.

A poll that changes nothing but timestamps (a 304, the same probe answers) does not rewrite the
file: it is written when what it says changes, and otherwise at most every ``REFRESH_SECONDS``,
so that ``statusline`` (which calls a summary older than 10 minutes stale) stays fresh.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tray_app.core.headline import SHORT_WIDTH, headline
from tray_app.core.models import MonitorSnapshot
from tray_app.platform.atomic import write_atomic

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
REFRESH_SECONDS = 300.0
# Keys whose values move with every poll without saying anything new: when it was checked or
# fetched, when a probe answered and how fast, and how many rounds in a row answered the same
# (the answer itself, and the verdict once a streak reaches its threshold, are compared).
_VOLATILE_KEYS = frozenset(
    {"saved_at", "checked_at", "last_checked", "fetched_at", "at", "latency_ms"}
    | {"good_streak", "bad_streak"}
)


def write_json_atomic(path: Path, data: object) -> None:
    """Write JSON to ``path`` so that a crash leaves either the old or the new file, never half."""
    write_atomic(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))


def summary_from_snapshot(snapshot: MonitorSnapshot) -> dict[str, Any]:
    return {
        "overall": snapshot.overall.value,
        "headline": headline(snapshot, width=SHORT_WIDTH).phrase,
        "description": snapshot.description,
        "checked_at": snapshot.last_checked.isoformat() if snapshot.last_checked else None,
        "problems": [
            {"id": c.id, "name": c.name, "health": c.health.value, "probe_only": c.probe_only}
            for c in snapshot.components
            if c.watched and c.health.is_problem
        ],
        "incidents": [i.name for i in snapshot.incidents],
        "page_error": snapshot.page_error,
    }


class StateStore:
    def __init__(
        self,
        path: Path,
        *,
        refresh: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._refresh = refresh
        self._monotonic = monotonic
        self._written: object = None  # what the file says, timestamps left out
        self._written_at: float | None = None

    def load_engine(self) -> tuple[dict[str, Any] | None, str | None]:
        """The persisted engine state (or None) and a one-line notice if the file was unusable."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, f"could not read {self.path}: {exc.strerror or exc}"
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
                raise ValueError("unexpected format")
            engine = doc.get("engine")
            if engine is None:  # only a summary, left by a `check`
                return None, None
            if not isinstance(engine, dict):
                raise ValueError("engine state is not an object")
        except (ValueError, KeyError) as exc:
            return None, self.set_aside(f"last saved state was unreadable ({exc})")
        return engine, None

    def set_aside(self, why: str) -> str:
        """Move an unusable state file out of the way (never delete it); the notice to show."""
        aside = self.path.with_name(f"{self.path.name}.bad")
        with contextlib.suppress(OSError):
            os.replace(self.path, aside)
        return f"{why}; starting fresh (kept as {aside})"

    def refresh_due(self) -> bool:
        """Never written yet, or written longer than the refresh interval ago."""
        return self._written_at is None or self._monotonic() - self._written_at >= self._refresh

    def save(self, engine: dict[str, Any], snapshot: MonitorSnapshot) -> bool:
        """Write the state if it says something new (or the file is due a refresh).

        Returns True if the file was written. A failed write is retried at the next save.
        """
        summary = summary_from_snapshot(snapshot)
        meaning = _meaning({"summary": summary, "engine": engine})
        now = self._monotonic()
        if meaning == self._written and not self.refresh_due():
            return False
        write_json_atomic(
            self.path,
            {
                "version": FORMAT_VERSION,
                "saved_at": datetime.now().astimezone().isoformat(),
                "summary": summary,
                "engine": engine,
            },
        )
        self._written, self._written_at = meaning, now
        return True


def _meaning(value: object) -> object:
    if isinstance(value, dict):
        return {k: _meaning(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list):
        return [_meaning(v) for v in value]
    return value


def save_summary(
    path: Path, snapshot: MonitorSnapshot, *, page_components: Mapping[str, str] | None = None
) -> None:
    """Replace only the summary (a `check` does, for ``statusline``); the engine state a tray
    app saved is kept as it was, so its dedupe is not disturbed. ``page_components`` (id ->
    name, as the page just read has them) lets `config validate` name a mistyped id."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = None
    engine = doc.get("engine") if isinstance(doc, dict) else None
    body: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "saved_at": datetime.now().astimezone().isoformat(),
        "summary": summary_from_snapshot(snapshot),
    }
    if isinstance(engine, dict) and doc is not None and doc.get("version") == FORMAT_VERSION:
        body["engine"] = engine
    if page_components:
        body["page_components"] = dict(page_components)
    write_json_atomic(path, body)


def read_summary(path: Path) -> dict[str, Any] | None:
    """The ``summary`` part of the state file, or None if there is none (never raises)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    summary = doc.get("summary") if isinstance(doc, dict) else None
    return summary if isinstance(summary, dict) else None


def read_page_components(path: Path) -> dict[str, str]:
    """Ids and names of the components on the last status page read saved at ``path``
    (empty when there is none): a `check`'s, else the app's. Never raises; never moves the file."""
    from tray_app.core.state_codec import state_from_dict

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        left = doc.get("page_components")
        if isinstance(left, dict) and all(isinstance(v, str) for v in left.values()):
            return {str(k): v for k, v in left.items()}
        page = state_from_dict(doc["engine"]).page
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {c.id: c.name for c in page.components} if page is not None else {}


__all__ = [
    "StateStore",
    "read_page_components",
    "read_summary",
    "save_summary",
    "summary_from_snapshot",
    "write_json_atomic",
]
