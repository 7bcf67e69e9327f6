"""What other services add to notifications. Pure.

- Claude's "down" news gets one line per related provider: an ``upstream`` one that reports
  trouble at the same time ("Cloudflare also reports: <incident>"), a ``fallback`` one that is
  operational ("OpenAI: operational"). Claude's own text keeps the room it needs first.
- A provider with ``notify = true`` gets its own, plain notifications when it goes into trouble
  and when it is operational again (not while snoozed; after quiet hours, told as it is then).
  Providers never change Claude's notifications otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from tray_app.config.schema import Settings
from tray_app.core.errors import ConfigError
from tray_app.core.models import Health, MonitorSnapshot, ProviderStatus
from tray_app.sinks.alerts import in_quiet_hours, parse_quiet_hours
from tray_app.sinks.notification import BODY_MAX, Notification, make_notification, plain_text, trim

_DOWN = (":partial_outage:", ":major_outage:")
LINE_MAX = 80  # one provider's line
CONTEXT_MAX = 140  # all of them: Claude's own news keeps the rest of the body


def context_lines(providers: Sequence[ProviderStatus]) -> list[str]:
    lines = []
    for p in providers:
        if p.upstream and p.incidents:
            lines.append(f"{p.name} also reports: {p.incidents[0].name}")
        elif p.upstream and p.health.is_problem:
            lines.append(f"{p.name} also reports: {p.health.label}")
        elif p.fallback and p.health is Health.OPERATIONAL:
            lines.append(f"{p.name}: operational")
    return [plain_text(line) for line in lines]


def is_down_news(n: Notification) -> bool:
    """A notification about a Claude service going down or an incident opening."""
    return any(
        (key.startswith("service:") and any(mark in key for mark in _DOWN))
        or (key.startswith("incident:") and key.endswith(":opened"))
        for key in n.keys
    )


def with_provider_context(n: Notification, snapshot: MonitorSnapshot) -> Notification:
    """``n`` with the providers' lines added when it is Claude's "down" news."""
    if not snapshot.overall.is_down or not is_down_news(n):
        return n
    lines: list[str] = []
    for line in context_lines(snapshot.providers):
        line = trim(line, LINE_MAX)
        if len("\n".join([*lines, line])) > CONTEXT_MAX:
            break
        lines.append(line)
    if not lines:
        return n
    extra = "\n".join(lines)
    room = BODY_MAX - len(extra) - 1
    body = trim(n.body, room) if n.body else ""
    return dataclasses.replace(n, body=f"{body}\n{extra}" if body else extra)


@dataclasses.dataclass(frozen=True)
class ProviderNews:
    """One provider's notification; ``over``: it is operational again (its bubble is done).
    No ``threads``: the bubble's snooze / "tell me when it's back" buttons are Claude's."""

    provider: str
    notification: Notification
    over: bool


class ProviderNotices:
    """Notifications of their own for providers with ``notify = true``."""

    def __init__(self) -> None:
        self._last: dict[str, Health] = {}

    def decide(
        self,
        statuses: Sequence[ProviderStatus],
        settings: Settings,
        now: datetime,
        snoozed_until: datetime | None = None,
    ) -> list[Notification]:
        return [news.notification for news in self.news(statuses, settings, now, snoozed_until)]

    def news(
        self,
        statuses: Sequence[ProviderStatus],
        settings: Settings,
        now: datetime,
        snoozed_until: datetime | None = None,
    ) -> list[ProviderNews]:
        wanted = {p.name for p in settings.providers if p.notify}
        quiet = not settings.notifications.enabled or (
            snoozed_until is not None and now < snoozed_until
        )
        night = _quiet_hours(settings.notifications.quiet_hours, now)
        out = []
        for status in statuses:
            before = self._last.get(status.name, Health.UNKNOWN)
            if status.health is Health.UNKNOWN or (night and status.name in wanted):
                continue  # not read (yet), or quiet hours: neither news nor a new baseline
            self._last[status.name] = status.health
            if status.name not in wanted or quiet or status.health is before:
                continue
            notification = _change(status, before)
            if notification is not None:
                over = status.health is Health.OPERATIONAL
                out.append(ProviderNews(status.name, notification, over))
        return out


def _quiet_hours(text: str, now: datetime) -> bool:
    """Whether ``now`` is in the user's quiet hours (local time)."""
    try:
        return in_quiet_hours(parse_quiet_hours(text), now.astimezone().time())
    except ConfigError:
        return False


def _change(status: ProviderStatus, before: Health) -> Notification | None:
    if status.health.is_problem:
        incident = status.incidents[0] if status.incidents else None
        return make_notification(
            f"{status.name}: {status.health.label}",
            incident.name if incident else status.description,
            url=(incident.shortlink if incident else None) or status.url,
        )
    if status.health is Health.OPERATIONAL and before.is_problem:
        return make_notification(f"{status.name} is operational again", "", url=status.url)
    return None


__all__ = [
    "ProviderNews",
    "ProviderNotices",
    "context_lines",
    "is_down_news",
    "with_provider_context",
]
