"""Files the app keeps in the user's home: written only through the one atomic writer (never
through a planted symlink), folders 0700 and files 0600 whatever the umask. Real files, real
processes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.apprig import REPO, run_cli
from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer, summary_doc
from tray_app.platform.atomic import create_new, ensure_private_dir, write_atomic
from tray_app.platform.paths import AppPaths


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("precious\n", encoding="utf-8")
    return path


def test_write_atomic_replaces_a_symlink_never_writes_through_it(
    tmp_path: Path, victim: Path
) -> None:
    target = tmp_path / "app" / "state.json"
    target.parent.mkdir()
    target.symlink_to(victim)
    write_atomic(target, b"{}")
    assert not target.is_symlink() and target.read_bytes() == b"{}"
    assert mode(target) == 0o600
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]  # no temp file left


def test_create_new_refuses_anything_already_there(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "config.toml"
    link.symlink_to(tmp_path / "does-not-exist-yet")  # dangling: would create the target
    with pytest.raises(FileExistsError):
        create_new(link, b"x")
    assert not (tmp_path / "does-not-exist-yet").exists()


def test_folders_are_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        ensure_private_dir(tmp_path / "a" / "b" / "c")
        write_atomic(tmp_path / "x" / "y.json", b"{}", mode=None)
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "a/b/c", "x"):
        assert mode(tmp_path / folder) == 0o700, folder
    assert mode(tmp_path / "x" / "y.json") == 0o600


def test_config_backup_is_never_written_through_a_planted_symlink(victim: Path) -> None:
    config = AppPaths.default().config_file
    assert run_cli("autostart", "disable").returncode == 0  # creates config.toml
    backup = config.with_name("config.toml.bak")
    backup.unlink(missing_ok=True)
    backup.symlink_to(victim)
    result = run_cli("autostart", "enable")  # writes config.toml back, keeping a .bak
    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not backup.is_symlink()
    assert "autostart" in backup.read_text(encoding="utf-8")
    assert mode(backup) == 0o600


def test_the_log_is_never_written_through_a_planted_symlink(tmp_path: Path, victim: Path) -> None:
    log_file = tmp_path / "logs" / "app.log"
    log_file.parent.mkdir()
    log_file.symlink_to(victim)
    child = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from tray_app.platform.logsetup import setup_logging\n"
        "setup_logging(Path(sys.argv[1]))\n"
        "logging.getLogger('tray_app').error('a line for the log')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child, str(log_file)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "cannot write the log file" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_config_history_log_and_state_are_private_under_umask_022(
    status_server: StatusServer,
) -> None:
    """The real app, started with umask 022 as a login session would: every folder it creates
    is 0700 and every file 0600 (config can hold webhook tokens in hook arguments)."""
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    paths = AppPaths.default()
    umask = lambda: os.umask(0o022)  # noqa: E731
    created = subprocess.run(
        [sys.executable, "-m", "tray_app", "config", "show"],
        capture_output=True,
        timeout=60,
        cwd=REPO,
        preexec_fn=umask,
    )
    assert created.returncode == 0, created.stderr
    with paths.config_file.open("a", encoding="utf-8") as config:
        config.write(
            f'\n[status_page]\nurl = "{status_server.url}"\ninterval = 1\n'
            f'[probes]\napi_url = "{status_server.url}/v1/models"\n'
            f'claude_ai_url = "{status_server.url}/"\n'
        )
    watch = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        preexec_fn=umask,
    )
    try:
        deadline = time.monotonic() + 60
        wanted = (paths.history_db, paths.state_file, paths.log_file)
        while not all(p.exists() for p in wanted):
            assert time.monotonic() < deadline, [p for p in wanted if not p.exists()]
            time.sleep(0.2)
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=20)
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        assert mode(folder) == 0o700, folder
    for path in (paths.config_file, paths.history_db, paths.state_file, paths.log_file):
        assert mode(path) == 0o600, path
    for extra in paths.data_dir.glob("history.sqlite3-*"):  # SQLite's -wal and -shm
        assert mode(extra) == 0o600, extra
