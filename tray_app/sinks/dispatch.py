"""The one road from the monitor thread to the sinks.

The monitor puts each (snapshot, events) pair on a bounded queue; one named daemon thread drains
it and calls every sink in order. A sink that raises is logged and the others still run, so a
broken notification backend or a full disk never stops the tray from updating.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot

log = logging.getLogger(__name__)

Sink = Callable[[MonitorSnapshot, tuple[Event, ...]], None]
_STOP = None
FULL_WAIT = 1.0  # seconds submit() waits for room before dropping an update
_Item = tuple[MonitorSnapshot, tuple[Event, ...]] | None


class Dispatcher:
    def __init__(self, sinks: Sequence[tuple[str, Sink]], *, maxsize: int = 256) -> None:
        self._sinks = list(sinks)
        self._maxsize = maxsize
        # a SimpleQueue (in C) rather than a bounded queue.Queue (Python locks and conditions):
        # every poll goes through here, and the bound matters only when the sinks are stuck
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="dispatch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        """Called on the monitor thread. Never blocks for long: events are what must not be lost."""
        give_up = None
        while self._queue.qsize() >= self._maxsize:  # stuck sinks: wait a little for room
            now = time.monotonic()
            give_up = give_up or now + FULL_WAIT
            if now >= give_up:
                log.error("sinks are stuck; dropped an update with %d event(s)", len(events))
                return
            time.sleep(0.05)
        self._queue.put((snapshot, events))

    def stop(self, timeout: float = 1.0) -> None:
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def deliver(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        """Run every sink now, on the calling thread."""
        for name, sink in self._sinks:
            try:
                sink(snapshot, events)
            except Exception:
                log.exception("sink %s failed", name)

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            self.deliver(*item)


__all__ = ["Dispatcher", "Sink"]
