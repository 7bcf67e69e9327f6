"""Single instance: a real file lock and a real loopback socket, across real processes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apprig import run_cli, write_loopback_config
from tests.faultrig import closed_port_url
from tray_app.platform.instance import (
    SingleInstance,
    _Rejections,
    ask_running_instance_to_check,
    endpoint_file,
)
from tray_app.platform.paths import AppPaths

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "s", tmp_path / "l")


@pytest.fixture
def first(paths: AppPaths) -> Iterator[SingleInstance]:
    inst = SingleInstance(paths)
    assert inst.acquire()
    try:
        yield inst
    finally:
        inst.release()


def test_second_instance_in_the_same_process_is_refused(
    paths: AppPaths, first: SingleInstance
) -> None:
    assert not SingleInstance(paths).acquire()


def test_release_lets_the_next_one_in(paths: AppPaths, first: SingleInstance) -> None:
    first.release()
    nxt = SingleInstance(paths)
    assert nxt.acquire()
    nxt.release()


def test_doorbell_runs_check_now_and_endpoint_is_private(
    paths: AppPaths, first: SingleInstance
) -> None:
    rung = threading.Event()
    first.serve(rung.set)
    assert endpoint_file(paths).stat().st_mode & 0o777 == 0o600
    assert ask_running_instance_to_check(paths)
    assert rung.wait(5)


def test_serve_and_release_from_another_thread(paths: AppPaths, first: SingleInstance) -> None:
    """The app acquires on the main thread, serves from the tray's setup thread."""
    errors: list[BaseException] = []

    def serve_and_release() -> None:
        try:
            first.serve(lambda: None)
            assert ask_running_instance_to_check(paths)
            first.release()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=serve_and_release)
    worker.start()
    worker.join(20)
    assert errors == []
    nxt = SingleInstance(paths)
    assert nxt.acquire()
    nxt.release()


def test_wrong_token_is_denied(paths: AppPaths, first: SingleInstance) -> None:
    calls: list[int] = []
    port = first.serve(lambda: calls.append(1))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"not-the-token check\n")
        assert sock.makefile("rb").readline() == b"denied\n"
    assert calls == []


def test_release_forgets_the_endpoint(paths: AppPaths, first: SingleInstance) -> None:
    first.serve(lambda: None)
    first.release()
    assert not endpoint_file(paths).exists()
    assert not ask_running_instance_to_check(paths)


@pytest.mark.parametrize(
    "content",
    [None, "not json", json.dumps({"port": 1, "token": "x"}), json.dumps({"token": "x"})],
    ids=["missing", "garbage", "dead-port", "no-port"],
)
def test_asking_without_a_live_instance_says_no(paths: AppPaths, content: str | None) -> None:
    if content is not None:
        paths.state_dir.mkdir(parents=True)
        endpoint_file(paths).write_text(content)
    assert not ask_running_instance_to_check(paths, timeout=2)


def test_serve_needs_the_lock(paths: AppPaths) -> None:
    with pytest.raises(RuntimeError, match="acquire"):
        SingleInstance(paths).serve(lambda: None)


_HOLDER = """
import sys, time
from pathlib import Path
from tray_app.platform.instance import SingleInstance
from tray_app.platform.paths import AppPaths
base = Path(sys.argv[1])
inst = SingleInstance(AppPaths(base / "c", base / "d", base / "s", base / "l"))
assert inst.acquire()
inst.serve(lambda: print("CHECK", flush=True))
print("READY", flush=True)
sys.stdin.readline()
inst.release()
print("BYE", flush=True)
"""


@contextlib.contextmanager
def holder(base: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process that holds the instance and serves the doorbell until told to stop."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(base)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "READY"
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_across_processes_the_second_launch_rings_the_first(
    paths: AppPaths, tmp_path: Path
) -> None:
    with holder(tmp_path) as proc:
        assert proc.stdout is not None and proc.stdin is not None
        assert not SingleInstance(paths).acquire()
        assert ask_running_instance_to_check(paths)
        assert proc.stdout.readline().strip() == "CHECK"
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "BYE"
        assert proc.wait(10) == 0
    again = SingleInstance(paths)
    assert again.acquire()
    again.release()


def test_a_killed_instance_does_not_block_the_next(paths: AppPaths, tmp_path: Path) -> None:
    with holder(tmp_path) as proc:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    nxt = SingleInstance(paths)
    while not nxt.acquire():
        assert time.monotonic() < deadline, "lock still held after the holder died"
        time.sleep(0.05)
    assert not ask_running_instance_to_check(paths, timeout=2)  # stale endpoint: no answer
    nxt.release()


# ---- hostile neighbours (issue 11) ----


def test_a_flood_of_wrong_tokens_logs_a_few_lines_not_one_each(
    paths: AppPaths, first: SingleInstance, tmp_path: Path
) -> None:
    log_file = tmp_path / "doorbell.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logger = logging.getLogger("tray_app.platform.instance")
    logger.addHandler(handler)
    calls: list[int] = []
    try:
        port = first.serve(lambda: calls.append(1))
        denied = 0

        def ring(times: int) -> None:
            nonlocal denied
            for _ in range(times):
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(b"guess check\n")
                    if sock.makefile("rb").readline() == b"denied\n":
                        denied += 1

        threads = [threading.Thread(target=ring, args=(500,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert denied == 2000
        first.release()  # the count so far is said at exit
    finally:
        logger.removeHandler(handler)
        handler.close()
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 3, lines
    assert "rejected a request with a wrong token" in lines[0]
    assert "rejected 1999 more request(s) with a wrong token" in lines[-1]
    assert calls == []


def test_rejections_are_summed_up_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    rejections = _Rejections(interval=0.3)
    for _ in range(50):
        rejections.add()
    time.sleep(0.4)
    rejections.add()  # the first after the interval says how many came since
    for _ in range(10):
        rejections.add()
    rejections.report()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert "rejected 50 more" in lines[1] and "rejected 10 more" in lines[2]


def test_the_endpoint_is_never_written_through_a_planted_symlink(
    paths: AppPaths, first: SingleInstance, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    for name in ("instance.tmp", "instance.json"):
        (paths.state_dir / name).symlink_to(victim)
    first.serve(lambda: None)
    endpoint = endpoint_file(paths)
    assert not endpoint.is_symlink()
    assert endpoint.stat().st_mode & 0o777 == 0o600
    assert json.loads(endpoint.read_text(encoding="utf-8"))["port"] > 0
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert ask_running_instance_to_check(paths)


def test_a_symlink_planted_as_the_lock_is_never_followed_and_said_in_one_line(
    tmp_path: Path,
) -> None:
    """The real `watch`: a symlink at instance.lock (to a file of the user's) stops the app with
    one line naming the file, no traceback, and the file it points at untouched."""
    paths = AppPaths.default()
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    paths.lock_file.symlink_to(victim)
    write_loopback_config(closed_port_url())  # nothing would leave the machine if it ran
    result = run_cli("watch", "--no-notify")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    said = [line for line in result.stderr.splitlines() if "single-instance lock" in line]
    assert said == [
        f"claude-status-tray: cannot take the single-instance lock {paths.lock_file}: "
        "it is a symbolic link (remove it)"
    ]
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_the_lock_file_is_private_whatever_the_umask(paths: AppPaths) -> None:
    old = os.umask(0o022)
    try:
        instance = SingleInstance(paths)
        assert instance.acquire()
        instance.release()
    finally:
        os.umask(old)
    assert paths.lock_file.stat().st_mode & 0o777 == 0o600
