"""When to poll next: fixed intervals, exponential backoff with jitter on errors, Retry-After,
"check now", and an immediate re-check after the machine wakes from sleep.

Pure bookkeeping on monotonic seconds; the monitor thread does the waiting. Tests drive it with
made-up times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# The wall clock running ahead of the monotonic clock by more than this between two loop turns
# means the machine slept (monotonic time stops during suspend on Linux and macOS).
WAKE_JUMP_SECONDS = 30.0


@dataclass
class Job:
    name: str
    interval: float
    next_due: float = 0.0
    errors: int = 0


class Schedule:
    def __init__(
        self,
        intervals: dict[str, float],
        *,
        backoff_max: float,
        jitter: float,
        start: float,
        rng: random.Random | None = None,
    ) -> None:
        self._jobs = {
            name: Job(name, interval, next_due=start) for name, interval in intervals.items()
        }
        self._backoff_max = backoff_max
        self._jitter = jitter
        self._rng = rng or random.Random()

    def due(self, mono: float) -> list[str]:
        """Names of the jobs due at ``mono``, most overdue first."""
        ready = [j for j in self._jobs.values() if j.next_due <= mono]
        return [j.name for j in sorted(ready, key=lambda j: j.next_due)]

    def next_due(self) -> float:
        return min(j.next_due for j in self._jobs.values())

    def next_due_of(self, name: str) -> float:
        return self._jobs[name].next_due

    def errors(self, name: str) -> int:
        return self._jobs[name].errors

    def done(self, name: str, mono: float, *, ok: bool, retry_after: float | None = None) -> float:
        """Record a run of ``name`` finishing at ``mono``; return the delay until its next run.

        After n consecutive errors the delay is ``interval * 2**(n-1)`` (so never faster than the
        normal poll), capped at ``backoff_max``, spread by +/- ``jitter`` so many clients do not
        retry in step (never below the interval); a server's Retry-After is honoured when it asks
        for longer, up to ``backoff_max``.
        """
        job = self._jobs[name]
        if ok:
            job.errors = 0
            delay = job.interval
        else:
            job.errors += 1
            base = min(self._backoff_max, job.interval * 2 ** min(job.errors - 1, 30))
            delay = max(job.interval, base * (1 + self._rng.uniform(-self._jitter, self._jitter)))
        if retry_after is not None:  # honoured, up to the longest wait the user allows
            delay = max(delay, min(retry_after, self._backoff_max))
        job.next_due = mono + delay
        return delay

    def make_due(self, name: str, mono: float) -> None:
        """Run ``name`` at its earliest (now), keeping its backoff count."""
        job = self._jobs[name]
        job.next_due = min(job.next_due, mono)

    def run_all_now(self, mono: float) -> None:
        """Check now / woke from sleep: everything is due at once; backoff is forgotten."""
        for job in self._jobs.values():
            job.next_due = mono
            job.errors = 0


def woke_from_sleep(wall_delta: float, mono_delta: float) -> bool:
    """True when the wall clock advanced much more than the monotonic clock (suspend/resume)."""
    return wall_delta - mono_delta > WAKE_JUMP_SECONDS


__all__ = ["WAKE_JUMP_SECONDS", "Job", "Schedule", "woke_from_sleep"]
