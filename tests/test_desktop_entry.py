"""`claude-status-tray desktop-entry install|remove`: the menu entry and the app icon, through
the real CLI into an isolated $XDG_DATA_HOME, checked with desktop-file-validate."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.apprig import run_cli
from tray_app import APP_NAME
from tray_app.platform.desktop_entry import ICON_SIZES, DesktopEntry
from tray_app.platform.paths import AppPaths


def data_home() -> Path:
    return Path(os.environ["XDG_DATA_HOME"])  # tmp_path-based, from conftest


def menu_entry() -> Path:
    return data_home() / "applications" / f"{APP_NAME}.desktop"


def icon(size: int) -> Path:
    return data_home() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_NAME}.png"


def validate(path: Path) -> None:
    """As test_packaging: hints are advice (Utility;Network; is two main categories, as the
    packaged entry asks for); no errors or warnings."""
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r": (error|warning):", output), output


def entry_value(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            return line.partition("=")[2]
    raise AssertionError(f"{key} not in {path}")


def test_install_puts_the_entry_and_icons_where_desktops_look_and_remove_takes_them_back() -> None:
    installed = run_cli("desktop-entry", "install")
    assert installed.returncode == 0, installed.stderr
    assert "is in the applications menu" in installed.stdout

    validate(menu_entry())
    assert entry_value(menu_entry(), "Icon") == APP_NAME
    assert entry_value(menu_entry(), "Exec")  # the launch command of this installation
    for size in ICON_SIZES:
        with Image.open(icon(size)) as img:
            assert img.size == (size, size)
            assert img.mode == "RGBA"

    autostart = run_cli("autostart", "enable")  # the other .desktop file names the same icon
    assert autostart.returncode == 0, autostart.stderr
    autostart_file = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / f"{APP_NAME}.desktop"
    validate(autostart_file)
    assert entry_value(autostart_file, "Icon") == APP_NAME

    again = run_cli("desktop-entry", "install")  # idempotent: nothing rewritten
    assert again.returncode == 0 and "wrote" not in again.stdout, again.stdout

    removed = run_cli("desktop-entry", "remove")
    assert removed.returncode == 0, removed.stderr
    assert not menu_entry().exists()
    assert not any(icon(size).exists() for size in ICON_SIZES)
    assert not (AppPaths.default().data_dir / "desktop-entry.json").exists()
    assert autostart_file.exists()  # remove is about the menu entry only


def test_files_we_did_not_write_are_never_touched() -> None:
    foreign_entry = b"[Desktop Entry]\nType=Application\nName=Packaged by the distro\nExec=x\n"
    menu_entry().parent.mkdir(parents=True)
    menu_entry().write_bytes(foreign_entry)
    foreign_icon = b"not our picture"
    icon(48).parent.mkdir(parents=True)
    icon(48).write_bytes(foreign_icon)

    installed = run_cli("desktop-entry", "install")
    assert installed.returncode == 0, installed.stderr
    assert f"left alone (not written by {APP_NAME}): {menu_entry()}" in installed.stderr
    assert menu_entry().read_bytes() == foreign_entry
    assert icon(48).read_bytes() == foreign_icon
    assert icon(64).exists()

    ours = icon(64)
    edited = icon(32)
    edited.write_bytes(b"the user drew their own")  # after install: no longer what we wrote

    removed = run_cli("desktop-entry", "remove")
    assert removed.returncode == 0, removed.stderr
    assert menu_entry().read_bytes() == foreign_entry
    assert icon(48).read_bytes() == foreign_icon
    assert edited.read_bytes() == b"the user drew their own"
    assert not ours.exists()
    assert f"left alone (not written by {APP_NAME}): {edited}" in removed.stderr


def test_an_older_version_of_our_files_is_replaced_and_removed(tmp_path: Path) -> None:
    """What an earlier version wrote (recorded in the manifest) is still ours; what is not
    recorded but is exactly what we would write (a lost manifest) is ours too."""
    manifest = tmp_path / "desktop-entry.json"
    entry = DesktopEntry(data_home(), manifest, ["/opt/cst/bin/claude-status-tray"])
    entry.install()
    old_icon = b"last version's drawing"
    icon(256).write_bytes(old_icon)
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    recorded["files"][str(icon(256))] = hashlib.sha256(old_icon).hexdigest()
    manifest.write_text(json.dumps(recorded), encoding="utf-8")

    outcome = entry.install()
    assert outcome.written == [icon(256)]
    assert icon(256).read_bytes() != old_icon

    manifest.unlink()
    outcome = entry.remove()
    assert outcome.left_alone == []
    assert not menu_entry().exists() and not icon(256).exists()


_LOOKUP = r"""
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gio, Gtk
theme = Gtk.IconTheme.new()
for size in (16, 48, 256):
    info = theme.lookup_icon("claude-status-tray", size, 0)
    print("icon", size, info.get_filename() if info else None)
app = Gio.DesktopAppInfo.new("claude-status-tray.desktop")
print("app", app.get_name() if app else None, app.get_filename() if app else None)
"""


def test_gtk_and_gio_find_the_icon_and_the_menu_entry_after_install() -> None:
    """What a desktop does: GTK's icon theme resolves the name, GIO lists the application."""
    assert run_cli("desktop-entry", "install").returncode == 0
    found = subprocess.run(
        [sys.executable, "-c", _LOOKUP], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    assert f"icon 16 {icon(16)}" in found
    assert f"icon 48 {icon(48)}" in found
    assert f"icon 256 {icon(256)}" in found
    assert f"app Claude Status Tray {menu_entry()}" in found
