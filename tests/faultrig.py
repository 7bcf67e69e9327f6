"""Shared rig for the fault, data-safety and soak suites: the whole pipeline, real HTTP, fake time.

``Pipeline`` is a real ``Monitor`` (real httpx sources from ``build_sources`` unless others are
given) stepped one turn at a time with a ``FakeClock``, feeding a real ``AlertPolicy`` and a
``Notifier`` whose only backend records what it was asked to show. Only time is fake.
"""

from __future__ import annotations

import gzip
import random
import re
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tray_app.config.schema import (
    BackoffSettings,
    NotificationSettings,
    ProbeSettings,
    Settings,
    StatusPageSettings,
)
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot
from tray_app.platform.store import StateStore
from tray_app.sinks.alerts import AlertPolicy
from tray_app.sinks.notification import Notification
from tray_app.sinks.notify import Notifier
from tray_app.sources.build import Sources, build_sources
from tray_app.sources.monitor import Monitor, PageSource, ProbeSource

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
MiB = 1024 * 1024

# what a notification speaks for, from its keys (titles may lead with the incident's name):
# "service:<id>:major_outage|partial_outage:..." and the reminders "reminder:<id>:..."
_DOWN_KEY = re.compile(r"^(?:service:([^:]+):(?:major|partial)_outage|reminder:([^:]+)):")


class FakeClock:
    """Wall and monotonic time that move only when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.wall = start
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float, *, slept: float = 0.0) -> None:
        """``slept``: extra wall-clock time during which the monotonic clock stood still."""
        self.mono += seconds
        self.wall += timedelta(seconds=seconds + slept)


class RecordingBackend:
    """A notification backend that only remembers what it was asked to show."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, n: Notification) -> None:
        self.sent.append(n)

    def close(self) -> None:
        pass


def down_component_ids(n: Notification) -> tuple[str, ...]:
    """The services ``n`` tells the user are down (or still down)."""
    found = (_DOWN_KEY.match(key) for key in n.keys)
    return tuple(m.group(1) or m.group(2) for m in found if m)


def says_down(n: Notification) -> bool:
    return bool(down_component_ids(n))


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def full_backlog_url() -> Iterator[str]:
    """A loopback URL whose listen queue is full: a new connect() gets no SYN-ACK and times out
    (the loopback way to get a real connect timeout; nothing leaves the machine)."""
    server = socket.socket()
    fillers: list[socket.socket] = []
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def make_settings(
    page_url: str,
    api_url: str | None = None,
    claude_ai_url: str | None = None,
    *,
    page_interval: float = 60.0,
    probe_interval: float = 30.0,
    timeout: float = 2.0,
    probes: bool = True,
    max_body_bytes: int = 2 * MiB,
    min_interval: float = 300.0,
    failure_threshold: int = 2,
    retention_days: int = 90,
) -> Settings:
    """Settings for a loopback run: no jitter, so backoff and Retry-After are exact."""
    from tray_app.config.schema import HistorySettings

    return Settings(
        status_page=StatusPageSettings(
            url=page_url, interval=page_interval, timeout=timeout, max_body_bytes=max_body_bytes
        ),
        probes=ProbeSettings(
            enabled=probes,
            interval=probe_interval,
            timeout=timeout,
            api_url=api_url or page_url + "/v1/models",
            claude_ai_url=claude_ai_url or page_url + "/",
            failure_threshold=failure_threshold,
        ),
        backoff=BackoffSettings(maximum=600.0, jitter=0.0),
        notifications=NotificationSettings(min_interval=min_interval),
        history=HistorySettings(retention_days=retention_days),
    )


@dataclass
class Update:
    at: datetime
    snapshot: MonitorSnapshot
    events: tuple[Event, ...]
    notifications: tuple[Notification, ...]


@dataclass
class Pipeline:
    """Monitor -> AlertPolicy -> Notifier(recorder), plus optional extra sinks."""

    settings: Settings
    clock: FakeClock = field(default_factory=FakeClock)
    page_source: PageSource | None = None
    prober: ProbeSource | None = None
    store_path: Path | None = None
    extra_sinks: list[Callable[[MonitorSnapshot, tuple[Event, ...]], None]] = field(
        default_factory=list
    )
    seed: int = 0

    def __post_init__(self) -> None:
        self.sources: Sources | None = None
        if self.page_source is None:
            self.sources = build_sources(self.settings, clock=self.clock)
            self.page_source = self.sources.page
            self.prober = self.sources.prober
        self.policy = AlertPolicy(self.settings.notifications, self.settings.watch, tz=timezone.utc)
        self.backend = RecordingBackend()
        self.notifier = Notifier([self.backend])
        self.updates: list[Update] = []
        self.ran: list[tuple[float, str]] = []  # (seconds since start, job name)
        self._start = self.clock.monotonic()
        self.monitor = Monitor(
            self.settings,
            page_source=self.page_source,
            prober=self.prober,
            on_update=self._on_update,
            clock=self.clock,
            store=StateStore(self.store_path) if self.store_path else None,
            rng=random.Random(self.seed),
        )

    def _on_update(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        for sink in self.extra_sinks:
            sink(snapshot, events)
        _, notes = self.policy.decide(events, snapshot, self.clock.now())
        for n in notes:
            self.notifier.send(n)
        self.updates.append(Update(self.clock.now(), snapshot, events, notes))

    def turn(self, advance: float = 0.0, *, slept: float = 0.0) -> list[str]:
        """Move the clock, then run whatever is due (real I/O)."""
        self.clock.advance(advance, slept=slept)
        ran = self.monitor.run_pending()
        elapsed = self.clock.monotonic() - self._start
        self.ran.extend((elapsed, name) for name in ran)
        return ran

    def run_for(self, seconds: float, step: float = 5.0) -> None:
        """Turn every ``step`` seconds of fake time for ``seconds``."""
        self.turn()
        for _ in range(round(seconds / step)):
            self.turn(step)

    def times_of(self, job: str) -> list[float]:
        return [t for t, name in self.ran if name == job]

    @property
    def snapshot(self) -> MonitorSnapshot:
        return self.monitor.snapshot

    @property
    def events(self) -> list[Event]:
        return [e for u in self.updates for e in u.events]

    @property
    def notifications(self) -> list[Notification]:
        return list(self.backend.sent)

    def down_notifications(self) -> list[Notification]:
        return [n for n in self.backend.sent if says_down(n)]

    def close(self) -> None:
        self.monitor.stop()
        if self.sources is not None:
            self.sources.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- hostile servers: what statusserver.py cannot say ----


class RawServer:
    """A loopback TCP server that answers each connection with ``answer(conn, stop)`` on its own
    thread: for answers no HTTP library would send (headers dripped a byte at a time)."""

    def __init__(self, answer: Callable[[socket.socket, threading.Event], None]) -> None:
        self._answer = answer
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.connections = 0
        self._counted = threading.Condition()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with self._counted:
                self.connections += 1
                self._counted.notify_all()
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            self._answer(conn, self._stop)

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> None:
        with self._counted:
            if not self._counted.wait_for(lambda: self.connections >= count, timeout):
                raise TimeoutError(f"{self.connections} connection(s), wanted {count}")

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def header_drip(every: float = 0.2) -> Callable[[socket.socket, threading.Event], None]:
    """Answers the status line, then one byte of a header every ``every`` seconds, for ever."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        while not stop.wait(every):
            conn.sendall(b"a")

    return answer


GZIP_BOMB = Path(__file__).resolve().parent / "fixtures" / "bomb_1GiB_zeros.gzip.gzip"
GZIP_BOMB_SIZE = 1024 * MiB  # what it unpacks to, through both layers


def gzip_bomb() -> bytes:
    """1 GiB of zeros gzipped twice: 1,827 bytes on the wire (made by make_gzip_bomb)."""
    return GZIP_BOMB.read_bytes()


def make_gzip_bomb(size: int = GZIP_BOMB_SIZE, layers: int = 2) -> bytes:
    """``size`` zero bytes gzipped ``layers`` times."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MiB)
    parts = [packer.compress(block) for _ in range(size // MiB)]
    data = b"".join(parts) + packer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


# ---- process memory (psutil is not installed: /proc/self/status) ----


def _status_kib(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise LookupError(field_name)


def rss_bytes() -> int:
    return _status_kib("VmRSS") * 1024


def peak_rss_bytes() -> int:
    return _status_kib("VmHWM") * 1024


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


__all__ = [
    "GZIP_BOMB_SIZE",
    "T0",
    "FakeClock",
    "MiB",
    "Pipeline",
    "RawServer",
    "RecordingBackend",
    "Update",
    "closed_port_url",
    "down_component_ids",
    "full_backlog_url",
    "gzip_bomb",
    "header_drip",
    "make_gzip_bomb",
    "make_settings",
    "peak_rss_bytes",
    "read_request",
    "reset_peak_rss",
    "rss_bytes",
    "says_down",
]
