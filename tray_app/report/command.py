"""``claude-status-tray report``: write the HTML report, and open it in the default browser.

Used by the CLI and by the menu's "Show history…" (which runs it off the UI thread).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import webbrowser
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from pathlib import Path

from tray_app.core.errors import HistoryError
from tray_app.core.models import ProviderStatus
from tray_app.core.provider_codec import PROVIDERS_FILE, providers_from_dicts
from tray_app.platform.atomic import write_atomic
from tray_app.platform.paths import AppPaths
from tray_app.report.build import DEFAULT_DAYS, build_report_data, empty_report_data
from tray_app.report.html import render_html
from tray_app.sinks.history.store import History

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"


def default_output(paths: AppPaths) -> Path:
    return paths.data_dir / REPORT_FILE


def providers_path(paths: AppPaths) -> Path:
    return paths.state_dir / PROVIDERS_FILE


def write_report(
    history_db: Path,
    output: Path,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    only: Collection[str] | None = None,
    providers_file: Path | None = None,
) -> Path:
    """Read the history (read-only) and write the page to ``output``; returns its path.

    Raises ``HistoryError`` when there is no readable history, ``OSError`` when the file
    cannot be written.
    """
    with History(history_db, readonly=True) as history:
        data = build_report_data(
            history, now=now or datetime.now(timezone.utc), days=days, only=only or None
        )
    if providers_file is not None:
        data = dataclasses.replace(data, providers=read_providers(providers_file))
    write_atomic(output, render_html(data).encode("utf-8"), mode=0o600)
    return output


def read_providers(path: Path) -> tuple[ProviderStatus, ...]:
    """Other services as the app last read them (none when it never did). Never raises."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return providers_from_dicts(doc.get("providers") if isinstance(doc, dict) else None)


def open_in_browser(path: Path, opener: Callable[[str], bool] = webbrowser.open) -> bool:
    """Open our own report file (a file: URL, nothing else) in the default browser."""
    url = path.resolve().as_uri()
    try:
        opened = opener(url)
    except Exception as exc:  # a broken browser setup is reported, never a crash
        log.warning("could not open %s: %s", url, exc)
        return False
    if not opened:
        log.warning("no browser opened %s", url)
    return bool(opened)


def run(
    paths: AppPaths,
    *,
    days: int,
    output: Path | None,
    open_browser: bool,
    only: Collection[str] = (),
    out: Callable[[str], None] = print,
    err: Callable[[str], None] = print,
) -> int:
    """The CLI command: 0 when written (and opened if asked), 1 when it could not be."""
    target = output or default_output(paths)
    try:
        written = write_report(
            paths.history_db, target, days=days, only=only, providers_file=providers_path(paths)
        )
    except (HistoryError, OSError) as exc:
        err(f"report: {exc}")
        return 1
    out(str(written))
    if open_browser and not open_in_browser(written):
        err(f"report: written, but no browser could open it: {written}")
        return 1
    return 0


def _write_empty(output: Path, days: int) -> bool:
    """The page saying that nothing was recorded yet (a click must show something)."""
    data = empty_report_data(datetime.now(timezone.utc), days)
    try:
        write_atomic(output, render_html(data).encode("utf-8"), mode=0o600)
    except OSError as exc:
        log.error("history report not written: %s", exc)
        return False
    return True


def show_in_background(
    paths: AppPaths,
    *,
    only: Collection[str] = (),
    days: int = DEFAULT_DAYS,
    opener: Callable[[str], bool] = webbrowser.open,
) -> threading.Thread:
    """The menu's "Show history…": write the report and open it, in a thread of its own
    (with no history yet, a page that says so).

    Returns at once (the menu runs on the UI thread); a failure is logged, never raised.
    """

    def work() -> None:
        try:
            written = write_report(
                paths.history_db,
                default_output(paths),
                days=days,
                only=only,
                providers_file=providers_path(paths),
            )
        except (HistoryError, OSError) as exc:
            if paths.history_db.exists() or not _write_empty(default_output(paths), days):
                log.error("history report not written: %s", exc)
                return
            log.info("no history recorded yet: showing a page that says so")
            written = default_output(paths)
        open_in_browser(written, opener)

    thread = threading.Thread(target=work, name="history-report", daemon=True)
    thread.start()
    return thread
