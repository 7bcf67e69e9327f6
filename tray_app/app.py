"""Composition root: builds the sources, the monitor and the sinks, and runs the tray or the
headless watch mode. Nothing else wires objects together.

Threads: the tray's loop owns the main thread; the monitor polls on its own thread; one
dispatcher thread feeds the sinks (history, tray, notifications, hooks, printer). The tray is
reached only through ``TrayUI.show()``, its one hand-off to the UI thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tray_app import APP_NAME, APP_TITLE
from tray_app.cli.render import format_event, headline
from tray_app.config.load import LoadedConfig
from tray_app.config.schema import Settings
from tray_app.core.clock import Clock, SystemClock
from tray_app.core.errors import HistoryError
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot
from tray_app.core.text import safe_url
from tray_app.other_services import OtherServices
from tray_app.platform.paths import AppPaths
from tray_app.platform.store import StateStore
from tray_app.sinks.alert_state import AlertPrefs
from tray_app.sinks.alerts import AlertPolicy
from tray_app.sinks.announce import Announcer
from tray_app.sinks.dispatch import Dispatcher, Sink
from tray_app.sinks.history.store import History
from tray_app.sinks.hooks import HookRunner
from tray_app.sinks.menu import MenuPrefs
from tray_app.sinks.notification import Notification, make_notification
from tray_app.sinks.notification_icons import NotificationIcons
from tray_app.sinks.notify import Delivery, MenuLineBackend, Notifier, default_backends
from tray_app.sinks.provider_alerts import with_provider_context
from tray_app.sinks.recorder import HistoryRecorder
from tray_app.sinks.settings_notice import UnknownIdsNotice
from tray_app.sources.build import build_sources
from tray_app.sources.monitor import Monitor
from tray_app.user_choices import UserChoices

log = logging.getLogger(__name__)


class Runtime:
    """Everything that runs in the background, in tray mode and in watch mode alike."""

    def __init__(
        self,
        loaded: LoadedConfig,
        paths: AppPaths,
        *,
        notify: bool,
        record: bool = True,
        tray_notify: Callable[[str, str], bool] | None = None,
        printer: Callable[[str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        paths.ensure()
        self._clock = clock or SystemClock()
        self.paths = paths
        self.settings = loaded.settings
        self.notices: list[str] = list(loaded.problems)
        self._settings_lock = threading.Lock()
        self._on_snapshot: Callable[[MonitorSnapshot], None] | None = None
        self._printer = printer

        self.sources = build_sources(self.settings, clock=self._clock)
        self.history: History | None = None
        if record:
            try:
                self.history = History(paths.history_db, settings=self.settings.history)
                if self.history.notice:
                    self.notices.append(self.history.notice)
            except HistoryError as exc:
                self.notices.append(f"history is off: {exc}")

        self.menu_line = MenuLineBackend()
        self.icons = NotificationIcons(paths.state_dir)
        self.notifier: Notifier | None = None
        self.policy: AlertPolicy | None = None
        self.announcer: Announcer | None = None
        if notify:
            self.notifier = Notifier(
                default_backends(
                    tray_notify=tray_notify,
                    icon_path=self.icons.app_icon_path,  # drawn before the first notification
                    menu=self.menu_line,
                )
            )
            self.announcer = Announcer.load(
                self.settings.notifications,
                self.settings.watch,
                paths.alerts_file,
                dress=self._dress_notification,
            )
            self.policy = self.announcer.policy
            self.notifier.set_action_handler(self.announcer.on_action)
        self.hooks = HookRunner(self.settings.hooks) if self.settings.hooks else None

        sinks: list[tuple[str, Sink]] = []
        if self.history is not None:
            recorder = HistoryRecorder(
                self.history,
                clock=self._clock,
                retention_days=lambda: self.settings.history.retention_days,
            )
            sinks.append(("history", recorder))
        sinks.append(("snapshot", self._snapshot_sink))
        if printer is not None:
            sinks.append(("printer", self._printer_sink))
        if self.announcer is not None:
            sinks.append(("notifications", self._notify_sink))
        if self.hooks is not None:
            sinks.append(("hooks", self._hooks_sink))
        notifier = self.notifier
        sinks.append(
            (
                "settings",
                UnknownIdsNotice(
                    lambda: self.sources.page.last,
                    lambda: self.settings,
                    self.send_notification if notifier is not None else None,
                ),
            )
        )
        self.dispatcher = Dispatcher(sinks)
        self.monitor = Monitor(
            self.settings,
            page_source=self.sources.page,
            prober=self.sources.prober,
            on_update=self._with_providers,
            clock=self._clock,
            store=StateStore(paths.state_file) if record else None,
            enrich=self.sources.incidents.enrich,
        )
        if self.monitor.notice:
            self.notices.append(self.monitor.notice)
        self.choices = UserChoices(
            paths,
            clock=self._clock,
            menu_line=self.menu_line,
            settings=lambda: self.settings,
            apply=self.apply_settings,
            republish=self._republish,
            known_components=lambda: [c.id for c in self.monitor.snapshot.components],
        )
        self.others = OtherServices(  # their own poller thread; never part of Claude's state
            lambda: self.settings,
            self.sources.client,
            paths,
            clock=self._clock,
            deliver=self.deliver_notification if self.notifier is not None else None,
            choices=self.choices,
            on_change=self._others_changed,
        )
        if self.announcer is not None:  # the bubble's "Snooze 1 h", the menu's one-shot
            self.announcer.on_snooze, self.announcer.on_change = (
                self.choices.snooze,
                self._republish,
            )

    # ---- lifecycle ----

    def start(self, on_snapshot: Callable[[MonitorSnapshot], None] | None = None) -> None:
        self._on_snapshot = on_snapshot
        for notice in self.notices:
            log.warning("%s", notice)
        self.dispatcher.start()
        self.monitor.start()
        self.others.poller.start()
        if self.notifier is not None and self.notices:
            self.send_notification(
                make_notification(f"{APP_TITLE} started with a problem", "\n".join(self.notices))
            )

    def stop(self) -> None:
        if not self.monitor.stop(timeout=1.0):
            log.warning("monitor thread did not stop within 1 s")
        self.others.poller.stop(timeout=1.0)
        self.dispatcher.stop(timeout=1.0)
        self.sources.close()
        if self.hooks is not None:
            self.hooks.close(timeout=1.0)
        if self.notifier is not None:
            self.notifier.close()
        if self.history is not None:
            self.history.close()

    def apply_settings(self, settings: Settings) -> None:
        """Put freshly saved settings in force: the notification policy and the monitor."""
        with self._settings_lock:
            self.settings = settings
            if self.policy is not None:
                self.policy.update_settings(settings.notifications, settings.watch)
        self.monitor.update_settings(settings)

    # ---- sinks (run on the dispatcher thread) ----

    def _snapshot_sink(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        if self._on_snapshot is not None:
            self._on_snapshot(self.others.add_to(snapshot))  # the providers as they are now

    def _printer_sink(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        assert self._printer is not None
        for event in events:
            self._printer(format_event(event))

    def _notify_sink(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        assert self.announcer is not None and self.notifier is not None
        self.choices.reload_prefs_if_changed()
        prefs = AlertPrefs(snoozed_until=self.choices.prefs.snoozed_until)
        with self._settings_lock:
            self.announcer.announce(self.notifier, snapshot, events, self._clock.now(), prefs)

    def _dress_notification(self, n: Notification, snapshot: MonitorSnapshot) -> Notification:
        """As it goes out: the other services' context on "down" news, the state's icon."""
        n = with_provider_context(n, snapshot)
        return dataclasses.replace(n, icon=self.icons.for_state(snapshot))

    def _hooks_sink(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        assert self.hooks is not None
        if events:
            self.hooks.run(events)

    # ---- helpers ----

    def send_notification(self, n: Notification) -> str | None:
        """Send ``n`` (needs notify=True); the name of the backend that showed it, or None."""
        assert self.notifier is not None
        self.icons.ensure_app_icon()
        return self.notifier.send(n)

    def deliver_notification(self, n: Notification, replaces: Delivery | None) -> Delivery | None:
        """Show ``n`` in place of bubble ``replaces`` where the backend can (needs notify=True)."""
        assert self.notifier is not None
        self.icons.ensure_app_icon()
        return self.notifier.deliver(n, replaces)

    def _republish(self) -> None:
        if self._on_snapshot is not None:
            self._on_snapshot(self.others.add_to(self.monitor.snapshot))

    # ---- other services ----

    def check_now(self) -> None:
        """ "Check now" (menu, a second launch): Claude's page and probes, and the providers."""
        self.monitor.check_now()
        self.others.poller.check_now()

    def _with_providers(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        self.dispatcher.submit(self.others.add_to(snapshot), events)

    def _others_changed(self) -> None:
        if self.monitor.snapshot.last_checked is not None:  # Claude's state comes first
            self._republish()


def open_path(path: Path) -> None:
    """Open a file or folder with the desktop's default program, without blocking."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.error("cannot open %s: %s", path, exc)


def open_url(url: str) -> None:
    if safe_url(url) is None:  # a link from the page: never javascript:, file: or "-option"
        log.warning("not opening %r: not an http(s) link", url[:100])
        return
    import webbrowser

    threading.Thread(target=webbrowser.open, args=(url,), name="open-url", daemon=True).start()


# ---- modes ----


def run_watch(loaded: LoadedConfig, paths: AppPaths, *, notify: bool, reason: str = "") -> int:
    """Headless foreground mode: print transitions as they happen; Ctrl-C to stop."""
    from tray_app.platform.instance import SingleInstance

    instance = SingleInstance(paths)
    owner = instance.acquire()
    if not owner:
        print(
            f"{APP_NAME}: another instance is running; watching without notifications or history",
            file=sys.stderr,
        )
    runtime = Runtime(loaded, paths, notify=notify and owner, record=owner, printer=_print_flush)
    stop = threading.Event()
    _on_signals(stop.set)
    said: list[str] = []

    def on_snapshot(snapshot: MonitorSnapshot) -> None:
        line = headline(snapshot)
        if not said or said[-1] != line:  # the headline every surface shows, when it changes
            said.append(line)
            _print_flush(f"{datetime.now():%H:%M:%S} {line}")

    if reason:
        print(f"{APP_NAME}: {reason}; running headless (notifications only)", file=sys.stderr)
    runtime.start(on_snapshot)
    if owner:
        instance.serve(runtime.check_now)
    # On POSIX a signal interrupts the wait and its handler sets ``stop``: no need to wake up
    # twice a second while idle. Elsewhere the wait has to look now and then.
    wake_every = None if os.name == "posix" else 0.5
    try:
        while not stop.wait(wake_every):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        instance.release()
    return 0


def run_tray(loaded: LoadedConfig, paths: AppPaths) -> int:
    from tray_app.core.errors import TrayUnavailable
    from tray_app.platform.instance import SingleInstance, ask_running_instance_to_check
    from tray_app.sinks.tray import TrayUI
    from tray_app.sinks.tray_backend import choose_backend
    from tray_app.sinks.tray_menu import TrayActions

    instance = SingleInstance(paths)
    if not instance.acquire():
        if ask_running_instance_to_check(paths):
            print(f"{APP_NAME} is already running; asked it to check now.")
        else:
            print(f"{APP_NAME} is already running.")
        return 0

    choice = choose_backend()
    if choice.backend is None:
        instance.release()
        return run_watch(loaded, paths, notify=True, reason=choice.reason)

    holder: dict[str, Any] = {}

    def tray_notify(title: str, body: str) -> bool:
        ui = holder.get("tray")
        return bool(ui and ui.notify(title, body))

    runtime = Runtime(loaded, paths, notify=True, tray_notify=tray_notify)

    actions = TrayActions(
        check_now=runtime.check_now,
        set_watched=runtime.choices.set_watched,
        snooze=runtime.choices.snooze,
        set_notifications=lambda on: runtime.choices.change_settings({"notifications.enabled": on}),
        set_autostart=runtime.choices.set_autostart,
        open_url=open_url,
        open_path=open_path,
        quit=lambda: holder["tray"].stop(),
        show_history=lambda: _show_report(paths, runtime.settings.watch.components),
        tell_when_back=runtime.announcer.set_until_back
        if runtime.announcer
        else lambda c, on: None,
    )
    try:
        with _gtk_without_gl():
            ui = TrayUI(actions, backend=choice.backend, app_paths=paths)
    except TrayUnavailable as exc:
        runtime.stop()
        instance.release()
        return run_watch(loaded, paths, notify=True, reason=str(exc))
    holder["tray"] = ui

    def on_snapshot(snapshot: MonitorSnapshot) -> None:
        ui.show(snapshot, runtime_menu_prefs(runtime))

    def on_ready() -> None:
        runtime.start(on_snapshot)
        instance.serve(runtime.check_now)
        threading.Thread(
            target=runtime.choices.sync_autostart, name="autostart", daemon=True
        ).start()
        threading.Thread(
            target=_warn_if_no_tray_host, args=(runtime,), name="tray-host", daemon=True
        ).start()

    failed: TrayUnavailable | None = None
    try:
        ui.run(on_ready)
    except TrayUnavailable as exc:
        failed = exc
    finally:
        runtime.stop()
        instance.release()
    if failed is not None:
        return run_watch(loaded, paths, notify=True, reason=str(failed))
    log.info("bye")
    return 0


def _show_report(paths: AppPaths, only: tuple[str, ...]) -> None:
    from tray_app.report.command import show_in_background

    show_in_background(paths, only=only)


@contextlib.contextmanager
def _gtk_without_gl() -> Iterator[None]:
    """GDK probes GL visuals when it opens the display, which loads the GL driver (Mesa's
    libLLVM and swrast: 45 MB on Xvfb); the tray never draws with GL. GDK reads ``GDK_GL`` once,
    at init: it is set for that moment only (unless the user set it), so that programs the app
    starts (browser, file manager, hooks) keep the user's environment."""
    if "GDK_GL" in os.environ:
        yield
        return
    os.environ["GDK_GL"] = "disable"
    try:
        yield
    finally:
        os.environ.pop("GDK_GL", None)


NO_TRAY_GRACE = 10.0  # seconds: at login the app may start before the panel does


def _warn_if_no_tray_host(runtime: Runtime, grace: float = NO_TRAY_GRACE) -> None:
    """If nothing on this desktop can show the icon, say so once (and keep running: a panel
    that starts later still gets the icon, and notifications work anyway)."""
    from tray_app.sinks.tray_backend import no_tray_hint, tray_host_present

    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if tray_host_present():
            return
        time.sleep(1.0)
    message = f"no system tray is showing the icon; {no_tray_hint()}. Notifications still work."
    log.warning("%s", message)
    if runtime.notifier is not None:
        runtime.send_notification(make_notification(f"{APP_TITLE} has no tray to show in", message))


def runtime_menu_prefs(runtime: Runtime) -> MenuPrefs:
    """What the menu shows of the user's choices, from the runtime as it is now."""
    settings = runtime.settings
    return MenuPrefs(
        notifications_enabled=settings.notifications.enabled,
        snoozed_until=runtime.choices.prefs.snoozed_until,
        autostart=runtime.choices.autostart_enabled,
        watched=settings.watch.components,
        last_alert=runtime.menu_line.text,
        until_back=runtime.announcer.until_back_components() if runtime.announcer else (),
    )


def _print_flush(text: str) -> None:
    print(text, flush=True)


def _on_signals(handler: Callable[[], None]) -> None:
    def on_signal(signum: int, frame: object) -> None:
        handler()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


__all__ = ["Runtime", "open_path", "open_url", "run_tray", "run_watch", "runtime_menu_prefs"]
