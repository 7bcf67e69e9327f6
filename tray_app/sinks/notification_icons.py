"""The pictures notifications carry: the app's icon, and the tray icon of the state a
notification announces (a red cross for "down"...).

Each is drawn once into the state folder and reused. Nothing is drawn before a notification
needs it, so a process that never notifies never loads Pillow (about 4 MB).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from tray_app.core.models import MonitorSnapshot
from tray_app.platform.atomic import write_atomic

log = logging.getLogger(__name__)

APP_ICON_SIZE = 128
STATE_ICON_SIZE = 64


class NotificationIcons:
    def __init__(self, state_dir: Path) -> None:
        self.app_icon_path = state_dir / "notification-icon.png"
        self._state_icons = state_dir / "icons"

    def ensure_app_icon(self) -> None:
        """Draw the app's icon if it is not there yet (the backends point at its path)."""
        if self.app_icon_path.exists():
            return
        from tray_app.core.icons import render_app_icon

        try:
            _save_png(render_app_icon(APP_ICON_SIZE), self.app_icon_path)
        except OSError as exc:
            log.warning("no notification icon: %s", exc)

    def for_state(self, snapshot: MonitorSnapshot) -> str | None:
        """The path of the tray icon of ``snapshot``'s state; None if it cannot be drawn."""
        name = f"{snapshot.overall.value}{'-here' if snapshot.probe_only else ''}.png"
        path = self._state_icons / name
        if path.exists():
            return str(path)
        from tray_app.core.icons import render_icon

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


__all__ = ["NotificationIcons"]
