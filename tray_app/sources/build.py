"""Builds the status sources from settings: one shared HTTP client, the status page, the probes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tray_app.config.schema import Settings
from tray_app.core.clock import Clock, SystemClock
from tray_app.sources.http import build_client
from tray_app.sources.incidents import IncidentReader
from tray_app.sources.probes import Prober
from tray_app.sources.statuspage import StatusPageClient


@dataclass
class Sources:
    client: httpx.Client
    page: StatusPageClient
    prober: Prober | None
    incidents: IncidentReader  # reads a resolved incident's real end, once

    def close(self) -> None:
        self.client.close()


def build_sources(
    settings: Settings, *, timeout: float | None = None, clock: Clock | None = None
) -> Sources:
    """``clock`` stamps what the sources observe (tests inject one; default: the system clock)."""
    now = (clock or SystemClock()).now
    page_timeout = min(settings.status_page.timeout, timeout or settings.status_page.timeout)
    probe_timeout = min(settings.probes.timeout, timeout or settings.probes.timeout)
    client = build_client(max(page_timeout, probe_timeout))
    page = StatusPageClient(
        client,
        settings.status_page.url,
        max_bytes=settings.status_page.max_body_bytes,
        timeout=page_timeout,
        clock=now,
    )
    prober = None
    if settings.probes.enabled and (settings.probes.api or settings.probes.claude_ai):
        probe_settings = settings.probes
        if probe_timeout != probe_settings.timeout:
            import dataclasses

            probe_settings = dataclasses.replace(probe_settings, timeout=probe_timeout)
        prober = Prober(client, probe_settings, clock=now)
    incidents = IncidentReader(
        client,
        settings.status_page.url,
        max_bytes=settings.status_page.max_body_bytes,
        timeout=page_timeout,
    )
    return Sources(client, page, prober, incidents)


__all__ = ["Sources", "build_sources"]
