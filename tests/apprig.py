"""Running the real app from tests: a config pointing every URL at a loopback server, written
into the isolated XDG folders (see the autouse fixture in conftest.py), and the CLI as a
subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tray_app.platform.paths import AppPaths

REPO = Path(__file__).resolve().parent.parent


def write_loopback_config(server_url: str, *, api_url: str | None = None, extra: str = "") -> Path:
    """Status page and probes on ``server_url``, polled every second (loopback allows it)."""
    path = AppPaths.default().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
[status_page]
url = "{server_url}"
interval = 1
timeout = 3

[probes]
interval = 1
timeout = 3
api_url = "{api_url or server_url + "/v1/models"}"
claude_ai_url = "{server_url}/"
{extra}
""",
        encoding="utf-8",
    )
    return path


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`claude-status-tray ARGS` as a real process; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "tray_app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )
