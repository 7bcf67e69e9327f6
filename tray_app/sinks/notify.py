"""Native notifications: ordered backends, the first that delivers wins, nothing ever raises.

Linux: org.freedesktop.Notifications over D-Bus (jeepney), then ``notify-send``, then plyer,
then the tray icon's own ``notify``, then a "last alert" line in the menu.
Windows: plyer, then the tray. macOS: ``osascript``, then the tray.

Backends that know the server's notification id (D-Bus, a notify-send with ``--print-id``)
return it, and take ``replaces`` to update a bubble in place. The menu line is not *visible*:
a person cannot see it arrive, so it never counts as having told them.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.errors import NotifyError
from tray_app.sinks.notification import Notification, Urgency
from tray_app.sinks.notify_dbus import ActionHandler, DBusBackend, OpenUrl

log = logging.getLogger(__name__)

SUBPROCESS_TIMEOUT = 10.0

TrayNotify = Callable[[str, str], bool]


class Backend(Protocol):
    name: str
    visible: bool  # a person sees what it shows as it arrives

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        """Deliver ``n`` (in place of bubble ``replaces`` where it can); the bubble's id if the
        backend knows one. Raise NotifyError on failure (any exception is treated the same)."""

    def withdraw(self, notification_id: int) -> bool:
        """Take a bubble off the screen; False if this backend cannot."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    backend: str
    notification_id: int | None
    visible: bool


class Notifier:
    """Tries each backend in order; logs each backend's failure once per failure streak."""

    def __init__(self, backends: Sequence[Backend]) -> None:
        self.backends = tuple(backends)
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    def send(self, n: Notification) -> str | None:
        """The name of the backend that delivered ``n``, or None if none did. Never raises."""
        delivery = self.deliver(n)
        return delivery.backend if delivery else None

    def deliver(self, n: Notification, replaces: Delivery | None = None) -> Delivery | None:
        """Show ``n`` with the first backend that works, in place of ``replaces`` when that
        backend showed it and can replace; None if no backend took it. Never raises."""
        with self._lock:
            for backend in self.backends:
                old = None
                if replaces is not None and _same_server(replaces.backend, backend.name):
                    old = replaces.notification_id
                try:
                    # a backend without ids takes ``send(n)`` alone
                    nid = backend.send(n, old) if old is not None else backend.send(n)
                except Exception as exc:  # a backend must never take the monitor down
                    if backend.name not in self._failing:
                        self._failing.add(backend.name)
                        log.warning("notification backend %s failed: %s", backend.name, exc)
                    continue
                if backend.name in self._failing:
                    self._failing.discard(backend.name)
                    log.info("notification backend %s works again", backend.name)
                visible = getattr(backend, "visible", True)
                return Delivery(backend.name, nid if isinstance(nid, int) else None, visible)
            return None

    def withdraw(self, delivery: Delivery) -> bool:
        """Close a bubble shown earlier; False if its backend cannot (or it is gone)."""
        if delivery.notification_id is None:
            return False
        for backend in self.backends:
            if _same_server(delivery.backend, backend.name):
                try:
                    withdraw = getattr(backend, "withdraw", None)
                    if withdraw is not None and withdraw(delivery.notification_id):
                        return True
                except Exception as exc:
                    log.debug("closing notification %s: %s", delivery.notification_id, exc)
        return False

    def set_action_handler(self, handler: ActionHandler | None) -> None:
        """Where clicks on the notifications' buttons (snooze, tell me when back) go."""
        for backend in self.backends:
            if isinstance(backend, DBusBackend):
                backend.action_handler = handler

    def close(self) -> None:
        for backend in self.backends:
            try:
                backend.close()
            except Exception as exc:
                log.debug("closing notification backend %s: %s", backend.name, exc)


def _same_server(a: str, b: str) -> bool:
    """Whether ids from backend ``a`` mean the same bubbles to backend ``b``: notify-send talks
    to the same D-Bus notification server as the D-Bus backend."""
    return a == b or {a, b} == {"dbus", "notify-send"}


# ---- Subprocess backends ----


def _run(argv: list[str], what: str, timeout: float) -> str:
    program = shutil.which(argv[0])
    if program is None:
        raise NotifyError(f"{argv[0]} not found on PATH")
    try:
        done = subprocess.run(
            [program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
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
    return done.stdout.decode("utf-8", "replace")


class NotifySendBackend:
    """``notify-send``; with libnotify >= 0.7.10 it prints the id and replaces bubbles in place.

    The body is escaped: notify-send passes it as is, and most servers read it as markup."""

    name = "notify-send"
    visible = True

    def __init__(
        self,
        icon_path: Path | str | None = None,
        program: str = "notify-send",
        timeout: float = SUBPROCESS_TIMEOUT,
    ) -> None:
        self.icon_path = str(icon_path) if icon_path else None
        self.program = program
        self.timeout = timeout
        self._can_replace: bool | None = None

    def argv(self, n: Notification, replaces: int | None = None, *, ids: bool = False) -> list[str]:
        argv = [self.program, f"--app-name={APP_TITLE}", f"--urgency={n.urgency.value}"]
        icon = n.icon or self.icon_path
        if icon:
            argv.append(f"--icon={icon}")
        if ids:
            argv.append("--print-id")
            if replaces:
                argv.append(f"--replace-id={replaces}")
        import html  # on the first notification: html.entities is 0.4 MB

        body = html.escape(n.body, quote=False)
        argv += [f"--hint=string:desktop-entry:{APP_NAME}", "--", n.title, body]
        return argv

    def can_replace(self) -> bool:
        """Whether this notify-send has --print-id and --replace-id (asked once)."""
        if self._can_replace is None:
            try:
                helptext = _run([self.program, "--help"], "notify-send --help", self.timeout)
            except NotifyError:
                helptext = ""
            self._can_replace = "--replace-id" in helptext and "--print-id" in helptext
        return self._can_replace

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        ids = self.can_replace()
        out = _run(self.argv(n, replaces, ids=ids), "notify-send", self.timeout)
        first = out.strip().splitlines()[:1]
        return int(first[0]) if ids and first and first[0].isdigit() else None

    def withdraw(self, notification_id: int) -> bool:
        return False

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
    visible = True

    def __init__(self, timeout: float = SUBPROCESS_TIMEOUT) -> None:
        self.timeout = timeout

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        _run(osascript_argv(n), "osascript", self.timeout)
        return None

    def withdraw(self, notification_id: int) -> bool:
        return False

    def close(self) -> None:
        pass


# ---- plyer, the tray, the menu ----


class PlyerBackend:
    name = "plyer"
    visible = True

    def __init__(
        self,
        icon_path: Path | str | None = None,
        platform: str = sys.platform,
        flatpak_marker: Path = Path("/app"),
    ) -> None:
        self.icon_path = str(icon_path) if icon_path else ""
        self.platform = platform
        self.flatpak_marker = flatpak_marker

    def withdraw(self, notification_id: int) -> bool:
        return False

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
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
        return None

    def close(self) -> None:
        pass


class CallableBackend:
    """Wraps the tray's ``icon.notify``-style callable: ``(title, body) -> delivered``."""

    visible = True

    def __init__(self, func: TrayNotify, name: str = "tray") -> None:
        self.func = func
        self.name = name

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        if not self.func(n.title, n.body):
            raise NotifyError(f"{self.name} could not show the notification")
        return None

    def withdraw(self, notification_id: int) -> bool:
        return False

    def close(self) -> None:
        pass


class MenuLineBackend:
    """The last resort: remembers the last alert for a line in the tray menu. Nobody sees it
    arrive, so a notification it took is still waiting to be told."""

    name = "menu"
    visible = False

    def __init__(self) -> None:
        self._text: str | None = None
        self._lock = threading.Lock()

    @property
    def text(self) -> str | None:
        with self._lock:
            return self._text

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        with self._lock:
            self._text = f"{n.title}: {n.body}".splitlines()[0] if n.body else n.title
        return None

    def withdraw(self, notification_id: int) -> bool:
        return False

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
    "Delivery",
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
