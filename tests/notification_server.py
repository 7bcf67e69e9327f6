"""A small, real org.freedesktop.Notifications server that records what it is asked to show.

Run it on a (private) session bus:

    python tests/notification_server.py --record calls.jsonl --control control.jsonl

Every method call is appended to ``--record`` as one JSON line: ``{"method": "Notify",
"app_name": ..., "replaces_id": ..., "app_icon": ..., "summary": ..., "body": ...,
"actions": [...], "hints": {...}, "expire_timeout": ..., "id": <returned id>}``.
The test drives it by appending JSON lines to ``--control``:
``{"cmd": "invoke", "id": 1, "action": "default"}`` emits ActionInvoked (a user's click);
each command is acknowledged with a ``{"method": "_ack"}`` record line.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
EMITTER = DBusAddress(PATH, interface=IFACE)

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="{IFACE}">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{{sv}}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Server:
    def __init__(self, conn: DBusConnection, record: Path, control: Path, caps: list[str]) -> None:
        self.conn = conn
        self.record = record
        self.control = control
        self.caps = caps
        self.next_id = 1
        self.control_offset = 0

    def log(self, entry: dict[str, Any]) -> None:
        with self.record.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def handle(self, msg: Any) -> None:
        if msg.header.message_type is not MessageType.method_call:
            return
        member = msg.header.fields.get(HeaderFields.member)
        iface = msg.header.fields.get(HeaderFields.interface)
        if iface == "org.freedesktop.DBus.Introspectable" or member == "Introspect":
            self.conn.send(new_method_return(msg, "s", (INTROSPECTION,)))
        elif member == "Notify":
            app_name, replaces_id, app_icon, summary, body, actions, hints, expire = msg.body
            nid = replaces_id or self.next_id
            if not replaces_id:
                self.next_id += 1
            self.log(
                {
                    "method": "Notify",
                    "app_name": app_name,
                    "replaces_id": replaces_id,
                    "app_icon": app_icon,
                    "summary": summary,
                    "body": body,
                    "actions": list(actions),
                    "hints": {k: _plain(v[1]) for k, v in hints.items()},
                    "hint_signatures": {k: v[0] for k, v in hints.items()},
                    "expire_timeout": expire,
                    "id": nid,
                }
            )
            self.conn.send(new_method_return(msg, "u", (nid,)))
        elif member == "GetCapabilities":
            self.log({"method": "GetCapabilities"})
            self.conn.send(new_method_return(msg, "as", (self.caps,)))
        elif member == "GetServerInformation":
            self.log({"method": "GetServerInformation"})
            info = ("recording-server", "claude-status-tray tests", "1.0", "1.2")
            self.conn.send(new_method_return(msg, "ssss", info))
        elif member == "CloseNotification":
            (nid,) = msg.body
            self.log({"method": "CloseNotification", "id": nid})
            self.conn.send(new_method_return(msg))
            self.conn.send(new_signal(EMITTER, "NotificationClosed", "uu", (nid, 3)))
        else:
            self.conn.send(
                new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))
            )

    def poll_control(self) -> None:
        data = self.control.read_text(encoding="utf-8")
        pending, self.control_offset = data[self.control_offset :], len(data)
        for line in pending.splitlines():
            if not line.strip():
                continue
            command = json.loads(line)
            if command.get("cmd") == "invoke":
                body = (int(command["id"]), str(command.get("action", "default")))
                self.conn.send(new_signal(EMITTER, "ActionInvoked", "us", body))
            self.log({"method": "_ack", "command": command})

    def serve(self) -> None:
        while True:
            self.poll_control()
            try:
                msg = self.conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            self.handle(msg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("--capabilities", default="actions,body")
    args = parser.parse_args(argv)
    args.control.touch()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn = open_dbus_connection("SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=10)  # 4: do not queue
    if reply.body[0] != 1:
        print(f"could not own {NAME}: RequestName returned {reply.body[0]}", file=sys.stderr)
        return 1
    caps = [c for c in args.capabilities.split(",") if c]
    try:
        Server(conn, args.record, args.control, caps).serve()
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
