"""Test rigs: a private D-Bus session bus, and a recording notification server on it.

Nothing here touches the machine's own session bus: every test gets a fresh ``dbus-daemon``
listening on a socket in a temporary directory, with no service directories, so nothing
(dunst, for one) is auto-activated behind the test's back. A test that wants activation
passes ``services``: each becomes a .service file in the bus's own service directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
from jeepney.io.blocking import open_dbus_connection

STARTUP_DEADLINE = 20.0  # generous: a loaded 2-core CI machine can be slow to exec

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={socket_dir}</listen>
  <servicedir>{service_dir}</servicedir>
  <auth>EXTERNAL</auth>
  <policy context="default">{allow_users}
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

_DBUS = DBusAddress(
    "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
)


def _bus_call(
    address: str, method: str, signature: str | None = None, body: tuple[Any, ...] = ()
) -> Any:
    conn = open_dbus_connection(address)
    try:
        msg = new_method_call(_DBUS, method, signature, body)
        return conn.send_and_get_reply(msg, timeout=5).body
    finally:
        conn.close()


def _wait_until(check: Any, what: str, deadline: float = STARTUP_DEADLINE) -> None:
    end = time.monotonic() + deadline
    last: BaseException | None = None
    while time.monotonic() < end:
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {deadline:.0f} s (last error: {last!r})")


@contextlib.contextmanager
def private_session_bus(
    services: Mapping[str, str] | None = None, *, any_user: bool = False
) -> Iterator[dict[str, str]]:
    """Start a private session bus; yield ``os.environ`` + ``DBUS_SESSION_BUS_ADDRESS``.

    ``services`` maps a bus name to the command line the bus runs to activate it.
    ``any_user``: other local users may connect too (a session run as another user)."""
    with tempfile.TemporaryDirectory(prefix="cst-dbus-") as tmp:
        if any_user:
            Path(tmp).chmod(0o755)
        service_dir = Path(tmp) / "services"
        service_dir.mkdir()
        for name, command in (services or {}).items():
            (service_dir / f"{name}.service").write_text(
                f"[D-BUS Service]\nName={name}\nExec={command}\n", encoding="utf-8"
            )
        config = Path(tmp) / "session.conf"
        config.write_text(
            _BUS_CONFIG.format(
                socket_dir=tmp,
                service_dir=service_dir,
                allow_users='\n    <allow user="*"/>' if any_user else "",
            ),
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--print-address", "--nofork"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            address = proc.stdout.readline().strip()
            if not address:
                err = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"dbus-daemon printed no address: {err.strip()}")
            _wait_until(lambda: _bus_call(address, "GetId"), "private dbus-daemon")
            env = dict(os.environ)
            env["DBUS_SESSION_BUS_ADDRESS"] = address
            yield env
        finally:
            proc.kill()
            proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def name_has_owner(env: dict[str, str], name: str) -> bool:
    return bool(_bus_call(env["DBUS_SESSION_BUS_ADDRESS"], "NameHasOwner", "s", (name,))[0])


class BusMonitor:
    """Records method calls on the bus that match ``rule`` (org.freedesktop.DBus.Monitoring),
    e.g. every RegisterStatusNotifierItem an app sends, as (sender, body)."""

    def __init__(self, address: str, rule: str) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._conn = open_dbus_connection(address)
        monitoring = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus.Monitoring",
        )
        self._conn.send_and_get_reply(
            new_method_call(monitoring, "BecomeMonitor", "asu", ([rule], 0)), timeout=5
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._record, daemon=True)
        self._thread.start()

    def _record(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return
            if msg.header.message_type is MessageType.method_call:
                sender = str(msg.header.fields.get(HeaderFields.sender, ""))
                self.calls.append((sender, tuple(msg.body)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


@contextlib.contextmanager
def bus_monitor(env: dict[str, str], rule: str) -> Iterator[BusMonitor]:
    monitor = BusMonitor(env["DBUS_SESSION_BUS_ADDRESS"], rule)
    try:
        yield monitor
    finally:
        monitor.close()


class RecordingServer:
    """Handle on a running ``tests/notification_server.py`` subprocess."""

    def __init__(self, proc: subprocess.Popen[bytes], record: Path, control: Path) -> None:
        self.proc = proc
        self.record = record
        self.control = control
        self._sent = 0

    def calls(self) -> list[dict[str, Any]]:
        """Every recorded method call, in order (``method`` says which)."""
        if not self.record.exists():
            return []
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def notify_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.calls() if c["method"] == "Notify"]

    def wait_for_notify(
        self, count: int = 1, deadline: float = STARTUP_DEADLINE
    ) -> list[dict[str, Any]]:
        _wait_until(lambda: len(self.notify_calls()) >= count, f"{count} Notify call(s)", deadline)
        return self.notify_calls()

    def invoke_action(self, notification_id: int, action_key: str = "default") -> None:
        """Ask the server to emit ActionInvoked(id, key), as a user click would."""
        self._command({"cmd": "invoke", "id": notification_id, "action": action_key})

    def _command(self, command: dict[str, Any]) -> None:
        self._sent += 1
        with self.control.open("a", encoding="utf-8") as f:
            f.write(json.dumps(command) + "\n")
        done = self._sent
        _wait_until(
            lambda: sum(1 for c in self.calls() if c["method"] == "_ack") >= done,
            f"server ack of {command}",
        )


@contextlib.contextmanager
def recording_notification_server(
    env: dict[str, str], tmp_dir: Path, capabilities: tuple[str, ...] = ("actions", "body")
) -> Iterator[RecordingServer]:
    """Run the recording org.freedesktop.Notifications server on the bus in ``env``."""
    record = tmp_dir / "notifications.jsonl"
    control = tmp_dir / "notifications.control"
    control.touch()
    server = Path(__file__).with_name("notification_server.py")
    argv = [sys.executable, str(server), "--record", str(record), "--control", str(control)]
    argv += ["--capabilities", ",".join(capabilities)]
    proc = subprocess.Popen(argv, env=env)
    try:
        _wait_until(
            lambda: proc.poll() is None and name_has_owner(env, "org.freedesktop.Notifications"),
            "recording notification server",
        )
        yield RecordingServer(proc, record, control)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


__all__ = [
    "BusMonitor",
    "RecordingServer",
    "bus_monitor",
    "name_has_owner",
    "private_session_bus",
    "recording_notification_server",
]
