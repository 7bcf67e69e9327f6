"""Data safety: the real app process killed, its files corrupted, locked or out of disk space.

The app runs as ``python -m tray_app watch --no-notify`` against a loopback StatusServer with a
config in the test's XDG_CONFIG_HOME (1 s intervals).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.apprig import run_cli, write_loopback_config
from tests.faultrig import Pipeline, make_settings
from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer, summary_doc
from tray_app.config.schema import API_COMPONENT
from tray_app.platform.paths import AppPaths
from tray_app.platform.store import write_json_atomic
from tray_app.sinks.alerts import AlertPolicy

APP = "claude-status-tray"
REPO = Path(__file__).resolve().parent.parent


def app_paths() -> AppPaths:
    return AppPaths.default()  # the autouse fixture points XDG_* into tmp_path


def write_config(server: StatusServer) -> Path:
    return write_loopback_config(server.url)


def serve_outage(server: StatusServer) -> None:
    server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)


cli = run_cli


@contextmanager
def watch_process() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    return out, err


def rows(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    assert callable(condition)
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_history_survives_kill_9_of_the_real_app(status_server: StatusServer) -> None:
    serve_outage(status_server)
    write_config(status_server)
    db = app_paths().history_db
    with watch_process() as proc:
        wait_for(lambda: rows(db, "events") >= 1 and rows(db, "component_health") >= 6)
        time.sleep(3)  # a few more 1 s rounds of writes, then the kill lands mid-run
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    events_before = rows(db, "events")
    with watch_process() as proc:
        wait_for(lambda: len(status_server.requests_for("/v1/models")) > 0)
        time.sleep(2)
        stop(proc)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events")]
    assert rows(db, "events") >= events_before
    assert kinds.count("service_down") == 1  # the restart did not repeat the event
    result = cli("history", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    outages = [o for o in report["outages"] if o["component_id"] == API_COMPONENT]
    assert outages and outages[0]["worst"] == "major_outage"


def test_corrupt_config_gives_defaults_one_clear_line_and_is_left_untouched() -> None:
    path = app_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    original = b'[status_page]\nurl = "https://status.claude.com\ninterval = \xff60\n'
    path.write_bytes(original)
    result = cli("history", "--since", "1d")
    lines = [line for line in result.stderr.splitlines() if "config.toml" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{APP}: config.toml: not UTF-8 text"), lines
    assert lines[0].endswith("using the defaults"), lines
    assert path.read_bytes() == original


def test_corrupt_history_db_is_moved_aside_and_the_user_told(status_server: StatusServer) -> None:
    serve_outage(status_server)
    write_config(status_server)
    paths = app_paths()
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database, it is a shopping list\n" * 200
    paths.history_db.write_bytes(garbage)
    with watch_process() as proc:
        wait_for(lambda: rows(paths.history_db, "events") >= 1)
        _, err = stop(proc)
    log_text = paths.log_file.read_text(encoding="utf-8")
    told = "History database was unusable"
    assert told in err or told in log_text, (err, log_text)
    asides = list(paths.history_db.parent.glob("history.sqlite3.corrupt-*"))
    assert [a.read_bytes() for a in asides] == [garbage]


def test_locked_history_db_is_moved_aside_and_the_user_told(status_server: StatusServer) -> None:
    serve_outage(status_server)
    write_config(status_server)
    paths = app_paths()
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(paths.history_db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # held by a stuck process: the app cannot even read it
    try:
        with watch_process() as proc:
            wait_for(lambda: list(paths.history_db.parent.glob("history.sqlite3.corrupt-*")))
            time.sleep(1)
            assert proc.poll() is None
            _, err = stop(proc)
    finally:
        holder.close()
    log_text = paths.log_file.read_text(encoding="utf-8")
    assert "History database was unusable" in err + log_text
    assert "locked" in err + log_text


def test_corrupt_alerts_json_does_not_renotify_an_outage_the_engine_remembers(
    status_server: StatusServer, tmp_path: Path
) -> None:
    """alerts.json is dedupe memory of the notifier; state.json of the engine. With alerts.json
    corrupt but state.json intact the engine emits no new event for the ongoing outage, so the
    user is not told again. With both gone the outage is announced once more (a fresh start
    cannot know better), but only once: no storm."""
    serve_outage(status_server)
    settings = make_settings(status_server.url)
    state_file, alerts_file = tmp_path / "state.json", tmp_path / "alerts.json"
    with Pipeline(settings, store_path=state_file) as first:
        first.run_for(120)
        write_json_atomic(alerts_file, first.policy.to_dict())
    assert [n.title for n in first.notifications] == ["Claude API (api.anthropic.com) down"]

    alerts_file.write_text('{"version": 1, "seen_keys": [', encoding="utf-8")
    with Pipeline(settings, clock=first.clock, store_path=state_file) as second:
        second.policy = AlertPolicy.from_dict(settings.notifications, settings.watch, None)
        second.run_for(600)
    assert second.notifications == []

    state_file.write_text("{corrupt", encoding="utf-8")
    with Pipeline(settings, clock=first.clock, store_path=state_file) as third:
        third.run_for(600)
    assert [n.title for n in third.notifications] == ["Claude API (api.anthropic.com) down"]
    assert (tmp_path / "state.json.bad").read_text(encoding="utf-8") == "{corrupt"


@contextmanager
def tiny_tmpfs(where: Path, size: str = "256k") -> Iterator[Path]:
    """A real filesystem that fills up (we run as root here: mount needs it)."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def test_full_disk_keeps_the_app_running_and_answering(status_server: StatusServer) -> None:
    serve_outage(status_server)
    write_config(status_server)
    paths = app_paths()
    with tiny_tmpfs(Path(os.environ["XDG_DATA_HOME"])), watch_process() as proc:
        wait_for(lambda: rows(paths.history_db, "events") >= 1)
        fill(paths.history_db.parent)
        for n in range(8):  # changes that must be written
            status_server.set_summary(
                summary_doc() if n % 2 else summary_doc("major", {API_COMPONENT: "partial_outage"})
            )
            time.sleep(1)
        assert proc.poll() is None, "the app died on a full disk"
        line = cli("statusline")
        stop(proc)
    assert line.returncode in (0, 1, 2, 3) and line.stdout.strip(), line
    log_text = paths.log_file.read_text(encoding="utf-8")
    failures = [x for x in log_text.splitlines() if "history not recorded" in x]
    assert failures, log_text[-2000:]
    assert "full" in failures[0]
    assert len(failures) <= 2, failures  # said once (twice if the message changes), not per write
    print(f"full disk: {len(failures)} 'history not recorded' lines; statusline {line.stdout!r}")
