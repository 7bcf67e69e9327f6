"""What the notifier has told the user, as a plain value that round-trips through JSON, so
dedupe and outage tracking survive a restart. Pure."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tray_app.core.models import Health
from tray_app.sinks.notification import Notification

log = logging.getLogger(__name__)

MAX_SEEN_KEYS = 1000
MAX_HELD = 50
STATE_VERSION = 1

OK = Health.OPERATIONAL.value  # "told" value for a component we last reported as fine


@dataclass(frozen=True)
class AlertPrefs:
    """Run-time choices from the tray menu (not from the config file)."""

    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class ComponentAlert:
    """What the user was last told about one component."""

    told: str = OK  # a Health value: operational, degraded, partial_outage or major_outage
    told_at: datetime | None = None
    down_since: datetime | None = None
    reminded_at: datetime | None = None
    pending: bool = False  # a change arrived inside min_interval; re-check when it ends


@dataclass(frozen=True)
class AlertPolicyState:
    seen_keys: tuple[str, ...] = ()  # oldest first, at most MAX_SEEN_KEYS
    components: Mapping[str, ComponentAlert] = field(default_factory=dict)
    held: tuple[Notification, ...] = ()  # held by quiet hours
    # outages the user asked to hear about only once more, when they are over
    until_back: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "version": STATE_VERSION,
            "seen_keys": list(self.seen_keys),
            "components": {
                cid: {
                    "told": c.told,
                    "told_at": iso(c.told_at),
                    "down_since": iso(c.down_since),
                    "reminded_at": iso(c.reminded_at),
                    "pending": c.pending,
                }
                for cid, c in self.components.items()
            },
            "held": [n.to_dict() for n in self.held],
            "until_back": list(self.until_back),
        }

    @classmethod
    def from_dict(cls, data: Any) -> AlertPolicyState:
        """Tolerant: a damaged or foreign document gives a fresh state (and a warning); no
        document at all (the first run) gives a fresh state silently."""
        if data is None:
            return cls()
        try:
            if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                raise ValueError(f"unknown alert state version in {type(data).__name__}")

            def when(value: Any) -> datetime | None:
                return datetime.fromisoformat(value) if value else None

            components = {
                str(cid): ComponentAlert(
                    told=Health(c.get("told", OK)).value,
                    told_at=when(c.get("told_at")),
                    down_since=when(c.get("down_since")),
                    reminded_at=when(c.get("reminded_at")),
                    pending=bool(c.get("pending", False)),
                )
                for cid, c in dict(data.get("components", {})).items()
            }
            return cls(
                seen_keys=tuple(str(k) for k in data.get("seen_keys", ()))[-MAX_SEEN_KEYS:],
                components=components,
                held=tuple(Notification.from_dict(n) for n in data.get("held", ()))[-MAX_HELD:],
                until_back=tuple(str(t) for t in data.get("until_back", ()))[-MAX_HELD:],
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring unreadable alert state: %s", exc)
            return cls()


__all__ = [
    "MAX_HELD",
    "MAX_SEEN_KEYS",
    "OK",
    "AlertPolicyState",
    "AlertPrefs",
    "ComponentAlert",
]
