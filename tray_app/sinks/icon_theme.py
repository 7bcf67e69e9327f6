"""The tray's state icons as a small per-user icon theme folder, exported by name.

A StatusNotifierItem host shows ``IconName`` looked up in ``IconThemePath``. Exporting fixed
names (``claude-status-tray-major_outage``) instead of a fresh temporary file per state change
lets hosts that cache by name work, and leaves nothing behind in /tmp. The folder is
``<data dir>/icons`` (``$XDG_DATA_HOME/claude-status-tray/icons`` on Linux), laid out like
hicolor so hosts that look up by size find the right one::

    icons/hicolor/32x32/status/claude-status-tray-operational.png
    icons/hicolor/64x64/status/claude-status-tray-operational-probe.png

The files ship with the package (tray_app/assets/tray-theme/, drawn by scripts/make_icons.py
with ``core.icons``, the same code that drew assets/tray/), so the tray never loads Pillow
(about 4 MB it would keep); they are copied into the folder only when their bytes differ, so a
restart writes nothing. A stripped install without them draws them instead.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from tray_app import APP_NAME
from tray_app.core.models import DISTINCT_STATES, Health
from tray_app.platform.atomic import write_atomic

log = logging.getLogger(__name__)

THEME_SIZES = (32, 64)  # px; panels scale down, HiDPI panels pick 64
FILE_SIZE = 64  # the file handed to hosts that take a path (Gtk.StatusIcon)
PACKAGED = Path(__file__).resolve().parent.parent / "assets" / "tray-theme"


def _drawn_as(health: Health) -> Health:
    """OFFLINE and STATUS_PAGE_UNREACHABLE draw like UNKNOWN: one name for one picture."""
    return health if health in DISTINCT_STATES else Health.UNKNOWN


def state_icon_name(health: Health, probe_only: bool = False) -> str:
    suffix = "-probe" if probe_only else ""
    return f"{APP_NAME}-{_drawn_as(health).value}{suffix}"


def theme_file(root: Path, health: Health, probe_only: bool = False, size: int = FILE_SIZE) -> Path:
    """Where a state's icon lives in a theme folder laid out like hicolor."""
    name = state_icon_name(health, probe_only)
    return root / "hicolor" / f"{size}x{size}" / "status" / f"{name}.png"


def draw_theme_icon(health: Health, probe_only: bool, size: int) -> bytes:
    """The PNG of one state's icon, drawn now (scripts/make_icons.py, and stripped installs)."""
    from tray_app.core.icons import render_icon

    buffer = io.BytesIO()
    render_icon(health, size, probe_only=probe_only).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


class StateIconTheme:
    """The exported folder: ``root`` is what goes into IconThemePath."""

    def __init__(self, root: Path, packaged: Path = PACKAGED) -> None:
        self.root = root
        self._packaged = packaged

    def file(self, health: Health, probe_only: bool = False, size: int = FILE_SIZE) -> Path:
        return theme_file(self.root, health, probe_only, size)

    def export(self) -> None:
        """Write every state's icon at every size (only files whose bytes differ)."""
        for health in DISTINCT_STATES:
            for probe_only in (False, True):
                for size in THEME_SIZES:
                    self._write(health, probe_only, size)

    def _write(self, health: Health, probe_only: bool, size: int) -> None:
        path = self.file(health, probe_only, size)
        try:
            data = theme_file(self._packaged, health, probe_only, size).read_bytes()
        except OSError:
            data = draw_theme_icon(health, probe_only, size)
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass
        write_atomic(path, data)


__all__ = [
    "FILE_SIZE",
    "PACKAGED",
    "THEME_SIZES",
    "StateIconTheme",
    "draw_theme_icon",
    "state_icon_name",
    "theme_file",
]
