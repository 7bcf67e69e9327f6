"""A broken notification daemon never takes the tray icon down.

The bus can activate org.freedesktop.Notifications, but the program it runs kills itself at
start (as a daemon started without the DISPLAY it needs does). pystray's GTK backends used
to build their notifier proxy synchronously before the loop, so the loop died and the process
lingered with no icon. Real parts: Xvfb, trayer, a private bus with that .service file, the
real app against a loopback status page.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.apprig import write_loopback_config
from tests.rigs_dbus import name_has_owner, private_session_bus
from tests.rigs_x11 import start_tray_app, stop_process, trayer, x_env, xvfb_display
from tests.statusserver import API_401, CLOUDFLARE_403, SUMMARY_PATH, StatusServer, summary_doc
from tests.test_tray_x11 import _DRIVER, DEADLINE, ROOT, docked_icons, wait_for

pytestmark = [pytest.mark.x11, pytest.mark.dbus]

NOTIFICATIONS = "org.freedesktop.Notifications"


def crashing_daemon(tmp_path: Path) -> str:
    """A program that dies of SIGTRAP at start ("received signal 5", as measured)."""
    script = tmp_path / "crashing-notification-daemon"
    script.write_text("#!/bin/sh\nkill -TRAP $$\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_a_crashing_notification_daemon_does_not_take_the_icon_down(
    status_server: StatusServer, tmp_path: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display())
        stack.enter_context(trayer(display))
        bus = private_session_bus({NOTIFICATIONS: crashing_daemon(tmp_path)})
        env = x_env(display, stack.enter_context(bus))
        env.update(PYTHONPATH=str(ROOT), NO_AT_BRIDGE="1")
        env.pop("PYSTRAY_BACKEND", None)
        log_path = tmp_path / "app.log"
        app = start_tray_app(stack, env, log_path)
        try:
            wait_for(
                lambda: "Claude: all systems operational" in docked_icons(display), "docked, green"
            )
            served = len(status_server.requests_for(SUMMARY_PATH))
            status_server.wait_for_requests(SUMMARY_PATH, served + 3)  # three more polls
            assert app.poll() is None, log_path.read_text()
            assert "Claude: all systems operational" in docked_icons(display)
            assert not name_has_owner(env, NOTIFICATIONS)  # the daemon really is broken

            app.send_signal(signal.SIGTERM)
            assert app.wait(DEADLINE) == 0, log_path.read_text()
        finally:
            stop_process(app)
    assert "Traceback" not in log_path.read_text()


def test_a_tray_loop_that_fails_before_it_is_up_ends_the_process(tmp_path: Path) -> None:
    """If the loop fails anyway, run() raises TrayUnavailable and nothing keeps the process
    alive (pystray's setup thread is not a daemon), so the app can fall back to headless."""
    broken = _DRIVER.replace(
        "ui.run(ready)",
        "def boom():\n    raise RuntimeError('simulated loop failure')\n"
        "ui._icon._initialize = boom\n"
        "try:\n    ui.run(ready)\nexcept Exception as exc:\n    say('FAILED', repr(exc))\n",
    )
    assert broken != _DRIVER
    with xvfb_display() as display, private_session_bus() as bus_env:
        env = {**x_env(display, bus_env), "PYTHONPATH": str(ROOT), "NO_AT_BRIDGE": "1"}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", broken, "appindicator", str(tmp_path / "paths")],
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE * 2,
            stdin=subprocess.DEVNULL,
        )
    assert "READY" not in result.stdout
    assert "FAILED TrayUnavailable('the tray loop failed: simulated loop failure')" in result.stdout
    assert "EXITED" in result.stdout
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < DEADLINE
