"""Test helpers: read a StatusNotifierItem and drive its dbusmenu over D-Bus, as a host does.

item_property(address, bus_name, path, "IconName")
labels = menu_labels(address, bus_name, menu_path)      # com.canonical.dbusmenu GetLayout
click_menu_item(address, bus_name, menu_path, "Check now")  # dbusmenu Event "clicked"
"""

from __future__ import annotations

import time
from typing import Any

from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection

ITEM_IFACE = "org.kde.StatusNotifierItem"
DBUSMENU_IFACE = "com.canonical.dbusmenu"


def _call(
    address: str, target: DBusAddress, method: str, signature: str, body: tuple[Any, ...]
) -> Any:
    conn = open_dbus_connection(address)
    try:
        reply = conn.send_and_get_reply(new_method_call(target, method, signature, body), timeout=5)
        return reply.body
    finally:
        conn.close()


def item_property(address: str, bus_name: str, path: str, name: str) -> Any:
    props = DBusAddress(path, bus_name=bus_name, interface="org.freedesktop.DBus.Properties")
    return _call(address, props, "Get", "ss", (ITEM_IFACE, name))[0][1]


def menu_items(address: str, bus_name: str, menu_path: str) -> list[tuple[int, str]]:
    """(id, label) of every labelled item in the exported menu, depth first."""
    menu = DBusAddress(menu_path, bus_name=bus_name, interface=DBUSMENU_IFACE)
    _revision, layout = _call(address, menu, "GetLayout", "iias", (0, -1, []))
    found: list[tuple[int, str]] = []

    def walk(node: Any) -> None:
        item_id, props, children = node
        label = props.get("label")
        if label is not None:
            found.append((item_id, str(label[1]).replace("_", "")))
        for _sig, child in children:
            walk(child)

    walk(layout)
    return found


def menu_labels(address: str, bus_name: str, menu_path: str) -> list[str]:
    return [label for _id, label in menu_items(address, bus_name, menu_path)]


def click_menu_item(address: str, bus_name: str, menu_path: str, label: str) -> None:
    """Send dbusmenu's Event(id, "clicked") for the first item whose label starts with
    ``label``, as a host does when the user picks it."""
    matches = [i for i, text in menu_items(address, bus_name, menu_path) if text.startswith(label)]
    assert matches, f"no menu item {label!r} in {menu_labels(address, bus_name, menu_path)}"
    menu = DBusAddress(menu_path, bus_name=bus_name, interface=DBUSMENU_IFACE)
    _call(address, menu, "Event", "isvu", (matches[0], "clicked", ("i", 0), int(time.time())))


def watcher_items(address: str, watcher: str = "org.kde.StatusNotifierWatcher") -> list[str]:
    """The watcher's RegisteredStatusNotifierItems ("<bus name><object path>" or a name)."""
    props = DBusAddress(
        "/StatusNotifierWatcher", bus_name=watcher, interface="org.freedesktop.DBus.Properties"
    )
    body = _call(address, props, "Get", "ss", (watcher, "RegisteredStatusNotifierItems"))
    return [str(item) for item in body[0][1]]
