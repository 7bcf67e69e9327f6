"""`check` and `wait-until-up`: answers without the tray or the background monitor.

A one-shot check cannot wait for a second bad probe, so it uses thresholds of 1: what it prints
is what this machine sees right now. It reads no saved state and writes none, so it never
disturbs a running tray app's dedupe.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from tray_app.config.components import unknown_component_problems
from tray_app.config.schema import Settings
from tray_app.core import state as engine
from tray_app.core.clock import SystemClock
from tray_app.core.errors import HTTPStatusError, NetworkError, SourceError
from tray_app.core.headline import headline
from tray_app.core.models import Health, MonitorSnapshot, PageFailure, PageSnapshot
from tray_app.sources.build import Sources, build_sources
from tray_app.sources.providers import build_readers, read_in_background

log = logging.getLogger(__name__)


def _one_shot_settings(settings: Settings) -> Settings:
    probes = dataclasses.replace(settings.probes, failure_threshold=1, success_threshold=1)
    return dataclasses.replace(settings, probes=probes)


def _observe(sources: Sources, clock: SystemClock, timeout: float) -> list[engine.Observation]:
    """Read the page and run every probe at once; all of it within ``timeout`` seconds."""
    page_result: list[PageSnapshot | SourceError] = []

    def read_page() -> None:
        try:
            page_result.append(sources.page.fetch())
        except SourceError as exc:
            page_result.append(exc)

    started = time.monotonic()
    reader = threading.Thread(target=read_page, daemon=True)
    reader.start()
    probes = sources.prober.run_in_parallel(timeout) if sources.prober is not None else ()
    reader.join(max(0.0, timeout - (time.monotonic() - started)))

    observations: list[engine.Observation] = []
    # a FetchTimeout keeps its own words: the page's timeout may be shorter than the check's
    outcome = page_result[0] if page_result else SourceError(f"no answer within {timeout:g} s")
    if isinstance(outcome, SourceError):
        retry_after = outcome.retry_after if isinstance(outcome, HTTPStatusError) else None
        failure = PageFailure(
            message=str(outcome),
            at=clock.now(),
            network=isinstance(outcome, NetworkError),
            retry_after=retry_after,
        )
        observations.append(engine.PageFailed(failure))
    else:
        observations.append(engine.PageObserved(outcome))
    if probes:
        observations.append(engine.ProbesObserved(probes, clock.now()))
    return observations


def _evaluate(
    sources: Sources,
    settings: Settings,
    state: engine.MonitorState,
    clock: SystemClock,
    timeout: float,
) -> tuple[engine.MonitorState, MonitorSnapshot]:
    for obs in _observe(sources, clock, timeout):
        state, _ = engine.step(state, obs, settings)
    return state, engine.snapshot(state, settings)


def check_once(
    settings: Settings, *, timeout: float = 10.0
) -> tuple[MonitorSnapshot, dict[str, str]]:
    """The state now, and the ids and names of the components on the page (empty if unread)."""
    settings = _one_shot_settings(settings)
    sources = build_sources(settings, timeout=timeout)
    try:
        clock = SystemClock()
        readers = build_readers(sources.client, settings, clock=clock.now, timeout=timeout)
        providers = read_in_background(readers, timeout)  # beside Claude, never part of it
        _, snap = _evaluate(sources, settings, engine.initial_state(), clock, timeout)
        snap = dataclasses.replace(snap, providers=providers())
        page = sources.page.last
        on_page = {c.id: c.name for c in page.components} if page is not None else {}
        for problem in unknown_component_problems(settings, on_page):
            log.warning("%s", problem)
        return snap, on_page
    finally:
        sources.close()


def wait_until_up(
    settings: Settings,
    *,
    timeout: float | None,
    report: Callable[[MonitorSnapshot], None],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, MonitorSnapshot]:
    """Poll until every watched service is operational: (True, that snapshot), or (False, the
    last one) if ``timeout`` passes first.

    Polls every min(status page interval, probe interval) seconds, never faster.
    """
    settings = _one_shot_settings(settings)
    clock = SystemClock()
    deadline = None if timeout is None else clock.monotonic() + timeout
    interval = min(settings.status_page.interval, settings.probes.interval)
    per_check = max(settings.status_page.timeout, settings.probes.timeout)
    sources = build_sources(settings)
    state = engine.initial_state()
    last_said: str | None = None
    try:
        while True:
            state, snap = _evaluate(sources, settings, state, clock, per_check)
            said = headline(snap).text
            if said != last_said:  # the headline, each time it changes
                report(snap)
                last_said = said
            if snap.overall is Health.OPERATIONAL:
                return True, snap
            wait = interval
            if deadline is not None:
                remaining = deadline - clock.monotonic()
                if remaining <= 0:
                    return False, snap
                wait = min(wait, remaining)
            sleep(wait)
    finally:
        sources.close()


__all__ = ["check_once", "wait_until_up"]
