"""Other services (``[[providers]]``) in the running app: context beside Claude, never Claude's.

Their poller thread (tray_app.sources.providers) reads their pages; this adds their latest
statuses to each snapshot the sinks get, leaves them in ``providers.json`` for the report (which
reads no network), and sends their own notifications when a provider asks for that (``notify``):
one bubble per provider's outage, its "operational again" in place of its "down".
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable

import httpx

from tray_app.config.schema import Settings
from tray_app.core.clock import Clock
from tray_app.core.models import MonitorSnapshot, ProviderStatus
from tray_app.core.provider_codec import PROVIDERS_FILE, providers_to_dicts
from tray_app.platform.paths import AppPaths
from tray_app.platform.store import write_json_atomic
from tray_app.sinks.notification import Notification
from tray_app.sinks.notify import Delivery
from tray_app.sinks.provider_alerts import ProviderNotices
from tray_app.sources.providers import ProviderPoller, build_readers
from tray_app.user_choices import UserChoices

log = logging.getLogger(__name__)


class OtherServices:
    def __init__(
        self,
        settings: Callable[[], Settings],
        client: httpx.Client,
        paths: AppPaths,
        *,
        clock: Clock,
        deliver: Callable[[Notification, Delivery | None], Delivery | None] | None,
        choices: UserChoices,
        on_change: Callable[[], None],
    ) -> None:
        started_with = settings()
        self._settings = settings
        self._clock = clock
        self._deliver = deliver
        self._bubbles: dict[str, Delivery] = {}  # provider name -> the bubble showing its news
        self._choices = choices
        self._on_change = on_change
        self._file = paths.state_dir / PROVIDERS_FILE
        self._notices = ProviderNotices()
        self.poller = ProviderPoller(
            build_readers(client, started_with, clock=clock.now),
            started_with,
            on_change=self._changed,
        )
        if not started_with.providers:  # none any more: the report must not show old ones
            with contextlib.suppress(OSError):
                self._file.unlink(missing_ok=True)

    def add_to(self, snapshot: MonitorSnapshot) -> MonitorSnapshot:
        statuses = self.poller.statuses
        if snapshot.providers is statuses:  # added already (a copy costs more than a poll's step)
            return snapshot
        return dataclasses.replace(snapshot, providers=statuses)

    def _changed(self, statuses: tuple[ProviderStatus, ...]) -> None:
        """On the providers' thread: show the change, keep it for the report, tell it if asked."""
        self._on_change()
        saved = {
            "saved_at": self._clock.now().isoformat(),
            "providers": providers_to_dicts(statuses),
        }
        try:
            write_json_atomic(self._file, saved)
        except OSError as exc:
            log.warning("could not save the other services' state: %s", exc)
        if self._deliver is None:
            return
        self._choices.reload_prefs_if_changed()
        snoozed_until = self._choices.prefs.snoozed_until
        now = self._clock.now()
        for news in self._notices.news(statuses, self._settings(), now, snoozed_until):
            n = news.notification
            delivery = self._deliver(n, self._bubbles.get(news.provider))
            log.info("notification %r via %s", n.title, delivery.backend if delivery else "nothing")
            if news.over:
                self._bubbles.pop(news.provider, None)
            elif delivery is not None:
                self._bubbles[news.provider] = delivery


__all__ = ["OtherServices"]
