"""The polling schedule: intervals, backoff with jitter, Retry-After, check-now, wake from sleep."""

from __future__ import annotations

import random

import pytest

from tray_app.sources.schedule import WAKE_JUMP_SECONDS, Schedule, woke_from_sleep


def make(jitter: float = 0.0, backoff_max: float = 600.0) -> Schedule:
    return Schedule(
        {"page": 60.0, "probes": 30.0},
        backoff_max=backoff_max,
        jitter=jitter,
        start=1000.0,
        rng=random.Random(7),
    )


def test_everything_is_due_at_start() -> None:
    assert sorted(make().due(1000.0)) == ["page", "probes"]


def test_success_waits_one_interval() -> None:
    s = make()
    assert s.done("page", 1000.0, ok=True) == 60.0
    assert s.done("probes", 1000.0, ok=True) == 30.0
    assert s.due(1029.9) == []
    assert s.due(1030.0) == ["probes"]
    assert s.next_due() == 1030.0


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(1, 60.0), (2, 120.0), (3, 240.0), (4, 480.0), (5, 600.0), (12, 600.0)],
    ids=lambda v: str(v),
)
def test_backoff_doubles_from_the_interval_and_is_capped(failures: int, expected: float) -> None:
    s = make()
    delay = 0.0
    for _ in range(failures):
        delay = s.done("page", 1000.0, ok=False)
    assert delay == expected


def test_backoff_never_polls_faster_than_the_interval_even_with_jitter() -> None:
    s = make(jitter=0.2)
    delays = [s.done("page", 0.0, ok=False) for _ in range(3)]
    assert 60 <= delays[0] <= 60 * 1.2
    assert 120 * 0.8 <= delays[1] <= 120 * 1.2
    assert 240 * 0.8 <= delays[2] <= 240 * 1.2
    assert len(set(delays)) == 3


def test_success_resets_the_backoff() -> None:
    s = make()
    for _ in range(4):
        s.done("page", 0.0, ok=False)
    assert s.errors("page") == 4
    assert s.done("page", 0.0, ok=True) == 60.0
    assert s.errors("page") == 0


def test_retry_after_is_honoured_when_longer() -> None:
    s = make()
    assert s.done("page", 0.0, ok=False, retry_after=500.0) == 500.0
    assert s.done("page", 0.0, ok=False, retry_after=5.0) == 120.0


def test_retry_after_is_capped_at_the_longest_wait() -> None:
    assert make().done("page", 0.0, ok=False, retry_after=86_400.0) == 600.0


def test_run_all_now_makes_everything_due_and_forgets_backoff() -> None:
    s = make()
    for _ in range(3):
        s.done("page", 1000.0, ok=False)
    s.done("probes", 1000.0, ok=True)
    s.run_all_now(1001.0)
    assert sorted(s.due(1001.0)) == ["page", "probes"]
    assert s.errors("page") == 0


@pytest.mark.parametrize(
    ("wall", "mono", "woke"),
    [
        (5.0, 5.0, False),  # normal turn
        (5.0 + WAKE_JUMP_SECONDS - 1, 5.0, False),  # small NTP adjustment
        (3600.0, 5.0, True),  # an hour asleep: monotonic time stood still
        (-3600.0, 5.0, False),  # wall clock set back: not a wake
    ],
    ids=["normal", "small-adjust", "slept-an-hour", "clock-set-back"],
)
def test_wake_detection(wall: float, mono: float, woke: bool) -> None:
    assert woke_from_sleep(wall, mono) is woke
