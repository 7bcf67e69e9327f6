"""What the app keeps in memory: the tray opens GTK without GL (the GL driver was 45 MB of a
132 MB tray) and without Pillow or python-xlib (4 MB and 2 MB it has no use for), and headless
`watch` never loads Pillow, even to notify. Real processes on
Xvfb + trayer against a loopback status page; the figures themselves are in
scripts/benchmark.py, not here."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from tests.apprig import write_loopback_config
from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.rigs_x11 import stop_process, trayer, x_env, xvfb_display
from tests.statusserver import API_401, CLOUDFLARE_403, SUMMARY_PATH, StatusServer, summary_doc
from tests.test_tray_x11 import docked_icons, icon_colour, near, wait_for
from tray_app.config.schema import API_COMPONENT
from tray_app.core.icons import COLOURS
from tray_app.core.models import Health

ROOT = Path(__file__).resolve().parent.parent
GL_LIBRARIES = ("libLLVM", "swrast_dri", "libGLX_mesa", "libgallium", "_dri.so")


def mapped_files(pid: int) -> set[str]:
    return {
        line.split()[-1]
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
        if line.count(" ") >= 5 and "/" in line
    }


def imported_modules(log: Path) -> set[str]:
    """Top-level names of the modules in a -X importtime log."""
    names = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def start_app(mode: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tray_app", mode],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def serve_a_calm_page(status_server: StatusServer) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)


def test_the_tray_opens_gtk_without_loading_a_gl_driver(
    status_server: StatusServer, tmp_path: Path
) -> None:
    serve_a_calm_page(status_server)
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display())
        stack.enter_context(trayer(display))
        env = x_env(display, stack.enter_context(private_session_bus()))
        # Python names every module it imports on stderr (the log here)
        env.update(PYTHONPATH=str(ROOT), NO_AT_BRIDGE="1", PYTHONPROFILEIMPORTTIME="1")
        for name in ("PYSTRAY_BACKEND", "GDK_GL"):
            env.pop(name, None)
        app = start_app("tray", env, tmp_path / "tray.log")
        try:
            status_server.wait_for_requests(SUMMARY_PATH, 3, timeout=30)
            time.sleep(1)
            assert app.poll() is None, (tmp_path / "tray.log").read_text(errors="replace")
            files = mapped_files(app.pid)
            assert any("libgtk-3" in f for f in files)  # GTK is up...
            assert not [f for f in files if any(gl in f for gl in GL_LIBRARIES)]  # ...without GL
            assert not [f for f in files if "PIL" in f or "pillow" in f]
            imported = imported_modules(tmp_path / "tray.log")
            assert "pystray" in imported and "gi" in imported
            assert {"PIL", "Xlib"}.isdisjoint(imported)
            # the state icon still comes through: green pixels in the panel
            wait_for(lambda: docked_icons(display), "a docked icon")
            wait_for(lambda: near(icon_colour(display), COLOURS[Health.OPERATIONAL]), "green")
        finally:
            stop_process(app)


def test_a_watch_that_notifies_an_outage_does_not_load_pillow(
    status_server: StatusServer, tmp_path: Path
) -> None:
    serve_a_calm_page(status_server)
    status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    with private_session_bus() as bus, recording_notification_server(bus, tmp_path) as notes:
        env = dict(bus)
        env.update(PYTHONPATH=str(ROOT))
        env.pop("DISPLAY", None)
        app = start_app("watch", env, tmp_path / "watch.log")
        try:
            status_server.wait_for_requests(SUMMARY_PATH, 3, timeout=30)
            status_server.wait_for_requests("/v1/models", 3, timeout=30)
            end = time.monotonic() + 15
            while not notes.notify_calls() and time.monotonic() < end:
                time.sleep(0.1)
            calls = notes.notify_calls()
            assert calls and calls[0]["app_icon"].endswith("major_outage.png")  # the red cross
            assert app.poll() is None, (tmp_path / "watch.log").read_text(errors="replace")
            assert not [f for f in mapped_files(app.pid) if "PIL" in f or "pillow" in f]
        finally:
            stop_process(app)
