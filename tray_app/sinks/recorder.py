"""The history sink: each step's events, service health and probe round go into the history,
which is pruned once a day. A failing disk is said once, not at every step.

An unchanged step writes nothing: the history re-confirms an unchanged service health at most
once per ``SEEN_GRANULARITY``, and a probe round is recorded once, not again with each page
read or tick that republishes it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tray_app.core.clock import Clock
from tray_app.core.errors import HistoryError
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot, ProbeResult
from tray_app.sinks.history.store import SEEN_GRANULARITY, History

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
        self._recorded_health: tuple[object, ...] = ()
        self._health_at: datetime | None = None
        self._views: tuple[object, ...] = ()  # the last snapshot's components, and their health:
        self._health: tuple[object, ...] = ()  # most steps hand on the very same views

    def __call__(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        try:
            self._history.record_events(events)
            fresh_probes = snapshot.probes != self._recorded_probes
            if snapshot.components is not self._views:
                self._views = snapshot.components
                self._health = tuple(
                    (c.id, c.name, c.health, c.official, c.probe_only, c.probe)
                    for c in snapshot.components
                )
            health = self._health
            at = snapshot.last_checked
            if health != self._recorded_health or self._seen_due(at):
                self._history.record_snapshot(
                    snapshot if fresh_probes else dataclasses.replace(snapshot, probes=())
                )
                self._recorded_health, self._health_at = health, at
            elif fresh_probes:
                self._history.record_probes(snapshot.probes)
            if fresh_probes:
                self._recorded_probes = snapshot.probes
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

    def _seen_due(self, at: datetime | None) -> bool:
        """Time for the history to move an unchanged health's ``until`` forward again."""
        return at is None or self._health_at is None or at - self._health_at >= SEEN_GRANULARITY


__all__ = ["PRUNE_EVERY", "HistoryRecorder"]
