"""The monitor thread's loop, driven one turn at a time with an injected clock, and for real
against a loopback status server."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.faultrig import T0, FakeClock
from tests.statusserver import API_401, CLOUDFLARE_403, Route, StatusServer, summary_doc
from tray_app.config.schema import (
    API_COMPONENT,
    CLAUDE_AI_COMPONENT,
    DEFAULT_STATUS_PAGE,
    BackoffSettings,
    ProbeSettings,
    Settings,
    StatusPageSettings,
)
from tray_app.core.errors import HTTPStatusError, NetworkError
from tray_app.core.events import Event, ServiceDown, ServiceRecovered
from tray_app.core.models import (
    Component,
    Health,
    MonitorSnapshot,
    PageSnapshot,
    ProbeOutcome,
    ProbeResult,
)
from tray_app.platform.store import StateStore, read_summary
from tray_app.sources.build import build_sources
from tray_app.sources.monitor import Monitor


class FakePage:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.api = "operational"
        self.error: Exception | None = None
        self.calls = 0

    def fetch(self) -> PageSnapshot:
        self.calls += 1
        if self.error is not None:
            raise self.error
        status = {"operational": Health.OPERATIONAL, "major_outage": Health.MAJOR_OUTAGE}
        return PageSnapshot(
            page_name="Claude",
            page_url=DEFAULT_STATUS_PAGE,
            indicator="none" if self.api == "operational" else "critical",
            description="All Systems Operational",
            components=(
                Component(API_COMPONENT, "Claude API", status[self.api], self.api),
                Component(CLAUDE_AI_COMPONENT, "claude.ai", Health.OPERATIONAL, "operational"),
            ),
            incidents=(),
            maintenances=(),
            fetched_at=self.clock.now(),
        )


class FakeProber:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.outcome = ProbeOutcome.UP
        self.calls = 0

    def run(self) -> tuple[ProbeResult, ...]:
        self.calls += 1
        return tuple(
            ProbeResult(target, cid, self.outcome, self.clock.now(), latency_ms=12.0)
            for target, cid in (("api", API_COMPONENT), ("claude_ai", CLAUDE_AI_COMPONENT))
        )


SETTINGS = Settings(backoff=BackoffSettings(maximum=600.0, jitter=0.0))


class Rig:
    def __init__(self, tmp_path: Path, settings: Settings = SETTINGS) -> None:
        self.clock = FakeClock()
        self.page = FakePage(self.clock)
        self.prober = FakeProber(self.clock)
        self.store = StateStore(tmp_path / "state.json")
        self.updates: list[tuple[MonitorSnapshot, tuple[Event, ...]]] = []
        self.settings = settings
        self.monitor = self.new_monitor()

    def new_monitor(self) -> Monitor:
        return Monitor(
            self.settings,
            page_source=self.page,
            prober=self.prober,
            on_update=lambda snap, events: self.updates.append((snap, events)),
            clock=self.clock,
            store=self.store,
        )

    def events(self) -> list[Event]:
        return [e for _, events in self.updates for e in events]


def test_first_turn_runs_everything_then_each_job_on_its_interval(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    assert sorted(rig.monitor.run_pending()) == ["page", "probes", "tick"]
    rig.clock.advance(29)
    assert rig.monitor.run_pending() == []
    rig.clock.advance(1)
    assert rig.monitor.run_pending() == ["probes"]
    rig.clock.advance(30)
    assert sorted(rig.monitor.run_pending()) == ["page", "probes", "tick"]
    assert (rig.page.calls, rig.prober.calls) == (2, 3)


def test_snapshot_says_when_the_next_check_is(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    snap = rig.monitor.snapshot
    assert snap.overall is Health.OPERATIONAL
    assert snap.next_check == T0 + timedelta(seconds=30)


def test_page_errors_back_off_exponentially_and_recover(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.page.error = HTTPStatusError("status page answered HTTP 500", status_code=500)
    rig.monitor.run_pending()
    page_times = []
    for second in range(1, 500):
        rig.clock.advance(1)
        if "page" in rig.monitor.run_pending():
            page_times.append(second)
    assert page_times == [60, 180, 420]  # 60 s, then 120 s, then 240 s
    snap = rig.monitor.snapshot
    assert snap.overall is Health.STATUS_PAGE_UNREACHABLE
    assert snap.page_error and "HTTP 500" in snap.page_error


def test_a_bug_in_a_source_backs_off_like_any_failure_instead_of_spinning(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.page.error = RuntimeError("a parser bug")
    rig.monitor.run_pending()
    for _ in range(59):
        rig.clock.advance(1)
        assert "page" not in rig.monitor.run_pending()
    assert rig.page.calls == 1
    assert rig.monitor.snapshot.overall is Health.STATUS_PAGE_UNREACHABLE


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.page.error = HTTPStatusError("busy", status_code=503, retry_after=300.0)
    rig.monitor.run_pending()
    rig.page.error = None
    rig.clock.advance(299)
    assert "page" not in rig.monitor.run_pending()
    rig.clock.advance(1)
    assert "page" in rig.monitor.run_pending()


def test_check_now_runs_everything_at_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    rig.clock.advance(5)
    rig.monitor.check_now()
    assert sorted(rig.monitor.run_pending()) == ["page", "probes", "tick"]


def test_wake_from_sleep_checks_at_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    rig.clock.advance(5, slept=3600)  # lid closed for an hour
    assert sorted(rig.monitor.run_pending()) == ["page", "probes", "tick"]


def test_probe_outage_needs_two_bad_results_then_recovers(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    rig.prober.outcome = ProbeOutcome.DOWN
    rig.clock.advance(30)
    rig.monitor.run_pending()
    assert not [e for e in rig.events() if isinstance(e, ServiceDown)]
    rig.clock.advance(30)
    rig.monitor.run_pending()
    downs = [e for e in rig.events() if isinstance(e, ServiceDown)]
    assert {e.component_id for e in downs} == {API_COMPONENT, CLAUDE_AI_COMPONENT}
    assert all(e.probe_only for e in downs)
    assert rig.monitor.snapshot.probe_only
    rig.prober.outcome = ProbeOutcome.UP
    for _ in range(2):
        rig.clock.advance(30)
        rig.monitor.run_pending()
    recovered = [e for e in rig.events() if isinstance(e, ServiceRecovered)]
    assert {e.component_id for e in recovered} == {API_COMPONENT, CLAUDE_AI_COMPONENT}
    assert all(e.down_for == timedelta(seconds=60) for e in recovered)


def test_no_event_twice_across_a_restart(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.page.api = "major_outage"
    rig.monitor.run_pending()
    assert [e.component_id for e in rig.events() if isinstance(e, ServiceDown)] == [API_COMPONENT]
    assert read_summary(rig.store.path)["overall"] == "major_outage"  # type: ignore[index]

    rig.updates.clear()
    restarted = rig.new_monitor()  # same state file: the app was restarted mid-outage
    rig.clock.advance(120)
    restarted.run_pending()
    assert rig.events() == []
    rig.page.api = "operational"
    rig.clock.advance(60)
    restarted.run_pending()
    assert [type(e) for e in rig.events()] == [ServiceRecovered]


def test_polls_that_change_nothing_leave_the_state_file_alone_until_its_refresh(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.store = StateStore(tmp_path / "state.json", monotonic=rig.clock.monotonic)
    rig.monitor = rig.new_monitor()
    rig.monitor.run_pending()
    rig.clock.advance(30)
    rig.monitor.run_pending()  # the probes' verdict is reached on the second round
    path = rig.store.path
    first = path.stat()
    text = path.read_text(encoding="utf-8")

    for _ in range(8):  # 4 minutes: 4 page reads, 8 probe rounds, 4 ticks, all the same
        rig.clock.advance(30)
        rig.monitor.run_pending()
    assert rig.page.calls == 5 and rig.prober.calls == 10
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert path.read_text(encoding="utf-8") == text

    # Every 5 minutes it is written anyway, so that `statusline` never calls it stale.
    rig.clock.advance(90)
    rig.monitor.run_pending()
    refreshed = read_summary(path)
    assert refreshed is not None
    assert refreshed["checked_at"] == rig.clock.now().isoformat()
    assert refreshed["overall"] == "operational"

    # A change is written at once.
    rig.page.api = "major_outage"
    rig.clock.advance(60)
    rig.monitor.run_pending()
    assert read_summary(path)["overall"] == "major_outage"  # type: ignore[index]


def test_every_unchanged_poll_still_moves_last_checked_and_a_change_shows_at_once(
    tmp_path: Path,
) -> None:
    """Unchanged polls are cheap, not silent: each one is published with its own "last
    checked" and "next check" (the tray's menu says them), and the first poll that changes
    something shows the change, however many unchanged ones came before."""
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    for _ in range(4):  # 2 page reads, 4 probe rounds, 2 ticks: all the same answers
        rig.clock.advance(30)
        published = len(rig.updates)
        rig.monitor.run_pending()
        turn = [snap for snap, _ in rig.updates[published:]]
        assert turn, "an unchanged poll was not published"
        assert all(s.last_checked == rig.clock.now() for s in turn)
        assert turn[-1].next_check is not None and turn[-1].next_check > rig.clock.now()
        assert all(s.overall is Health.OPERATIONAL for s in turn)
        assert not [e for _, events in rig.updates[published:] for e in events]

    rig.page.api = "major_outage"
    rig.clock.advance(60)
    rig.monitor.run_pending()
    snap = rig.monitor.snapshot
    assert snap.overall is Health.MAJOR_OUTAGE
    assert {c.id: c.health for c in snap.components}[API_COMPONENT] is Health.MAJOR_OUTAGE
    assert any(isinstance(e, ServiceDown) for e in rig.events())


def test_a_probe_that_fails_once_is_saved_though_the_verdict_holds(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    rig.prober.outcome = ProbeOutcome.DOWN
    rig.clock.advance(30)
    rig.monitor.run_pending()  # one bad answer: below the threshold, but not "nothing changed"
    assert rig.monitor.snapshot.overall is Health.OPERATIONAL
    assert '"outcome":"down"' in rig.store.path.read_text(encoding="utf-8")


def test_unreadable_state_file_starts_fresh_and_keeps_the_file(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")
    rig = Rig(tmp_path)
    assert rig.monitor.notice and "unreadable" in rig.monitor.notice
    assert (tmp_path / "state.json.bad").read_text(encoding="utf-8") == "{not json"
    rig.monitor.run_pending()
    assert rig.monitor.snapshot.overall is Health.OPERATIONAL


def test_a_state_from_another_version_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    doc = '{"version": 1, "summary": {}, "engine": {"version": 99}}'
    (tmp_path / "state.json").write_text(doc, encoding="utf-8")
    rig = Rig(tmp_path)
    assert rig.monitor.notice and "could not be used" in rig.monitor.notice
    rig.monitor.run_pending()
    assert (tmp_path / "state.json.bad").read_text(encoding="utf-8") == doc


def test_offline_is_not_claude_down(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.monitor.run_pending()
    rig.page.error = NetworkError("cannot resolve status.claude.com")
    rig.prober.outcome = ProbeOutcome.UNREACHABLE
    for _ in range(4):
        rig.clock.advance(60)
        rig.monitor.run_pending()
    assert rig.monitor.snapshot.overall is Health.OFFLINE
    assert not [e for e in rig.events() if isinstance(e, ServiceDown)]


# ---- the real thread, real HTTP over loopback ----


def loopback_settings(server: StatusServer, **probe_overrides: object) -> Settings:
    probes = ProbeSettings(
        interval=1.0,
        timeout=2.0,
        api_url=server.url_for("/v1/models"),
        claude_ai_url=server.url_for("/"),
        **probe_overrides,  # type: ignore[arg-type]
    )
    page = StatusPageSettings(url=server.url, interval=1.0, timeout=2.0)
    return Settings(status_page=page, probes=probes)


def test_thread_sees_an_outage_and_the_recovery_over_real_http(
    status_server: StatusServer, tmp_path: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    settings = loopback_settings(status_server)
    sources = build_sources(settings)
    seen: list[Event] = []
    changed = threading.Condition()

    def on_update(snap: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        with changed:
            seen.extend(events)
            changed.notify_all()

    monitor = Monitor(
        settings,
        page_source=sources.page,
        prober=sources.prober,
        on_update=on_update,
        store=StateStore(tmp_path / "state.json"),
    )
    monitor.start()
    try:
        status_server.wait_for_requests("/api/v2/summary.json", 1)
        status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        with changed:
            assert changed.wait_for(lambda: any(isinstance(e, ServiceDown) for e in seen), 15)
        assert monitor.snapshot.overall is Health.MAJOR_OUTAGE
        status_server.set_summary(summary_doc())
        with changed:
            assert changed.wait_for(lambda: any(isinstance(e, ServiceRecovered) for e in seen), 15)
        # Two polls of an unchanged page are answered 304 from the ETag.
        page_requests = status_server.requests_for("/api/v2/summary.json")
        assert any("if-none-match" in r.headers for r in page_requests)
    finally:
        assert monitor.stop(timeout=1.0)
        sources.close()


def test_stop_returns_within_a_second_even_during_a_hung_request(
    status_server: StatusServer, tmp_path: Path
) -> None:
    """Quitting never waits for a hung request, and its late answer changes nothing: no
    update, nothing saved."""
    status_server.set("/api/v2/summary.json", Route(delay=3.0))
    settings = dataclasses.replace(
        loopback_settings(status_server, enabled=False),
        status_page=StatusPageSettings(url=status_server.url, interval=1.0, timeout=30.0),
    )
    sources = build_sources(settings)
    updates: list[MonitorSnapshot] = []
    state_file = tmp_path / "state.json"
    monitor = Monitor(
        settings,
        page_source=sources.page,
        prober=None,
        on_update=lambda snap, events: updates.append(snap),
        store=StateStore(state_file),
    )
    monitor.start()
    status_server.wait_for_requests("/api/v2/summary.json", 1)
    time.sleep(0.2)  # the request is in flight
    started = time.monotonic()
    stopped = monitor.stop(timeout=1.0)
    took = time.monotonic() - started
    assert stopped, "stop() said the monitor might still act"
    assert took < 1.5
    seen, saved = len(updates), state_file.read_bytes() if state_file.exists() else None
    time.sleep(4.0)  # the delayed answer has come by now
    assert len(updates) == seen
    assert (state_file.read_bytes() if state_file.exists() else None) == saved
    assert len(status_server.requests_for("/api/v2/summary.json")) == 1
    sources.close()
