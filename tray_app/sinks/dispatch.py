"""The one road from the monitor thread to the sinks.

The monitor puts each (snapshot, events) pair on a bounded queue; one named daemon thread drains
it and calls every sink in order. A sink that raises is logged and the others still run, so a
broken notification backend or a full disk never stops the tray from updating.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence

from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot

log = logging.getLogger(__name__)

Sink = Callable[[MonitorSnapshot, tuple[Event, ...]], None]
_STOP = None


class Dispatcher:
    def __init__(self, sinks: Sequence[tuple[str, Sink]], *, maxsize: int = 256) -> None:
        self._sinks = list(sinks)
        self._queue: queue.Queue[tuple[MonitorSnapshot, tuple[Event, ...]] | None] = queue.Queue(
            maxsize
        )
        self._thread = threading.Thread(target=self._drain, name="dispatch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        """Called on the monitor thread. Never blocks for long: events are what must not be lost."""
        try:
            self._queue.put((snapshot, events), timeout=1.0)
        except queue.Full:
            log.error("sinks are stuck; dropped an update with %d event(s)", len(events))

    def stop(self, timeout: float = 1.0) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout / 2)
        if self._thread.is_alive():
            self._thread.join(timeout / 2)

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
