"""Time, injected: the monitor and the state machine never read the system clock directly."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (and, on most systems, stops during sleep)."""
        ...


def utc_now() -> datetime:
    """The system's wall-clock time, timezone-aware UTC (the default clock of the sources)."""
    return datetime.now(timezone.utc)


class SystemClock:
    def now(self) -> datetime:
        return utc_now()

    def monotonic(self) -> float:
        return time.monotonic()


__all__ = ["Clock", "SystemClock", "utc_now"]
