"""The road from the monitor to the sinks: every update reaches every sink in order, a broken
sink does not stop the others, and stuck sinks never stall the monitor for long."""

from __future__ import annotations

import threading
import time

from tray_app.config.schema import Settings
from tray_app.core import state as engine
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot
from tray_app.sinks.dispatch import FULL_WAIT, Dispatcher, Sink


def _snapshot() -> MonitorSnapshot:
    return engine.snapshot(engine.initial_state(), Settings())


def test_every_update_reaches_every_sink_in_order_even_past_a_broken_one() -> None:
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def broken(snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        raise RuntimeError("a bug in one sink")

    def recorder(name: str, last: int) -> Sink:
        def sink(snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
            seen.append((name, len(seen)))
            if len(seen) == last:
                done.set()

        return sink

    dispatcher = Dispatcher(
        [("first", recorder("first", 6)), ("broken", broken), ("last", recorder("last", 6))]
    )
    dispatcher.start()
    for _ in range(3):
        dispatcher.submit(_snapshot(), ())
    assert done.wait(10)
    dispatcher.stop()
    assert [name for name, _ in seen] == ["first", "last"] * 3


def test_stuck_sinks_drop_updates_after_a_short_wait_and_keep_the_queued_ones() -> None:
    release = threading.Event()
    delivered: list[int] = []

    def stuck(snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        release.wait(30)
        delivered.append(1)

    dispatcher = Dispatcher([("stuck", stuck)], maxsize=2)
    dispatcher.start()
    dispatcher.submit(_snapshot(), ())  # taken by the sink, which hangs
    time.sleep(0.2)
    dispatcher.submit(_snapshot(), ())
    dispatcher.submit(_snapshot(), ())  # the queue is full now
    started = time.monotonic()
    dispatcher.submit(_snapshot(), ())  # dropped
    waited = time.monotonic() - started
    assert FULL_WAIT * 0.9 <= waited < FULL_WAIT + 5
    release.set()
    deadline = time.monotonic() + 10
    while len(delivered) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    dispatcher.stop()
    assert len(delivered) == 3
