"""GTK's log lines (``Gdk-CRITICAL **: ...``) go to our log, never to the user's terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_EMIT = r"""
import ctypes, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
from tray_app.sinks.tray_gtk import GLIB_LOG_DOMAINS, route_glib_log_to_python
route_glib_log_to_python()
glib = ctypes.CDLL("libglib-2.0.so.0")
CRITICAL, WARNING = 1 << 3, 1 << 4
for domain in GLIB_LOG_DOMAINS:
    glib.g_log(domain.encode(), CRITICAL, b"%s", b"assertion failed")
glib.g_log(b"Gdk", WARNING, b"%s", b"a warning")
"""


def test_gtk_criticals_and_warnings_go_to_the_python_log_not_stderr() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _EMIT],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "tray_app.gtk Gdk: assertion failed" in result.stdout
    assert "tray_app.gtk libayatana-appindicator: assertion failed" in result.stdout
    assert "tray_app.gtk Gdk: a warning" in result.stdout
