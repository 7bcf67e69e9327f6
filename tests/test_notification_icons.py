"""The notification pictures shipped in the package are exactly what the icon code draws (so
they cannot drift from the tray's icons), and notifications point at them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image

from tray_app.core.icons import render_app_icon, render_icon
from tray_app.core.models import Health, MonitorSnapshot
from tray_app.sinks.notification_icons import (
    APP_ICON_SIZE,
    PACKAGED,
    STATE_ICON_SIZE,
    NotificationIcons,
    app_icon_name,
    state_icon_name,
)


def pixels(image: Image.Image) -> bytes:
    return image.convert("RGBA").tobytes()


@pytest.mark.parametrize("health", list(Health))
@pytest.mark.parametrize("probe_only", [False, True])
def test_each_shipped_state_picture_is_what_the_icon_code_draws(
    health: Health, probe_only: bool
) -> None:
    with Image.open(PACKAGED / state_icon_name(health, probe_only)) as shipped:
        drawn = render_icon(health, STATE_ICON_SIZE, probe_only=probe_only)
        assert shipped.size == drawn.size
        assert pixels(shipped) == pixels(drawn), "run scripts/make_icons.py"


def test_the_shipped_app_picture_is_what_the_icon_code_draws() -> None:
    with Image.open(PACKAGED / app_icon_name()) as shipped:
        assert pixels(shipped) == pixels(render_app_icon(APP_ICON_SIZE))


def test_notifications_point_at_the_shipped_pictures(tmp_path: Path) -> None:
    icons = NotificationIcons(tmp_path)
    down = MonitorSnapshot(Health.MAJOR_OUTAGE, "down", last_checked=datetime.now(timezone.utc))
    assert icons.for_state(down) == str(PACKAGED / state_icon_name(Health.MAJOR_OUTAGE, False))
    icons.ensure_app_icon()
    assert icons.app_icon_path == PACKAGED / app_icon_name()
    assert not (tmp_path / "icons").exists()  # nothing drawn, nothing written


def test_without_shipped_pictures_they_are_drawn_once_into_the_state_folder(
    tmp_path: Path,
) -> None:
    icons = NotificationIcons(tmp_path / "state", packaged=tmp_path / "missing")
    down = MonitorSnapshot(Health.MAJOR_OUTAGE, "down")
    path = icons.for_state(down)
    assert path is not None and Path(path).parent == tmp_path / "state" / "icons"
    with Image.open(path) as drawn:
        assert pixels(drawn) == pixels(render_icon(Health.MAJOR_OUTAGE, STATE_ICON_SIZE))
    icons.ensure_app_icon()
    assert icons.app_icon_path.is_file()
