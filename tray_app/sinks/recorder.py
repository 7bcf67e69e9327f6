"""The history sink: each step's events, service health and probe round go into the history,
which is pruned once a day. A failing disk is said once, not at every step."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tray_app.core.clock import Clock
from tray_app.core.errors import HistoryError
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot, ProbeResult
from tray_app.sinks.history.store import History

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=24)


class HistoryRecorder:
    """A dispatcher sink; ``retention_days`` reads the setting in force."""

    def __init__(
        self, history: History, *, clock: Clock, retention_days: Callable[[], int]
    ) -> None:
        self._history = history
        self._clock = clock
        self._retention_days = retention_days
        self._last_prune: datetime | None = None
        self._error: str | None = None
        self._recorded_probes: tuple[ProbeResult, ...] = ()

    def __call__(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        try:
            self._history.record_events(events)
            if snapshot.probes == self._recorded_probes:
                # a page read or a tick republishes the last probe round: it is recorded already
                snapshot = dataclasses.replace(snapshot, probes=())
            self._history.record_snapshot(snapshot)
            self._recorded_probes = snapshot.probes or self._recorded_probes
            now = self._clock.now()
            if self._last_prune is None or now - self._last_prune > PRUNE_EVERY:
                self._history.prune(now, self._retention_days())
                self._last_prune = now
            self._error = None
        except HistoryError as exc:
            # a full disk fails every write: say it once, and again only when it changes
            if str(exc) != self._error:
                log.error("history not recorded: %s", exc)
            self._error = str(exc)


__all__ = ["PRUNE_EVERY", "HistoryRecorder"]
