"""The tray on a real StatusNotifierItem host: xfce4-panel's Status Tray plugin on Xvfb.

The real app (``python -m tray_app tray``) polls a loopback status page every second. A bus
monitor counts every RegisterStatusNotifierItem it sends: one, across 20 polls and a status
change. The menu is read and clicked over com.canonical.dbusmenu, as the panel does it.
"""

from __future__ import annotations

import os
import signal
from contextlib import ExitStack
from pathlib import Path

import pytest
from PIL import ImageGrab

from tests.rigs_dbus import bus_monitor, private_session_bus
from tests.rigs_x11 import start_tray_app, stop_process, x_env, xvfb_display
from tests.rigs_xfce import SNI_WATCHER, xfce_panel
from tests.sni_client import click_menu_item, item_property, menu_labels, watcher_items
from tests.statusserver import (
    API_401,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    StatusServer,
    incident_doc,
    summary_doc,
)
from tests.test_tray_x11 import DEADLINE, ROOT, near, wait_for
from tray_app.config.schema import API_COMPONENT
from tray_app.core.icons import COLOURS
from tray_app.core.models import Health
from tray_app.platform.paths import AppPaths

pytestmark = [pytest.mark.x11, pytest.mark.dbus]

REGISTRATIONS = (
    "type='method_call',interface='org.kde.StatusNotifierWatcher',"
    "member='RegisterStatusNotifierItem'"
)
PROBE_PATH = "/v1/models"
PANEL_BOX = (0, 0, 800, 32)


def write_config(server_url: str) -> None:
    """The page every second (20 polls in ~20 s); the probes hourly, so a probe request
    after the start can only come from "Check now"."""
    path = AppPaths.default().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
[status_page]
url = "{server_url}"
interval = 1
timeout = 3

[probes]
interval = 3600
timeout = 3
api_url = "{server_url}{PROBE_PATH}"
claude_ai_url = "{server_url}/"
""",
        encoding="utf-8",
    )


def panel_has(display: str, colour: tuple[int, int, int]) -> bool:
    shot = ImageGrab.grab(xdisplay=display).convert("RGB").crop(PANEL_BOX)
    return any(near(rgb, colour, 30) for _n, rgb in shot.getcolors(800 * 32) or [])


def test_xfce4_panel_shows_the_item_registered_once_with_a_working_menu(
    status_server: StatusServer, tmp_path: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set(PROBE_PATH, API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_config(status_server.url)
    with ExitStack() as stack:
        display = stack.enter_context(xvfb_display("800x200x24"))
        env = x_env(display, stack.enter_context(private_session_bus()))
        address = env["DBUS_SESSION_BUS_ADDRESS"]
        stack.enter_context(xfce_panel(env, Path(os.environ["XDG_CONFIG_HOME"])))
        registrations = stack.enter_context(bus_monitor(env, REGISTRATIONS))
        env.update(PYTHONPATH=str(ROOT), NO_AT_BRIDGE="1")
        env.pop("PYSTRAY_BACKEND", None)
        app = start_tray_app(stack, env, tmp_path / "app.log")
        try:
            wait_for(lambda: registrations.calls, "RegisterStatusNotifierItem")
            sender, (item_path,) = registrations.calls[0]
            wait_for(
                lambda: any(sender in item for item in watcher_items(address, SNI_WATCHER)),
                "the panel's watcher lists the item",
            )
            wait_for(
                lambda: (
                    item_property(address, sender, item_path, "IconName")
                    == "claude-status-tray-operational"
                ),
                "green icon name",
            )
            theme = item_property(address, sender, item_path, "IconThemePath")
            assert theme == str(AppPaths.default().data_dir / "icons")
            wait_for(lambda: panel_has(display, COLOURS[Health.OPERATIONAL]), "green in panel")

            menu = item_property(address, sender, item_path, "Menu")
            labels = menu_labels(address, sender, menu)
            assert "Claude: all systems operational" in labels, labels
            assert {"Check now", "Quit"} <= set(labels), labels

            polls = len(status_server.requests_for(SUMMARY_PATH))
            status_server.wait_for_requests(SUMMARY_PATH, polls + 20, timeout=DEADLINE * 3)

            status_server.set_summary(
                summary_doc(
                    "critical",
                    {API_COMPONENT: "major_outage"},
                    incidents=[incident_doc("inc7", "Elevated errors on Opus", "investigating")],
                )
            )
            wait_for(
                lambda: (
                    item_property(address, sender, item_path, "IconName")
                    == "claude-status-tray-major_outage"
                ),
                "red icon name",
            )
            wait_for(lambda: panel_has(display, COLOURS[Health.MAJOR_OUTAGE]), "red in panel")
            wait_for(
                lambda: any(
                    "Claude API" in label and "major outage" in label
                    for label in menu_labels(address, sender, menu)
                ),
                "the menu follows the outage",
            )

            probes = len(status_server.requests_for(PROBE_PATH))
            click_menu_item(address, sender, menu, "Check now")
            status_server.wait_for_requests(PROBE_PATH, probes + 1, timeout=DEADLINE)

            assert [call[0] for call in registrations.calls] == [sender], registrations.calls
            assert any(sender in item for item in watcher_items(address, SNI_WATCHER))
            assert app.poll() is None
            app.send_signal(signal.SIGTERM)
            assert app.wait(DEADLINE) == 0
        finally:
            stop_process(app)
