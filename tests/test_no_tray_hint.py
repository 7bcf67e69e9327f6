"""The "no system tray" message names the fix for the desktop in use."""

from __future__ import annotations

import pytest

from tray_app.sinks.tray_backend import no_tray_hint


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_CURRENT_DESKTOP": "GNOME"}, "AppIndicator extension"),
        ({"XDG_CURRENT_DESKTOP": "ubuntu:GNOME", "WAYLAND_DISPLAY": "wayland-0"}, "AppIndicator"),
        ({"XDG_CURRENT_DESKTOP": "KDE"}, "System Tray widget"),
        ({"XDG_CURRENT_DESKTOP": "sway", "WAYLAND_DISPLAY": "wayland-1"}, 'waybar\'s "tray"'),
        ({"SWAYSOCK": "/run/user/1000/sway-ipc.sock", "WAYLAND_DISPLAY": "w"}, 'waybar\'s "tray"'),
        ({"XDG_CURRENT_DESKTOP": "Hyprland"}, "on sway or Hyprland"),
        ({"HYPRLAND_INSTANCE_SIGNATURE": "abc", "WAYLAND_DISPLAY": "w"}, "on sway or Hyprland"),
        ({"XDG_CURRENT_DESKTOP": "XFCE"}, "Status Tray Plugin"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "StatusNotifierItem tray"),
        ({"DISPLAY": ":0"}, "StatusNotifierItem or XEmbed system tray"),
        ({}, "StatusNotifierItem or XEmbed system tray"),
    ],
    ids=[
        "gnome",
        "ubuntu",
        "kde",
        "sway",
        "swaysock",
        "hyprland",
        "hyprland-signature",
        "xfce",
        "other-wayland",
        "other-x11",
        "nothing-known",
    ],
)
def test_the_hint_names_the_fix_for_this_desktop(env: dict[str, str], expected: str) -> None:
    hint = no_tray_hint(env)
    assert expected in hint
    if "GNOME" not in env.get("XDG_CURRENT_DESKTOP", ""):
        assert "GNOME" not in hint
