"""History: events, component health transitions and probe latency in SQLite (WAL).

Writes come from the app's one event thread; the CLI reads from another process (open it
with ``readonly=True``: it never creates the file nor moves it aside). One
``History`` holds one connection (``check_same_thread=False``) behind a lock, so it may also be
shared between threads. Every write is its own short transaction: a kill -9 loses at most the
write in flight and never corrupts the database (WAL + ``synchronous=NORMAL``).

Errors: every ``sqlite3``/``OSError`` failure is raised as ``HistoryError`` (full disk,
read-only directory...). Callers log it and carry on; history is never worth a crash.
A file that is not a database, is malformed or stays locked is moved aside on open to
``history.sqlite3.corrupt-<UTC timestamp>`` and a fresh one is created; ``History.notice``
then says so in one line.

Times are stored as UTC epoch seconds (REAL). Uptime and outages are derived from *our*
observations: each health row covers ``[at, until]``, where ``until`` is the last time that
state was seen, so time when the app was not running does not count as up or down.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tray_app.config import HistorySettings
from tray_app.core.errors import HistoryError
from tray_app.core.events import Event, event_to_dict
from tray_app.core.models import Health, MonitorSnapshot, ProbeResult

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# A still-unchanged state is re-confirmed (``until`` moved forward) at most this often.
SEEN_GRANULARITY = timedelta(seconds=60)
# Longer than this between two observations is a gap (app not running), not observed time.
MAX_GAP = timedelta(minutes=15)
# Not observations of the component itself: they count neither as up nor as down.
_UNOBSERVED = (Health.UNKNOWN, Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE)
_UP = (Health.OPERATIONAL, Health.MAINTENANCE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    component_id TEXT,
    severity TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TABLE IF NOT EXISTS component_health (
    id INTEGER PRIMARY KEY,
    component_id TEXT NOT NULL,
    name TEXT NOT NULL,
    at REAL NOT NULL,
    until REAL NOT NULL,
    health TEXT NOT NULL,
    official TEXT NOT NULL,
    probe_only INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS component_health_by_component ON component_health (component_id, at);
CREATE TABLE IF NOT EXISTS probe_latency (
    target TEXT NOT NULL,
    component_id TEXT NOT NULL,
    window_start REAL NOT NULL,
    samples INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    timed INTEGER NOT NULL,
    min_ms REAL,
    max_ms REAL,
    sum_ms REAL,
    last_outcome TEXT NOT NULL,
    PRIMARY KEY (target, window_start)
);
"""

_RECOVERABLE = re.compile(r"not a database|malformed|locked|busy|corrupt", re.IGNORECASE)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _epoch(at: datetime) -> float:
    if at.tzinfo is None:  # models promise aware UTC; be lenient with naive values
        at = at.replace(tzinfo=timezone.utc)
    return at.timestamp()


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


@dataclass(frozen=True)
class Outage:
    component_id: str
    name: str
    start: datetime
    end: datetime | None  # None: still going on (as far as we last saw)
    worst: Health
    probe_only: bool  # only our probes saw it; the status page never confirmed

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class LatencySample:
    target: str
    component_id: str
    window_start: datetime
    samples: int
    failures: int
    min_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    last_outcome: str


@dataclass(frozen=True)
class ComponentUptime:
    component_id: str
    name: str
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None


@dataclass(frozen=True)
class HistoryReport:
    since: datetime
    generated_at: datetime
    components: tuple[ComponentUptime, ...]
    outages: tuple[Outage, ...]


@dataclass(frozen=True)
class _Transition:
    id: int
    component_id: str
    name: str
    at: float
    until: float
    health: Health
    official: Health
    probe_only: bool


class History:
    """The history database. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        path: Path,
        *,
        settings: HistorySettings | None = None,
        clock: Callable[[], datetime] = _utc_now,
        busy_timeout: float = 5.0,
        readonly: bool = False,
    ) -> None:
        self.path = path
        self.readonly = readonly
        self.settings = settings or HistorySettings()
        self.notice: str | None = None
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._last: dict[str, _Transition] = {}
        self._conn = self._open_or_recover()

    @classmethod
    def open(cls, path: Path, **kwargs: Any) -> History:
        return cls(path, **kwargs)

    # ---- opening ----

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            return self._connect_readonly()
        conn = sqlite3.connect(
            str(self.path),
            timeout=self._busy_timeout,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=NORMAL")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({check})")
            with _transaction(conn):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                row = conn.execute("SELECT version FROM schema_version").fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,)
                    )
                elif row[0] > SCHEMA_VERSION:
                    raise HistoryError(
                        f"{self.path.name} is from a newer version (schema {row[0]})"
                    )
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise HistoryError(f"no history recorded yet ({self.path} does not exist)")
        try:
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open {self.path}: {exc}") from exc
        try:
            row = conn.execute("SELECT version FROM schema_version").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            raise HistoryError(f"cannot read {self.path}: {exc}") from exc
        if row is None or row[0] > SCHEMA_VERSION:
            conn.close()
            raise HistoryError(f"{self.path.name} has an unknown schema ({row})")
        return conn

    def _open_or_recover(self) -> sqlite3.Connection:
        if self.readonly:  # the CLI: never create, never move the app's database aside
            return self._connect()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create {self.path.parent}: {exc}") from exc
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if not _RECOVERABLE.search(str(exc)):
                raise HistoryError(f"cannot open {self.path}: {exc}") from exc
            reason = str(exc)
        aside = self._move_aside()
        self.notice = (
            f"History database was unusable ({reason}); moved it to {aside.name} "
            "and started a new one"
        )
        log.warning("%s", self.notice)
        try:
            return self._connect()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot create a new {self.path}: {exc}") from exc

    def _move_aside(self) -> Path:
        stamp = self._clock().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            self.path.replace(aside)
            # A stale WAL must never be replayed into the fresh database.
            for suffix in ("-wal", "-shm", "-journal"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.replace(aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise HistoryError(f"cannot move the broken {self.path.name} aside: {exc}") from exc
        return aside

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
                with _transaction(self._conn):
                    yield self._conn
            except sqlite3.Error as exc:
                self._last.clear()  # rolled back: the cached states may be ahead of the file
                raise HistoryError(f"history write failed: {exc}") from exc

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
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
                _epoch(e.at),
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

    def _latest(self, conn: sqlite3.Connection, component_id: str) -> _Transition | None:
        if component_id not in self._last:
            row = conn.execute(
                "SELECT id, component_id, name, at, until, health, official, probe_only "
                "FROM component_health WHERE component_id = ? ORDER BY id DESC LIMIT 1",
                (component_id,),
            ).fetchone()
            if row is None:
                return None
            self._last[component_id] = _transition(row)
        return self._last[component_id]

    def record_component_health(
        self,
        at: datetime,
        component_id: str,
        name: str,
        health: Health,
        official: Health,
        probe_only: bool,
    ) -> bool:
        """Note the component's state; only a change adds a row. Returns True if it did.

        Call it every step: an unchanged state just moves the current row's ``until``
        forward (at most once per ``SEEN_GRANULARITY``).
        """
        now = _epoch(at)
        with self._write() as conn:
            last = self._latest(conn, component_id)
            same = (
                last is not None
                and last.health is health
                and last.official is official
                and last.probe_only == probe_only
            )
            contiguous = last is not None and now - last.until <= MAX_GAP.total_seconds()
            if last is not None and same:
                if not contiguous:
                    # Back after a gap in the same state: a new row keeps the gap unobserved.
                    self._insert(conn, component_id, name, now, health, official, probe_only)
                elif now - last.until >= SEEN_GRANULARITY.total_seconds():
                    self._set_until(conn, last, now)
                return False
            if last is not None and contiguous and now > last.until:
                self._set_until(conn, last, now)
            self._insert(conn, component_id, name, now, health, official, probe_only)
            return True

    def _set_until(self, conn: sqlite3.Connection, last: _Transition, until: float) -> None:
        conn.execute("UPDATE component_health SET until = ? WHERE id = ?", (until, last.id))
        self._last[last.component_id] = dataclasses.replace(last, until=until)

    def _insert(
        self,
        conn: sqlite3.Connection,
        component_id: str,
        name: str,
        at: float,
        health: Health,
        official: Health,
        probe_only: bool,
    ) -> None:
        cursor = conn.execute(
            "INSERT INTO component_health "
            "(component_id, name, at, until, health, official, probe_only) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (component_id, name, at, at, health.value, official.value, int(probe_only)),
        )
        self._last[component_id] = _Transition(
            cursor.lastrowid or 0, component_id, name, at, at, health, official, probe_only
        )

    def record_snapshot(self, snapshot: MonitorSnapshot) -> None:
        """Everything the app records per step: each component's health, and the probes.

        Convenience for the app's history sink; same rules as the two calls it makes.
        """
        at = snapshot.last_checked or self._clock()
        for c in snapshot.components:
            self.record_component_health(at, c.id, c.name, c.health, c.official, c.probe_only)
        if snapshot.probes:
            self.record_probes(snapshot.probes)

    def record_probes(self, results: Iterable[ProbeResult]) -> None:
        """Fold probe results into one row per target per ``latency_sample_seconds`` window."""
        window = self.settings.latency_sample_seconds
        rows = []
        for r in results:
            start = (_epoch(r.at) // window) * window
            ms = r.latency_ms
            rows.append(
                (
                    r.target,
                    r.component_id,
                    start,
                    int(r.outcome.is_bad),
                    int(ms is not None),
                    ms,
                    ms,
                    ms,
                    r.outcome.value,
                )
            )
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO probe_latency (target, component_id, window_start, samples,"
                " failures, timed, min_ms, max_ms, sum_ms, last_outcome)"
                " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (target, window_start) DO UPDATE SET"
                " samples = samples + 1,"
                " failures = failures + excluded.failures,"
                " timed = timed + excluded.timed,"
                " min_ms = CASE WHEN excluded.min_ms IS NULL THEN min_ms"
                "   WHEN min_ms IS NULL THEN excluded.min_ms ELSE min(min_ms, excluded.min_ms) END,"
                " max_ms = CASE WHEN excluded.max_ms IS NULL THEN max_ms"
                "   WHEN max_ms IS NULL THEN excluded.max_ms ELSE max(max_ms, excluded.max_ms) END,"
                " sum_ms = coalesce(sum_ms, 0) + coalesce(excluded.sum_ms, 0),"
                " last_outcome = excluded.last_outcome",
                rows,
            )

    def prune(self, now: datetime, retention_days: int | None = None) -> int:
        """Delete what is older than the retention; returns the number of rows deleted.

        The newest health row of each component is kept: it is the current state.
        """
        days = self.settings.retention_days if retention_days is None else retention_days
        cutoff = _epoch(now) - days * 86400.0
        with self._write() as conn:
            before = conn.total_changes
            conn.execute("DELETE FROM events WHERE at < ?", (cutoff,))
            conn.execute("DELETE FROM probe_latency WHERE window_start < ?", (cutoff,))
            conn.execute(
                "DELETE FROM component_health WHERE until < ? AND id NOT IN "
                "(SELECT max(id) FROM component_health GROUP BY component_id)",
                (cutoff,),
            )
            deleted = conn.total_changes - before
        self._last.clear()
        with contextlib.suppress(HistoryError), self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    # ---- queries ----

    def _transitions(self, component_id: str | None = None) -> list[_Transition]:
        sql = (
            "SELECT id, component_id, name, at, until, health, official, probe_only "
            "FROM component_health"
        )
        args: tuple[str, ...] = ()
        if component_id is not None:
            sql += " WHERE component_id = ?"
            args = (component_id,)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY component_id, at, id", args).fetchall()
        return [_transition(row) for row in rows]

    def component_ids(self) -> list[tuple[str, str]]:
        """(id, latest name) of every component ever recorded, by name."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT component_id, name FROM component_health AS c WHERE id = "
                "(SELECT max(id) FROM component_health AS d WHERE d.component_id = c.component_id)"
                " ORDER BY name, component_id"
            ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def outages(self, since: datetime) -> list[Outage]:
        """Runs of degraded-or-worse health that overlap ``[since, now]``, oldest first.

        An outage ends at the first observation of OPERATIONAL or MAINTENANCE; UNKNOWN and
        offline observations neither end nor extend it.
        """
        found: list[Outage] = []
        by_component: dict[str, list[_Transition]] = {}
        for t in self._transitions():
            by_component.setdefault(t.component_id, []).append(t)
        for rows in by_component.values():
            run: list[_Transition] = []
            for t in rows:
                if t.health.is_problem:
                    run.append(t)
                elif t.health in _UP and run:
                    found.append(_outage(run, t.at))
                    run = []
            if run:
                found.append(_outage(run, None))
        cut = since.astimezone(timezone.utc)
        kept = [o for o in found if o.end is None or o.end >= cut]
        return sorted(kept, key=lambda o: (o.start, o.component_id))

    def uptime(self, component_id: str, window: timedelta, now: datetime) -> float | None:
        """Fraction of our observed time in ``[now - window, now]`` that was up.

        Up means OPERATIONAL or MAINTENANCE. None when nothing was observed in the window.
        """
        end = _epoch(now)
        start = end - window.total_seconds()
        observed = 0.0
        up = 0.0
        for t in self._transitions(component_id):
            if t.health in _UNOBSERVED:
                continue
            overlap = min(t.until, end) - max(t.at, start)
            if overlap <= 0:
                continue
            observed += overlap
            if t.health in _UP:
                up += overlap
        return None if observed <= 0 else up / observed

    def latency(self, target: str, since: datetime) -> list[LatencySample]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT target, component_id, window_start, samples, failures, timed, min_ms,"
                " max_ms, sum_ms, last_outcome FROM probe_latency"
                " WHERE target = ? AND window_start >= ? ORDER BY window_start",
                (target, _epoch(since) - self.settings.latency_sample_seconds),
            ).fetchall()
        return [
            LatencySample(
                target=r[0],
                component_id=r[1],
                window_start=_dt(r[2]),
                samples=r[3],
                failures=r[4],
                min_ms=r[6],
                avg_ms=(r[8] / r[5]) if r[5] else None,
                max_ms=r[7],
                last_outcome=r[9],
            )
            for r in rows
        ]

    def events(self, since: datetime) -> list[dict[str, Any]]:
        """Stored events (as ``event_to_dict`` gave them) since ``since``, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT payload FROM events WHERE at >= ? ORDER BY at, id", (_epoch(since),)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def report(self, since: datetime, now: datetime) -> HistoryReport:
        components = tuple(
            ComponentUptime(
                component_id=cid,
                name=name,
                uptime_24h=self.uptime(cid, timedelta(hours=24), now),
                uptime_7d=self.uptime(cid, timedelta(days=7), now),
                uptime_30d=self.uptime(cid, timedelta(days=30), now),
            )
            for cid, name in self.component_ids()
        )
        return HistoryReport(
            since=since.astimezone(timezone.utc),
            generated_at=now.astimezone(timezone.utc),
            components=components,
            outages=tuple(self.outages(since)),
        )


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _transition(row: tuple[Any, ...]) -> _Transition:
    return _Transition(
        id=row[0],
        component_id=row[1],
        name=row[2],
        at=row[3],
        until=row[4],
        health=Health(row[5]),
        official=Health(row[6]),
        probe_only=bool(row[7]),
    )


def _outage(run: list[_Transition], end: float | None) -> Outage:
    worst = run[0].health
    for t in run[1:]:
        if t.health.rank > worst.rank:
            worst = t.health
    return Outage(
        component_id=run[0].component_id,
        name=run[-1].name,
        start=_dt(run[0].at),
        end=None if end is None else _dt(end),
        worst=worst,
        probe_only=all(t.probe_only for t in run),
    )


# ---- the ``history`` command's parsing and output ----

_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``"30m"``, ``"24h"``, ``"7d"`` or ``"2w"`` -> timedelta. Raises ValueError."""
    match = _SINCE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"--since must be a positive number followed by m, h, d or w "
            f"(e.g. 30m, 24h, 7d), got {text!r}"
        )
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(timezone.utc).isoformat()


def _outage_dict(o: Outage) -> dict[str, Any]:
    duration = o.duration
    return {
        "component_id": o.component_id,
        "name": o.name,
        "start": _iso(o.start),
        "end": _iso(o.end),
        "duration_seconds": None if duration is None else duration.total_seconds(),
        "worst": o.worst.value,
        "probe_only": o.probe_only,
    }


def report_to_json(report: HistoryReport) -> str:
    body = {
        "since": _iso(report.since),
        "generated_at": _iso(report.generated_at),
        "components": [
            {
                "component_id": c.component_id,
                "name": c.name,
                "uptime_24h": c.uptime_24h,
                "uptime_7d": c.uptime_7d,
                "uptime_30d": c.uptime_30d,
            }
            for c in report.components
        ],
        "outages": [_outage_dict(o) for o in report.outages],
    }
    return json.dumps(body, indent=2)


_CSV_FIELDS = (
    "record",
    "component_id",
    "name",
    "uptime_24h",
    "uptime_7d",
    "uptime_30d",
    "start",
    "end",
    "duration_seconds",
    "worst",
    "probe_only",
)


def report_to_csv(report: HistoryReport) -> str:
    """One table: ``record`` is ``uptime`` (one row per component) or ``outage``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in report.components:
        writer.writerow(
            {
                "record": "uptime",
                "component_id": c.component_id,
                "name": c.name,
                "uptime_24h": "" if c.uptime_24h is None else f"{c.uptime_24h:.6f}",
                "uptime_7d": "" if c.uptime_7d is None else f"{c.uptime_7d:.6f}",
                "uptime_30d": "" if c.uptime_30d is None else f"{c.uptime_30d:.6f}",
            }
        )
    for o in report.outages:
        row = {k: ("" if v is None else v) for k, v in _outage_dict(o).items()}
        row["probe_only"] = "true" if o.probe_only else "false"
        writer.writerow({"record": "outage", **row})
    return out.getvalue()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _duration(d: timedelta | None) -> str:
    if d is None:
        return "ongoing"
    minutes = int(d.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def report_to_text(report: HistoryReport) -> str:
    """A readable table (times in UTC)."""
    lines = [
        f"Uptime as observed from this machine (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)"
    ]
    if not report.components:
        lines.append("  no observations recorded yet")
    else:
        width = max(len("Component"), *(len(c.name) for c in report.components))
        lines.append(f"  {'Component':<{width}}  {'24h':>8}  {'7d':>8}  {'30d':>8}")
        for c in report.components:
            lines.append(
                f"  {c.name:<{width}}  {_percent(c.uptime_24h):>8}  "
                f"{_percent(c.uptime_7d):>8}  {_percent(c.uptime_30d):>8}"
            )
    lines.append("")
    lines.append(f"Outages since {report.since:%Y-%m-%d %H:%M} UTC")
    if not report.outages:
        lines.append("  none")
    for o in report.outages:
        note = "  (seen by our probes only)" if o.probe_only else ""
        lines.append(
            f"  {o.start:%Y-%m-%d %H:%M}  {_duration(o.duration):>12}  {o.name}: "
            f"{o.worst.label}{note}"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "SCHEMA_VERSION",
    "ComponentUptime",
    "History",
    "HistoryReport",
    "LatencySample",
    "Outage",
    "parse_since",
    "report_to_csv",
    "report_to_json",
    "report_to_text",
]
