"""Native notifications: ordered backends, the first that delivers wins, nothing ever raises.

Linux: org.freedesktop.Notifications over D-Bus (jeepney), then ``notify-send``, then plyer,
then the tray icon's own ``notify``, then a "last alert" line in the menu.
Windows: plyer, then the tray. macOS: ``osascript``, then the tray.
"""

from __future__ import annotations

import contextlib
import html
import logging
import shutil
import subprocess
import sys
import threading
import webbrowser
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.errors import NotifyError
from tray_app.core.reasons import plain_reason
from tray_app.core.text import safe_url
from tray_app.sinks.notification import Notification, Urgency

log = logging.getLogger(__name__)

SUBPROCESS_TIMEOUT = 10.0
DBUS_TIMEOUT = 5.0
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
DEFAULT_ACTION = "default"

OpenUrl = Callable[[str], object]
TrayNotify = Callable[[str, str], bool]


class Backend(Protocol):
    name: str

    def send(self, n: Notification) -> None:
        """Deliver ``n`` or raise NotifyError (any other exception is treated the same)."""

    def close(self) -> None: ...


class Notifier:
    """Tries each backend in order; logs each backend's failure once per failure streak."""

    def __init__(self, backends: Sequence[Backend]) -> None:
        self.backends = tuple(backends)
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    def send(self, n: Notification) -> str | None:
        """The name of the backend that delivered ``n``, or None if none did. Never raises."""
        with self._lock:
            for backend in self.backends:
                try:
                    backend.send(n)
                except Exception as exc:  # a backend must never take the monitor down
                    if backend.name not in self._failing:
                        self._failing.add(backend.name)
                        log.warning("notification backend %s failed: %s", backend.name, exc)
                    continue
                if backend.name in self._failing:
                    self._failing.discard(backend.name)
                    log.info("notification backend %s works again", backend.name)
                return backend.name
            return None

    def close(self) -> None:
        for backend in self.backends:
            try:
                backend.close()
            except Exception as exc:
                log.debug("closing notification backend %s: %s", backend.name, exc)


# ---- Linux: D-Bus ----


class DBusBackend:
    """org.freedesktop.Notifications via jeepney (blocking); clicks open ``Notification.url``."""

    name = "dbus"

    def __init__(
        self,
        icon_path: Path | str | None = None,
        open_url: OpenUrl | None = None,
        address: str = "SESSION",
        timeout: float = DBUS_TIMEOUT,
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

    def send(self, n: Notification) -> None:
        try:
            self._send(n)
        except NotifyError:
            raise
        except Exception as exc:  # jeepney raises OSError, DBusErrorResponse, TimeoutError...
            self._drop_connection()
            raise NotifyError(f"D-Bus notification failed: {plain_reason(exc)}") from exc

    def _send(self, n: Notification) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.bus_messages import message_bus

        conn = self._connection()
        reply = conn.send_and_get_reply(
            message_bus.NameHasOwner(NOTIFICATIONS_NAME), timeout=self.timeout
        )
        if not reply.body[0]:
            raise NotifyError(f"no notification server owns {NOTIFICATIONS_NAME} on the bus")
        target = DBusAddress(
            NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS_NAME, interface=NOTIFICATIONS_NAME
        )
        if self._caps is None:
            caps = conn.send_and_get_reply(
                new_method_call(target, "GetCapabilities"), timeout=self.timeout
            )
            self._caps = frozenset(caps.body[0])
        actions: list[str] = []
        if n.url and self.open_url and "actions" in self._caps:
            self._ensure_listener()
            actions = [DEFAULT_ACTION, "Open status page"]
        hints = {
            "urgency": ("y", n.urgency.level),
            "desktop-entry": ("s", APP_NAME),
        }
        body = n.body if "body" in self._caps else ""
        if "body-markup" in self._caps:  # the server reads <, > and & as markup
            body = html.escape(body, quote=False)
        msg = new_method_call(
            target,
            "Notify",
            "susssasa{sv}i",
            (APP_TITLE, 0, n.icon or self.icon_path, n.title, body, actions, hints, -1),
        )
        reply = conn.send_and_get_reply(msg, timeout=self.timeout)
        if actions and n.url:
            self._remember(int(reply.body[0]), n.url)

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

    def start_and_wait(self) -> None:
        self.start()
        self._ready.wait(self.timeout)
        if self._error is not None:
            raise NotifyError(f"cannot listen for notification clicks: {plain_reason(self._error)}")

    def stop(self) -> None:
        self._stop_event.set()
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
        try:
            with conn.filter(rule, bufsize=16) as queue:
                conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=self.timeout)
                self._ready.set()
                while not self._stop_event.is_set():
                    try:
                        msg = conn.recv_until_filtered(queue, timeout=0.5)
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


# ---- Subprocess backends ----


def _run(argv: list[str], what: str, timeout: float) -> None:
    program = shutil.which(argv[0])
    if program is None:
        raise NotifyError(f"{argv[0]} not found on PATH")
    try:
        done = subprocess.run(
            [program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NotifyError(f"{what} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise NotifyError(f"{what} could not run: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()[-200:]
        raise NotifyError(f"{what} exited with {done.returncode}: {err}")


class NotifySendBackend:
    name = "notify-send"

    def __init__(
        self,
        icon_path: Path | str | None = None,
        program: str = "notify-send",
        timeout: float = SUBPROCESS_TIMEOUT,
    ) -> None:
        self.icon_path = str(icon_path) if icon_path else None
        self.program = program
        self.timeout = timeout

    def argv(self, n: Notification) -> list[str]:
        argv = [self.program, f"--app-name={APP_TITLE}", f"--urgency={n.urgency.value}"]
        icon = n.icon or self.icon_path
        if icon:
            argv.append(f"--icon={icon}")
        argv += [f"--hint=string:desktop-entry:{APP_NAME}", "--", n.title, n.body]
        return argv

    def send(self, n: Notification) -> None:
        _run(self.argv(n), "notify-send", self.timeout)

    def close(self) -> None:
        pass


def applescript_quote(text: str) -> str:
    """``text`` as an AppleScript string literal: quotes, backslashes and newlines escaped."""
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            continue
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def osascript_argv(n: Notification) -> list[str]:
    script = (
        f"display notification {applescript_quote(n.body)} with title {applescript_quote(n.title)}"
    )
    return ["osascript", "-e", script]


class OsascriptBackend:
    name = "osascript"

    def __init__(self, timeout: float = SUBPROCESS_TIMEOUT) -> None:
        self.timeout = timeout

    def send(self, n: Notification) -> None:
        _run(osascript_argv(n), "osascript", self.timeout)

    def close(self) -> None:
        pass


# ---- plyer, the tray, the menu ----


class PlyerBackend:
    name = "plyer"

    def __init__(
        self,
        icon_path: Path | str | None = None,
        platform: str = sys.platform,
        flatpak_marker: Path = Path("/app"),
    ) -> None:
        self.icon_path = str(icon_path) if icon_path else ""
        self.platform = platform
        self.flatpak_marker = flatpak_marker

    def send(self, n: Notification) -> None:
        if self.platform.startswith("linux") and self.flatpak_marker.exists():
            # plyer 2.1 takes /app as "running in Flatpak" and then silently sends nothing
            raise NotifyError(
                f"skipped: plyer assumes Flatpak because {self.flatpak_marker} exists"
            )
        try:
            from plyer import notification

            notification.notify(
                title=n.title,
                message=n.body,
                app_name=APP_TITLE,
                app_icon=n.icon or self.icon_path,
            )
        except Exception as exc:
            raise NotifyError(f"plyer failed: {exc}") from exc

    def close(self) -> None:
        pass


class CallableBackend:
    """Wraps the tray's ``icon.notify``-style callable: ``(title, body) -> delivered``."""

    def __init__(self, func: TrayNotify, name: str = "tray") -> None:
        self.func = func
        self.name = name

    def send(self, n: Notification) -> None:
        if not self.func(n.title, n.body):
            raise NotifyError(f"{self.name} could not show the notification")

    def close(self) -> None:
        pass


class MenuLineBackend:
    """The last resort: remembers the last alert for a line in the tray menu."""

    name = "menu"

    def __init__(self) -> None:
        self._text: str | None = None
        self._lock = threading.Lock()

    @property
    def text(self) -> str | None:
        with self._lock:
            return self._text

    def send(self, n: Notification) -> None:
        with self._lock:
            self._text = f"{n.title}: {n.body}".splitlines()[0] if n.body else n.title

    def close(self) -> None:
        pass


def default_backends(
    platform: str = sys.platform,
    tray_notify: TrayNotify | None = None,
    icon_path: Path | str | None = None,
    open_url: OpenUrl | None = webbrowser.open,
    menu: MenuLineBackend | None = None,
) -> list[Backend]:
    """The ordered backends for ``platform``; always ends with the menu line."""
    backends: list[Backend] = []
    if platform == "darwin":
        backends.append(OsascriptBackend())
    elif platform == "win32":
        backends.append(PlyerBackend(icon_path, platform))
    else:
        backends += [DBusBackend(icon_path, open_url), NotifySendBackend(icon_path)]
        if shutil.which("notify-send") is None:
            # plyer on Linux runs notify-send itself and ignores its exit code: after a failed
            # notify-send it would report a notification nobody saw
            backends.append(PlyerBackend(icon_path, platform))
    if tray_notify is not None:
        backends.append(CallableBackend(tray_notify))
    backends.append(menu or MenuLineBackend())
    return backends


__all__ = [
    "Backend",
    "CallableBackend",
    "DBusBackend",
    "MenuLineBackend",
    "Notifier",
    "NotifySendBackend",
    "OsascriptBackend",
    "PlyerBackend",
    "Urgency",
    "applescript_quote",
    "default_backends",
    "osascript_argv",
]
