"""Command line: `claude-status-tray [command]`. With no command it starts the tray app.

Kept light on imports: `statusline` must answer in well under 100 ms, so httpx, pystray and the
rest are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app import APP_NAME, __version__
from tray_app.core.errors import InstanceLockError
from tray_app.platform.paths import AppPaths

if TYPE_CHECKING:
    from tray_app.config.load import LoadedConfig
    from tray_app.core.models import MonitorSnapshot

STATUS_URL_ENV = "CLAUDE_STATUS_TRAY_STATUS_URL"

EPILOG = """\
exit codes of `check` (and `wait-until-up`):
  0  all watched services operational
  1  degraded performance, partial outage or maintenance
  2  major outage
  3  offline, status page unreachable (unless a watched service is known to be
     in trouble: then 1 or 2), or a watched service's status unknown
  (`wait-until-up` exits 0 once operational, 3 when --timeout passes first)
"""


def _positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="Claude's health in your system tray. With no command, starts the tray app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output (-vv for debug)"
    )
    parser.add_argument(
        "--status-url",
        metavar="URL",
        help=f"status page base URL (overrides the config; env {STATUS_URL_ENV})",
    )
    sub = parser.add_subparsers(dest="command", metavar="command")

    sub.add_parser("tray", help="start the tray app (the default)")

    check = sub.add_parser("check", help="check once and print the status")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=10.0,
        help="seconds to wait at most (default 10)",
    )

    watch = sub.add_parser("watch", help="run headless in the foreground, printing transitions")
    watch.add_argument("--no-notify", action="store_true", help="print only, no notifications")

    sub.add_parser("statusline", help="one line from the last saved state (no network)")

    wait = sub.add_parser("wait-until-up", help="block until Claude is operational")
    wait.add_argument(
        "--timeout", type=_positive_seconds, default=None, help="give up after this many seconds"
    )

    history = sub.add_parser("history", help="outages and uptime from our own observations")
    history.add_argument("--since", default="7d", help="how far back: 30m, 24h, 7d (default 7d)")
    fmt = history.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")

    report = sub.add_parser("report", help="history as an HTML page: bars per day, incidents")
    report.add_argument("--days", type=_positive_days, default=90, help="days shown (default 90)")
    report.add_argument("--output", type=Path, default=None, help="where to write the page")
    report.add_argument("--open", action="store_true", help="open it in the default browser")

    config = sub.add_parser("config", help="the settings file")
    config.add_argument("action", choices=["path", "show", "validate"])

    autostart = sub.add_parser("autostart", help="start at login")
    autostart.add_argument("action", choices=["enable", "disable", "status"])

    entry = sub.add_parser("desktop-entry", help="the applications-menu entry and app icon")
    entry.add_argument("action", choices=["install", "remove"])

    snooze = sub.add_parser("snooze", help="pause notifications: 90m, 2h, tomorrow, or off")
    snooze.add_argument("duration", help='e.g. "30m", "2h", "1d", "tomorrow" or "off"')

    key = sub.add_parser("api-key", help="the Anthropic API key for the API probe (OS keyring)")
    key.add_argument("action", choices=["set", "delete", "status"])
    for command in sub.choices.values():  # -v/-vv after the command too: `check -v`
        command.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=argparse.SUPPRESS,
            help="more output (-vv for debug)",
        )
    return parser


def _restore_child_environment() -> None:
    """A frozen Linux build runs with LD_LIBRARY_PATH pointing at its bundled libraries;
    programs we start (notify-send, xdg-open, the browser, hooks) must get the user's own."""
    if not getattr(sys, "frozen", False) or not sys.platform.startswith("linux"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


def main(argv: Sequence[str] | None = None) -> int:
    _restore_child_environment()
    args = build_parser().parse_args(argv)
    command = args.command or "tray"
    paths = AppPaths.default()
    if command == "statusline":
        return cmd_statusline(paths)
    if command == "config":
        return cmd_config(paths, args.action)
    if command == "snooze":
        return cmd_snooze(paths, args.duration)

    from tray_app.platform.logsetup import setup_logging

    loaded = _load(paths, args)
    log_file = paths.log_file if command in ("tray", "watch") else None
    setup_logging(log_file, verbosity=args.verbose, level=loaded.settings.log_level)
    if command not in ("tray", "watch"):  # those two report them once, at start-up
        for problem in loaded.problems:
            print(f"{APP_NAME}: {problem}", file=sys.stderr)

    try:
        if command == "check":
            return cmd_check(paths, loaded, json_out=args.json, timeout=args.timeout)
        if command == "wait-until-up":
            return cmd_wait_until_up(loaded, timeout=args.timeout)
        if command == "history":
            return cmd_history(paths, since=args.since, json_out=args.json, csv_out=args.csv)
        if command == "report":
            return cmd_report(loaded, paths, days=args.days, output=args.output, open_=args.open)
        if command == "autostart":
            return cmd_autostart(paths, args.action)
        if command == "desktop-entry":
            from tray_app.platform.desktop_entry import cmd_desktop_entry

            return cmd_desktop_entry(paths, args.action)
        if command == "api-key":
            return cmd_api_key(args.action)

        from tray_app.app import run_tray, run_watch
        from tray_app.platform.memory import cap_malloc_arenas

        cap_malloc_arenas()  # the long-running commands, before any of their threads starts
        if command == "watch":
            return run_watch(loaded, paths, notify=not args.no_notify)
        return run_tray(loaded, paths)
    except KeyboardInterrupt:
        return 130
    except InstanceLockError as exc:
        print(f"{APP_NAME}: {exc}", file=sys.stderr)
        return 1


def _load(paths: AppPaths, args: argparse.Namespace) -> LoadedConfig:
    import dataclasses

    from tray_app.config.load import load_config

    loaded = load_config(paths.config_file)
    url = args.status_url or os.environ.get(STATUS_URL_ENV)
    if url:
        page = dataclasses.replace(loaded.settings.status_page, url=url.rstrip("/"))
        loaded = dataclasses.replace(
            loaded, settings=dataclasses.replace(loaded.settings, status_page=page)
        )
    return loaded


def cmd_statusline(paths: AppPaths) -> int:
    from tray_app.cli.statusline import format_statusline
    from tray_app.platform.store import read_summary

    print(format_statusline(read_summary(paths.state_file), datetime.now(timezone.utc)))
    return 0


def cmd_snooze(paths: AppPaths, duration: str) -> int:
    """Custom snooze; a running app picks it up before its next notification."""
    from tray_app.platform.prefs import load_prefs, parse_snooze, save_prefs

    now = datetime.now(timezone.utc)
    try:
        until = parse_snooze(duration, now)
    except ValueError as exc:
        print(f"{APP_NAME}: snooze: {exc}", file=sys.stderr)
        return 2
    import dataclasses

    prefs = dataclasses.replace(load_prefs(paths.prefs_file), snoozed_until=until)
    save_prefs(paths.prefs_file, prefs)
    if until is None:
        print("notifications resumed")
    else:
        print(f"notifications snoozed until {until.astimezone():%a %H:%M}")
    return 0


def cmd_config(paths: AppPaths, action: str) -> int:
    from tray_app.config.components import unknown_component_problems
    from tray_app.config.load import config_show, load_config, read_config_file
    from tray_app.platform.store import read_page_components

    path = paths.config_file
    if action == "path":
        print(path)
        return 0
    if action == "show":
        loaded = load_config(path)
        for problem in loaded.problems:
            print(f"# {problem}")
        print(config_show(loaded.settings), end="")
        return 0
    if not path.exists():
        print(f"{path}: no config file yet; the defaults apply")
        return 0
    settings, problems = read_config_file(path)
    on_page = read_page_components(paths.state_file)  # known once the app or `check` read it
    problems += tuple(f"{path.name}: {p}" for p in unknown_component_problems(settings, on_page))
    for problem in problems:
        print(f"{path.parent}{os.sep}{problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{path}: OK")
    return 0


def _leave_summary(paths: AppPaths, snapshot: MonitorSnapshot, on_page: dict[str, str]) -> None:
    """Save what `check` saw for ``statusline``, unless a running app keeps it current itself
    (then its state file is its own: it saves after every check)."""
    from tray_app.platform.instance import endpoint_file
    from tray_app.platform.store import save_summary

    if endpoint_file(paths).exists():
        return
    try:
        save_summary(paths.state_file, snapshot, page_components=on_page)
    except OSError as exc:
        print(f"{APP_NAME}: state not saved for statusline: {exc.strerror or exc}", file=sys.stderr)


def cmd_check(paths: AppPaths, loaded: LoadedConfig, *, json_out: bool, timeout: float) -> int:
    from tray_app.cli.oneshot import check_once
    from tray_app.cli.render import exit_code, format_table, snapshot_to_dict

    snapshot, on_page = check_once(loaded.settings, timeout=timeout)
    _leave_summary(paths, snapshot, on_page)
    if json_out:
        print(json.dumps(snapshot_to_dict(snapshot), indent=2))
    else:
        print(format_table(snapshot, datetime.now(timezone.utc)))
    return exit_code(snapshot)


def cmd_wait_until_up(loaded: LoadedConfig, *, timeout: float | None) -> int:
    from tray_app.cli.oneshot import wait_until_up
    from tray_app.cli.render import EXIT_OK, EXIT_UNKNOWN, headline
    from tray_app.core.headline import headline as decide

    up, last = wait_until_up(
        loaded.settings, timeout=timeout, report=lambda s: print(headline(s), flush=True)
    )
    if up:
        return EXIT_OK
    print(
        f"{APP_NAME}: wait-until-up: timed out after {timeout:g} s; still {decide(last).phrase}",
        file=sys.stderr,
    )
    return EXIT_UNKNOWN


def cmd_history(paths: AppPaths, *, since: str, json_out: bool, csv_out: bool) -> int:
    from tray_app.core.errors import ConfigError, HistoryError
    from tray_app.sinks.history.formats import (
        parse_since,
        report_to_csv,
        report_to_json,
        report_to_text,
    )
    from tray_app.sinks.history.queries import build_report
    from tray_app.sinks.history.store import History

    try:
        window = parse_since(since)
    except (ConfigError, ValueError) as exc:
        print(f"{APP_NAME}: history: {exc}", file=sys.stderr)
        return 2
    try:
        with History(paths.history_db, readonly=True) as history:
            now = datetime.now(timezone.utc)
            report = build_report(history, now - window, now)
    except HistoryError as exc:
        print(f"{APP_NAME}: history: {exc}", file=sys.stderr)
        return 1
    if json_out:
        print(report_to_json(report))
    elif csv_out:
        print(report_to_csv(report), end="")
    else:
        print(report_to_text(report))
    return 0


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 1 <= days <= 3660:
        raise argparse.ArgumentTypeError(f"must be between 1 and 3660, got {days}")
    return days


def cmd_report(
    loaded: LoadedConfig, paths: AppPaths, *, days: int, output: Path | None, open_: bool
) -> int:
    from tray_app.report.command import run

    def err(text: str) -> None:
        print(f"{APP_NAME}: {text}", file=sys.stderr)

    only = loaded.settings.watch.components
    return run(paths, days=days, output=output, open_browser=open_, only=only, err=err)


def cmd_autostart(paths: AppPaths, action: str) -> int:
    from tray_app.config.writeback import update_config
    from tray_app.core.errors import TrayAppError
    from tray_app.platform.autostart import autostart_for

    backend = autostart_for()
    try:
        if action == "enable":
            backend.enable()
        elif action == "disable":
            backend.disable()
    except (TrayAppError, OSError) as exc:
        print(f"{APP_NAME}: autostart: {exc}", file=sys.stderr)
        return 1
    if action != "status":
        try:  # keep the setting in step, so the tray does not undo it at its next start
            update_config(paths.config_file, {"autostart": action == "enable"})
        except TrayAppError as exc:
            print(f"{APP_NAME}: autostart changed, but config.toml not: {exc}", file=sys.stderr)
    state = "enabled" if backend.is_enabled() else "disabled"
    print(f"start at login: {state} ({backend.describe()})")
    return 0


def cmd_api_key(action: str) -> int:
    from tray_app.platform import secrets

    if action == "status":
        if os.environ.get(secrets.ENV_VAR, "").strip():
            print(f"API key: from the {secrets.ENV_VAR} environment variable")
        elif secrets.get_api_key():
            print("API key: in the OS keyring")
        else:
            print("API key: none (the API probe checks the front door without one)")
        return 0
    instead = f"set the {secrets.ENV_VAR} environment variable for the app instead"
    try:
        if action == "delete":
            secrets.delete_api_key()
            print("API key removed from the keyring")
            return 0
        if not _keyring_usable():
            print(f"{APP_NAME}: no OS keyring is available here; {instead}", file=sys.stderr)
            return 1
        key = _read_secret("Anthropic API key (input hidden): ")
        if not key:
            print("nothing entered; unchanged", file=sys.stderr)
            return 1
        secrets.set_api_key(key)
    except Exception as exc:  # keyring backends raise their own types
        from tray_app.core.reasons import plain_reason

        print(f"{APP_NAME}: {plain_reason(exc)}; {instead}", file=sys.stderr)
        return 1
    print("API key saved in the OS keyring")
    return 0


def _keyring_usable() -> bool:
    """Is there a keyring backend that can store a secret (not keyring's "fail" stand-in)?"""
    try:
        import keyring

        return float(getattr(keyring.get_keyring(), "priority", 0)) > 0
    except Exception:
        return False


def _read_secret(prompt: str) -> str:
    """The key typed without echo at a terminal, or one line read from a pipe (no warning
    about echo: nothing is shown on a pipe)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    import getpass

    return getpass.getpass(prompt).strip()


if __name__ == "__main__":
    raise SystemExit(main())
