"""One running instance per user: a file lock, plus a loopback "check now" doorbell.

The running instance holds ``AppPaths.lock_file`` and listens on 127.0.0.1 on a random port.
It writes the port and a random token to ``instance.json`` in the state dir (mode 0600), so a
second launch can ask it to check now and exit, and nothing else on the machine can ring
without reading the user's files. Protocol: one line ``<token> check\\n``, answer ``ok\\n``.

Rings with a wrong token are logged once, then counted: one line a minute at most, and one at
exit (a flood of them must not rotate the user's log away).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tray_app.core.errors import InstanceLockError
from tray_app.core.reasons import plain_reason
from tray_app.platform.atomic import ensure_private_dir, write_atomic
from tray_app.platform.lockfile import ExclusiveFileLock
from tray_app.platform.paths import AppPaths

log = logging.getLogger(__name__)

_COMMAND = "check"
_MAX_REQUEST = 256
_IO_TIMEOUT = 2.0
REJECTION_REPORT_INTERVAL = 60.0


class _Rejections:
    """Wrong-token rings: the first one logged, the rest counted and summed up now and then."""

    def __init__(self, interval: float = REJECTION_REPORT_INTERVAL) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._seen = False
        self._pending = 0
        self._since = 0.0

    def add(self) -> None:
        with self._lock:
            if not self._seen:
                self._seen, self._since = True, time.monotonic()
                first = True
            else:
                self._pending += 1
                first = False
        if first:
            log.warning(
                "instance doorbell: rejected a request with a wrong token "
                "(more are counted, not logged one by one)"
            )
        elif time.monotonic() - self._since >= self._interval:
            self.report()

    def report(self) -> None:
        with self._lock:
            count, self._pending = self._pending, 0
            since, self._since = self._since, time.monotonic()
        if count:
            log.warning(
                "instance doorbell: rejected %d more request(s) with a wrong token in %.0f s",
                count,
                time.monotonic() - since,
            )


def endpoint_file(paths: AppPaths) -> Path:
    return paths.state_dir / "instance.json"


class _Handler(socketserver.StreamRequestHandler):
    server: _DoorbellServer
    timeout = _IO_TIMEOUT

    def handle(self) -> None:
        try:
            line = self.rfile.readline(_MAX_REQUEST).decode("ascii", "replace").strip()
        except OSError:
            return
        if not line:
            return  # a knock that asks nothing: release() waking the loop
        token, _, command = line.partition(" ")
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            self.server.rejections.add()
            self.wfile.write(b"denied\n")
            return
        if command != _COMMAND:
            self.wfile.write(b"unknown\n")
            return
        log.info("another launch asked this instance to check now")
        try:
            self.server.on_check_now()
        except Exception:
            log.exception("check-now callback failed")
            self.wfile.write(b"error\n")
            return
        self.wfile.write(b"ok\n")


class _DoorbellServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, token: str, on_check_now: Callable[[], None]) -> None:
        self.token = token
        self.on_check_now = on_check_now
        self.rejections = _Rejections()
        super().__init__(("127.0.0.1", 0), _Handler)


class SingleInstance:
    """``acquire()`` once at start; ``serve()`` when ready; ``release()`` on the way out."""

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths
        self._lock = ExclusiveFileLock(paths.lock_file)
        self._server: _DoorbellServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._lock.held

    def acquire(self) -> bool:
        """True if this process is now the one instance; False if another one runs. Raises
        InstanceLockError when the lock file cannot be opened at all (a symlink planted there is
        never followed)."""
        ensure_private_dir(self._paths.state_dir)
        where = f"cannot take the single-instance lock {self._paths.lock_file}"
        if self._paths.lock_file.is_symlink():  # O_NOFOLLOW's error would not say so
            raise InstanceLockError(f"{where}: it is a symbolic link (remove it)")
        try:
            return self._lock.try_acquire()
        except OSError as exc:
            raise InstanceLockError(f"{where}: {plain_reason(exc)}") from None

    def serve(self, on_check_now: Callable[[], None]) -> int:
        """Listen for "check now" from later launches (in a daemon thread); returns the port."""
        if not self.held:
            raise RuntimeError("serve() needs the instance lock; call acquire() first")
        if self._server is not None:
            raise RuntimeError("already serving")
        token = secrets.token_hex(16)
        server = _DoorbellServer(token, on_check_now)
        port = int(server.server_address[1])
        _write_private(
            endpoint_file(self._paths), {"port": port, "token": token, "pid": os.getpid()}
        )
        self._server = server
        self._thread = threading.Thread(
            # no polling while idle: the loop sleeps until a connection (release() knocks)
            target=server.serve_forever,
            kwargs={"poll_interval": None},
            name="instance-doorbell",
        )
        self._thread.daemon = True
        self._thread.start()
        log.debug("instance doorbell listening on 127.0.0.1:%d", port)
        return port

    def release(self) -> None:
        """Stop listening, forget the endpoint and drop the lock (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            _shut_down(server)
            server.server_close()
            server.rejections.report()
            with contextlib.suppress(FileNotFoundError):
                endpoint_file(self._paths).unlink()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._lock.release()


def _shut_down(server: _DoorbellServer) -> None:
    """``shutdown()`` waits until the serving loop looks at its flag, and the loop looks only
    when a connection wakes it: knock until it has stopped."""
    stopper = threading.Thread(target=server.shutdown, name="doorbell-stop", daemon=True)
    stopper.start()
    port = int(server.server_address[1])
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        stopper.join(0.05)


def _write_private(path: Path, data: dict[str, object]) -> None:
    write_atomic(path, json.dumps(data).encode("utf-8"), mode=0o600)


def ask_running_instance_to_check(paths: AppPaths, *, timeout: float = 3.0) -> bool:
    """Ring the running instance's doorbell; True if it answered "ok"."""
    try:
        info = json.loads(endpoint_file(paths).read_text(encoding="utf-8"))
        port, token = int(info["port"]), str(info["token"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.debug("no usable instance endpoint: %s", exc)
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"{token} {_COMMAND}\n".encode("ascii"))
            answer = sock.makefile("rb").readline(_MAX_REQUEST)
    except OSError as exc:
        log.debug("running instance did not answer on port %d: %s", port, exc)
        return False
    return answer.strip() == b"ok"


__all__ = ["SingleInstance", "ask_running_instance_to_check", "endpoint_file"]
