"""Notifications over D-Bus (org.freedesktop.Notifications, through jeepney): bubbles updated
in place by id, closed when their news is over, and buttons (open, snooze, tell me when it's
back) whose clicks come back on a listener thread."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.errors import NotifyError
from tray_app.core.reasons import plain_reason
from tray_app.core.text import safe_url
from tray_app.sinks.notification import Notification

log = logging.getLogger(__name__)

DBUS_TIMEOUT = 5.0
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
DEFAULT_ACTION = "default"
SNOOZE_ACTION = "snooze-1h"
UNTIL_BACK_ACTION = "until-back"

OpenUrl = Callable[[str], object]
ActionHandler = Callable[[int, str], None]  # (notification id, action key)


class DBusBackend:
    """org.freedesktop.Notifications via jeepney (blocking); clicks open ``Notification.url``."""

    name = "dbus"
    visible = True

    def __init__(
        self,
        icon_path: Path | str | None = None,
        open_url: OpenUrl | None = None,
        address: str = "SESSION",
        timeout: float = DBUS_TIMEOUT,
        action_handler: ActionHandler | None = None,
    ) -> None:
        self.icon_path = str(icon_path) if icon_path else ""
        self.open_url = open_url
        self.address = address
        self.timeout = timeout
        self._conn: Any = None
        self._caps: frozenset[str] | None = None
        self._urls: OrderedDict[int, str] = OrderedDict()  # notification id -> url to open
        self._urls_lock = threading.Lock()
        self._listener: _ActionListener | None = None
        self.action_handler = action_handler

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        try:
            return self._send(n, replaces)
        except NotifyError:
            raise
        except Exception as exc:  # jeepney raises OSError, DBusErrorResponse, TimeoutError...
            self._drop_connection()
            raise NotifyError(f"D-Bus notification failed: {plain_reason(exc)}") from exc

    def _target(self, conn: Any) -> Any:
        from jeepney import DBusAddress
        from jeepney.bus_messages import message_bus

        reply = conn.send_and_get_reply(
            message_bus.NameHasOwner(NOTIFICATIONS_NAME), timeout=self.timeout
        )
        if not reply.body[0]:
            raise NotifyError(f"no notification server owns {NOTIFICATIONS_NAME} on the bus")
        return DBusAddress(
            NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS_NAME, interface=NOTIFICATIONS_NAME
        )

    def _actions(self, n: Notification) -> list[str]:
        """Key, label pairs: open the page, snooze, and the one-shot "tell me when it's back"
        (only while the outage is on)."""
        assert self._caps is not None
        if "actions" not in self._caps:
            return []
        actions: list[str] = []
        if n.url and self.open_url:
            label = "Open incident" if "/incidents/" in n.url or "stspg.io" in n.url else None
            actions += [DEFAULT_ACTION, label or "Open status page"]
        if self.action_handler is not None and n.threads:
            actions += [SNOOZE_ACTION, "Snooze 1 h"]
            if not n.ends:
                actions += [UNTIL_BACK_ACTION, "Tell me when it's back"]
        if actions:
            self._ensure_listener()
        return actions

    def _send(self, n: Notification, replaces: int | None) -> int:
        from jeepney import new_method_call

        conn = self._connection()
        target = self._target(conn)
        if self._caps is None:
            caps = conn.send_and_get_reply(
                new_method_call(target, "GetCapabilities"), timeout=self.timeout
            )
            self._caps = frozenset(caps.body[0])
        actions = self._actions(n)
        hints = {
            "urgency": ("y", n.urgency.level),
            "desktop-entry": ("s", APP_NAME),
        }
        body = n.body if "body" in self._caps else ""
        if "body-markup" in self._caps:  # the server reads <, > and & as markup
            import html  # on the first notification: html.entities is 0.4 MB

            body = html.escape(body, quote=False)
        msg = new_method_call(
            target,
            "Notify",
            "susssasa{sv}i",
            (APP_TITLE, replaces or 0, n.icon or self.icon_path, n.title, body, actions, hints, -1),
        )
        reply = conn.send_and_get_reply(msg, timeout=self.timeout)
        notification_id = int(reply.body[0])
        if actions and n.url:
            self._remember(notification_id, n.url)
        return notification_id

    def withdraw(self, notification_id: int) -> bool:
        from jeepney import new_method_call

        try:
            conn = self._connection()
            msg = new_method_call(self._target(conn), "CloseNotification", "u", (notification_id,))
            conn.send_and_get_reply(msg, timeout=self.timeout)
        except Exception as exc:
            self._drop_connection()
            log.debug("CloseNotification %d failed: %s", notification_id, exc)
            return False
        return True

    def _connection(self) -> Any:
        if self._conn is None:
            from jeepney.io.blocking import open_dbus_connection

            self._conn = open_dbus_connection(self.address)
            self._caps = None
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _remember(self, notification_id: int, url: str) -> None:
        with self._urls_lock:
            self._urls[notification_id] = url
            while len(self._urls) > 100:
                self._urls.popitem(last=False)

    def _on_action(self, notification_id: int, action: str) -> None:
        if action in (SNOOZE_ACTION, UNTIL_BACK_ACTION):
            handler = self.action_handler
            if handler is not None:
                try:
                    handler(notification_id, action)
                except Exception:
                    log.exception("notification action %s failed", action)
            return
        with self._urls_lock:
            url = safe_url(self._urls.get(notification_id))  # never javascript:, file:, "-x"
        if url is None or action != DEFAULT_ACTION or self.open_url is None:
            return
        log.info("notification clicked: opening %s", url)
        try:
            self.open_url(url)
        except Exception as exc:
            log.warning("could not open %s: %s", url, exc)

    def _ensure_listener(self) -> None:
        if self._listener is None or not self._listener.is_alive():
            self._listener = _ActionListener(self.address, self._on_action, self.timeout)
            self._listener.start_and_wait()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self._drop_connection()


_IDLE_READ = 300.0  # seconds; stop() does not wait for it


class _ActionListener(threading.Thread):
    """Its own bus connection, subscribed to ActionInvoked; calls back on each click."""

    def __init__(self, address: str, callback: Callable[[int, str], None], timeout: float) -> None:
        super().__init__(name="notify-actions", daemon=True)
        self.address = address
        self.callback = callback
        self.timeout = timeout
        self._stop_event = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._socket: socket.socket | None = None

    def start_and_wait(self) -> None:
        self.start()
        self._ready.wait(self.timeout)
        if self._error is not None:
            raise NotifyError(f"cannot listen for notification clicks: {plain_reason(self._error)}")

    def stop(self) -> None:
        self._stop_event.set()
        sock = self._socket
        if sock is not None:  # wakes the blocked read at once
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.join(timeout=2.0)

    def run(self) -> None:
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        rule = MatchRule(type="signal", interface=NOTIFICATIONS_NAME, member="ActionInvoked")
        try:
            conn = open_dbus_connection(self.address)
        except Exception as exc:
            self._error = exc
            self._ready.set()
            return
        self._socket = conn.sock
        try:
            with conn.filter(rule, bufsize=16) as queue:
                conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=self.timeout)
                self._ready.set()
                while not self._stop_event.is_set():
                    try:
                        # idle: no waking up to look (stop() wakes the read)
                        msg = conn.recv_until_filtered(queue, timeout=_IDLE_READ)
                    except TimeoutError:
                        continue
                    notification_id, action = msg.body
                    self.callback(int(notification_id), str(action))
        except Exception as exc:
            self._error = exc
            log.debug("notification click listener stopped: %s", exc)
        finally:
            self._ready.set()
            conn.close()


__all__ = [
    "DEFAULT_ACTION",
    "SNOOZE_ACTION",
    "UNTIL_BACK_ACTION",
    "ActionHandler",
    "DBusBackend",
    "OpenUrl",
]
