"""``History``: the history database's connection, its writes and pruning.

Writes come from the app's one event thread; the CLI reads from another process (open it
with ``readonly=True``: it never creates the file nor moves it aside). One
``History`` holds one connection (``check_same_thread=False``) behind a lock, so it may also be
shared between threads. Every write is its own short transaction: a kill -9 loses at most the
write in flight and never corrupts the database (WAL + ``synchronous=NORMAL``).

Errors: every ``sqlite3``/``OSError`` failure is raised as ``HistoryError`` (full disk,
read-only directory...). Callers log it and carry on; history is never worth a crash.
``History.notice`` says in one line when a broken file was moved aside on open.
What is read back lives in ``tray_app.sinks.history.queries``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tray_app.config.schema import HistorySettings
from tray_app.core.clock import utc_now
from tray_app.core.errors import HistoryError
from tray_app.core.events import Event, event_to_dict
from tray_app.core.models import Health, MonitorSnapshot, ProbeResult
from tray_app.sinks.history.database import (
    connect_readonly,
    open_or_recover,
    schema_version,
    transaction,
)
from tray_app.sinks.history.latency_store import HOUR, roll_up, upsert_windows, window_rows

# A still-unchanged state is re-confirmed (``until`` moved forward) at most this often.
SEEN_GRANULARITY = timedelta(seconds=60)
# Longer than this between two observations is a gap (app not running), not observed time.
MAX_GAP = timedelta(minutes=15)

_COLUMNS = "id, component_id, name, at, until, health, official, probe_only"


def epoch(at: datetime) -> float:
    if at.tzinfo is None:  # models promise aware UTC; be lenient with naive values
        at = at.replace(tzinfo=timezone.utc)
    return at.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


@dataclass(frozen=True)
class Transition:
    """One ``component_health`` row: a state seen from ``at`` until ``until``."""

    id: int
    component_id: str
    name: str
    at: float
    until: float
    health: Health
    official: Health
    probe_only: bool
    probe: Health | None = None  # None: no probe, or a row from before probes were stored

    @property
    def probe_problem(self) -> bool:
        """Our probe said degraded or worse (older rows: known only when it was alone)."""
        return self.probe.is_problem if self.probe is not None else self.probe_only


def transition_from_row(row: tuple[Any, ...]) -> Transition:
    return Transition(
        id=row[0],
        component_id=row[1],
        name=row[2],
        at=row[3],
        until=row[4],
        health=Health(row[5]),
        official=Health(row[6]),
        probe_only=bool(row[7]),
        probe=Health(row[8]) if row[8] else None,
    )


class History:
    """The history database. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        path: Path,
        *,
        settings: HistorySettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout: float = 5.0,
        readonly: bool = False,
    ) -> None:
        self.path = path
        self.readonly = readonly
        self.settings = settings or HistorySettings()
        self.notice: str | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, Transition] = {}
        self._rolled_hour: float | None = None  # the hour latency was last rolled up in
        if readonly:
            self._conn = connect_readonly(path, busy_timeout)
        else:
            self._conn, self.notice = open_or_recover(path, busy_timeout=busy_timeout, clock=clock)
        self.schema_version = schema_version(self._conn)

    @property
    def transition_columns(self) -> str:
        """The ``component_health`` columns ``transition_from_row`` reads, for this file."""
        return _COLUMNS + (", probe" if self.schema_version >= 2 else ", NULL")

    @classmethod
    def open(cls, path: Path, **kwargs: Any) -> History:
        return cls(path, **kwargs)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise HistoryError("this History was opened read-only")
        with self._lock:
            try:
                with transaction(self._conn):
                    yield self._conn
            except sqlite3.Error as exc:
                self._last.clear()  # rolled back: the cached states may be ahead of the file
                raise HistoryError(f"history write failed: {exc}") from exc

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads only; ``sqlite3`` errors come out as ``HistoryError``."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise HistoryError(f"history read failed: {exc}") from exc

    # ---- writes ----

    def record_events(self, events: Iterable[Event]) -> int:
        """Store events; a key already stored (e.g. before a restart) is ignored.

        Returns how many were new.
        """
        rows = [
            (
                epoch(e.at),
                e.kind,
                e.key,
                getattr(e, "component_id", None),
                e.severity.value,
                json.dumps(event_to_dict(e), sort_keys=True),
            )
            for e in events
        ]
        if not rows:
            return 0
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO events (at, kind, key, component_id, severity, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            return conn.total_changes - before

    def _latest(self, conn: sqlite3.Connection, component_id: str) -> Transition | None:
        if component_id not in self._last:
            row = conn.execute(
                f"SELECT {self.transition_columns} "
                "FROM component_health WHERE component_id = ? ORDER BY id DESC LIMIT 1",
                (component_id,),
            ).fetchone()
            if row is None:
                return None
            self._last[component_id] = transition_from_row(row)
        return self._last[component_id]

    def record_component_health(
        self,
        at: datetime,
        component_id: str,
        name: str,
        health: Health,
        official: Health,
        probe_only: bool,
        probe: Health | None = None,
    ) -> bool:
        """Note the component's state; only a change adds a row. Returns True if it did.

        Call it every step: an unchanged state just moves the current row's ``until``
        forward (at most once per ``SEEN_GRANULARITY``).
        """
        now = epoch(at)
        with self._write() as conn:
            last = self._latest(conn, component_id)
            same = (
                last is not None
                and last.health is health
                and last.official is official
                and last.probe_only == probe_only
                and last.probe is probe
            )
            contiguous = last is not None and now - last.until <= MAX_GAP.total_seconds()
            if last is not None and same:
                if not contiguous:
                    # Back after a gap in the same state: a new row keeps the gap unobserved.
                    self._insert(
                        conn, component_id, name, now, (health, official, probe_only, probe)
                    )
                elif now - last.until >= SEEN_GRANULARITY.total_seconds():
                    self._set_until(conn, last, now)
                return False
            if last is not None and contiguous and now > last.until:
                self._set_until(conn, last, now)
            self._insert(conn, component_id, name, now, (health, official, probe_only, probe))
            return True

    def _set_until(self, conn: sqlite3.Connection, last: Transition, until: float) -> None:
        conn.execute("UPDATE component_health SET until = ? WHERE id = ?", (until, last.id))
        self._last[last.component_id] = dataclasses.replace(last, until=until)

    def _insert(
        self,
        conn: sqlite3.Connection,
        component_id: str,
        name: str,
        at: float,
        state: tuple[Health, Health, bool, Health | None],
    ) -> None:
        health, official, probe_only, probe = state
        cursor = conn.execute(
            "INSERT INTO component_health "
            "(component_id, name, at, until, health, official, probe_only, probe) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                component_id,
                name,
                at,
                at,
                health.value,
                official.value,
                int(probe_only),
                None if probe is None else probe.value,
            ),
        )
        self._last[component_id] = Transition(
            cursor.lastrowid or 0, component_id, name, at, at, health, official, probe_only, probe
        )

    def record_snapshot(self, snapshot: MonitorSnapshot) -> None:
        """Everything the app records per step: each component's health, and the probes.

        Convenience for the app's history sink; same rules as the two calls it makes.
        """
        at = snapshot.last_checked or self._clock()
        for c in snapshot.components:
            self.record_component_health(
                at, c.id, c.name, c.health, c.official, c.probe_only, c.probe
            )
        if snapshot.probes:
            self.record_probes(snapshot.probes)

    def record_probes(self, results: Iterable[ProbeResult]) -> None:
        """Fold probe results into one row per target per ``latency_sample_seconds`` window."""
        rows = window_rows(results, self.settings.latency_sample_seconds)
        if not rows:
            return
        with self._write() as conn:
            upsert_windows(conn, rows)
            hour = (max(row[2] for row in rows) // HOUR) * HOUR
            if hour != self._rolled_hour:
                roll_up(conn, hour)
                self._rolled_hour = hour

    def prune(self, now: datetime, retention_days: int | None = None) -> int:
        """Delete what is older than the retention; returns the number of rows deleted.

        The newest health row of each component is kept: it is the current state.
        """
        days = self.settings.retention_days if retention_days is None else retention_days
        cutoff = epoch(now) - days * 86400.0
        with self._write() as conn:
            before = conn.total_changes
            conn.execute("DELETE FROM events WHERE at < ?", (cutoff,))
            conn.execute("DELETE FROM probe_latency WHERE window_start < ?", (cutoff,))
            conn.execute("DELETE FROM probe_latency_hourly WHERE hour < ?", (cutoff,))
            conn.execute(
                "DELETE FROM component_health WHERE until < ? AND id NOT IN "
                "(SELECT max(id) FROM component_health GROUP BY component_id)",
                (cutoff,),
            )
            deleted = conn.total_changes - before
        self._last.clear()
        with contextlib.suppress(HistoryError), self.reading() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
