"""The tray's state icons ship in the package as a small icon theme, exactly what the icon code
draws, and are copied into the user's icon folder without drawing (so the tray never loads
Pillow) and without writing when nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tray_app.core.icons import render_icon
from tray_app.core.models import DISTINCT_STATES, Health
from tray_app.sinks.icon_theme import PACKAGED, THEME_SIZES, StateIconTheme, theme_file


def pixels(image: Image.Image) -> bytes:
    return image.convert("RGBA").tobytes()


@pytest.mark.parametrize("health", DISTINCT_STATES, ids=lambda h: h.value)
@pytest.mark.parametrize("probe_only", [False, True])
@pytest.mark.parametrize("size", THEME_SIZES)
def test_each_shipped_theme_icon_is_what_the_icon_code_draws(
    health: Health, probe_only: bool, size: int
) -> None:
    with Image.open(theme_file(PACKAGED, health, probe_only, size)) as shipped:
        drawn = render_icon(health, size, probe_only=probe_only)
        assert shipped.size == drawn.size == (size, size)
        assert pixels(shipped) == pixels(drawn), "run scripts/make_icons.py"


def test_export_copies_the_shipped_icons_and_rewrites_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    theme = StateIconTheme(tmp_path / "icons")
    theme.export()
    files = sorted((tmp_path / "icons").rglob("*.png"))
    assert len(files) == len(DISTINCT_STATES) * 2 * len(THEME_SIZES)
    for path in files:
        assert path.read_bytes() == (PACKAGED / path.relative_to(tmp_path / "icons")).read_bytes()
    stamps = {path: path.stat().st_mtime_ns for path in files}
    theme.export()
    assert {path: path.stat().st_mtime_ns for path in files} == stamps


def test_offline_and_unreachable_are_shown_with_the_unknown_picture(tmp_path: Path) -> None:
    theme = StateIconTheme(tmp_path)
    for health in (Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE):
        assert theme.file(health) == theme.file(Health.UNKNOWN)


def test_without_shipped_icons_they_are_drawn(tmp_path: Path) -> None:
    theme = StateIconTheme(tmp_path / "icons", packaged=tmp_path / "stripped")
    theme.export()
    path = theme.file(Health.MAJOR_OUTAGE, size=64)
    with Image.open(path) as drawn:
        assert pixels(drawn) == pixels(render_icon(Health.MAJOR_OUTAGE, 64))
