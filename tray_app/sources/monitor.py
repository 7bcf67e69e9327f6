"""The monitor: a background thread that polls the sources, steps the state machine and hands
each new snapshot and its events to one callback.

It owns no UI and does no notification itself; ``on_update`` (the app's dispatcher) fans out to
the sinks. Sources are injected, so tests drive it against local servers or fakes.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol, TypeVar

from tray_app.config.schema import Settings
from tray_app.core import state as engine
from tray_app.core.clock import Clock, SystemClock
from tray_app.core.errors import HTTPStatusError, NetworkError, SourceError
from tray_app.core.events import Event
from tray_app.core.models import (
    MonitorSnapshot,
    PageFailure,
    PageSnapshot,
    ProbeOutcome,
    ProbeResult,
)
from tray_app.core.state_codec import state_from_dict, state_to_dict
from tray_app.platform.store import StateStore
from tray_app.sources.schedule import Schedule, woke_from_sleep

log = logging.getLogger(__name__)

PAGE, PROBES, TICK = "page", "probes", "tick"
TICK_INTERVAL = 60.0  # time-driven events (maintenance starting soon) and quiet-hours summaries
MAX_SLEEP = 5.0  # wake at least this often to notice a jump of the wall clock (sleep/resume)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_T = TypeVar("_T")


class _Stopped(Exception):
    """Raised on the monitor thread when stop() was called during I/O."""


UpdateCallback = Callable[[MonitorSnapshot, tuple[Event, ...]], None]


class _SaveFilter:
    """A step that changed nothing one can see (a 304, the same probe answers) is not even
    encoded: the store would find nothing new to write. What only the engine keeps is saved
    with the next visible change or the store's periodic refresh."""

    def __init__(self) -> None:
        self._last_seen: MonitorSnapshot | None = None  # the last saved snapshot, times left out

    def worth_saving(
        self, snapshot: MonitorSnapshot, events: tuple[Event, ...], refresh_due: bool
    ) -> bool:
        seen = dataclasses.replace(
            snapshot,
            last_checked=None,
            next_check=None,
            page_read_at=None,
            probes=tuple(
                dataclasses.replace(p, at=_EPOCH, latency_ms=None) for p in snapshot.probes
            ),
        )
        if events or seen != self._last_seen or refresh_due:
            self._last_seen = seen
            return True
        return False


class PageSource(Protocol):
    def fetch(self) -> PageSnapshot: ...


class ProbeSource(Protocol):
    def run(self) -> tuple[ProbeResult, ...]: ...


class Monitor:
    def __init__(
        self,
        settings: Settings,
        *,
        page_source: PageSource,
        prober: ProbeSource | None,
        on_update: UpdateCallback,
        clock: Clock | None = None,
        store: StateStore | None = None,
        rng: random.Random | None = None,
        enrich: Callable[[tuple[Event, ...]], tuple[Event, ...]] | None = None,
    ) -> None:
        self._settings = settings
        self._page = page_source
        self._prober = prober if settings.probes.enabled else None
        self._on_update = on_update
        self._clock = clock or SystemClock()
        self._store = store
        self._enrich = enrich  # completes events from other reads (a resolved incident's end)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._check_now = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_io = False  # the thread is waiting for a request (guarded by _lock)
        self._pending_settings: Settings | None = None
        self._probes_unreachable = False
        self._last_page_error: str | None = None
        self._saves = _SaveFilter()
        self.notice: str | None = None

        self._state = engine.initial_state()
        if store is not None:
            saved, self.notice = store.load_engine()
            if saved is not None:
                try:
                    self._state = state_from_dict(saved)
                except (ValueError, KeyError, TypeError) as exc:
                    self.notice = store.set_aside(f"last saved state could not be used ({exc})")
        if self.notice:
            log.warning("%s", self.notice)

        intervals = {PAGE: settings.status_page.interval, TICK: TICK_INTERVAL}
        if self._prober is not None:
            intervals[PROBES] = settings.probes.interval
        self._schedule = Schedule(
            intervals,
            backoff_max=settings.backoff.maximum,
            jitter=settings.backoff.jitter,
            start=self._clock.monotonic(),
            rng=rng,
        )
        self._last_wall = self._clock.now()
        self._last_mono = self._clock.monotonic()
        self._snapshot = self._make_snapshot()

    # ---- thread-safe public API ----

    @property
    def snapshot(self) -> MonitorSnapshot:
        with self._lock:
            return self._snapshot

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="monitor", daemon=True)
        self._thread.start()

    def check_now(self) -> None:
        self._check_now.set()
        self._wake.set()

    def update_settings(self, settings: Settings) -> None:
        """New settings (watch list, notifications...) from the tray; applied on the monitor thread.

        Intervals and sources stay as they were started; they change on the next launch.
        """
        with self._lock:
            self._pending_settings = settings
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the thread; True once it will do nothing more: it ended within ``timeout``, or
        it is waiting for a request, which is not waited for. That request ends on its own
        (bounded by its timeout; the caller may close the HTTP client meanwhile) and the
        thread then ends without stepping, saving or publishing anything.
        """
        with self._lock:
            self._stopping.set()
            in_io = self._in_io
        self._wake.set()
        thread = self._thread
        if thread is None or thread is threading.current_thread() or in_io:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # ---- one turn of the loop (also used directly by tests) ----

    def run_pending(self) -> list[str]:
        """Run every job that is due now; return their names."""
        with self._lock:
            pending, self._pending_settings = self._pending_settings, None
        if pending is not None:
            self._settings = pending
            self._publish(())
        mono, wall = self._clock.monotonic(), self._clock.now()
        wall_delta = (wall - self._last_wall).total_seconds()
        if woke_from_sleep(wall_delta, mono - self._last_mono):
            log.info("wall clock jumped %.0f s ahead: woke from sleep, checking now", wall_delta)
            self._schedule.run_all_now(mono)
        self._last_wall, self._last_mono = wall, mono
        if self._check_now.is_set():
            self._check_now.clear()
            self._schedule.run_all_now(mono)

        ran = []
        for name in self._schedule.due(mono):
            if self._stopping.is_set():
                break
            self._run_job(name)
            ran.append(name)
        return ran

    def seconds_until_next(self) -> float:
        return max(0.0, self._schedule.next_due() - self._clock.monotonic())

    def _loop(self) -> None:
        log.info("monitor started")
        while not self._stopping.is_set():
            try:
                self.run_pending()
            except Exception:  # a bug must not kill the monitor silently
                log.exception("monitor turn failed")
            self._wake.wait(min(self.seconds_until_next(), MAX_SLEEP))
            self._wake.clear()
        log.info("monitor stopped")

    def _run_job(self, name: str) -> None:
        try:
            if name == PAGE:
                obs, ok, retry_after = self._interruptible(self._poll_page)
            elif name == PROBES:
                prober = self._prober
                assert prober is not None
                try:
                    results = self._interruptible(prober.run)
                except _Stopped:
                    raise
                except Exception:  # Prober.run never raises; if it ever does, do not spin
                    log.exception("probes failed unexpectedly")
                    self._schedule.done(name, self._clock.monotonic(), ok=False)
                    return
                obs, ok, retry_after = engine.ProbesObserved(results, self._clock.now()), True, None
                self._confirm_network(results)
            else:
                obs, ok, retry_after = engine.Tick(self._clock.now()), True, None
        except _Stopped:
            return
        mono = self._clock.monotonic()
        delay = self._schedule.done(name, mono, ok=ok, retry_after=retry_after)
        if not ok:
            log.debug("%s: next attempt in %.0f s", name, delay)
        if isinstance(obs, engine.PageFailed) and obs.failure.network and self._prober is not None:
            # the page cannot be reached: ask the probes now whether it is our network
            self._schedule.make_due(PROBES, mono)
        self._apply(obs)

    def _interruptible(self, work: Callable[[], _T]) -> _T:
        """Run blocking I/O on this thread so that stop() never waits for a hung request: stop()
        does not join a thread marked as in I/O, and the thread acts on nothing the request
        returns once stop() was called. (On the monitor's own thread rather than handed to
        another one: the hand-off cost more CPU than an unchanged poll's request.)"""
        with self._lock:
            if self._stopping.is_set():
                raise _Stopped
            self._in_io = True
        try:
            value = work()
        finally:
            with self._lock:
                self._in_io = False
        if self._stopping.is_set():
            raise _Stopped
        return value

    def _confirm_network(self, results: tuple[ProbeResult, ...]) -> None:
        """When every probe just became unreachable, or reachable again, read the page now rather
        than at its next (possibly backed-off) turn: the two together tell "your network is
        offline" from "Claude is down", and "back online" should not wait for a backoff."""
        unreachable = bool(results) and all(r.outcome is ProbeOutcome.UNREACHABLE for r in results)
        if unreachable != self._probes_unreachable:
            self._schedule.make_due(PAGE, self._clock.monotonic())
        self._probes_unreachable = unreachable

    def _poll_page(self) -> tuple[engine.Observation, bool, float | None]:
        try:
            page = self._page.fetch()
        except Exception as exc:  # SourceError, or a bug: either way a failed read, not a spin
            if not isinstance(exc, SourceError):
                log.exception("status page read failed unexpectedly")
                exc = SourceError(f"unexpected {type(exc).__name__}: {exc}")
            retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
            # a page that stays down would fill the log: say each new failure once, then debug
            same = str(exc) == self._last_page_error
            log.log(logging.DEBUG if same else logging.WARNING, "status page: %s", exc)
            self._last_page_error = str(exc)
            failure = PageFailure(
                message=str(exc),
                at=self._clock.now(),
                network=isinstance(exc, NetworkError),
                retry_after=retry_after,
            )
            return engine.PageFailed(failure), False, retry_after
        if self._last_page_error is not None:
            log.info("status page readable again")
            self._last_page_error = None
        log.debug("status page: %s (%s)", page.indicator, page.description)
        return engine.PageObserved(page), True, None

    def _apply(self, obs: engine.Observation) -> None:
        self._state, events = engine.step(self._state, obs, self._settings)
        if self._enrich is not None and events:
            events = self._enrich(events)
        for event in events:
            log.info("event %s: %s", event.kind, event.key)
        self._publish(events)

    def _publish(self, events: tuple[Event, ...]) -> None:
        snapshot = self._make_snapshot()
        with self._lock:
            self._snapshot = snapshot
        store = self._store
        if store is not None and self._saves.worth_saving(snapshot, events, store.refresh_due()):
            try:
                store.save(state_to_dict(self._state), snapshot)
            except OSError as exc:
                log.error("could not save state to %s: %s", store.path, exc)
        self._on_update(snapshot, events)

    def _make_snapshot(self) -> MonitorSnapshot:
        polls = [PAGE] if self._prober is None else [PAGE, PROBES]
        due = min(self._schedule.next_due_of(name) for name in polls)
        wait = max(0.0, due - self._clock.monotonic())
        next_check = self._clock.now() + timedelta(seconds=wait)
        return engine.snapshot(self._state, self._settings, next_check=next_check)


__all__ = ["Monitor", "PageSource", "ProbeSource", "UpdateCallback"]
