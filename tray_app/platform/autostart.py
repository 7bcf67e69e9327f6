"""Start at login: one small backend per OS behind the same four methods.

- Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/claude-status-tray.desktop``.
- macOS: ``~/Library/LaunchAgents/com.claude-status-tray.agent.plist`` (RunAtLoad, Interactive).
- Windows: value ``ClaudeStatusTray`` under ``HKCU\\...\\CurrentVersion\\Run`` with a quoted path,
  written through :class:`RegistryFacade` so the logic is testable off Windows.

Ownership policy (never clobber what the user wrote): every file we write carries a marker
(``X-Claude-Status-Tray=1`` in the .desktop file, ``X-Claude-Status-Tray`` = true in the plist).
A file at our path *without* the marker was written by someone else: ``enable()`` and
``disable()`` both refuse with :class:`AutostartConflict`, naming the file, and leave it alone.
A file *with* the marker is ours and is rewritten on ``enable()`` (so a moved executable is
picked up). On Windows the Run value name is ours by definition (the Inno Setup installer writes
the same value), so it is simply overwritten.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Protocol

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.errors import AutostartError
from tray_app.platform.atomic import write_atomic

logger = logging.getLogger(__name__)

DESKTOP_FILE_NAME = f"{APP_NAME}.desktop"
MARKER_KEY = "X-Claude-Status-Tray"
LAUNCH_AGENT_LABEL = "com.claude-status-tray.agent"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = "ClaudeStatusTray"


class AutostartConflict(AutostartError):
    """A file at our autostart path was not written by us; we refuse to touch it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path} exists but was not created by {APP_NAME} (no {MARKER_KEY} marker); "
            "not touching it. Remove or rename it yourself, then try again."
        )


class AutostartBackend(Protocol):
    def enable(self) -> None: ...

    def disable(self) -> None: ...

    def is_enabled(self) -> bool: ...

    def describe(self) -> str: ...


# --------------------------------------------------------------------------- launch command


def _is_windows(platform: str) -> bool:
    return platform in ("win32", "cygwin")


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    platform: str | None = None,
    is_file: Callable[[str], bool] = os.path.isfile,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The argv that starts the tray app for this installation.

    1. A frozen (PyInstaller) build: the executable itself; on Windows the windowed
       ``claude-status-tray.exe`` even when asked from its console twin ``...-cli.exe``.
    2. Windows, pip/pipx: ``pythonw.exe -m tray_app`` from the same environment, because the
       ``claude-status-tray.exe`` console script would keep a console window open at login.
    3. pip/pipx: the ``claude-status-tray`` console script beside the interpreter
       (``bin/`` or ``Scripts\\``), else the one on PATH.
    4. Otherwise ``<python> -m tray_app``.

    The venv's interpreter path is deliberately not resolved: resolving a venv's ``python``
    symlink leads out of the venv to the base interpreter.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    platform = sys.platform if platform is None else platform
    windows = _is_windows(platform)
    path_type: type[PurePath] = PureWindowsPath if windows else PurePosixPath

    if frozen:
        exe = path_type(executable)
        if windows and exe.stem.lower().endswith("-cli"):
            return [str(exe.with_name(f"{APP_NAME}.exe"))]
        return [executable]
    exe_dir = path_type(executable).parent
    if windows:
        pythonw = str(exe_dir / "pythonw.exe")
        if is_file(pythonw):
            return [pythonw, "-m", "tray_app"]
    script = str(exe_dir / (f"{APP_NAME}.exe" if windows else APP_NAME))
    if is_file(script):
        return [script]
    found = which(APP_NAME)
    if found:
        return [found]
    return [executable, "-m", "tray_app"]


# --------------------------------------------------------------------------- shared helpers


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, mode=0o644)
    except OSError as exc:
        raise AutostartError(f"could not write {path}: {exc}") from exc


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"could not remove {path}: {exc}") from exc


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AutostartError(f"could not read {path}: {exc}") from exc


# --------------------------------------------------------------------------- Linux / XDG

# Characters that force quoting of an Exec argument (Desktop Entry Specification, "Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def quote_exec_arg(arg: str) -> str:
    """Quote one argument for a .desktop ``Exec=`` value, string-level escaping included."""
    if "\n" in arg or "\r" in arg:
        raise AutostartError(f"cannot put a line break in a .desktop Exec argument: {arg!r}")
    if arg and not (_EXEC_RESERVED & set(arg)):
        quoted = arg
    else:
        inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        quoted = f'"{inner}"'
    # Field codes: a literal percent is written %%. Then the string-level escape of
    # backslashes, which applies before the Exec quoting rule.
    return quoted.replace("%", "%%").replace("\\", "\\\\")


def desktop_exec(command: Sequence[str]) -> str:
    return " ".join(quote_exec_arg(a) for a in command)


def render_autostart_desktop(command: Sequence[str]) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_TITLE}",
            "Comment=Claude's health in the system tray",
            f"Exec={desktop_exec(command)}",
            f"Icon={APP_NAME}",
            "Terminal=false",
            "StartupNotify=false",
            "X-GNOME-Autostart-enabled=true",
            # Give the panel / StatusNotifier host a moment to appear before we register.
            "X-GNOME-Autostart-Delay=5",
            f"{MARKER_KEY}=1",
            "",
        ]
    )


def _desktop_entry(text: str) -> dict[str, str]:
    """Keys of the [Desktop Entry] group (enough for our checks; no locale handling)."""
    entries: dict[str, str] = {}
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            in_group = line == "[Desktop Entry]"
            continue
        if in_group and "=" in line:
            key, _, value = line.partition("=")
            entries[key.strip()] = value.strip()
    return entries


@dataclass(frozen=True)
class XdgAutostart:
    path: Path
    command: tuple[str, ...]

    def _ours(self, text: str) -> bool:
        return _desktop_entry(text).get(MARKER_KEY) == "1"

    def enable(self) -> None:
        existing = _read_text(self.path)
        if existing is not None and not self._ours(existing):
            raise AutostartConflict(self.path)
        _atomic_write(self.path, render_autostart_desktop(self.command).encode("utf-8"))
        logger.info("autostart enabled: %s", self.path)

    def disable(self) -> None:
        existing = _read_text(self.path)
        if existing is None:
            return
        if not self._ours(existing):
            raise AutostartConflict(self.path)
        _remove(self.path)
        logger.info("autostart disabled: removed %s", self.path)

    def is_enabled(self) -> bool:
        """Whether the session will start us: the file exists and is not switched off.

        A foreign file counts too (it starts the app all the same); desktop settings
        dialogs switch an entry off with Hidden=true or X-GNOME-Autostart-enabled=false.
        """
        text = _read_text(self.path)
        if text is None:
            return False
        entry = _desktop_entry(text)
        return (
            entry.get("Hidden", "false").lower() != "true"
            and entry.get("X-GNOME-Autostart-enabled", "true").lower() != "false"
        )

    def describe(self) -> str:
        return f"XDG autostart entry {self.path}"


def xdg_autostart_path(env: Mapping[str, str], home: Path) -> Path:
    # The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    config_home = env.get("XDG_CONFIG_HOME", "")
    base = Path(config_home) if os.path.isabs(config_home) else home / ".config"
    return base / "autostart" / DESKTOP_FILE_NAME


# --------------------------------------------------------------------------- macOS


def render_launch_agent(command: Sequence[str]) -> bytes:
    import plistlib  # macOS only: its XML parser is not loaded on other systems

    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
            MARKER_KEY: True,
        }
    )


@dataclass(frozen=True)
class LaunchAgentAutostart:
    """Takes effect at the next login; we do not ``launchctl bootstrap`` (that would start
    a second copy of the app now)."""

    path: Path
    command: tuple[str, ...]

    def _load(self) -> dict[str, object] | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AutostartError(f"could not read {self.path}: {exc}") from exc
        import plistlib

        try:
            loaded = plistlib.loads(data)
        except Exception:  # plistlib raises several types for junk; any of them means "not ours"
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def enable(self) -> None:
        existing = self._load()
        if existing is not None and existing.get(MARKER_KEY) is not True:
            raise AutostartConflict(self.path)
        _atomic_write(self.path, render_launch_agent(self.command))
        logger.info("autostart enabled: %s", self.path)

    def disable(self) -> None:
        existing = self._load()
        if existing is None:
            return
        if existing.get(MARKER_KEY) is not True:
            raise AutostartConflict(self.path)
        _remove(self.path)
        logger.info("autostart disabled: removed %s", self.path)

    def is_enabled(self) -> bool:
        agent = self._load()
        if not agent:  # missing, or not a plist launchd could load
            return False
        runs_something = bool(agent.get("ProgramArguments") or agent.get("Program"))
        return runs_something and agent.get("Disabled") is not True

    def describe(self) -> str:
        return f"LaunchAgent {self.path}, takes effect at next login"


def launch_agent_path(home: Path) -> Path:
    return home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


# --------------------------------------------------------------------------- Windows


class RegistryFacade(Protocol):
    """String values under one HKEY_CURRENT_USER key."""

    def set_value(self, key: str, name: str, value: str) -> None: ...

    def delete_value(self, key: str, name: str) -> None:
        """Remove the value; a missing value is not an error."""
        ...

    def get_value(self, key: str, name: str) -> str | None: ...


class WinregRegistry:
    """The real HKCU registry (only usable on Windows; ``winreg`` is imported lazily)."""

    def set_value(self, key: str, name: str, value: str) -> None:
        if sys.platform == "win32":
            import winreg

            try:
                with winreg.CreateKeyEx(
                    winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE
                ) as k:
                    winreg.SetValueEx(k, name, 0, winreg.REG_SZ, value)
            except OSError as exc:
                raise AutostartError(f"could not write HKCU\\{key}\\{name}: {exc}") from exc
        else:
            raise AutostartError("the Windows registry is only available on Windows")

    def delete_value(self, key: str, name: str) -> None:
        if sys.platform == "win32":
            import winreg

            try:
                with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as k:
                    winreg.DeleteValue(k, name)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise AutostartError(f"could not delete HKCU\\{key}\\{name}: {exc}") from exc
        else:
            raise AutostartError("the Windows registry is only available on Windows")

    def get_value(self, key: str, name: str) -> str | None:
        if sys.platform == "win32":
            import winreg

            try:
                with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_READ) as k:
                    value, _type = winreg.QueryValueEx(k, name)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise AutostartError(f"could not read HKCU\\{key}\\{name}: {exc}") from exc
            return str(value)
        raise AutostartError("the Windows registry is only available on Windows")


def windows_command_line(command: Sequence[str]) -> str:
    """The Run value: the executable always in double quotes, then the arguments."""
    exe, *args = command
    if '"' in exe:
        raise AutostartError(f"executable path contains a double quote: {exe!r}")
    rest = subprocess.list2cmdline(args)
    return f'"{exe}"' + (f" {rest}" if rest else "")


@dataclass(frozen=True)
class WindowsRunAutostart:
    registry: RegistryFacade
    command: tuple[str, ...]

    def enable(self) -> None:
        self.registry.set_value(RUN_KEY, RUN_VALUE_NAME, windows_command_line(self.command))
        logger.info("autostart enabled: HKCU\\%s\\%s", RUN_KEY, RUN_VALUE_NAME)

    def disable(self) -> None:
        self.registry.delete_value(RUN_KEY, RUN_VALUE_NAME)
        logger.info("autostart disabled: HKCU\\%s\\%s", RUN_KEY, RUN_VALUE_NAME)

    def is_enabled(self) -> bool:
        return bool(self.registry.get_value(RUN_KEY, RUN_VALUE_NAME))

    def describe(self) -> str:
        return f"registry value HKCU\\{RUN_KEY}\\{RUN_VALUE_NAME}"


# --------------------------------------------------------------------------- facade


def autostart_for(
    platform: str = sys.platform,
    *,
    env: Mapping[str, str] = os.environ,
    registry: RegistryFacade | None = None,
    home: Path | None = None,
    command: Sequence[str] | None = None,
) -> AutostartBackend:
    """The start-at-login backend for ``platform`` (defaults: this machine, this install)."""
    argv = tuple(command) if command is not None else tuple(launch_command(platform=platform))
    if not argv:
        raise AutostartError("empty launch command")
    if _is_windows(platform):
        return WindowsRunAutostart(registry if registry is not None else WinregRegistry(), argv)
    home_dir = home if home is not None else Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return LaunchAgentAutostart(launch_agent_path(home_dir), argv)
    return XdgAutostart(xdg_autostart_path(env, home_dir), argv)


__all__ = [
    "DESKTOP_FILE_NAME",
    "LAUNCH_AGENT_LABEL",
    "MARKER_KEY",
    "RUN_KEY",
    "RUN_VALUE_NAME",
    "AutostartBackend",
    "AutostartConflict",
    "AutostartError",
    "LaunchAgentAutostart",
    "RegistryFacade",
    "WindowsRunAutostart",
    "WinregRegistry",
    "XdgAutostart",
    "autostart_for",
    "desktop_exec",
    "launch_command",
    "quote_exec_arg",
    "render_autostart_desktop",
    "render_launch_agent",
    "windows_command_line",
    "xdg_autostart_path",
]
