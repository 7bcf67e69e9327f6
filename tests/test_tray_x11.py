"""The tray icon on a real X server: Xvfb + trayer (XEmbed) + a private session bus.

Each test runs the tray in its own subprocess on its own display, so a hang cannot freeze
pytest; every child is killed in ``finally``. The driver below builds a real TrayUI and takes
commands on stdin ("show <health> [probe]", "notify", "stop"), printing what happens.

Screenshots for the README: ``UPDATE_SCREENSHOTS=1 pytest tests/test_tray_x11.py`` writes
them into docs/screenshots/ (a normal run keeps them in tmp_path).

Measured here (Debian bookworm, libayatana-appindicator3 0.5.92, trayer 1.1.8): with no
StatusNotifierWatcher on the bus, the appindicator backend falls back to an XEmbed
Gtk.StatusIcon, so BOTH appindicator and gtk dock in trayer; appindicator is the default.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

from tests.apprig import write_loopback_config
from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.rigs_x11 import start_tray_app, stop_process, trayer, window_ids, x_env, xvfb_display
from tests.statusserver import (
    API_401,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    StatusServer,
    incident_doc,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT
from tray_app.core.icons import COLOURS
from tray_app.core.models import Health
from tray_app.platform.paths import AppPaths
from tray_app.sinks.tray_backend import BackendChoice, _Probes, choose_backend, tray_host_present

pytestmark = [pytest.mark.x11, pytest.mark.dbus]

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"


def save_screenshot(image: Image.Image, name: str, tmp_path: Path) -> None:
    """Always into tmp_path; into docs/screenshots too with UPDATE_SCREENSHOTS=1, so a
    normal run leaves the checkout clean (the menu shows the clock)."""
    image.save(tmp_path / name)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        image.save(SCREENSHOTS / name)


DEADLINE = 20.0  # generous "within one poll" waits for a loaded 2-core machine
TRAY_BOX = (0, 0, 40, 32)  # trayer is at the top-left; the docked icon sits inside this box

_DRIVER = r"""
import logging, sys, threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from tray_app.core.models import ComponentView, Health, Incident, MonitorSnapshot
from tray_app.sinks.menu import MenuPrefs
from tray_app.platform.paths import AppPaths
from tray_app.sinks.tray import TrayUI
from tray_app.sinks.tray_menu import TrayActions

logging.basicConfig(level=logging.INFO, stream=sys.stderr)

def say(*words):
    print(*words, flush=True)

def act(name):
    return lambda *args: say("ACTION", name, *args)

actions = TrayActions(
    act("check_now"), act("set_watched"), act("snooze"), act("set_notifications"),
    act("set_autostart"), act("open_url"), act("open_path"), act("quit"),
)
base = Path(sys.argv[2])
paths = AppPaths(base / "c", base / "d", base / "s", base / "l")
ui = TrayUI(actions, backend=sys.argv[1], app_paths=paths)

def snapshot(health, probe_only, minutes_later=0):
    h = Health(health)
    now = datetime.now(timezone.utc) + timedelta(minutes=minutes_later)
    official = Health.OPERATIONAL if probe_only else h
    probe = h if probe_only else None
    api = ComponentView("api", "Claude API", h, official, probe, now - timedelta(minutes=12))
    web = ComponentView("web", "claude.ai", Health.OPERATIONAL, Health.OPERATIONAL, None, None)
    incidents = ()
    if h.is_problem and not probe_only:
        incidents = (Incident("i1", "Elevated errors on Opus", "investigating", "major", None,
                              now - timedelta(minutes=12), now, ("api",)),)
    return MonitorSnapshot(h, "", (api, web), incidents, last_checked=now,
                           next_check=now + timedelta(seconds=45))

def commands():
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "show":
            later = sum(int(w[len("minutes+"):]) for w in words[2:] if w.startswith("minutes+"))
            ui.show(snapshot(words[1], "probe" in words[2:], later), MenuPrefs())
            say("SHOWN", words[1])
        elif words and words[0] == "notify":
            say("NOTIFY", ui.notify("Claude API", "major outage"))
        elif words and words[0] == "stop":
            ui.stop()
    ui.stop()

def ready():
    say("READY", ui.backend)
    threading.Thread(target=commands, daemon=True).start()

ui.run(ready)
say("EXITED")
"""


_EOF = "\0EOF"


class Driver:
    """The tray subprocess, with its stdout lines in a queue."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(_EOF)

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix: str, deadline: float = DEADLINE) -> str:
        end = time.monotonic() + deadline
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {prefix!r} from the tray; saw {self.seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is _EOF:
                raise AssertionError(f"the tray exited before {prefix!r}; saw {self.seen}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line


@contextmanager
def driver_process(backend: str, env: dict[str, str], tmp_path: Path) -> Iterator[Driver]:
    """The driver subprocess on the display/bus in ``env``; yields once it printed READY."""
    env = {**env, "PYTHONPATH": str(ROOT), "NO_AT_BRIDGE": "1"}
    env.pop("PYSTRAY_BACKEND", None)
    with (
        (tmp_path / "tray.log").open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, backend, str(tmp_path / "paths")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        ) as proc,
    ):
        try:
            driver = Driver(proc)
            driver.expect("READY")
            yield driver
        finally:
            stop_process(proc)


@contextmanager
def tray_session(
    backend: str, tmp_path: Path, *, size: str = "640x200x24"
) -> Iterator[tuple[str, Driver]]:
    """Xvfb + trayer + private bus + the driver; yields (display, driver) once READY."""
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display(size))
        stack.enter_context(trayer(display))
        env = x_env(display, stack.enter_context(private_session_bus()))
        yield display, stack.enter_context(driver_process(backend, env, tmp_path))


def docked_icons(display: str) -> list[str]:
    """Names of windows docked in trayer (children of its "panel" window's socket)."""
    from tests.rigs_x11 import xwininfo_tree

    names: list[str] = []
    inside_panel = False
    panel_indent = 0
    for line in xwininfo_tree(display).splitlines():
        indent = len(line) - len(line.lstrip())
        if '"panel"' in line and "trayer" in line:
            inside_panel, panel_indent = True, indent
            continue
        if inside_panel and line.strip() and indent <= panel_indent:
            inside_panel = False
        if inside_panel and '"' in line and line.strip().startswith("0x"):
            names.append(line.split('"')[1])
    return names


def icon_colour(display: str) -> tuple[int, int, int]:
    """The most common non-background colour in the tray box of a real screenshot."""
    shot = ImageGrab.grab(xdisplay=display).convert("RGB").crop(TRAY_BOX)
    colours = sorted(shot.getcolors(40 * 32) or [], reverse=True)
    for _count, rgb in colours:
        if max(rgb) - min(rgb) > 60:  # skip trayer's white/grey/black background
            return rgb
    raise AssertionError(f"no coloured icon in the tray box: {colours[:5]}")


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def wait_for(check: object, what: str, deadline: float = DEADLINE) -> None:
    assert callable(check)
    end = time.monotonic() + deadline
    last: object = None
    while time.monotonic() < end:
        try:
            last = check()
            if last:
                return
        except (AssertionError, subprocess.SubprocessError) as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {deadline:.0f} s (last: {last!r})")


@pytest.mark.parametrize("backend", ["appindicator", "gtk"])
def test_icon_docks_in_trayer_and_turns_red_on_major_outage(backend: str, tmp_path: Path) -> None:
    with tray_session(backend, tmp_path) as (display, driver):
        driver.send("show operational")
        wait_for(
            lambda: "Claude: all systems operational" in docked_icons(display),
            "docked, green title",
        )
        wait_for(lambda: near(icon_colour(display), COLOURS[Health.OPERATIONAL]), "green pixels")
        if backend == "appindicator":
            shot = ImageGrab.grab(xdisplay=display).crop((0, 0, 120, 40))
            big = shot.resize((360, 120), Image.Resampling.NEAREST)
            save_screenshot(big, "tray-operational.png", tmp_path)

        driver.send("show major_outage")
        wait_for(
            lambda: any(
                n.startswith("Claude: major outage — Claude API · Elevated errors on Opus")
                for n in docked_icons(display)
            ),
            "docked, major outage title",
        )
        wait_for(lambda: near(icon_colour(display), COLOURS[Health.MAJOR_OUTAGE]), "red pixels")
        if backend == "appindicator":
            shot = ImageGrab.grab(xdisplay=display).crop((0, 0, 120, 40))
            big = shot.resize((360, 120), Image.Resampling.NEAREST)
            save_screenshot(big, "tray-major-outage.png", tmp_path)

        driver.send("stop")
        driver.expect("EXITED")
        assert driver.proc.wait(DEADLINE) == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_quits_cleanly(sig: signal.Signals, tmp_path: Path) -> None:
    with tray_session("appindicator", tmp_path) as (_display, driver):
        driver.send("show operational")
        driver.expect("SHOWN")
        started = time.monotonic()
        driver.proc.send_signal(sig)
        driver.expect("ACTION quit")
        driver.expect("EXITED")
        assert driver.proc.wait(DEADLINE) == 0
        took = time.monotonic() - started
        # The issue asks for 2 s; allow slack for a loaded CI machine, report the real figure.
        assert took < 6, f"took {took:.1f} s to exit"


def test_menu_opens_on_click_and_runs_an_action(tmp_path: Path) -> None:
    with tray_session("appindicator", tmp_path, size="800x600x24") as (display, driver):
        driver.send("show major_outage")
        wait_for(lambda: any("major outage" in n for n in docked_icons(display)), "docked")
        env = x_env(display)
        before = set(window_ids(display, r"."))
        subprocess.run(
            ["xdotool", "mousemove", "16", "16", "click", "1"], env=env, check=True, timeout=10
        )
        wait_for(lambda: set(window_ids(display, r".")) - before, "a menu window")
        time.sleep(0.5)  # let GTK paint the menu before the screenshot
        shot = ImageGrab.grab(xdisplay=display)
        bbox = shot.convert("L").point(lambda v: 255 if v > 0 else 0).getbbox()
        save_screenshot(shot.crop(bbox), "tray-menu.png", tmp_path)
        subprocess.run(["xdotool", "key", "Down", "Return"], env=env, check=True, timeout=10)
        line = driver.expect("ACTION open_url")
        assert line == "ACTION open_url https://status.claude.com"


def test_notify_goes_through_the_tray_backend_to_the_notification_server(
    tmp_path: Path,
) -> None:
    with (
        xvfb_display() as display,
        trayer(display),
        private_session_bus() as bus_env,
        recording_notification_server(x_env(display, bus_env), tmp_path) as server,
        driver_process("gtk", x_env(display, bus_env), tmp_path) as driver,
    ):
        driver.send("notify")
        assert driver.expect("NOTIFY") == "NOTIFY True"
        calls = server.wait_for_notify(1)
        assert calls[-1]["summary"] == "Claude API"
        assert calls[-1]["body"] == "major outage"


def test_xorg_backend_docks_but_cannot_notify(tmp_path: Path) -> None:
    with xvfb_display() as display, trayer(display):
        env = x_env(display)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        with driver_process("xorg", env, tmp_path) as driver:
            driver.send("show degraded")
            wait_for(lambda: docked_icons(display), "a docked icon")
            wait_for(lambda: near(icon_colour(display), COLOURS[Health.DEGRADED]), "yellow pixels")
            driver.send("notify")
            assert driver.expect("NOTIFY") == "NOTIFY False"
            driver.send("stop")
            driver.expect("EXITED")
        log = (tmp_path / "tray.log").read_text()
        assert "its menu receives no clicks" in log


def test_a_tray_host_is_seen_when_trayer_runs_and_not_before() -> None:
    """Without one the app says, once, that nothing can show its icon (GNOME without the
    AppIndicator extension); the fake StatusNotifierWatcher side is in test_sni.py."""
    with xvfb_display() as display:
        env = x_env(display)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        assert not tray_host_present(env)
        with trayer(display):
            wait_for(lambda: tray_host_present(env), "trayer to own the tray selection")


# ---- choose_backend: real environment ----


def test_choose_backend_on_a_real_display_with_a_bus_picks_appindicator() -> None:
    with xvfb_display() as display, private_session_bus() as env:
        env = x_env(display, env)
        env.pop("PYSTRAY_BACKEND", None)
        choice = choose_backend(env, "linux")
        assert choice.backend == "appindicator", choice


def test_choose_backend_without_a_bus_does_not_pick_gtk() -> None:
    with xvfb_display() as display:
        env = x_env(display)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env["XDG_RUNTIME_DIR"] = "/nonexistent"
        env.pop("PYSTRAY_BACKEND", None)
        choice = choose_backend(env, "linux")
        assert choice.backend in ("xorg", None), choice
        if choice.backend is None:
            assert "session bus" in choice.reason


def test_choose_backend_with_a_dead_display_is_headless() -> None:
    env = {"DISPLAY": ":379", "XDG_RUNTIME_DIR": "/nonexistent"}
    choice = choose_backend(env, "linux")
    assert choice == BackendChoice(None, "cannot connect to the X display ':379'")


# ---- choose_backend: the decision table (probes injected) ----


def probes(
    x: bool = True, bus: bool = True, gtk: bool = True, ind: bool = True, xlib: bool = True
) -> _Probes:
    def typelib(ns: str, _v: str) -> bool:
        return gtk if ns == "Gtk" else ind

    return _Probes(
        x_display=lambda _d: x,
        session_bus=lambda _e: bus,
        typelib=typelib,
        xlib=lambda: xlib,
    )


@pytest.mark.parametrize(
    ("env", "platform", "p", "backend", "reason_part"),
    [
        ({}, "win32", probes(), "win32", "Windows"),
        ({}, "darwin", probes(), "darwin", "macOS"),
        ({}, "linux", probes(), None, "DISPLAY and WAYLAND_DISPLAY are unset"),
        ({"DISPLAY": ":1"}, "linux", probes(x=False), None, "cannot connect"),
        ({"DISPLAY": ":1"}, "linux", probes(), "appindicator", "StatusNotifierItem"),
        ({"DISPLAY": ":1"}, "linux", probes(ind=False), "gtk", "XEmbed"),
        ({"DISPLAY": ":1"}, "linux", probes(bus=False), "xorg", "cannot be clicked"),
        (
            {"DISPLAY": ":1"},
            "linux",
            probes(bus=False, xlib=False),
            None,
            "gir1.2-ayatanaappindicator3-0.1",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-0"},
            "linux",
            probes(x=False),
            "appindicator",
            "StatusNotifierItem",
        ),
        (
            {"WAYLAND_DISPLAY": "wayland-0"},
            "linux",
            probes(x=False, ind=False),
            None,
            "gtk needs an X display",
        ),
        ({"DISPLAY": ":1", "PYSTRAY_BACKEND": "gtk"}, "linux", probes(), "gtk", "XEmbed"),
        (
            {"DISPLAY": ":1", "PYSTRAY_BACKEND": "bogus"},
            "linux",
            probes(),
            None,
            "'bogus' is not usable",
        ),
    ],
    ids=[
        "windows",
        "macos",
        "no-display",
        "dead-display",
        "x11-full",
        "no-indicator-typelib",
        "no-bus",
        "no-bus-no-xlib",
        "wayland-sni",
        "wayland-no-sni",
        "forced-gtk",
        "forced-bogus",
    ],
)
def test_choose_backend_table(
    env: Mapping[str, str], platform: str, p: _Probes, backend: str | None, reason_part: str
) -> None:
    choice = choose_backend(env, platform, p)
    assert choice.backend == backend
    assert reason_part in choice.reason


# ---- the real app: `python -m tray_app` in tray mode against a loopback status page ----


def test_real_app_docks_green_then_red_and_a_second_launch_rings_it(
    status_server: StatusServer, tmp_path: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display())
        stack.enter_context(trayer(display))
        env = x_env(display, stack.enter_context(private_session_bus()))
        stack.enter_context(recording_notification_server(env, tmp_path))
        env.update(PYTHONPATH=str(ROOT), NO_AT_BRIDGE="1")
        env.pop("PYSTRAY_BACKEND", None)
        app = start_tray_app(stack, env, tmp_path / "app.log")
        try:
            wait_for(
                lambda: "Claude: all systems operational" in docked_icons(display), "docked, green"
            )
            wait_for(lambda: near(icon_colour(display), COLOURS[Health.OPERATIONAL]), "green")

            status_server.set_summary(
                summary_doc(
                    "critical",
                    {API_COMPONENT: "major_outage"},
                    incidents=[incident_doc("inc42", "Elevated errors on Opus", "investigating")],
                )
            )
            wait_for(
                # the component's name in the page: "Claude API (api.anthropic.com)"
                lambda: any(
                    n.startswith("Claude: major outage — Claude API · Elevated errors on Opus")
                    for n in docked_icons(display)
                ),
                "outage title",
            )
            wait_for(lambda: near(icon_colour(display), COLOURS[Health.MAJOR_OUTAGE]), "red")

            served = len(status_server.requests_for(SUMMARY_PATH))
            second = subprocess.run(
                [sys.executable, "-m", "tray_app", "tray"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode == 0, second.stderr
            assert "already running; asked it to check now" in second.stdout
            status_server.wait_for_requests(SUMMARY_PATH, served + 1)

            started = time.monotonic()
            app.send_signal(signal.SIGTERM)
            assert app.wait(DEADLINE) == 0
            took = time.monotonic() - started
            assert took < 6, f"took {took:.1f} s to exit on SIGTERM"
        finally:
            stop_process(app)


def test_gtk_log_lines_stay_out_of_the_terminal_when_the_tray_host_goes_away(
    status_server: StatusServer, tmp_path: Path
) -> None:
    """GTK prints ``dbind-WARNING **`` at start on a desktop without an accessibility bus, and
    may print ``Gdk-CRITICAL **`` when trayer quits under a docked icon (measured, not every
    time); the app routes GTK's log to its log file and keeps running for a panel that comes
    back. (That the routing catches each domain every time: test_glib_log_routing.)"""
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display())
        panel = stack.enter_context(trayer(display))
        env = x_env(display, stack.enter_context(private_session_bus()))
        env.update(PYTHONPATH=str(ROOT))
        env.pop("NO_AT_BRIDGE", None)  # at-spi's bridge warns at start without its bus
        env.pop("PYSTRAY_BACKEND", None)
        terminal = tmp_path / "terminal.txt"
        app = start_tray_app(stack, env, terminal)
        try:
            wait_for(lambda: bool(docked_icons(display)), "docked")
            log_file = AppPaths.default().log_file
            wait_for(lambda: "tray_app.gtk: dbind: AT-SPI" in log_file.read_text(), "AT-SPI line")
            stop_process(panel)
            served = len(status_server.requests_for(SUMMARY_PATH))
            status_server.wait_for_requests(SUMMARY_PATH, served + 2)
            stack.enter_context(trayer(display))  # the panel comes back: the icon docks again
            wait_for(lambda: bool(docked_icons(display)), "docked again")
            assert app.poll() is None
            app.send_signal(signal.SIGTERM)
            assert app.wait(DEADLINE) == 0
        finally:
            stop_process(app)
    text = terminal.read_text()
    assert "CRITICAL **" not in text and "WARNING **" not in text, text
