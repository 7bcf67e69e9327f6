"""Write the generated icons into assets/: app icon PNGs, a Windows .ico and a macOS .icns;
and the pictures shipped in the package: notifications' (tray_app/assets/notifications/) and
the tray's state icon theme (tray_app/assets/tray-theme/).

Run from the repository root after changing tray_app/core/icons.py, and commit the output:

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a source tree without installing

from tray_app import APP_NAME  # noqa: E402
from tray_app.core.icons import render_app_icon, render_icon  # noqa: E402
from tray_app.core.models import DISTINCT_STATES, Health  # noqa: E402
from tray_app.sinks.icon_theme import PACKAGED as THEME_PACKAGED  # noqa: E402
from tray_app.sinks.icon_theme import THEME_SIZES, draw_theme_icon, theme_file  # noqa: E402
from tray_app.sinks.notification_icons import (  # noqa: E402
    APP_ICON_SIZE,
    PACKAGED,
    STATE_ICON_SIZE,
    app_icon_name,
    state_icon_name,
)

APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
TRAY_SIZES = (16, 22, 24, 32)


def write_assets(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size in APP_ICON_SIZES:
        path = out / f"{APP_NAME}-{size}.png"
        render_app_icon(size).save(path, optimize=True)
        written.append(path)
    ico = out / f"{APP_NAME}.ico"
    render_app_icon(256).save(ico, sizes=[(s, s) for s in ICO_SIZES])
    written.append(ico)
    icns = out / f"{APP_NAME}.icns"
    render_app_icon(1024).save(icns)
    written.append(icns)
    tray = out / "tray"
    tray.mkdir(exist_ok=True)
    for health in DISTINCT_STATES:
        for size in TRAY_SIZES:
            for scale in (1, 2):
                suffix = "" if scale == 1 else "@2x"
                path = tray / f"{health.value}-{size}{suffix}.png"
                render_icon(health, size, scale=scale).save(path, optimize=True)
                written.append(path)
    return written


def write_notification_icons(out: Path = PACKAGED) -> list[Path]:
    """What notifications carry, drawn once here so the app never loads Pillow to notify."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / app_icon_name()]
    render_app_icon(APP_ICON_SIZE).save(written[0], optimize=True)
    for health in Health:
        for probe_only in (False, True):
            path = out / state_icon_name(health, probe_only)
            render_icon(health, STATE_ICON_SIZE, probe_only=probe_only).save(path, optimize=True)
            written.append(path)
    return written


def write_theme_icons(out: Path = THEME_PACKAGED) -> list[Path]:
    """The tray's state icons by name (sinks.icon_theme), so the tray never loads Pillow."""
    written = []
    for health in DISTINCT_STATES:
        for probe_only in (False, True):
            for size in THEME_SIZES:
                path = theme_file(out, health, probe_only, size)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(draw_theme_icon(health, probe_only, size))
                written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets")
    args = parser.parse_args(argv)
    for path in [*write_assets(args.out), *write_notification_icons(), *write_theme_icons()]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
