"""The appindicator backend speaks StatusNotifierItem: a fake watcher on a private bus.

A real libayatana-appindicator (through pystray, through TrayUI) runs in a subprocess on its
own Xvfb display and private session bus. The test plays org.kde.StatusNotifierWatcher with
jeepney, records RegisterStatusNotifierItem, then reads the item's properties back over D-Bus
and opens the icon file it advertises to check the colour follows the state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from PIL import Image

from tests.rigs_dbus import private_session_bus
from tests.rigs_x11 import x_env, xvfb_display
from tests.sni_client import item_property, menu_items, menu_labels
from tests.test_tray_x11 import DEADLINE, driver_process
from tray_app.core.icons import COLOURS
from tray_app.core.models import Health

pytestmark = [pytest.mark.dbus, pytest.mark.x11]

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
_INTROSPECTION = """<node>
 <interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
 </interface>
</node>"""


class FakeWatcher:
    """org.kde.StatusNotifierWatcher that records (sender, argument) of every registration."""

    def __init__(self, address: str) -> None:
        self.conn: DBusConnection = open_dbus_connection(address)
        reply = self.conn.send_and_get_reply(message_bus.RequestName(WATCHER, 4), timeout=5)
        assert reply.body == (1,), f"could not own {WATCHER}: {reply.body}"
        self.registered: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _items(self) -> list[str]:
        return [f"{sender}{arg}" if arg.startswith("/") else arg for sender, arg in self.registered]

    def _properties(self) -> dict[str, tuple[str, Any]]:
        return {
            "RegisteredStatusNotifierItems": ("as", self._items()),
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
        }

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type is not MessageType.method_call:
                continue
            self._answer(msg)

    def _answer(self, msg: Any) -> None:
        fields = msg.header.fields
        member = fields.get(HeaderFields.member)
        sender = fields.get(HeaderFields.sender, "")
        if member == "RegisterStatusNotifierItem":
            (arg,) = msg.body
            self.registered.append((sender, arg))
            self.conn.send(new_method_return(msg))
            emitter = DBusAddress(WATCHER_PATH, interface=WATCHER)
            self.conn.send(new_signal(emitter, "StatusNotifierItemRegistered", "s", (arg,)))
        elif member == "RegisterStatusNotifierHost":
            self.conn.send(new_method_return(msg))
        elif member == "Get":
            _iface, name = msg.body
            self.conn.send(new_method_return(msg, "v", (self._properties()[name],)))
        elif member == "GetAll":
            self.conn.send(new_method_return(msg, "a{sv}", (self._properties(),)))
        elif member == "Introspect":
            self.conn.send(new_method_return(msg, "s", (_INTROSPECTION,)))
        else:
            self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()


@contextmanager
def fake_watcher(address: str) -> Iterator[FakeWatcher]:
    watcher = FakeWatcher(address)
    try:
        yield watcher
    finally:
        watcher.close()


def wait_for(check: Any, what: str) -> Any:
    end = time.monotonic() + DEADLINE
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # the item may not be exported yet
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {DEADLINE:.0f} s (last: {last!r})")


def advertised_icon(address: str, bus_name: str, path: str) -> Path:
    """The file a host finds for the item's IconName in its IconThemePath (hicolor layout),
    the largest size."""
    theme = item_property(address, bus_name, path, "IconThemePath")
    name = item_property(address, bus_name, path, "IconName")
    assert theme and not Path(name).is_absolute(), (theme, name)
    found = sorted(Path(theme).glob(f"hicolor/*/status/{name}.png"), key=_pixels)
    assert found, f"{name!r} not in the theme at {theme}"
    return found[-1]


def _pixels(icon: Path) -> int:
    with Image.open(icon) as img:
        return img.size[0]


def advertised_icon_colour(address: str, bus_name: str, path: str) -> tuple[int, int, int]:
    with Image.open(advertised_icon(address, bus_name, path)) as img:
        rgba = img.convert("RGBA")
    w, h = rgba.size
    pixel = rgba.getpixel((w // 5, h // 2))  # left of centre: fill, not glyph
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def test_appindicator_registers_with_the_watcher_and_exports_its_state(tmp_path: Path) -> None:
    """The icon is a fixed name in our icon theme folder, not a fresh file in /tmp: TMPDIR
    stays empty across state changes and the names follow the state."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    with (
        xvfb_display() as display,
        private_session_bus() as bus_env,
        fake_watcher(bus_env["DBUS_SESSION_BUS_ADDRESS"]) as watcher,
    ):
        address = bus_env["DBUS_SESSION_BUS_ADDRESS"]
        env = {**x_env(display, bus_env), "TMPDIR": str(tmpdir)}
        with driver_process("appindicator", env, tmp_path) as driver:
            wait_for(lambda: watcher.registered, "RegisterStatusNotifierItem")
            sender, path = watcher.registered[0]
            assert path == "/org/ayatana/NotificationItem/claude_status_tray"  # measured
            assert item_property(address, sender, path, "Id") == "claude-status-tray"
            theme = tmp_path / "paths" / "d" / "icons"  # the driver's data dir + /icons
            assert item_property(address, sender, path, "IconThemePath") == str(theme)

            driver.send("show operational")
            wait_for(
                lambda: item_property(address, sender, path, "Status") == "Active", "Active status"
            )
            wait_for(
                lambda: (
                    item_property(address, sender, path, "Title")
                    == "Claude: all systems operational"
                ),
                "title follows the state",
            )
            wait_for(
                lambda: (
                    item_property(address, sender, path, "IconName")
                    == "claude-status-tray-operational"
                ),
                "icon name follows the state",
            )
            colour = advertised_icon_colour(address, sender, path)
            assert colour == COLOURS[Health.OPERATIONAL]

            for health in ("major_outage", "degraded probe", "operational", "major_outage"):
                driver.send(f"show {health}")
                expected = "claude-status-tray-" + health.replace(" probe", "-probe")
                wait_for(
                    lambda e=expected: item_property(address, sender, path, "IconName") == e,
                    f"icon name {expected}",
                )
            assert advertised_icon_colour(address, sender, path) == COLOURS[Health.MAJOR_OUTAGE]
            assert str(item_property(address, sender, path, "Title")).startswith(
                "Claude: major outage — Claude API"
            )
            menu = item_property(address, sender, path, "Menu")
            labels = menu_labels(address, sender, menu)
            assert "✗ Claude API: major outage" in labels, labels
            assert "Check now" in labels
            assert list(tmpdir.iterdir()) == []
            assert len(watcher.registered) == 1  # menu changes did not re-register the item
            driver.send("stop")
            driver.expect("EXITED")
        assert list(tmpdir.iterdir()) == []


def test_the_minute_moving_relabels_last_checked_without_rebuilding_the_menu(
    tmp_path: Path,
) -> None:
    """Once a minute "Last checked HH:MM" moves: the exported menu shows the new time on the
    same items (same dbusmenu ids), not a rebuilt menu the panel has to fetch again."""
    with (
        xvfb_display() as display,
        private_session_bus() as bus_env,
        fake_watcher(bus_env["DBUS_SESSION_BUS_ADDRESS"]) as watcher,
    ):
        address = bus_env["DBUS_SESSION_BUS_ADDRESS"]
        with driver_process("appindicator", x_env(display, bus_env), tmp_path) as driver:
            wait_for(lambda: watcher.registered, "RegisterStatusNotifierItem")
            sender, path = watcher.registered[0]
            driver.send("show operational")
            menu = item_property(address, sender, path, "Menu")

            def last_checked() -> list[tuple[int, str]]:
                items = menu_items(address, sender, menu)
                return [(i, label) for i, label in items if label.startswith("Last checked")]

            wait_for(lambda: len(last_checked()) == 1, "a 'Last checked' line")
            before = menu_items(address, sender, menu)
            ((item_id, first_label),) = last_checked()

            driver.send("show operational minutes+1")
            wait_for(lambda: last_checked()[0][1] != first_label, "the new minute shown")
            after = menu_items(address, sender, menu)
            assert [i for i, _label in after] == [i for i, _label in before]  # the same items
            assert [item for item in after if item not in before] == last_checked()
            assert last_checked()[0][0] == item_id  # only that line has a new label

            driver.send("show major_outage minutes+1")  # more than a label: rebuilt
            wait_for(
                lambda: "✗ Claude API: major outage" in menu_labels(address, sender, menu),
                "the outage in the menu",
            )
            assert len(watcher.registered) == 1
            driver.send("stop")
            driver.expect("EXITED")


def test_a_status_notifier_watcher_counts_as_a_tray_host() -> None:
    from tray_app.sinks.tray_backend import tray_host_present

    with private_session_bus() as bus_env:
        env = {"DBUS_SESSION_BUS_ADDRESS": bus_env["DBUS_SESSION_BUS_ADDRESS"]}
        assert not tray_host_present(env)
        with fake_watcher(env["DBUS_SESSION_BUS_ADDRESS"]):
            wait_for(lambda: tray_host_present(env), "the watcher to count as a tray host")
