"""The tray on Wayland only: headless sway + waybar's tray module + mako, no X at all.

Everything in the session runs as an unprivileged system user (sway refuses root; CI is
root): see rigs_user and rigs_sway. The real app runs on /usr/bin/python3 with a readable
copy of the code, against a loopback status page polled every second.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.rigs_dbus import private_session_bus
from tests.rigs_sway import BAR_HEIGHT, SCREEN, SNI_WATCHER, SwaySession, sway_session
from tests.rigs_user import SYSTEM_PYTHON, readable_runtime, session_user
from tests.rigs_x11 import stop_process
from tests.sni_client import item_property, watcher_items
from tests.statusserver import (
    API_401,
    CLOUDFLARE_403,
    StatusServer,
    incident_doc,
    summary_doc,
)
from tests.test_tray_x11 import DEADLINE, near, wait_for
from tray_app.config.schema import API_COMPONENT
from tray_app.core.icons import COLOURS
from tray_app.core.models import Health

pytestmark = [pytest.mark.dbus]


@pytest.fixture
def session_base() -> Iterator[Path]:
    """A folder the session user can reach (pytest's tmp_path is root's, mode 0700)."""
    base = Path(tempfile.mkdtemp(prefix="cst-sway-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def bar_has(image: Image.Image, colour: tuple[int, int, int]) -> bool:
    bar = image.crop((0, 0, SCREEN[0], BAR_HEIGHT))
    return any(near(rgb, colour, 30) for _n, rgb in bar.getcolors(SCREEN[0] * BAR_HEIGHT) or [])


def write_app_config(session: SwaySession, server_url: str) -> None:
    folder = Path(session.env["XDG_CONFIG_HOME"]) / "claude-status-tray"
    folder.mkdir()
    session.user.own(folder)
    (folder / "config.toml").write_text(
        f"""
[status_page]
url = "{server_url}"
interval = 1
timeout = 3

[probes]
interval = 1
timeout = 3
api_url = "{server_url}/v1/models"
claude_ai_url = "{server_url}/"
""",
        encoding="utf-8",
    )


def item_address(session: SwaySession) -> tuple[str, str]:
    """(bus name, object path) of the one item waybar's watcher has."""
    items = watcher_items(session.env["DBUS_SESSION_BUS_ADDRESS"], SNI_WATCHER)
    assert len(items) == 1, items
    name, slash, path = items[0].partition("/")
    return name, slash + path


def test_on_sway_the_icon_is_in_waybar_follows_the_page_and_mako_shows_the_outage(
    status_server: StatusServer, session_base: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    site = readable_runtime(session_base / "code")
    user = session_user()
    with (
        private_session_bus(any_user=True) as bus_env,
        sway_session(user, session_base / "session", bus_env) as session,
    ):
        address = session.env["DBUS_SESSION_BUS_ADDRESS"]
        assert "DISPLAY" not in session.env
        write_app_config(session, status_server.url)
        session.env["PYTHONPATH"] = str(site)
        log = session_base / "app.log"
        app = session.start(SYSTEM_PYTHON, "-m", "tray_app", "tray", log=log)
        try:
            wait_for(lambda: watcher_items(address, SNI_WATCHER), "registered with waybar")
            name, path = item_address(session)

            def icon_name() -> str:
                return str(item_property(address, name, path, "IconName"))

            wait_for(lambda: icon_name() == "claude-status-tray-operational", "green icon name")
            theme = Path(session.env["XDG_DATA_HOME"]) / "claude-status-tray" / "icons"
            assert item_property(address, name, path, "IconThemePath") == str(theme)
            wait_for(
                lambda: bar_has(session.screenshot(), COLOURS[Health.OPERATIONAL]), "green in bar"
            )

            status_server.set_summary(
                summary_doc(
                    "critical",
                    {API_COMPONENT: "major_outage"},
                    incidents=[incident_doc("inc9", "Elevated errors on Opus", "investigating")],
                )
            )
            wait_for(lambda: icon_name() == "claude-status-tray-major_outage", "red icon name")
            wait_for(
                lambda: bar_has(session.screenshot(), COLOURS[Health.MAJOR_OUTAGE]), "red in bar"
            )
            wait_for(
                lambda: any(
                    "major outage" in f"{n.get('summary')} {n.get('body')}".lower()
                    for n in session.notifications()
                ),
                "mako shows the outage",
            )
            assert app.poll() is None, log.read_text()
            app.send_signal(signal.SIGTERM)
            assert app.wait(DEADLINE) == 0, log.read_text()
        finally:
            stop_process(app)
    assert "Traceback" not in log.read_text(), log.read_text()
