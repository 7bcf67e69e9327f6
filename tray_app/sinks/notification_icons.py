"""The pictures notifications carry: the app's icon, and the tray icon of the state a
notification announces (a red cross for "down"...).

They ship with the package (tray_app/assets/notifications/, drawn by scripts/make_icons.py
with the same code as the tray's icons), so notifying never loads Pillow (about 4 MB that an
otherwise idle process would keep). If the files are missing (a stripped install), each
picture is drawn once into the state folder instead.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from tray_app.core.models import Health, MonitorSnapshot
from tray_app.platform.atomic import write_atomic

log = logging.getLogger(__name__)

APP_ICON_SIZE = 128
STATE_ICON_SIZE = 64
PACKAGED = Path(__file__).resolve().parent.parent / "assets" / "notifications"


def app_icon_name() -> str:
    return "app.png"


def state_icon_name(health: Health, probe_only: bool) -> str:
    return f"{health.value}{'-here' if probe_only else ''}.png"


class NotificationIcons:
    def __init__(self, state_dir: Path, packaged: Path = PACKAGED) -> None:
        self._packaged = packaged
        self._drawn = state_dir / "icons"

    @property
    def app_icon_path(self) -> Path:
        shipped = self._packaged / app_icon_name()
        return shipped if shipped.is_file() else self._drawn / app_icon_name()

    def ensure_app_icon(self) -> None:
        """Make sure ``app_icon_path`` exists (the backends point at it)."""
        path = self.app_icon_path
        if path.exists():
            return
        from tray_app.core.icons import render_app_icon

        try:
            _save_png(render_app_icon(APP_ICON_SIZE), path)
        except OSError as exc:
            log.warning("no notification icon: %s", exc)

    def for_state(self, snapshot: MonitorSnapshot) -> str | None:
        """The path of the tray icon of ``snapshot``'s state; None if it cannot be had."""
        name = state_icon_name(snapshot.overall, snapshot.probe_only)
        for path in (self._packaged / name, self._drawn / name):
            if path.is_file():
                return str(path)
        from tray_app.core.icons import render_icon

        path = self._drawn / name
        try:
            image = render_icon(snapshot.overall, STATE_ICON_SIZE, probe_only=snapshot.probe_only)
            _save_png(image, path)
        except OSError as exc:
            log.warning("no state icon for notifications: %s", exc)
            return None
        return str(path)


def _save_png(image: Any, path: Path) -> None:
    """Through the one atomic writer: never through a symlink planted at ``path``."""
    data = io.BytesIO()
    image.save(data, "PNG")
    write_atomic(path, data.getvalue())


__all__ = [
    "APP_ICON_SIZE",
    "PACKAGED",
    "STATE_ICON_SIZE",
    "NotificationIcons",
    "app_icon_name",
    "state_icon_name",
]
