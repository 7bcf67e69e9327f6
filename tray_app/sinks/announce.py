"""Telling the user: the policy's notifications onto the screen, one bubble per outage.

Between ``AlertPolicy`` (what to say) and ``Notifier`` (how to show it):

- Each notification speaks for some outages (its ``threads``). The bubble last shown for each
  is remembered (backend and id), so later news *replaces* it in place (``replaces_id``); a
  bubble whose outages the new one now speaks for is closed. No stale critical bubble stays
  on screen after the "back".
- A notification counts as told only when a backend a person can see took it (not the menu
  line). Until then it waits, and goes out on a later check when a backend works, or is
  dropped when its news is over before anyone could be told.
- Clicks on a bubble's buttons: "Snooze 1 h", and "Tell me when it's back" (the policy's
  one-shot mode for that outage).

What it remembers (the policy's state, the bubbles, what waits) is saved in ``alerts.json``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tray_app.config.schema import NotificationSettings, WatchSettings
from tray_app.core.events import Event
from tray_app.core.models import Health, MonitorSnapshot
from tray_app.platform.store import write_json_atomic
from tray_app.sinks.alert_state import AlertPrefs
from tray_app.sinks.alert_text import component_thread
from tray_app.sinks.alerts import AlertPolicy
from tray_app.sinks.notification import Notification
from tray_app.sinks.notify import Delivery, Notifier
from tray_app.sinks.notify_dbus import SNOOZE_ACTION, UNTIL_BACK_ACTION

log = logging.getLogger(__name__)

MAX_BUBBLES = 200
MAX_PENDING = 50
SNOOZE_FROM_BUBBLE = timedelta(hours=1)


class Announcer:
    def __init__(
        self,
        policy: AlertPolicy,
        path: Path,
        *,
        bubbles: dict[str, Delivery] | None = None,
        pending: list[Notification] | None = None,
        dress: Callable[[Notification, MonitorSnapshot], Notification] | None = None,
    ) -> None:
        self.policy = policy
        self.path = path
        self.bubbles: dict[str, Delivery] = dict(bubbles or {})
        self.pending: list[Notification] = list(pending or [])
        self.on_snooze: Callable[[timedelta], None] | None = None  # the bubble's "Snooze 1 h"
        self.on_change: Callable[[], None] | None = None  # redraw the menu
        self._dress = dress  # the app's last touches as it goes out (icon, context)
        self._lock = threading.Lock()
        self._unseen_logged = False

    @classmethod
    def load(
        cls,
        settings: NotificationSettings,
        watch: WatchSettings,
        path: Path,
        **kwargs: Any,
    ) -> Announcer:
        data = _read_json(path)
        policy = AlertPolicy.from_dict(settings, watch, data)
        bubbles, pending = _bubbles_and_pending(data)
        return cls(policy, path, bubbles=bubbles, pending=pending, **kwargs)

    # ---- the sink ----

    def announce(
        self,
        notifier: Notifier,
        snapshot: MonitorSnapshot,
        events: tuple[Event, ...],
        now: datetime,
        prefs: AlertPrefs,
    ) -> None:
        with self._lock:
            _, notes = self.policy.decide(events, snapshot, now, prefs)
            for n in notes:
                self._queue(n)
            changed = bool(events or notes)
            snoozed = prefs.snoozed_until is not None and now < prefs.snoozed_until
            if self.pending and (snoozed or not self.policy.settings.enabled):
                self.pending = []  # as the policy drops what quiet hours held
                changed = True
            stale = [n for n in self.pending if not _still_news(n, snapshot)]
            if stale:
                log.info("not telling %d notification(s): over before anyone saw them", len(stale))
                self.pending = [n for n in self.pending if n not in stale]
                changed = True
            if self.pending:
                changed = self._flush(notifier, snapshot) or changed
            if changed:
                self._save()

    def _queue(self, n: Notification) -> None:
        threads = set(n.threads)
        if threads:
            superseded = [p for p in self.pending if p.threads and set(p.threads) <= threads]
            self.pending = [p for p in self.pending if p not in superseded]
            if superseded and n.ends and not any(t in self.bubbles for t in threads):
                log.info("not telling %r: it was over before anyone could be told", n.title)
                return
        self.pending = [*self.pending, n][-MAX_PENDING:]

    def _flush(self, notifier: Notifier, snapshot: MonitorSnapshot) -> bool:
        """Show what waits, oldest first; stop at the first that no visible backend took."""
        sent = False
        while self.pending:
            n = self.pending[0]
            shown = [self.bubbles[t] for t in n.threads if t in self.bubbles]
            # the bubble shown most recently among them (the dict keeps the order of showing)
            latest = next((d for d in reversed(self.bubbles.values()) if d in shown), None)
            dressed = self._dress(n, snapshot) if self._dress else n
            delivery = notifier.deliver(dressed, replaces=latest)
            if delivery is None or not delivery.visible:
                if not self._unseen_logged:
                    log.warning(
                        "notification %r kept for later: no notification backend a person "
                        "can see took it (%s)",
                        n.title,
                        delivery.backend if delivery else "none worked",
                    )
                    self._unseen_logged = True
                return sent
            self._unseen_logged = False
            self.pending.pop(0)
            sent = True
            log.info("notification %r via %s", n.title, delivery.backend)
            self._remember(n, delivery, shown, notifier)
        return sent

    def _remember(
        self, n: Notification, delivery: Delivery, shown: list[Delivery], notifier: Notifier
    ) -> None:
        stale = {d for d in shown if d != delivery}
        for old in stale:
            notifier.withdraw(old)
        for thread in [t for t, d in self.bubbles.items() if d in stale]:
            del self.bubbles[thread]
        for thread in n.threads:
            self.bubbles.pop(thread, None)
            if delivery.notification_id is not None:
                self.bubbles[thread] = delivery  # newest last
        while len(self.bubbles) > MAX_BUBBLES:
            del self.bubbles[next(iter(self.bubbles))]

    # ---- clicks on a bubble's buttons (called on the D-Bus listener thread) ----

    def on_action(self, notification_id: int, action: str) -> None:
        with self._lock:
            threads = [t for t, d in self.bubbles.items() if d.notification_id == notification_id]
            if not threads:
                return
            if action == UNTIL_BACK_ACTION:
                log.info("will tell once when it is back: %s", ", ".join(threads))
                self.policy.tell_when_back(threads)
                self._save()
        if action == SNOOZE_ACTION and self.on_snooze is not None:
            log.info("snoozed for 1 h from a notification")
            self.on_snooze(SNOOZE_FROM_BUBBLE)
        if self.on_change is not None:
            self.on_change()

    # ---- the same one-shot from the menu, per service ----

    def set_until_back(self, component_id: str, on: bool) -> None:
        """From the menu (the UI thread): done on a thread of its own, as a send may be under
        way; the menu is redrawn after."""

        def work() -> None:
            with self._lock:
                self.policy.tell_when_back([component_thread(component_id)], on)
                self._save()
            log.info("%s: tell once when it is back: %s", component_id, "on" if on else "off")
            if self.on_change is not None:
                self.on_change()

        threading.Thread(target=work, name="until-back", daemon=True).start()

    def until_back_components(self) -> tuple[str, ...]:
        prefix = component_thread("")
        threads = self.policy.state.until_back
        return tuple(t[len(prefix) :] for t in threads if t.startswith(prefix))

    # ---- saving ----

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.policy.to_dict(),
            "bubbles": {
                t: [d.backend, d.notification_id]
                for t, d in self.bubbles.items()
                if d.notification_id is not None
            },
            "pending": [n.to_dict() for n in self.pending],
        }

    def _save(self) -> None:
        try:
            write_json_atomic(self.path, self.to_dict())
        except OSError as exc:
            log.error("could not save notification state: %s", exc)


def _still_news(n: Notification, snapshot: MonitorSnapshot) -> bool:
    """False for waiting "down" news whose services are all known to be fine again and whose
    incidents are all closed (the "back" may never come: switched off, or not a change)."""
    if n.ends or not n.threads:
        return True
    healthy = {c.id for c in snapshot.components if c.health is Health.OPERATIONAL}
    open_incidents = {i.id for i in snapshot.incidents if not i.is_resolved}
    for thread in n.threads:
        kind, _, ident = thread.partition(":")
        if kind == "component" and ident in healthy:
            continue
        if kind == "incident" and ident not in open_incidents:
            continue
        return True
    return False


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _bubbles_and_pending(data: Any) -> tuple[dict[str, Delivery], list[Notification]]:
    if not isinstance(data, dict):
        return {}, []
    bubbles: dict[str, Delivery] = {}
    raw = data.get("bubbles")
    for thread, value in (raw if isinstance(raw, dict) else {}).items():
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
            bubbles[str(thread)] = Delivery(str(value[0]), value[1], True)
    pending: list[Notification] = []
    raw_pending = data.get("pending")
    for item in raw_pending if isinstance(raw_pending, list) else []:
        try:
            pending.append(Notification.from_dict(item))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("dropping an unreadable waiting notification: %s", exc)
    return bubbles, pending[-MAX_PENDING:]


__all__ = ["Announcer"]
