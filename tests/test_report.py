"""The history report: its data (days, coverage, uptime, outages with probe lead, incidents,
hourly latency), the schema migration that makes room for it, the page's safety, and the real
``report`` command."""

from __future__ import annotations

import re
import sqlite3
import stat
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.apprig import run_cli
from tray_app.core.events import IncidentOpened, IncidentResolved
from tray_app.core.models import (
    Health,
    Incident,
    IncidentUpdate,
    MonitorSnapshot,
    ProbeOutcome,
    ProbeResult,
)
from tray_app.platform.paths import AppPaths
from tray_app.report.build import build_report_data
from tray_app.report.command import show_in_background
from tray_app.report.days import DayGrid, service_days
from tray_app.report.html import render_html
from tray_app.report.incidents import outage_rows
from tray_app.sinks.history.queries import latency_hours, transitions
from tray_app.sinks.history.store import History, Transition
from tray_app.sinks.menu import SHOW_HISTORY, MenuPrefs, build_menu
from tray_app.sinks.tray_menu import TrayActions, TrayMenu

UTC = timezone.utc
DAY0 = datetime(2026, 3, 1, tzinfo=UTC)  # the grid's first day
NOW = DAY0 + timedelta(days=2, hours=12)  # midday on the third day
API = "k8w3r06qmzrp"
OP, DEG, PART, MAJOR = (
    Health.OPERATIONAL,
    Health.DEGRADED,
    Health.PARTIAL_OUTAGE,
    Health.MAJOR_OUTAGE,
)


def at(hours: float) -> float:
    return (DAY0 + timedelta(hours=hours)).timestamp()


def row(
    n: int,
    start: float,
    end: float,
    health: Health,
    official: Health | None = None,
    probe: Health | None = None,
) -> Transition:
    official = health if official is None else official
    probe_only = probe is not None and probe.is_problem and probe.rank > official.rank
    return Transition(n, API, "Claude API", at(start), at(end), health, official, probe_only, probe)


# ---- days: worst health, minutes, coverage, uptime (pure) ----


def test_each_day_shows_its_worst_state_minutes_and_how_much_we_watched() -> None:
    grid = DayGrid.ending(NOW, 3, UTC)
    rows = [
        row(1, 0, 12, OP),  # day 1: 12 h up ...
        row(2, 12, 12.5, DEG),  # ... then 30 min degraded
        row(3, 12.5, 20, OP),
        # day 2: the app was not running
        row(4, 48, 48 + 1 / 6, MAJOR),  # day 3: 10 min major outage
        row(5, 48 + 1 / 6, 60, OP),  # up to "now" (noon)
    ]
    service = service_days(API, "Claude API", rows, grid)
    first, second, third = service.days
    assert [d.day.isoformat() for d in service.days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert first.worst is DEG and first.minutes(DEG) == pytest.approx(30)
    assert first.coverage == pytest.approx(20 / 24)
    assert second.worst is None and second.coverage == 0  # not watching is not "up"
    assert third.worst is MAJOR and third.minutes(MAJOR) == pytest.approx(10)
    assert third.length == pytest.approx(12 * 3600)  # today counts up to now
    assert third.coverage == pytest.approx(1.0)
    observed = 20 + 12
    assert service.uptime == pytest.approx((observed - 0.5 - 1 / 6) / observed)
    assert service.coverage == pytest.approx(observed / 60)
    assert service.observed_days == 2


def test_a_state_across_midnight_counts_in_both_days_and_unobserved_states_in_neither() -> None:
    grid = DayGrid.ending(NOW, 3, UTC)
    rows = [
        row(1, 23, 25, PART),
        row(2, 25, 30, Health.OFFLINE, Health.UNKNOWN),  # our network was down
        row(3, 30, 31, OP),
    ]
    first, second, _ = service_days(API, "Claude API", rows, grid).days
    assert first.minutes(PART) == pytest.approx(60) and second.minutes(PART) == pytest.approx(60)
    assert second.coverage == pytest.approx(2 / 24)
    assert second.worst is PART


def test_official_uptime_is_the_page_word_as_we_recorded_it() -> None:
    grid = DayGrid.ending(NOW, 3, UTC)
    rows = [
        row(1, 0, 1, DEG, official=OP, probe=DEG),  # down from here, page still green
        row(2, 1, 2, MAJOR, official=MAJOR, probe=MAJOR),
        row(3, 2, 4, OP),
    ]
    service = service_days(API, "Claude API", rows, grid)
    assert service.uptime == pytest.approx(2 / 4)
    assert service.official_uptime == pytest.approx(3 / 4)


def test_days_follow_the_local_time_zone() -> None:
    tz = timezone(timedelta(hours=-5))
    grid = DayGrid.ending(NOW, 2, tz)
    assert grid.dates[-1].isoformat() == "2026-03-03"
    assert datetime.fromtimestamp(grid.starts[0], tz).hour == 0


def test_local_days_follow_summer_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        grid = DayGrid.ending(datetime(2026, 3, 30, 12, tzinfo=UTC), 3, None)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [d.isoformat() for d in grid.dates] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    lengths = [b - a for a, b in zip(grid.starts[:2], grid.starts[1:3], strict=True)]
    assert lengths == [24 * 3600, 23 * 3600]  # clocks went forward on the 29th
    assert grid.starts[0] == datetime(2026, 3, 27, 23, tzinfo=UTC).timestamp()  # CET midnight


# ---- outages and the probe lead (pure) ----


def test_probe_lead_is_how_much_earlier_our_probes_said_down_than_the_page() -> None:
    rows = [
        row(1, 0, 10, OP, probe=OP),
        row(2, 10, 10 + 5 / 60, DEG, official=OP, probe=DEG),  # probes first
        row(3, 10 + 5 / 60, 11, MAJOR, official=MAJOR, probe=MAJOR),  # page 5 min later
        row(4, 11, 20, OP, probe=OP),
        row(5, 20, 21, PART, official=PART, probe=OP),  # the page alone: no lead
        row(6, 21, 22, OP, probe=OP),
        row(7, 22, 22.5, DEG, official=OP, probe=DEG),  # our probes alone: no lead
        row(8, 22.5, 23, OP, probe=OP),
    ]
    found = outage_rows(rows, DAY0)
    assert [r.probe_lead for r in found] == [timedelta(minutes=5), None, None]
    assert found[0].outage.worst is MAJOR
    assert found[2].outage.probe_only


def test_probe_lead_in_rows_from_before_probes_were_stored() -> None:
    # Older rows only know "probe_only": the probes' part is known while they were alone.
    rows = [
        Transition(1, API, "API", at(1), at(1.1), DEG, OP, True, None),
        Transition(2, API, "API", at(1.1), at(2), MAJOR, MAJOR, False, None),
        Transition(3, API, "API", at(2), at(3), OP, OP, False, None),
    ]
    (found,) = outage_rows(rows, DAY0)
    assert found.probe_lead == timedelta(minutes=6)


# ---- through the real history file ----


def incident(n: int, opened: datetime, closed: datetime | None, **extra: object) -> Incident:
    fields: dict[str, object] = {
        "id": f"inc{n}",
        "name": f"Elevated errors {n}",
        "status": "investigating",
        "impact": "major",
        "shortlink": f"https://stspg.io/inc{n}",
        "created_at": opened,
        "updated_at": opened,
        "component_ids": (API, "unknown-id"),
    }
    if closed is not None:
        fields["status"] = "resolved"
        fields["latest_update"] = IncidentUpdate("u", "resolved", "Fixed.", closed)
    fields.update(extra)
    return Incident(**fields)  # type: ignore[arg-type]


def record_outage(h: History) -> None:
    """Day 3: up from 01:00; 02:00 down from here; 02:04 the page says major; 02:40 back."""
    t = DAY0 + timedelta(days=2, hours=1)
    for minute in range(0, 121, 2):
        if 60 <= minute < 64:
            state = (DEG, OP, True, DEG)
        elif 64 <= minute < 100:
            state = (MAJOR, MAJOR, False, MAJOR)
        else:
            state = (OP, OP, False, OP)
        h.record_component_health(t + timedelta(minutes=minute), API, "Claude API", *state)


def test_incidents_come_from_the_stored_events_with_components_impact_link_and_lead(
    tmp_path: Path,
) -> None:
    opened = DAY0 + timedelta(days=2, hours=2, minutes=4)
    closed = opened + timedelta(minutes=36)
    with History(tmp_path / "h.sqlite3") as h:
        record_outage(h)
        h.record_events(
            [
                IncidentOpened(at=opened, incident=incident(1, opened, None)),
                IncidentResolved(at=closed, incident=incident(1, opened, closed), lasted=None),
                IncidentOpened(at=opened, incident=incident(2, opened, None, impact="minor")),
            ]
        )
        data = build_report_data(h, now=NOW, days=3, tz=UTC)
    first, second = data.incidents
    assert (first.start, first.end, first.duration) == (opened, closed, timedelta(minutes=36))
    assert first.components == ("Claude API", "unknown-id")
    assert (first.impact, first.link) == ("major", "https://stspg.io/inc1")
    assert first.probe_lead == timedelta(minutes=4)
    assert second.end is None and second.impact == "minor"  # still open when we last saw it
    (outage,) = data.outages
    assert outage.probe_lead == timedelta(minutes=4)
    assert [s.name for s in data.services] == ["Claude API"]
    assert data.services[0].days[-1].worst is MAJOR


def probe(when: datetime, ms: float) -> ProbeResult:
    return ProbeResult("api", API, ProbeOutcome.UP, when, latency_ms=ms)


def test_latency_per_hour_is_the_median_and_p95_of_every_probe(tmp_path: Path) -> None:
    hour0 = DAY0 + timedelta(hours=5)
    with History(tmp_path / "h.sqlite3") as h:
        # 20 probes in hour 0 (1..20 ms), 4 in hour 1; then one in hour 3 rolls hour 0..1 up.
        h.record_probes([probe(hour0 + timedelta(minutes=3 * k), k + 1.0) for k in range(20)])
        h.record_probes([probe(hour0 + timedelta(hours=1, minutes=k), 100.0 + k) for k in range(4)])
        h.record_probes([probe(hour0 + timedelta(hours=3), 7.0)])
        h.record_probes([probe(hour0 + timedelta(hours=3, minutes=1), 9.0)])
        got = [(x.hour, x.median_ms, x.p95_ms, x.samples) for x in latency_hours(h, DAY0)]
    assert got == [
        (hour0.timestamp(), 10.5, 19.0, 20),
        ((hour0 + timedelta(hours=1)).timestamp(), 101.5, 103.0, 4),
        ((hour0 + timedelta(hours=3)).timestamp(), 8.0, 9.0, 2),  # not rolled up yet
    ]
    rolled = sqlite3.connect(tmp_path / "h.sqlite3").execute(
        "SELECT count(*) FROM probe_latency_hourly"
    )
    assert rolled.fetchone()[0] == 2


_V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE events (id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE, component_id TEXT, severity TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE component_health (id INTEGER PRIMARY KEY, component_id TEXT NOT NULL,
    name TEXT NOT NULL, at REAL NOT NULL, until REAL NOT NULL, health TEXT NOT NULL,
    official TEXT NOT NULL, probe_only INTEGER NOT NULL);
CREATE TABLE probe_latency (target TEXT NOT NULL, component_id TEXT NOT NULL,
    window_start REAL NOT NULL, samples INTEGER NOT NULL, failures INTEGER NOT NULL,
    timed INTEGER NOT NULL, min_ms REAL, max_ms REAL, sum_ms REAL, last_outcome TEXT NOT NULL,
    PRIMARY KEY (target, window_start));
"""


def v1_file(path: Path) -> None:
    """A history written by the previous version (schema 1)."""
    conn = sqlite3.connect(path)
    conn.executescript(_V1_SCHEMA)
    conn.executemany(
        "INSERT INTO component_health (component_id, name, at, until, health, official,"
        " probe_only) VALUES (?, 'Claude API', ?, ?, ?, ?, ?)",
        [
            (API, at(49), at(50), "degraded", "operational", 1),
            (API, at(50), at(51), "major_outage", "major_outage", 0),
            (API, at(51), at(52), "operational", "operational", 0),
        ],
    )
    conn.execute(
        "INSERT INTO probe_latency VALUES ('api', ?, ?, 2, 0, 2, 100, 300, 400, 'up')",
        (API, at(49)),
    )
    conn.commit()
    conn.close()


def test_a_file_from_the_previous_version_is_reported_read_only_and_migrated_keeping_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    v1_file(path)
    with History(path, readonly=True) as reader:  # the CLI, before the app ran the new version
        before = build_report_data(reader, now=NOW, days=3, tz=UTC)
    assert before.outages[0].probe_lead == timedelta(hours=1)
    assert [h.median_ms for t in before.latency for h in t.hours] == [200.0]  # the average
    with History(path) as h:  # the app opens it: schema 2, every row kept
        assert h.schema_version == 2
        assert len(transitions(h)) == 3
        h.record_probes([probe(DAY0 + timedelta(hours=49, minutes=1), 500.0)])
        after = build_report_data(h, now=NOW, days=3, tz=UTC)
    assert [(s.uptime, s.coverage) for s in after.services] == [
        (s.uptime, s.coverage) for s in before.services
    ]
    assert after.outages == before.outages
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert conn.execute("SELECT samples_ms FROM probe_latency").fetchall() == [("500.0",)]


# ---- the page: escaped, self-contained ----


HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png">\u202egnp.exe'


def hostile_report(tmp_path: Path) -> str:
    opened = DAY0 + timedelta(days=2, hours=2)
    with History(tmp_path / "h.sqlite3") as h:
        record_outage(h)
        h.record_component_health(DAY0 + timedelta(days=2, hours=4), "evil", HOSTILE, OP, OP, False)
        h.record_events(
            [
                IncidentOpened(
                    at=opened,
                    incident=incident(1, opened, None, name=HOSTILE, impact='"><b>x'),
                ),
                IncidentOpened(
                    at=opened,
                    incident=incident(2, opened, None, shortlink="javascript:alert(document)"),
                ),
                IncidentOpened(
                    at=opened,
                    incident=incident(3, opened, None, shortlink='https://x.example/"onclick='),
                ),
            ]
        )
        return render_html(build_report_data(h, now=NOW, days=3, tz=UTC))


def test_page_text_is_escaped_and_only_http_links_survive(tmp_path: Path) -> None:
    page = hostile_report(tmp_path)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert 'href="https://stspg.io/inc1"' in page
    assert 'href="https://x.example/&quot;onclick="' in page  # the quote cannot end the href
    assert "&quot;&gt;&lt;b&gt;x" in page
    assert "\u202e" not in page and "gnp.exe" in page  # no bidi override reverses the text


def test_page_needs_nothing_from_the_network(tmp_path: Path) -> None:
    page = hostile_report(tmp_path)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    tags = re.findall(r"<[^>]*>", page)  # page text is escaped: every "<" opens a real tag
    assert {re.match(r"</?([a-z0-9!]+)", t.lower()).group(1) for t in tags} <= {  # type: ignore[union-attr]
        *("!doctype", "html", "head", "meta", "title", "style", "body", "main", "h1", "h2"),
        *("h3", "p", "div", "section", "span", "b", "i", "svg", "g", "rect", "table", "thead"),
        *("tbody", "tr", "th", "td", "a", "path", "line", "text"),
    }
    assert not [t for t in tags if re.search(r'\ssrc="', t.lower())]
    style = page[page.index("<style>") : page.index("</style>")]
    assert "@import" not in style and "url(" not in style
    external = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert all(u.startswith("https://") for u in external)  # only the incidents' own links
    assert page.count('<svg class="days"') == 2  # two services; no probes, so no chart


# ---- the real command ----


def test_report_command_writes_one_page_and_opens_only_our_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = AppPaths.default()
    with History(paths.history_db) as h:
        record_outage(h)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "mail" / "report.html"
    monkeypatch.setenv("BROWSER", str(browser))
    result = run_cli("report", "--days", "7", "--output", str(out), "--open")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert "last 7 days" in page and page.count('class="day"') == 7
    assert opened.read_text() == out.resolve().as_uri()

    default = run_cli("report")
    assert default.returncode == 0, default.stderr
    assert Path(default.stdout.strip()) == paths.data_dir / "report.html"
    assert 'class="day"' in (paths.data_dir / "report.html").read_text(encoding="utf-8")


def test_report_command_without_history_says_so(tmp_path: Path) -> None:
    result = run_cli("report", "--output", str(tmp_path / "r.html"))
    assert result.returncode == 1
    assert "no history recorded yet" in result.stderr
    assert not (tmp_path / "r.html").exists()
    bad = run_cli("report", "--days", "0")
    assert bad.returncode == 2 and "--days" in bad.stderr


# ---- the menu's "Show history…" ----


def test_show_history_returns_at_once_and_opens_the_report_from_a_thread_of_its_own() -> None:
    paths = AppPaths.default()
    with History(paths.history_db) as h:
        record_outage(h)
    release = threading.Event()
    seen: list[tuple[str, str]] = []

    def browser(url: str) -> bool:
        seen.append((url, threading.current_thread().name))
        return release.wait(30)

    actions = TrayActions(
        check_now=lambda: None,
        set_watched=lambda _id, _on: None,
        snooze=lambda _d: None,
        set_notifications=lambda _on: None,
        set_autostart=lambda _on: None,
        open_url=lambda _u: None,
        open_path=lambda _p: None,
        quit=lambda: None,
        show_history=lambda: started.append(show_in_background(paths, opener=browser)),
    )
    started: list[threading.Thread] = []
    (item,) = [
        i
        for i in build_menu(MonitorSnapshot(Health.OPERATIONAL, ""), MenuPrefs(), NOW)
        if i.action == SHOW_HISTORY
    ]
    TrayMenu(None, actions, paths, stop_tray=lambda: None)._perform(item)  # the UI thread's click
    (thread,) = started
    assert thread.is_alive()  # the click came back while the report is still being made
    release.set()
    thread.join(30)
    report = paths.data_dir / "report.html"
    assert seen == [(report.resolve().as_uri(), "history-report")]
    assert report.read_text(encoding="utf-8").count('class="day"') == 90


def test_show_history_without_history_opens_a_page_saying_so() -> None:
    """A click on "Show history…" before anything was recorded shows a page, not nothing."""
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        return True

    paths = AppPaths.default()
    thread = show_in_background(paths, opener=browser)
    thread.join(30)
    report = paths.data_dir / "report.html"
    assert opened == [report.resolve().as_uri()]
    assert "No history has been recorded yet." in report.read_text(encoding="utf-8")
    assert not paths.history_db.exists()  # the menu's reader never creates the history

    with History(paths.history_db):
        pass  # the app has started watching, its first check not yet recorded
    show_in_background(paths, opener=browser).join(30)
    assert len(opened) == 2
    assert "No history has been recorded yet." in report.read_text(encoding="utf-8")
