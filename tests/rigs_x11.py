"""Test rigs: a private Xvfb display and a trayer system tray on it.

    with xvfb_display() as display, trayer(display):
        ...  # DISPLAY=display; an XEmbed tray (trayer) owns _NET_SYSTEM_TRAY_S0

Every process started here is killed in ``finally``, so a failing test leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

STARTUP_DEADLINE = 20.0  # generous: a loaded 2-core machine can be slow to start X
_X11_DIR = Path("/tmp/.X11-unix")


def _wait(check: Callable[[], bool], what: str, deadline: float = STARTUP_DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not happen within {deadline:.0f} s")


def _accepts(number: int) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(_X11_DIR / f"X{number}"))
        except OSError:
            return False
    return True


def _free_display_number(start: int = 90) -> int:
    for number in range(start, start + 400):
        if not Path(f"/tmp/.X{number}-lock").exists() and not (_X11_DIR / f"X{number}").exists():
            return number
    raise RuntimeError("no free X display number")


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 3.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def x_env(display: str, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["DISPLAY"] = display
    env.pop("WAYLAND_DISPLAY", None)
    env.setdefault("GDK_GL", "disable")  # no GLX probe: Mesa's llvmpipe is slow and big
    return env


@contextlib.contextmanager
def xvfb_display(size: str = "640x200x24") -> Iterator[str]:
    """Start Xvfb on a free display number; yield ":N" once it accepts connections."""
    for _attempt in range(5):
        number = _free_display_number()
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                end = time.monotonic() + STARTUP_DEADLINE
                while time.monotonic() < end and proc.poll() is None and not _accepts(number):
                    time.sleep(0.05)
                if proc.poll() is not None:  # lost a race for the number: try another
                    continue
                if not _accepts(number):
                    log.seek(0)
                    raise RuntimeError(f"Xvfb :{number} never accepted: {log.read()!r}")
                yield f":{number}"
                return
            finally:
                stop_process(proc)
    raise RuntimeError("could not start Xvfb")


def xwininfo_tree(display: str) -> str:
    return subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env=x_env(display),
        capture_output=True,
        text=True,
        errors="replace",  # window names may be Latin-1 (X's STRING type), not UTF-8
        timeout=10,
        check=True,
    ).stdout


def window_ids(display: str, name_pattern: str) -> list[str]:
    """Ids of windows whose xwininfo line matches ``name_pattern`` (a regex)."""
    rx = re.compile(name_pattern)
    return [line.split()[0] for line in xwininfo_tree(display).splitlines() if rx.search(line)]


@contextlib.contextmanager
def trayer(display: str, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start trayer (an XEmbed system tray) on ``display``; yield once its window exists."""
    proc = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "left",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--tint",
            "0xffffff",
            "--transparent",
            "false",
            "--expand",
            "true",
            *extra,
        ],
        env=x_env(display),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(
            lambda: proc.poll() is None and bool(window_ids(display, r'"panel"')), "trayer window"
        )
        yield proc
    finally:
        stop_process(proc)


def start_tray_app(
    stack: contextlib.ExitStack, env: dict[str, str], output: Path
) -> subprocess.Popen[bytes]:
    """The real tray app (`python -m tray_app tray`), its terminal (stdout and stderr) written
    to ``output``; the process and the file close with ``stack``."""
    out = stack.enter_context(output.open("w"))
    return stack.enter_context(
        subprocess.Popen(
            [sys.executable, "-m", "tray_app", "tray"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    )
