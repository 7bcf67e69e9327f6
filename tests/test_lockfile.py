"""The single-instance lock between real processes: held means held, and a process that dies
(even by SIGKILL) never leaves a stale lock behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tray_app.platform.lockfile import ExclusiveFileLock

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys, time
from pathlib import Path
from tray_app.platform.lockfile import ExclusiveFileLock
lock = ExclusiveFileLock(Path(sys.argv[1]))
print("held" if lock.try_acquire() else "busy", flush=True)
time.sleep(60)
"""


def end(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def holder(path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_a_lock_held_by_another_process_is_refused_until_that_process_dies(
    tmp_path: Path,
) -> None:
    path = tmp_path / "instance.lock"
    proc, said = holder(path)
    try:
        assert said == "held"
        mine = ExclusiveFileLock(path)
        assert not mine.try_acquire() and not mine.held
        second, said_second = holder(path)
        end(second)
        assert said_second == "busy"
    finally:
        end(proc)  # SIGKILL: no chance to unlock
    assert mine.try_acquire() and mine.held  # the kernel dropped the dead holder's lock
    assert path.exists()
    mine.release()
    assert not mine.held
    other, said = holder(path)
    end(other)
    assert said == "held"


def test_the_lock_file_is_private_and_a_symlink_is_never_followed(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        lock = ExclusiveFileLock(tmp_path / "instance.lock")
        assert lock.try_acquire()
        assert stat.S_IMODE((tmp_path / "instance.lock").stat().st_mode) == 0o600
        lock.release()
    finally:
        os.umask(old)
    target = tmp_path / "precious"
    target.write_text("keep")
    (tmp_path / "planted.lock").symlink_to(target)
    with pytest.raises(OSError):
        ExclusiveFileLock(tmp_path / "planted.lock").try_acquire()
    assert target.read_text() == "keep"
