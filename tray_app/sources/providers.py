"""Other services' status pages (``[[providers]]``): context beside Claude, never Claude's state.

Each provider's page is read like Claude's: the same shared HTTP client, ``StatusPageClient``
(conditional GET with its ETag, the same body cap and timeout, the same parser, so incident.io's
Statuspage-compatible pages work too) and the same interval and backoff (a ``Schedule`` with one
job per provider). A provider with ``format = "google-cloud"`` is read by ``GoogleCloudClient``
(tray_app.sources.google_cloud) into the same PageSnapshot, with a body cap of its own
(``max_body_bytes``, default 8 MiB: the file is the page's whole history).

Design: the providers run on their own small poller thread, so the monitor, Claude's state
machine, Claude's polling and everything that decides Claude's state never see them. The poller
keeps the latest ``ProviderStatus`` of each provider and calls ``on_change`` when one changes; the
app adds them to the snapshot it hands the sinks (``MonitorSnapshot.providers``). A page that
cannot be read (unreachable, broken, too big) makes that provider "unknown" with one log line.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import httpx

from tray_app.config.checks import is_loopback_url
from tray_app.config.schema import MIN_REMOTE_INTERVAL, ProviderSettings, Settings
from tray_app.core.errors import HTTPStatusError, SourceError
from tray_app.core.models import Component, Health, PageSnapshot, ProviderStatus
from tray_app.sources import google_cloud
from tray_app.sources.google_cloud import GoogleCloudClient
from tray_app.sources.schedule import Schedule
from tray_app.sources.statuspage import StatusPageClient

log = logging.getLogger(__name__)

MAX_SLEEP = 5.0  # the poller looks at its stop flag at least this often

# A page that lists no components: its overall indicator says it.
INDICATOR_HEALTH = {
    "none": Health.OPERATIONAL,
    "minor": Health.DEGRADED,
    "major": Health.PARTIAL_OUTAGE,
    "critical": Health.MAJOR_OUTAGE,
    "maintenance": Health.MAINTENANCE,
}

ChangeCallback = Callable[[tuple[ProviderStatus, ...]], None]


# ---- pure ----


def provider_status(provider: ProviderSettings, page: PageSnapshot) -> ProviderStatus:
    """What ``page`` says about ``provider``'s watched components (all when none are named)."""
    wanted = set(provider.components)
    components = tuple(c for c in page.components if not wanted or c.id in wanted)
    incidents = page.incidents
    if wanted:
        incidents = tuple(
            i for i in incidents if not i.component_ids or wanted & {*i.component_ids}
        )
    error = None
    if wanted and not components:
        health = Health.UNKNOWN
        error = "none of its components is on its status page (" + ", ".join(sorted(wanted)) + ")"
        description = error
    elif components:
        health = _worst(components)
        description = page.description if not wanted else health.label
    else:
        health = INDICATOR_HEALTH.get(page.indicator, Health.UNKNOWN)
        description = page.description or health.label
    return ProviderStatus(
        name=provider.name,
        url=provider.url,
        health=health,
        description=description,
        components=components,
        incidents=incidents,
        error=error,
        checked_at=page.fetched_at,
        upstream=provider.upstream,
        fallback=provider.fallback,
    )


def unreadable_status(provider: ProviderSettings, error: str, at: datetime) -> ProviderStatus:
    return ProviderStatus(
        name=provider.name,
        url=provider.url,
        health=Health.UNKNOWN,
        description=f"status page not readable: {error}",
        error=error,
        checked_at=at,
        upstream=provider.upstream,
        fallback=provider.fallback,
    )


def not_read_yet(provider: ProviderSettings) -> ProviderStatus:
    return ProviderStatus(
        name=provider.name,
        url=provider.url,
        health=Health.UNKNOWN,
        description="not read yet",
        upstream=provider.upstream,
        fallback=provider.fallback,
    )


def _worst(components: Sequence[Component]) -> Health:
    known = [c.health for c in components if c.health.rank >= 0]
    return max(known, key=lambda h: h.rank) if known else Health.UNKNOWN


def poll_interval(provider: ProviderSettings, settings: Settings) -> float:
    """Claude's page interval; never under the polite minimum for a page on another machine
    (Claude's own page may be a loopback one polled every second)."""
    interval = settings.status_page.interval
    return interval if is_loopback_url(provider.url) else max(interval, MIN_REMOTE_INTERVAL)


def _same(a: ProviderStatus, b: ProviderStatus) -> bool:
    return dataclasses.replace(a, checked_at=None) == dataclasses.replace(b, checked_at=None)


# ---- I/O ----


class ProviderReader:
    """One provider's page; never raises. Logs one line per new failure, one when it is back."""

    def __init__(
        self,
        client: httpx.Client,
        provider: ProviderSettings,
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        timeout: float | None = None,
    ) -> None:
        page = settings.status_page
        self.provider = provider
        self._clock = clock
        limit = min(page.timeout, timeout or page.timeout)
        self._page: StatusPageClient
        if provider.format == "google-cloud":
            self._page = GoogleCloudClient(
                client,
                provider.url,
                max_bytes=provider.max_body_bytes or google_cloud.DEFAULT_MAX_BYTES,
                timeout=limit,
                clock=clock,
                watched=provider.components,
            )
        else:
            self._page = StatusPageClient(
                client,
                provider.url,
                max_bytes=provider.max_body_bytes or page.max_body_bytes,
                timeout=limit,
                clock=clock,
            )
        self._last_error: str | None = None

    def read(self) -> tuple[ProviderStatus, float | None]:
        """The provider's status now, and the server's Retry-After (seconds) if it sent one."""
        try:
            page = self._page.fetch()
        except Exception as exc:  # SourceError, or a bug: either way this provider is unknown
            if not isinstance(exc, SourceError):
                exc = SourceError(f"unexpected {type(exc).__name__}: {exc}")
            if str(exc) != self._last_error:
                log.warning("provider %s: %s", self.provider.name, exc)
            self._last_error = str(exc)
            retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
            return unreadable_status(self.provider, str(exc), self._clock()), retry_after
        if self._last_error is not None:
            log.info("provider %s: status page readable again", self.provider.name)
            self._last_error = None
        return provider_status(self.provider, page), None


def build_readers(
    client: httpx.Client,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    timeout: float | None = None,
) -> list[ProviderReader]:
    return [
        ProviderReader(client, provider, settings, clock=clock, timeout=timeout)
        for provider in settings.providers
    ]


def read_in_background(
    readers: Sequence[ProviderReader], timeout: float
) -> Callable[[], tuple[ProviderStatus, ...]]:
    """Start reading every provider at once; the returned function gives their statuses, waiting
    at most until ``timeout`` seconds from now (a provider without an answer is unknown)."""
    results: dict[int, ProviderStatus] = {}
    started = time.monotonic()

    def read(index: int, reader: ProviderReader) -> None:
        results[index] = reader.read()[0]

    threads = [
        threading.Thread(target=read, args=(i, r), name=f"provider-{i}", daemon=True)
        for i, r in enumerate(readers)
    ]
    for thread in threads:
        thread.start()

    def wait() -> tuple[ProviderStatus, ...]:
        for thread in threads:
            thread.join(max(0.0, timeout - (time.monotonic() - started)))
        statuses = []
        for i, reader in enumerate(readers):
            status = results.get(i)
            if status is None:
                error = f"no answer within {timeout:g} s"
                log.warning("provider %s: %s", reader.provider.name, error)
                status = unreadable_status(reader.provider, error, datetime.now(timezone.utc))
            statuses.append(status)
        return tuple(statuses)

    return wait


class ProviderPoller:
    """Polls every provider on its own thread at the status page's interval, with its backoff.

    Each read runs on a daemon thread of its own, so a slow page never holds up another.
    """

    def __init__(
        self,
        readers: Sequence[ProviderReader],
        settings: Settings,
        *,
        on_change: ChangeCallback,
        rng: random.Random | None = None,
    ) -> None:
        self._readers = list(readers)
        self._on_change = on_change
        self._lock = threading.Lock()
        self._change_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_flight: set[int] = set()
        self._statuses = tuple(not_read_yet(r.provider) for r in self._readers)
        self._schedule = Schedule(
            {str(i): poll_interval(r.provider, settings) for i, r in enumerate(self._readers)},
            backoff_max=settings.backoff.maximum,
            jitter=settings.backoff.jitter,
            start=time.monotonic(),
            rng=rng,
        )

    @property
    def statuses(self) -> tuple[ProviderStatus, ...]:
        """The same tuple until a status changes (the app's snapshots are not copied for
        nothing: tray_app.other_services)."""
        with self._lock:
            return self._statuses

    def start(self) -> None:
        if not self._readers:
            return
        self._thread = threading.Thread(target=self._loop, name="providers", daemon=True)
        self._thread.start()

    def check_now(self) -> None:
        with self._lock:
            self._schedule.run_all_now(time.monotonic())
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> bool:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            now = time.monotonic()
            with self._lock:
                due = [int(name) for name in self._schedule.due(now)]
                due = [i for i in due if i not in self._in_flight]
                self._in_flight.update(due)
                waiting = [
                    self._schedule.next_due_of(str(i))
                    for i in range(len(self._readers))
                    if i not in self._in_flight
                ]
            wait = min(waiting) - now if waiting else MAX_SLEEP
            for index in due:
                threading.Thread(
                    target=self._read, args=(index,), name=f"provider-{index}", daemon=True
                ).start()
            self._wake.wait(min(max(wait, 0.0), MAX_SLEEP))
            self._wake.clear()

    def _read(self, index: int) -> None:
        status, retry_after = self._readers[index].read()
        with self._lock:
            self._in_flight.discard(index)
            ok = status.error is None
            self._schedule.done(str(index), time.monotonic(), ok=ok, retry_after=retry_after)
            changed = not _same(self._statuses[index], status)
            statuses = list(self._statuses)
            statuses[index] = status
            self._statuses = tuple(statuses)
        self._wake.set()
        if not changed or self._stopping.is_set():
            return
        # one at a time, each with the statuses as they are then: the last call never hands
        # on an older picture than an earlier one did
        with self._change_lock:
            try:
                self._on_change(self.statuses)
            except Exception:  # a sink's bug must not stop the providers
                log.exception("provider update failed")


__all__ = [
    "INDICATOR_HEALTH",
    "ProviderPoller",
    "ProviderReader",
    "build_readers",
    "not_read_yet",
    "poll_interval",
    "provider_status",
    "read_in_background",
    "unreadable_status",
]
