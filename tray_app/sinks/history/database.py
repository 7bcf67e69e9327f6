"""The history file: schema, opening it, and recovering from a broken one.

A read-write open creates the file and its tables. A file that is not a database, is
malformed or stays locked is moved aside to ``history.sqlite3.corrupt-<UTC timestamp>`` and
a fresh one is created; the returned notice says so in one line. A read-only open (the CLI)
never creates the file nor moves it aside.

Every ``sqlite3``/``OSError`` failure is raised as ``HistoryError``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from tray_app.core.errors import HistoryError
from tray_app.platform.atomic import create_new, ensure_private_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    component_id TEXT,
    severity TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TABLE IF NOT EXISTS component_health (
    id INTEGER PRIMARY KEY,
    component_id TEXT NOT NULL,
    name TEXT NOT NULL,
    at REAL NOT NULL,
    until REAL NOT NULL,
    health TEXT NOT NULL,
    official TEXT NOT NULL,
    probe_only INTEGER NOT NULL,
    probe TEXT
);
CREATE INDEX IF NOT EXISTS component_health_by_component ON component_health (component_id, at);
CREATE TABLE IF NOT EXISTS probe_latency (
    target TEXT NOT NULL,
    component_id TEXT NOT NULL,
    window_start REAL NOT NULL,
    samples INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    timed INTEGER NOT NULL,
    min_ms REAL,
    max_ms REAL,
    sum_ms REAL,
    last_outcome TEXT NOT NULL,
    samples_ms TEXT,
    PRIMARY KEY (target, window_start)
);
CREATE INDEX IF NOT EXISTS probe_latency_by_time ON probe_latency (window_start);
CREATE TABLE IF NOT EXISTS probe_latency_hourly (
    target TEXT NOT NULL,
    hour REAL NOT NULL,
    median_ms REAL NOT NULL,
    p95_ms REAL NOT NULL,
    samples INTEGER NOT NULL,
    PRIMARY KEY (target, hour)
);
"""

# Each step takes a file from version N to N + 1, keeping every row it holds.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: what our probe concluded (NULL in older rows: only ``probe_only`` is known there),
    # and every timed latency of a window, space-separated (for the hourly median and p95,
    # kept in the new probe_latency_hourly table, which the schema above creates).
    1: (
        "ALTER TABLE component_health ADD COLUMN probe TEXT",
        "ALTER TABLE probe_latency ADD COLUMN samples_ms TEXT",
    ),
}

_RECOVERABLE = re.compile(r"not a database|malformed|locked|busy|corrupt", re.IGNORECASE)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect_readwrite(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating if needed) and check the database; raises ``sqlite3.DatabaseError``."""
    conn = sqlite3.connect(
        str(path),
        timeout=busy_timeout,
        isolation_level=None,  # we issue BEGIN/COMMIT ourselves
        check_same_thread=False,
    )
    try:
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("PRAGMA synchronous=NORMAL")
        check = conn.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({check})")
        with transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise HistoryError(f"{path.name} is from a newer version (schema {row[0]})")
            else:
                _migrate(conn, row[0])
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a file at ``version`` up to ``SCHEMA_VERSION`` (inside the caller's transaction)."""
    while version < SCHEMA_VERSION:
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
        version += 1
        conn.execute("UPDATE schema_version SET version = ?", (version,))
    log.debug("history schema at version %d", version)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else SCHEMA_VERSION


def connect_readonly(path: Path, busy_timeout: float) -> sqlite3.Connection:
    if not path.is_file():
        raise HistoryError(f"no history recorded yet ({path} does not exist)")
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot open {path}: {exc}") from exc
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise HistoryError(f"cannot read {path}: {exc}") from exc
    if row is None or row[0] > SCHEMA_VERSION:
        conn.close()
        raise HistoryError(f"{path.name} has an unknown schema ({row})")
    return conn


def open_or_recover(
    path: Path, *, busy_timeout: float, clock: Callable[[], datetime]
) -> tuple[sqlite3.Connection, str | None]:
    """Open read-write; a broken file is moved aside, and so is a symbolic link (SQLite would
    write through it into whatever file it names). Returns (connection, notice or None)."""
    if path.is_symlink():
        aside = _move_aside(path, clock())
        notice = f"{path.name} was a symbolic link; moved it to {aside.name} and started a new one"
        try:
            create_new(path)
            return connect_readwrite(path, busy_timeout), notice
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot create a new {path}: {exc}") from exc
    try:
        ensure_private_dir(path.parent)
        if not path.exists():
            create_new(path)  # 0600 (SQLite gives its -wal and -shm files the same mode)
    except FileExistsError:
        pass  # another process created it in between
    except OSError as exc:
        raise HistoryError(f"cannot create {path.parent}: {exc}") from exc
    try:
        return connect_readwrite(path, busy_timeout), None
    except sqlite3.DatabaseError as exc:
        if not _RECOVERABLE.search(str(exc)):
            raise HistoryError(f"cannot open {path}: {exc}") from exc
        reason = str(exc)
    aside = _move_aside(path, clock())
    notice = (  # the app logs it once, with the other start-up notices
        f"History database was unusable ({reason}); moved it to {aside.name} and started a new one"
    )
    with contextlib.suppress(OSError):
        create_new(path)
    try:
        return connect_readwrite(path, busy_timeout), notice
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot create a new {path}: {exc}") from exc


def _move_aside(path: Path, now: datetime) -> Path:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.replace(aside)
        # A stale WAL must never be replayed into the fresh database.
        for suffix in ("-wal", "-shm", "-journal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.replace(aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise HistoryError(f"cannot move the broken {path.name} aside: {exc}") from exc
    return aside
