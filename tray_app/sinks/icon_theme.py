"""The tray's state icons as a small per-user icon theme folder, exported by name.

A StatusNotifierItem host shows ``IconName`` looked up in ``IconThemePath``. Exporting fixed
names (``claude-status-tray-major_outage``) instead of a fresh temporary file per state change
lets hosts that cache by name work, and leaves nothing behind in /tmp. The folder is
``<data dir>/icons`` (``$XDG_DATA_HOME/claude-status-tray/icons`` on Linux), laid out like
hicolor so hosts that look up by size find the right one::

    icons/hicolor/32x32/status/claude-status-tray-operational.png
    icons/hicolor/64x64/status/claude-status-tray-operational-probe.png

The files are drawn by ``core.icons`` (the same code that drew assets/tray/) and rewritten
only when their bytes change, so a restart writes nothing.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from tray_app import APP_NAME
from tray_app.core.icons import DISTINCT_STATES, render_icon
from tray_app.core.models import Health
from tray_app.platform.atomic import write_atomic

log = logging.getLogger(__name__)

THEME_SIZES = (32, 64)  # px; panels scale down, HiDPI panels pick 64
FILE_SIZE = 64  # the file handed to hosts that take a path (Gtk.StatusIcon)


def _drawn_as(health: Health) -> Health:
    """OFFLINE and STATUS_PAGE_UNREACHABLE draw like UNKNOWN: one name for one picture."""
    return health if health in DISTINCT_STATES else Health.UNKNOWN


def state_icon_name(health: Health, probe_only: bool = False) -> str:
    suffix = "-probe" if probe_only else ""
    return f"{APP_NAME}-{_drawn_as(health).value}{suffix}"


class StateIconTheme:
    """The exported folder: ``root`` is what goes into IconThemePath."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, health: Health, probe_only: bool = False, size: int = FILE_SIZE) -> Path:
        name = state_icon_name(health, probe_only)
        return self.root / "hicolor" / f"{size}x{size}" / "status" / f"{name}.png"

    def export(self) -> None:
        """Write every state's icon at every size (only files whose bytes differ)."""
        for health in DISTINCT_STATES:
            for probe_only in (False, True):
                for size in THEME_SIZES:
                    self._write(self.file(health, probe_only, size), health, probe_only, size)

    def _write(self, path: Path, health: Health, probe_only: bool, size: int) -> None:
        buffer = io.BytesIO()
        render_icon(health, size, probe_only=probe_only).save(buffer, "PNG")
        data = buffer.getvalue()
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass
        write_atomic(path, data)


__all__ = ["FILE_SIZE", "THEME_SIZES", "StateIconTheme", "state_icon_name"]
