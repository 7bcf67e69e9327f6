"""History: real SQLite files in tmp_path, a real child process killed with SIGKILL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tray_app.config.schema import HistorySettings
from tray_app.core.errors import HistoryError
from tray_app.core.events import ServiceDown, ServiceRecovered, WentOffline
from tray_app.core.models import ComponentView, Health, MonitorSnapshot, ProbeOutcome, ProbeResult
from tray_app.sinks.history.formats import (
    parse_since,
    report_to_csv,
    report_to_json,
    report_to_text,
)
from tray_app.sinks.history.queries import (
    HistoryReport,
    Outage,
    build_report,
    events,
    latency,
    latency_hours,
    outages,
    uptime,
)
from tray_app.sinks.history.store import History

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parent.parent
API = "k8w3r06qmzrp"

OP = Health.OPERATIONAL
DEG = Health.DEGRADED
PART = Health.PARTIAL_OUTAGE
MAJOR = Health.MAJOR_OUTAGE
MAINT = Health.MAINTENANCE
UNKNOWN = Health.UNKNOWN


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def history(db_path: Path) -> Iterator[History]:
    with History(db_path, clock=lambda: T0) as h:
        yield h


def observe(
    h: History,
    start: float,
    end: float,
    health: Health,
    *,
    component_id: str = API,
    official: Health | None = None,
    probe_only: bool = False,
    step: float = 0.5,
) -> None:
    """Call record_component_health every ``step`` minutes over [start, end), as the app would."""
    t = start
    while t < end:
        h.record_component_health(
            minutes(t),
            component_id,
            "Claude API",
            health,
            health if official is None else official,
            probe_only,
        )
        t += step


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# ---- events ----


def test_events_are_stored_once_per_key_across_restarts(db_path: Path) -> None:
    down = ServiceDown(at=T0, component_id=API, name="Claude API", health=MAJOR, previous=OP)
    back = ServiceRecovered(
        at=minutes(5), component_id=API, name="Claude API", previous=MAJOR, down_for=None
    )
    with History(db_path) as h:
        assert h.record_events([down, back]) == 2
        assert h.record_events([down]) == 0
    with History(db_path) as h:
        assert h.record_events([down, back, WentOffline(at=minutes(6))]) == 1
        stored = events(h, T0)
    assert [e["kind"] for e in stored] == ["service_down", "service_recovered", "went_offline"]
    assert stored[0]["key"] == down.key
    assert stored[0]["health"] == "major_outage"
    table = rows(db_path, "SELECT kind, component_id, severity FROM events ORDER BY at")
    assert table == [
        ("service_down", API, "critical"),
        ("service_recovered", API, "info"),
        ("went_offline", None, "info"),
    ]


# ---- health transitions ----


def test_only_changes_are_stored(history: History, db_path: Path) -> None:
    changes = [
        history.record_component_health(minutes(i), API, "Claude API", h, o, p)
        for i, (h, o, p) in enumerate(
            [
                (OP, OP, False),
                (OP, OP, False),
                (MAJOR, OP, True),
                (MAJOR, OP, True),
                (MAJOR, MAJOR, False),
                (OP, OP, False),
                (OP, OP, False),
            ]
        )
    ]
    assert changes == [True, False, True, False, True, True, False]
    stored = rows(db_path, "SELECT health, official, probe_only FROM component_health ORDER BY id")
    assert stored == [
        ("operational", "operational", 0),
        ("major_outage", "operational", 1),
        ("major_outage", "major_outage", 0),
        ("operational", "operational", 0),
    ]


def test_state_is_remembered_across_restarts(db_path: Path) -> None:
    with History(db_path) as h:
        assert h.record_component_health(T0, API, "Claude API", OP, OP, False)
    with History(db_path) as h:
        assert not h.record_component_health(minutes(1), API, "Claude API", OP, OP, False)
        assert h.record_component_health(minutes(2), API, "Claude API", DEG, DEG, False)


Span = tuple[float, float, Health]


@pytest.mark.parametrize(
    ("spans", "window_minutes", "now_minute", "expected"),
    [
        ([(0, 60, OP)], 60, 60, 1.0),
        ([(0, 45, OP), (45, 60, MAJOR)], 60, 60, 0.25 * 0 + 0.75),
        ([(0, 30, OP), (30, 60, DEG)], 60, 60, 0.5),
        ([(0, 30, OP), (30, 60, MAINT)], 60, 60, 1.0),
        ([(0, 30, OP), (30, 60, UNKNOWN)], 60, 60, 1.0),
        ([(0, 30, OP), (90, 120, MAJOR)], 24 * 60, 120, 0.5),
        ([(0, 30, MAJOR), (90, 120, MAJOR)], 24 * 60, 120, 0.0),
        ([(0, 60, OP), (60, 120, PART)], 60, 120, 0.0),
        ([(0, 60, OP), (60, 120, PART)], 90, 120, 1 / 3),
        ([(0, 60, UNKNOWN)], 60, 60, None),
        ([], 60, 60, None),
        ([(0, 60, OP)], 60, 600, None),
    ],
    ids=[
        "all-up",
        "quarter-down",
        "degraded-counts-as-down",
        "maintenance-counts-as-up",
        "unknown-not-observed",
        "gap-not-observed",
        "down-both-sides-of-gap",
        "window-cuts-early-part",
        "window-partial",
        "only-unknown",
        "nothing",
        "all-before-window",
    ],
)
def test_uptime(
    history: History,
    spans: list[Span],
    window_minutes: float,
    now_minute: float,
    expected: float | None,
) -> None:
    for start, end, health in spans:
        observe(history, start, end, health)
    if spans:  # the last observation closes the final span
        last_end, last_health = spans[-1][1], spans[-1][2]
        observe(history, last_end, last_end + 0.01, last_health)
    got = uptime(history, API, timedelta(minutes=window_minutes), minutes(now_minute))
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=0.02)


def test_uptime_of_other_component_is_separate(history: History) -> None:
    observe(history, 0, 60, MAJOR, component_id="other")
    observe(history, 0, 60, OP)
    assert uptime(history, API, timedelta(hours=1), minutes(60)) == pytest.approx(1.0)
    assert uptime(history, "other", timedelta(hours=1), minutes(60)) == pytest.approx(0.0)


# ---- outages ----


def test_outages_from_transitions(history: History) -> None:
    observe(history, 0, 10, OP)
    observe(history, 10, 20, PART)
    observe(history, 20, 30, MAJOR)
    observe(history, 30, 35, UNKNOWN)  # does not end the outage
    observe(history, 35, 40, PART)
    observe(history, 40, 60, OP)
    observe(history, 60, 70, MAJOR, official=OP, probe_only=True)  # only our probes saw it
    observe(history, 70, 80, OP)
    observe(history, 80, 90, DEG)  # still going on
    observe(history, 0, 90, OP, component_id="rwppv331jlwc")

    got = outages(history, T0)
    assert got == [
        Outage(API, "Claude API", minutes(10), minutes(40), MAJOR, False),
        Outage(API, "Claude API", minutes(60), minutes(70), MAJOR, True),
        Outage(API, "Claude API", minutes(80), None, DEG, False),
    ]
    assert got[0].duration == timedelta(minutes=30)
    assert got[2].duration is None
    # ``since`` keeps outages that end after it, and ongoing ones
    assert [o.start for o in outages(history, minutes(65))] == [minutes(60), minutes(80)]
    assert [o.start for o in outages(history, minutes(75))] == [minutes(80)]


def test_probe_only_outage_confirmed_later_is_not_probe_only(history: History) -> None:
    observe(history, 0, 5, OP)
    observe(history, 5, 10, MAJOR, official=OP, probe_only=True)
    observe(history, 10, 20, MAJOR)
    observe(history, 20, 25, OP)
    (outage,) = outages(history, T0)
    assert outage.start == minutes(5)
    assert outage.end == minutes(20)
    assert outage.probe_only is False


# ---- probe latency ----


def probe(
    at: datetime, ms: float | None, outcome: ProbeOutcome, target: str = "api"
) -> ProbeResult:
    return ProbeResult(target=target, component_id=API, outcome=outcome, at=at, latency_ms=ms)


def test_probe_latency_is_downsampled(db_path: Path) -> None:
    settings = HistorySettings(latency_sample_seconds=300)
    with History(db_path, settings=settings) as h:
        for i in range(120):  # a 30 s poll for one hour, two targets
            at = T0 + timedelta(seconds=30 * i)
            bad = i % 10 == 9
            h.record_probes(
                [
                    probe(
                        at,
                        None if bad else 100.0 + i % 10,
                        ProbeOutcome.TIMEOUT if bad else ProbeOutcome.UP,
                    ),
                    probe(at, 50.0, ProbeOutcome.UP, target="claude_ai"),
                ]
            )
        samples = latency(h, "api", T0)
        assert len(latency(h, "claude_ai", T0)) == 12
    assert rows(db_path, "SELECT count(*) FROM probe_latency") == [(24,)]
    assert len(samples) == 12
    first = samples[0]
    assert first.window_start == T0
    assert first.samples == 10
    assert first.failures == 1
    assert first.min_ms == 100.0
    assert first.max_ms == 108.0
    assert first.avg_ms == pytest.approx(sum(100.0 + k for k in range(9)) / 9)
    assert first.last_outcome == "timeout"
    assert [s.window_start for s in samples] == [T0 + timedelta(minutes=5 * k) for k in range(12)]


# ---- retention ----


def test_prune_drops_old_rows_but_keeps_current_state(db_path: Path) -> None:
    old = T0 - timedelta(days=100)
    with History(db_path) as h:
        h.record_events([WentOffline(at=old), WentOffline(at=T0)])
        h.record_probes([probe(old, 10.0, ProbeOutcome.UP), probe(T0, 10.0, ProbeOutcome.UP)])
        h.record_component_health(old, API, "Claude API", MAJOR, MAJOR, False)
        h.record_component_health(old + timedelta(hours=1), API, "Claude API", OP, OP, False)
        h.record_component_health(old, "stale", "Stale", OP, OP, False)
        deleted = h.prune(T0, retention_days=90)
        # the old event, health row and probe window, and the old hour's latency summary
        assert deleted == 4
        assert [e["at"] for e in events(h, old)] == [T0.isoformat()]
        assert len(latency(h, "api", old)) == 1
        assert [x.hour for x in latency_hours(h, old)] == [T0.timestamp()]
        # the current (latest) state of each component survives pruning: no transition
        assert not h.record_component_health(T0, API, "Claude API", OP, OP, False)
    assert rows(db_path, "SELECT component_id, health, at FROM component_health ORDER BY id") == [
        (API, "operational", (old + timedelta(hours=1)).timestamp()),
        ("stale", "operational", old.timestamp()),
        # back after a gap in the same state: a new row, so the gap counts as unobserved
        (API, "operational", T0.timestamp()),
    ]


# ---- robustness ----


def test_corrupt_file_is_moved_aside(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database, just garbage bytes\x00\xff" * 200
    db_path.write_bytes(garbage)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"stale wal")
    with History(db_path, clock=lambda: T0) as h:
        assert h.notice is not None
        assert "history.sqlite3.corrupt-20260301T120000Z" in h.notice
        assert "\n" not in h.notice
        assert h.record_events([WentOffline(at=T0)]) == 1
    aside = db_path.with_name("history.sqlite3.corrupt-20260301T120000Z")
    assert aside.read_bytes() == garbage
    stale = aside.with_name(aside.name + "-wal")  # sqlite may already have dropped it
    assert not stale.exists() or stale.read_bytes() == b"stale wal"
    assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    with History(db_path) as h:
        assert h.notice is None
        assert len(events(h, T0)) == 1


def test_a_planted_symlink_is_moved_aside_never_written_through(
    db_path: Path, tmp_path: Path
) -> None:
    """A link to another SQLite file of the user's: our tables never go into it."""
    other = tmp_path / "someone_elses.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE precious (x)")
    conn.close()
    db_path.parent.mkdir(parents=True)
    db_path.symlink_to(other)
    with History(db_path, clock=lambda: T0) as h:
        assert h.notice == (
            "history.sqlite3 was a symbolic link; moved it to "
            "history.sqlite3.corrupt-20260301T120000Z and started a new one"
        )
        assert h.record_events([WentOffline(at=T0)]) == 1
    assert not db_path.is_symlink()
    assert db_path.stat().st_mode & 0o777 == 0o600
    assert rows(other, "SELECT name FROM sqlite_master") == [("precious",)]
    assert db_path.with_name("history.sqlite3.corrupt-20260301T120000Z").is_symlink()


def test_malformed_database_is_moved_aside(db_path: Path) -> None:
    with History(db_path) as h:
        for i in range(300):
            h.record_events([WentOffline(at=T0 + timedelta(seconds=i), detail="x" * 500)])
        h.prune(T0 - timedelta(days=1))  # checkpoints the WAL into the main file
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page * 2 : page * 6] = b"\xa5" * (page * 4)  # trash b-tree pages, keep the header
    db_path.write_bytes(bytes(data))
    with History(db_path, clock=lambda: T0) as h:
        assert h.notice is not None
        assert "moved it to history.sqlite3.corrupt-" in h.notice
        assert events(h, T0 - timedelta(days=1)) == []


def test_database_that_stays_locked_is_moved_aside(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO t VALUES (1)")
        with History(db_path, clock=lambda: T0, busy_timeout=0.2) as h:
            assert h.notice is not None
            assert "locked" in h.notice
            assert h.record_events([WentOffline(at=T0)]) == 1
    finally:
        holder.close()
    assert db_path.with_name("history.sqlite3.corrupt-20260301T120000Z").exists()


def test_full_disk_raises_history_error(history: History) -> None:
    conn: sqlite3.Connection = history._conn  # simulate a full disk: cap the file's size
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(HistoryError, match="full"):
        for i in range(1000):
            history.record_events([WentOffline(at=T0 + timedelta(seconds=i), detail="y" * 2000)])
    # the History object is still usable for reads afterwards
    assert isinstance(events(history, T0), list)


def test_unopenable_path_raises_history_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError):
        History(blocker / "history.sqlite3")


def test_reader_in_another_connection_sees_writes(db_path: Path, history: History) -> None:
    observe(history, 0, 30, OP)
    with History(db_path) as reader:
        assert uptime(reader, API, timedelta(hours=1), minutes(30)) == pytest.approx(1.0)


def test_shared_between_threads(history: History) -> None:
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        try:
            for i in range(50):
                history.record_events([WentOffline(at=T0 + timedelta(seconds=offset + i))])
                uptime(history, API, timedelta(hours=1), T0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(events(history, T0)) == 200


_WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tray_app.core.events import WentOffline
from tray_app.sinks.history.store import History
from tray_app.core.models import Health

t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
h = History(Path(sys.argv[1]))
i = 0
while True:
    at = t0 + timedelta(seconds=i)
    h.record_events([WentOffline(at=at, detail="x" * 300)])
    health = Health.OPERATIONAL if i % 2 else Health.MAJOR_OUTAGE
    h.record_component_health(at, "k8w3r06qmzrp", "Claude API", health, health, False)
    print(i, flush=True)
    i += 1
"""


def test_sigkill_while_writing_loses_nothing_committed(db_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    last = -1
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        while last < 300 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            last = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
    assert last >= 300, f"child wrote only {last + 1} rows"
    assert child.returncode == -signal.SIGKILL
    assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    with History(db_path) as h:
        assert h.notice is None
        stored = events(h, datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert len(stored) >= last + 1
    assert [e["at"] for e in stored[: last + 1]] == [
        (datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(seconds=i)).isoformat()
        for i in range(last + 1)
    ]
    health_rows = rows(db_path, "SELECT count(*) FROM component_health")[0][0]
    assert isinstance(health_rows, int) and health_rows >= last + 1


# ---- the report and its formats ----


@pytest.fixture
def report(history: History) -> HistoryReport:
    observe(history, 0, 60, OP)
    observe(history, 60, 90, MAJOR, official=OP, probe_only=True)
    observe(history, 90, 120, OP)
    observe(history, 0, 120, OP, component_id="rwppv331jlwc")
    history.record_component_health(minutes(120), "rwppv331jlwc", "claude.ai", DEG, DEG, False)
    return build_report(history, since=T0, now=minutes(120))


def test_report(report: HistoryReport) -> None:
    by_id = {c.component_id: c for c in report.components}
    assert by_id[API].uptime_24h == pytest.approx(0.75, abs=0.01)
    assert by_id[API].uptime_7d == by_id[API].uptime_24h
    assert by_id["rwppv331jlwc"].name == "claude.ai"
    assert by_id["rwppv331jlwc"].uptime_30d == pytest.approx(1.0)
    assert report.outages == (
        Outage(API, "Claude API", minutes(60), minutes(90), MAJOR, True),
        Outage("rwppv331jlwc", "claude.ai", minutes(120), None, DEG, False),
    )


def test_report_to_json(report: HistoryReport) -> None:
    body = json.loads(report_to_json(report))
    assert body["since"] == T0.isoformat()
    assert {c["component_id"] for c in body["components"]} == {API, "rwppv331jlwc"}
    assert body["outages"][0] == {
        "component_id": API,
        "name": "Claude API",
        "start": minutes(60).isoformat(),
        "end": minutes(90).isoformat(),
        "duration_seconds": 1800.0,
        "worst": "major_outage",
        "probe_only": True,
    }
    assert body["outages"][1]["end"] is None


def test_report_to_csv(report: HistoryReport) -> None:
    table = list(csv.DictReader(io.StringIO(report_to_csv(report))))
    assert [r["record"] for r in table] == ["uptime", "uptime", "outage", "outage"]
    uptime_row = next(r for r in table if r["record"] == "uptime" and r["component_id"] == API)
    assert float(uptime_row["uptime_24h"]) == pytest.approx(0.75, abs=0.01)
    outage = table[2]
    assert outage["start"] == minutes(60).isoformat()
    assert outage["worst"] == "major_outage"
    assert outage["probe_only"] == "true"
    assert table[3]["end"] == ""


def test_report_to_text(report: HistoryReport) -> None:
    text = report_to_text(report)
    assert "Claude API" in text
    assert re.search(r"Claude API\s+7[45]\.\d\d%", text)
    assert re.search(r"claude\.ai\s+100\.00%", text)
    assert "30m" in text
    assert "ongoing" in text
    assert "seen by our probes only" in text


def test_empty_report(history: History) -> None:
    empty = build_report(history, since=T0, now=T0)
    assert empty.components == ()
    assert "no observations" in report_to_text(empty)
    assert json.loads(report_to_json(empty))["outages"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        (" 90D ", timedelta(days=90)),
    ],
    ids=["days", "hours", "minutes", "weeks", "spaces-upper"],
)
def test_parse_since(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "1.5h", "7 days", "7y"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text)


# ---- read-only access (the CLI) ----


def test_readonly_reads_while_the_app_writes(db_path: Path, history: History) -> None:
    observe(history, 0, 30, OP)
    with History(db_path, readonly=True) as cli:
        assert uptime(cli, API, timedelta(hours=1), minutes(30)) == pytest.approx(1.0)
        observe(history, 30, 40, MAJOR)
        assert [o.start for o in outages(cli, T0)] == [minutes(30)]
        with pytest.raises(HistoryError, match="read-only"):
            cli.record_events([WentOffline(at=T0)])


def test_readonly_never_creates_a_file(db_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history recorded yet"):
        History(db_path, readonly=True)
    assert not db_path.exists()


def test_readonly_never_moves_a_corrupt_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"garbage" * 100)
    with pytest.raises(HistoryError):
        History(db_path, readonly=True)
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["history.sqlite3"]


def test_second_corruption_in_the_same_second_keeps_both(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    for content in (b"first" * 100, b"second" * 100):
        db_path.write_bytes(content)
        with History(db_path, clock=lambda: T0) as h:
            assert h.notice is not None
    stamp = "history.sqlite3.corrupt-20260301T120000Z"
    assert db_path.with_name(stamp).read_bytes() == b"first" * 100
    assert db_path.with_name(stamp + "-2").read_bytes() == b"second" * 100


def test_record_snapshot(history: History) -> None:
    probe_result = probe(minutes(1), 80.0, ProbeOutcome.UP)
    views = (
        ComponentView(API, "Claude API", MAJOR, official=OP, probe=MAJOR, since=None),
        ComponentView("rwppv331jlwc", "claude.ai", OP, official=OP, probe=None, since=None),
    )
    for minute in (0, 1, 2):
        history.record_snapshot(
            MonitorSnapshot(
                overall=MAJOR,
                description="",
                components=views,
                probes=(probe_result,),
                last_checked=minutes(minute),
            )
        )
    (outage,) = outages(history, T0)
    assert outage == Outage(API, "Claude API", T0, None, MAJOR, True)
    assert uptime(history, "rwppv331jlwc", timedelta(hours=1), minutes(2)) == pytest.approx(1.0)
    (sample,) = latency(history, "api", T0)
    assert sample.samples == 3


def test_failed_write_does_not_desync_transitions(history: History, db_path: Path) -> None:
    history.record_component_health(T0, API, "Claude API", OP, OP, False)
    conn: sqlite3.Connection = history._conn
    conn.execute(
        "CREATE TRIGGER no_insert BEFORE INSERT ON component_health BEGIN "
        "SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises(HistoryError, match="disk trouble"):
        history.record_component_health(minutes(1), API, "Claude API", MAJOR, MAJOR, False)
    conn.execute("DROP TRIGGER no_insert")
    # the change that failed to be stored is still recognised as a change
    assert history.record_component_health(minutes(2), API, "Claude API", MAJOR, MAJOR, False)
    assert rows(db_path, "SELECT health FROM component_health ORDER BY id") == [
        ("operational",),
        ("major_outage",),
    ]
