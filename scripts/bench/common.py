"""What every measurement shares: targets, the result rows, /proc readings, and the real app
as a child process (config, environment, private bus, Xvfb + trayer)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.rigs_x11 import stop_process, trayer, x_env, xvfb_display, xwininfo_tree
from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURE = "anthropic_summary_2026-10-07.json"
VENV_BIN = Path(sys.executable).parent
CONSOLE_SCRIPT = VENV_BIN / "claude-status-tray"
APP_CMD = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "tray_app"]
DEFAULT_PAGE_INTERVAL = 60.0
DEFAULT_PROBE_INTERVAL = 30.0
DEADLINE = 30.0  # generous waits for "the app is up / has polled" on a loaded 2-core machine
MB = 1_000_000

# Targets: issue #6; RSS and network from #12, idle CPU from #16.
RSS_HEADLESS_MB = 40.0
RSS_TRAY_MB = 70.0
IDLE_CPU_PCT = 0.05
CPU_PER_POLL_MS = 2.0
LAUNCH_S = 1.5
BYTES_PER_DAY = 1 * MB
STATUSLINE_MS = 100.0
SLACK_S = 5.0

_SCRUB = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "ANTHROPIC_API_KEY",
    "PYSTRAY_BACKEND",
    "WAYLAND_DISPLAY",
)
_DISPLAY_LOCK = threading.Lock()  # two threads picking a free display number at once
_PRINT_LOCK = threading.Lock()


def say(text: str) -> None:
    with _PRINT_LOCK:
        print(text, file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class Row:
    measurement: str
    figure: str
    target: str
    ok: bool | None  # None: informational, no target
    note: str = ""

    def markdown(self) -> str:
        verdict = "—" if self.ok is None else ("pass" if self.ok else "**FAIL**")
        return f"| {self.measurement} | {self.figure} | {self.target} | {verdict} | {self.note} |"


@dataclasses.dataclass
class Report:
    rows: list[Row] = dataclasses.field(default_factory=list)
    details: list[str] = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# /proc readings


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_split(pid: int) -> str:
    """Private (anonymous) vs file-backed RSS, and PSS: how much of VmRSS is shared libraries."""
    anon, file = status_kb(pid, "RssAnon"), status_kb(pid, "RssFile")
    pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return f"RssAnon {anon / 1024:.1f} MB, RssFile {file / 1024:.1f} MB, Pss {pss / 1024:.1f} MB"


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# The app as a real process


def loopback_server(summary: object = FIXTURE) -> StatusServer:
    server = StatusServer().start()
    server.set_summary(summary)
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)
    return server


def config_text(url: str, page_interval: float | None, probe_interval: float | None) -> str:
    page = f"interval = {page_interval:g}\n" if page_interval is not None else ""
    probes = f"interval = {probe_interval:g}\n" if probe_interval is not None else ""
    return (
        f'[status_page]\nurl = "{url}"\n{page}\n'
        f'[probes]\napi_url = "{url}/v1/models"\nclaude_ai_url = "{url}/"\n{probes}'
    )


def app_env(base: dict[str, str], home: Path) -> dict[str, str]:
    env = {k: v for k, v in base.items() if k not in _SCRUB}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(folder)
    env["NO_AT_BRIDGE"] = "1"
    return env


def write_config(env: dict[str, str], text: str) -> None:
    folder = Path(env["XDG_CONFIG_HOME"]) / "claude-status-tray"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")


@contextlib.contextmanager
def app_process(mode: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*APP_CMD, mode],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield proc
    finally:
        stop_process(proc, grace=10.0)


@contextlib.contextmanager
def desktop(
    tray: bool, *, host: str = "trayer", notifications: Path | None = None
) -> Iterator[dict[str, str]]:
    """A private session bus, plus Xvfb and a tray host when ``tray``: ``host`` "trayer"
    (XEmbed) or "xfce4-panel" (its Status Tray plugin: a StatusNotifierItem host). With
    ``notifications`` (a folder for its files), a notification server on the bus, as on any
    desktop. Yields the environment."""
    with contextlib.ExitStack() as stack:
        env = dict(os.environ)
        if tray:
            with _DISPLAY_LOCK:
                display = stack.enter_context(xvfb_display())
            if host == "trayer":
                stack.enter_context(trayer(display))
            env = x_env(display, env)
        else:
            env.pop("DISPLAY", None)
        bus = stack.enter_context(private_session_bus())
        env["DBUS_SESSION_BUS_ADDRESS"] = bus["DBUS_SESSION_BUS_ADDRESS"]
        if tray and host == "xfce4-panel":
            from tests.rigs_xfce import xfce_panel

            panel_home = Path(tempfile.mkdtemp(prefix="cst-bench-xfce-"))
            stack.callback(shutil.rmtree, panel_home, True)
            stack.enter_context(xfce_panel(env, panel_home))
        if notifications is not None:
            notifications.mkdir(parents=True, exist_ok=True)
            stack.enter_context(recording_notification_server(env, notifications))
        yield env


def window_tree(display: str) -> str:
    """``xwininfo -root -tree``, retried: it fails (BadWindow) when a window dies mid-walk."""
    for _attempt in range(20):
        try:
            return xwininfo_tree(display)
        except subprocess.CalledProcessError:
            time.sleep(0.01)
    return xwininfo_tree(display)


def docked_icons(display: str) -> list[str]:
    """ "<id> <name>" of every window inside trayer's "panel" window (it always holds one
    nameless window of its own; compare with a reading taken before the launch)."""
    names: list[str] = []
    inside, panel_indent = False, 0
    for line in window_tree(display).splitlines():
        indent = len(line) - len(line.lstrip())
        if '"panel"' in line and "trayer" in line:
            inside, panel_indent = True, indent
            continue
        if inside and line.strip() and indent <= panel_indent:
            inside = False
        if inside and line.strip().startswith("0x"):
            names.append(line.split()[0] + " " + (line.split('"')[1] if '"' in line else ""))
    return names


def wait_until(check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {deadline:.0f} s")


def check_alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    if proc.poll() is not None:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the app exited with {proc.returncode}:\n{tail}")
