"""Test rig: a headless Wayland session, run as an unprivileged user (see rigs_user): sway
(WLR_BACKENDS=headless, pixman renderer, no input devices), waybar with its ``tray`` module
(a StatusNotifierWatcher and host) and mako (the notification daemon), on a private session
bus. No X anywhere: no DISPLAY, and sway's Xwayland is off.

    with sway_session(user, base, bus_env) as session:
        session.env          # WAYLAND_DISPLAY, XDG_RUNTIME_DIR, bus... for the user's processes
        session.run(...)     # a command as the user, e.g. grim or makoctl
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.rigs_dbus import STARTUP_DEADLINE, _wait_until, name_has_owner
from tests.rigs_user import SessionUser
from tests.rigs_x11 import stop_process

SNI_WATCHER = "org.kde.StatusNotifierWatcher"
NOTIFICATIONS = "org.freedesktop.Notifications"
SCREEN = (640, 480)
BAR_HEIGHT = 30

_SWAY_CONFIG = f"""xwayland disable
output HEADLESS-1 resolution {SCREEN[0]}x{SCREEN[1]} background #000000 solid_color
"""
_WAYBAR_CONFIG = {
    "layer": "top",
    "position": "top",
    "height": BAR_HEIGHT,
    "modules-left": [],
    "modules-center": [],
    "modules-right": ["tray"],
    "tray": {"icon-size": 24, "spacing": 4},
}
_WAYBAR_STYLE = "* { font-size: 12px; } window#waybar { background: #ffffff; }\n"


@dataclass
class SwaySession:
    user: SessionUser
    env: dict[str, str]
    base: Path

    def run(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.user.argv(*command),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *command: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                self.user.argv(*command),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def screenshot(self) -> Image.Image:
        """The whole output, taken by grim (a wlr-screencopy client)."""
        shot = Path(self.env["HOME"]) / "shot.png"
        result = self.run("grim", str(shot))
        assert result.returncode == 0, result.stderr
        with Image.open(shot) as img:
            return img.convert("RGB")

    def notifications(self) -> list[dict[str, object]]:
        """What mako shows now (``makoctl list``), as summary/body dicts."""
        result = self.run("makoctl", "list")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout or "{}")
        shown: list[dict[str, object]] = []
        for group in data.get("data", []):
            for item in group:
                shown.append({k: v.get("data") for k, v in item.items() if isinstance(v, dict)})
        return shown


def _user_dir(user: SessionUser, path: Path, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    user.own(path)
    return path


@contextlib.contextmanager
def sway_session(
    user: SessionUser, base: Path, bus_env: Mapping[str, str]
) -> Iterator[SwaySession]:
    """sway + waybar (tray) + mako as ``user``, files under ``base`` (readable by the user);
    yields once waybar's watcher and mako own their names on the bus."""
    runtime = _user_dir(user, base / "runtime", 0o700)
    home = _user_dir(user, base / "home")
    config = _user_dir(user, home / ".config")
    for sub in ("waybar", "mako"):
        _user_dir(user, config / sub)
    for sub in (".cache", ".local", ".local/share", ".local/state"):
        _user_dir(user, home / sub)
    (base / "sway.conf").write_text(_SWAY_CONFIG, encoding="utf-8")
    (config / "waybar" / "config").write_text(json.dumps(_WAYBAR_CONFIG), encoding="utf-8")
    (config / "waybar" / "style.css").write_text(_WAYBAR_STYLE, encoding="utf-8")
    (config / "mako" / "config").write_text("default-timeout=0\n", encoding="utf-8")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "USER": user.name,
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(config),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CURRENT_DESKTOP": "sway",
        "DBUS_SESSION_BUS_ADDRESS": bus_env["DBUS_SESSION_BUS_ADDRESS"],
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "GDK_GL": "disable",
        "NO_AT_BRIDGE": "1",
    }
    session = SwaySession(user, env, base)
    with contextlib.ExitStack() as stack:
        sway = session.start("sway", "-c", str(base / "sway.conf"), log=base / "sway.log")
        stack.callback(stop_process, sway)
        _wait_until(
            lambda: sway.poll() is None and (runtime / "wayland-1").exists(), "sway's socket"
        )
        env["WAYLAND_DISPLAY"] = "wayland-1"
        env["SWAYSOCK"] = next(str(p) for p in runtime.glob("sway-ipc.*.sock"))
        waybar = session.start("waybar", log=base / "waybar.log")
        stack.callback(stop_process, waybar)
        mako = session.start("mako", log=base / "mako.log")
        stack.callback(stop_process, mako)
        _wait_until(
            lambda: waybar.poll() is None and name_has_owner(env, SNI_WATCHER),
            "waybar's StatusNotifierWatcher",
            STARTUP_DEADLINE,
        )
        _wait_until(lambda: mako.poll() is None and name_has_owner(env, NOTIFICATIONS), "mako")
        yield session


__all__ = ["BAR_HEIGHT", "SCREEN", "SwaySession", "sway_session"]
