"""The application-menu entry and the app icon for XDG desktops (Linux, the BSDs).

``claude-status-tray desktop-entry install`` writes, under ``$XDG_DATA_HOME`` (~/.local/share):

    applications/claude-status-tray.desktop              the launcher's menu entry
    icons/hicolor/<N>x<N>/apps/claude-status-tray.png   the icon it (and autostart's) names

A pip or pipx install puts neither anywhere a desktop looks, so ``Icon=claude-status-tray``
in the autostart entry showed a generic icon. The icon is drawn by ``core.icons`` (the same
code that drew assets/).

Ownership: ``remove`` deletes only files whose bytes are what we wrote, as recorded in
``<data dir>/desktop-entry.json`` (path -> sha256) or as ``install`` would write them now. A
file someone else put at one of these paths (a distribution package, the tarball's
install.sh, the user's own edit) is left alone by both ``install`` and ``remove``, which say
so.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tray_app import APP_NAME, APP_TITLE
from tray_app.platform.atomic import write_atomic
from tray_app.platform.autostart import MARKER_KEY, desktop_exec, launch_command
from tray_app.platform.paths import AppPaths

log = logging.getLogger(__name__)

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
MANIFEST_NAME = "desktop-entry.json"


def render_application_desktop(command: Sequence[str]) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.1",
            f"Name={APP_TITLE}",
            "GenericName=Service Status Monitor",
            "Comment=Claude's health in your system tray, with notifications",
            f"Exec={desktop_exec(command)}",
            f"Icon={APP_NAME}",
            "Terminal=false",
            "Categories=Utility;Network;",
            "Keywords=Claude;Anthropic;status;outage;tray;",
            "StartupNotify=false",
            f"{MARKER_KEY}=1",
            "",
        ]
    )


def _icon_png(size: int) -> bytes:
    from tray_app.core.icons import render_app_icon

    buffer = io.BytesIO()
    render_app_icon(size).save(buffer, "PNG")
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def xdg_data_home(env: Mapping[str, str], home: Path) -> Path:
    # The spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    value = env.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else home / ".local" / "share"


@dataclass
class Outcome:
    """What install/remove did, file by file."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    left_alone: list[Path] = field(default_factory=list)  # not ours: never touched


class DesktopEntry:
    def __init__(self, data_home: Path, manifest: Path, command: Sequence[str]) -> None:
        self.data_home = data_home
        self.manifest = manifest
        self.command = tuple(command)

    @property
    def desktop_file(self) -> Path:
        return self.data_home / "applications" / f"{APP_NAME}.desktop"

    def icon_file(self, size: int) -> Path:
        return self.data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_NAME}.png"

    def wanted(self) -> dict[Path, bytes]:
        """Every file install writes, with its bytes."""
        files = {self.desktop_file: render_application_desktop(self.command).encode("utf-8")}
        for size in ICON_SIZES:
            files[self.icon_file(size)] = _icon_png(size)
        return files

    def install(self) -> Outcome:
        outcome = Outcome()
        recorded = self._recorded()
        for path, data in self.wanted().items():
            current = _read(path)
            if current == data:
                outcome.unchanged.append(path)
            elif current is None or recorded.get(str(path)) == _sha256(current):
                write_atomic(path, data, mode=0o644)
                outcome.written.append(path)
            else:
                outcome.left_alone.append(path)
                continue
            recorded[str(path)] = _sha256(data)
        self._save(recorded)
        _refresh_caches(self.data_home)
        return outcome

    def remove(self) -> Outcome:
        outcome = Outcome()
        recorded = self._recorded()
        ours_now = {str(p): _sha256(d) for p, d in self.wanted().items()}
        for name in sorted(set(recorded) | set(ours_now)):
            path = Path(name)
            current = _read(path)
            if current is None:
                continue
            if _sha256(current) in (recorded.get(name), ours_now.get(name)):
                path.unlink()
                outcome.removed.append(path)
            else:
                outcome.left_alone.append(path)
        self.manifest.unlink(missing_ok=True)
        _refresh_caches(self.data_home)
        return outcome

    def _recorded(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = loaded.get("files") if isinstance(loaded, dict) else None
        if not isinstance(files, dict):
            return {}
        return {str(k): str(v) for k, v in files.items()}

    def _save(self, recorded: Mapping[str, str]) -> None:
        text = json.dumps({"files": dict(sorted(recorded.items()))}, indent=1) + "\n"
        write_atomic(self.manifest, text.encode("utf-8"))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _refresh_caches(data_home: Path) -> None:
    """Refresh what desktops cache: the menu database, and hicolor's icon cache only where
    one exists (a stale cache hides new icons; none at all means GTK scans the folders)."""
    apps = data_home / "applications"
    hicolor = data_home / "icons" / "hicolor"
    commands = []
    if apps.is_dir() and shutil.which("update-desktop-database"):
        commands.append(["update-desktop-database", "-q", str(apps)])
    if (hicolor / "icon-theme.cache").exists() and shutil.which("gtk-update-icon-cache"):
        commands.append(["gtk-update-icon-cache", "-q", "-t", "-f", str(hicolor)])
    for argv in commands:
        try:
            subprocess.run(argv, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("%s failed: %s", argv[0], exc)


def desktop_entry_for(paths: AppPaths) -> DesktopEntry:
    return DesktopEntry(
        xdg_data_home(os.environ, Path.home()), paths.data_dir / MANIFEST_NAME, launch_command()
    )


def cmd_desktop_entry(paths: AppPaths, action: str) -> int:
    """``claude-status-tray desktop-entry install|remove``."""
    if sys.platform in ("win32", "darwin"):
        print(
            f"{APP_NAME}: desktop-entry is for Linux and other XDG desktops; "
            "the Windows and macOS installers add the app to the menu",
            file=sys.stderr,
        )
        return 2
    entry = desktop_entry_for(paths)
    try:
        outcome = entry.install() if action == "install" else entry.remove()
    except OSError as exc:
        print(f"{APP_NAME}: desktop-entry {action}: {exc}", file=sys.stderr)
        return 1
    for path in outcome.written:
        print(f"wrote {path}")
    for path in outcome.removed:
        print(f"removed {path}")
    for path in outcome.left_alone:
        print(f"left alone (not written by {APP_NAME}): {path}", file=sys.stderr)
    if action == "install":
        done = len(outcome.written) + len(outcome.unchanged)
        print(f"{APP_TITLE} is in the applications menu ({done} files in {entry.data_home})")
    return 0


__all__ = [
    "ICON_SIZES",
    "DesktopEntry",
    "Outcome",
    "cmd_desktop_entry",
    "desktop_entry_for",
    "render_application_desktop",
    "xdg_data_home",
]
