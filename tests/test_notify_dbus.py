"""Notification backends against real D-Bus servers (a recording one and dunst), real programs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rigs_dbus import (
    name_has_owner,
    private_session_bus,
    recording_notification_server,
)
from tray_app.config.schema import API_COMPONENT, NotificationSettings, WatchSettings
from tray_app.core.events import ServiceDown
from tray_app.core.models import ComponentView, Health, MonitorSnapshot
from tray_app.sinks.alerts import AlertPolicy
from tray_app.sinks.notification import Notification, Urgency, make_notification
from tray_app.sinks.notify import (
    CallableBackend,
    DBusBackend,
    Delivery,
    MenuLineBackend,
    Notifier,
    NotifySendBackend,
    OsascriptBackend,
    PlyerBackend,
    applescript_quote,
    default_backends,
    osascript_argv,
)

pytestmark = pytest.mark.dbus

DEADLINE = 20.0
ICON = str(Path(__file__).resolve().parent.parent / "assets" / "claude-status-tray-64.png")


@pytest.fixture
def bus_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with private_session_bus() as env:
        # subprocess backends (notify-send) find the bus through the environment
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
        yield env


def scripted_outage() -> Notification:
    """What the policy makes of the API going into a major outage."""
    from datetime import datetime, timezone

    now = datetime(2026, 7, 21, 12, 0, tzinfo=timezone.utc)
    view = ComponentView(API_COMPONENT, "Claude API", Health.MAJOR_OUTAGE,
                         Health.MAJOR_OUTAGE, None, now)  # fmt: skip
    snapshot = MonitorSnapshot(Health.MAJOR_OUTAGE, "Major outage", (view,))
    event = ServiceDown(now, API_COMPONENT, "Claude API", Health.MAJOR_OUTAGE, Health.OPERATIONAL)
    policy = AlertPolicy(NotificationSettings(), WatchSettings())
    (n,) = policy.decide([event], snapshot, now)[1]
    return n


def wait_for(check: object, deadline: float = DEADLINE) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if callable(check) and check():
            return True
        time.sleep(0.05)
    return False


def fake_notify_send(directory: Path) -> Path:
    """A real program named notify-send that records its argv as JSON."""
    record = directory / "notify-send.jsonl"
    script = directory / "notify-send"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(record)!r}, 'a') as f:\n"
        "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return record


# ---- the D-Bus backend against the recording server ----


def test_dbus_backend_sends_the_exact_notify_call(bus_env: dict[str, str], tmp_path: Path) -> None:
    n = scripted_outage()
    with recording_notification_server(bus_env, tmp_path) as server:
        backend = DBusBackend(ICON, open_url=lambda url: None,
                              address=bus_env["DBUS_SESSION_BUS_ADDRESS"])  # fmt: skip
        notifier = Notifier([backend, MenuLineBackend()])
        try:
            assert notifier.send(n) == "dbus"
        finally:
            notifier.close()
        (call,) = server.wait_for_notify(1)
    assert call["app_name"] == "Claude Status Tray"
    assert call["summary"] == "Claude API down"
    assert call["body"] == "Claude API: major outage"
    assert call["hints"]["urgency"] == 2
    assert call["hint_signatures"]["urgency"] == "y"
    assert call["hints"]["desktop-entry"] == "claude-status-tray"
    assert call["app_icon"] == ICON
    assert call["actions"] == ["default", "Open status page"]
    assert call["replaces_id"] == 0
    assert call["expire_timeout"] == -1


@pytest.mark.parametrize(
    ("caps", "url", "actions", "body"),
    [
        (("actions", "body"), "https://stspg.io/x", ["default", "Open incident"], "a < b & c"),
        (("body",), "https://stspg.io/x", [], "a < b & c"),
        (("actions", "body"), None, [], "a < b & c"),
        (("actions", "body", "body-markup"), None, [], "a &lt; b &amp; c"),
        (("actions",), None, [], ""),
    ],
    ids=["actions", "no-actions-cap", "no-url", "markup-escaped", "no-body-cap"],
)
def test_dbus_backend_follows_server_capabilities(
    bus_env: dict[str, str],
    tmp_path: Path,
    caps: tuple[str, ...],
    url: str | None,
    actions: list[str],
    body: str,
) -> None:
    n = make_notification("Title", "a < b & c", Urgency.LOW, url)
    with recording_notification_server(bus_env, tmp_path, caps) as server:
        backend = DBusBackend(None, lambda u: None, bus_env["DBUS_SESSION_BUS_ADDRESS"])
        try:
            backend.send(n)
        finally:
            backend.close()
        (call,) = server.wait_for_notify(1)
    assert call["actions"] == actions
    assert call["body"] == body
    assert call["hints"]["urgency"] == 0
    assert call["app_icon"] == ""


def test_default_action_opens_the_incident_url(bus_env: dict[str, str], tmp_path: Path) -> None:
    opened: list[str] = []
    n = make_notification("Incident", "body", Urgency.NORMAL, "https://stspg.io/74sqh6d7f9vq")
    other = make_notification("Other", "body", Urgency.NORMAL, "https://stspg.io/other")
    with recording_notification_server(bus_env, tmp_path) as server:
        backend = DBusBackend(None, opened.append, bus_env["DBUS_SESSION_BUS_ADDRESS"])
        try:
            backend.send(n)
            backend.send(other)
            first, second = server.wait_for_notify(2)
            server.invoke_action(first["id"], "default")
            assert wait_for(lambda: opened == ["https://stspg.io/74sqh6d7f9vq"])
            server.invoke_action(second["id"], "not-default")
            server.invoke_action(999, "default")  # not ours
            server.invoke_action(second["id"], "default")
            assert wait_for(lambda: len(opened) == 2)
        finally:
            backend.close()
    assert opened == ["https://stspg.io/74sqh6d7f9vq", "https://stspg.io/other"]


def test_real_notify_send_reaches_the_recording_server(
    bus_env: dict[str, str], tmp_path: Path
) -> None:
    n = make_notification("-starts with a dash", 'quote " and $HOME', Urgency.CRITICAL)
    with recording_notification_server(bus_env, tmp_path) as server:
        assert Notifier([NotifySendBackend(ICON)]).send(n) == "notify-send"
        (call,) = server.wait_for_notify(1)
    assert call["summary"] == "-starts with a dash"
    assert call["body"] == 'quote " and $HOME'
    assert call["app_name"] == "Claude Status Tray"
    assert call["hints"]["urgency"] == 2
    assert call["hints"]["desktop-entry"] == "claude-status-tray"


def test_real_notify_send_updates_its_bubble_in_place_and_escapes_markup(
    bus_env: dict[str, str], tmp_path: Path
) -> None:
    """notify-send >= 0.7.10 prints the id (--print-id) and replaces (--replace-id). The body
    is escaped: notify-send passes it as is, and a body-markup server would render a link
    (issue 11 item 10: an escaped `&lt;a href` from the page must not come out live)."""
    page_text = "Fixed &lt;a href=&quot;https://evil.example/&quot;&gt;here&lt;/a&gt; a < b & c"
    down = make_notification("API down", page_text, Urgency.CRITICAL)
    raw = Notification(title="API back", body='<a href="https://evil.example/">x</a> & y')
    caps = ("actions", "body", "body-markup")
    with recording_notification_server(bus_env, tmp_path, caps) as server:
        backend = NotifySendBackend(ICON)
        first = Notifier([backend]).deliver(down)
        assert first is not None and first.notification_id is not None
        second = Notifier([backend]).deliver(raw, replaces=first)
        calls = server.wait_for_notify(2)
    assert [c["replaces_id"] for c in calls] == [0, first.notification_id]
    assert second is not None and second.notification_id == first.notification_id
    assert calls[0]["body"] == "Fixed here a &lt; b &amp; c"
    assert calls[1]["body"] == '&lt;a href="https://evil.example/"&gt;x&lt;/a&gt; &amp; y'
    assert "<a" not in calls[0]["body"] + calls[1]["body"]


def test_dbus_backend_replaces_withdraws_and_reports_button_clicks(
    bus_env: dict[str, str], tmp_path: Path
) -> None:
    clicks: list[tuple[int, str]] = []
    down = make_notification("API down", "b", Urgency.CRITICAL, "https://stspg.io/x",
                             threads=["component:api"])  # fmt: skip
    back = make_notification("API back", "b", Urgency.NORMAL, "https://example.com/",
                             threads=["component:api"], ends=True)  # fmt: skip
    with recording_notification_server(bus_env, tmp_path) as server:
        backend = DBusBackend(None, lambda u: None, bus_env["DBUS_SESSION_BUS_ADDRESS"])
        notifier = Notifier([backend, MenuLineBackend()])
        notifier.set_action_handler(lambda nid, key: clicks.append((nid, key)))
        try:
            first = notifier.deliver(down)
            assert first == Delivery("dbus", 1, True)
            assert notifier.deliver(back, replaces=first) == first
            other = notifier.deliver(make_notification("Other", "x"))
            assert other is not None and notifier.withdraw(other)
            server.invoke_action(1, "until-back")
            server.invoke_action(1, "snooze-1h")
            assert wait_for(lambda: len(clicks) == 2)
        finally:
            notifier.close()
        calls = [c for c in server.calls() if c["method"] in ("Notify", "CloseNotification")]
    assert [(c["method"], c.get("replaces_id"), c["id"]) for c in calls] == [
        ("Notify", 0, 1),
        ("Notify", 1, 1),
        ("Notify", 0, 2),
        ("CloseNotification", None, 2),
    ]
    assert calls[0]["actions"] == ["default", "Open incident", "snooze-1h", "Snooze 1 h",
                                   "until-back", "Tell me when it's back"]  # fmt: skip
    assert calls[1]["actions"] == ["default", "Open status page", "snooze-1h", "Snooze 1 h"]
    assert calls[2]["actions"] == []  # no link, no outage: no buttons
    assert clicks == [(1, "until-back"), (1, "snooze-1h")]


def test_the_menu_line_is_not_a_delivery_anyone_saw() -> None:
    delivery = Notifier([MenuLineBackend()]).deliver(make_notification("API down", ""))
    assert delivery == Delivery("menu", None, False)


# ---- falling through ----


def test_no_server_on_the_bus_falls_through_to_notify_send(
    bus_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not name_has_owner(bus_env, "org.freedesktop.Notifications")
    record = fake_notify_send(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    n = scripted_outage()
    backends = [
        DBusBackend(ICON, None, bus_env["DBUS_SESSION_BUS_ADDRESS"]),
        NotifySendBackend(ICON),
    ]
    notifier = Notifier([*backends, MenuLineBackend()])
    try:
        assert notifier.send(n) == "notify-send"
    finally:
        notifier.close()
    asked_help, argv = [json.loads(line) for line in record.read_text().splitlines()]
    assert asked_help == ["--help"]  # does it have --print-id and --replace-id? (this one: no)
    assert argv == [
        "--app-name=Claude Status Tray",
        "--urgency=critical",
        f"--icon={ICON}",
        "--hint=string:desktop-entry:claude-status-tray",
        "--",
        "Claude API down",
        "Claude API: major outage",
    ]


def test_everything_failing_never_raises_and_logs_once_per_backend(
    bus_env: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[str, str]] = []

    def tray_notify(title: str, body: str) -> bool:
        calls.append((title, body))
        return False

    backends = [
        DBusBackend(None, None, bus_env["DBUS_SESSION_BUS_ADDRESS"]),
        DBusBackend(None, None, "unix:path=/nonexistent/bus"),
        NotifySendBackend(program="no-such-notify-send-program"),
        PlyerBackend(platform="linux", flatpak_marker=tmp_path),  # tmp_path exists: "Flatpak"
        CallableBackend(tray_notify),
    ]
    backends[1].name = "dbus-broken"
    notifier = Notifier(backends)
    caplog.set_level(logging.WARNING, logger="tray_app.sinks.notify")
    try:
        for _ in range(3):
            assert notifier.send(scripted_outage()) is None
    finally:
        notifier.close()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 5, messages
    for name in ("dbus", "dbus-broken", "notify-send", "plyer", "tray"):
        assert sum(f"backend {name} failed" in m for m in messages) == 1, name
    assert any("plyer assumes Flatpak" in m for m in messages)
    assert any("no notification server" in m for m in messages)
    assert len(calls) == 3


def test_a_raising_backend_is_contained_and_recovery_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = {"fail": True}

    def flaky(title: str, body: str) -> bool:
        if state["fail"]:
            raise RuntimeError("tray gone")
        return True

    notifier = Notifier([CallableBackend(flaky), MenuLineBackend()])
    caplog.set_level(logging.INFO, logger="tray_app.sinks.notify")
    assert notifier.send(scripted_outage()) == "menu"
    state["fail"] = False
    assert notifier.send(scripted_outage()) == "tray"
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]


# ---- dunst, the real thing ----


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as reader:
            number = reader.readline().strip()
        assert number, "Xvfb printed no display number"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dbus_backend_against_real_dunst(bus_env: dict[str, str], tmp_path: Path) -> None:
    with xvfb() as display:
        env = {
            **bus_env,
            "DISPLAY": display,
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
        }
        dunst = subprocess.Popen(
            ["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            assert wait_for(lambda: name_has_owner(bus_env, "org.freedesktop.Notifications"))
            backend = DBusBackend(ICON, lambda u: None, bus_env["DBUS_SESSION_BUS_ADDRESS"])
            try:
                assert Notifier([backend]).send(scripted_outage()) == "dbus"
                assert backend._caps is not None and "body-markup" in backend._caps
            finally:
                backend.close()
            assert dunst.poll() is None
        finally:
            dunst.terminate()
            _, err = dunst.communicate(timeout=10)
    assert b"CRITICAL" not in err


# ---- pure pieces: argv building and escaping ----

APPLESCRIPT_CASES = [
    ("plain", "Claude API down", '"Claude API down"'),
    ("double quotes", 'say "hi"', '"say \\"hi\\""'),
    ("backslash", "C:\\path\\", '"C:\\\\path\\\\"'),
    ("newline and tab", "a\nb\tc\rd", '"a\\nb\\tc\\rd"'),
    ("other controls dropped", "a\x00b\x1bc\x7f", '"abc"'),
    ("injection attempt", '" & do shell script "rm', '"\\" & do shell script \\"rm"'),
    ("unicode kept", "Opus – 100 % …", '"Opus – 100 % …"'),
]


@pytest.mark.parametrize(
    ("text", "quoted"), [c[1:] for c in APPLESCRIPT_CASES], ids=[c[0] for c in APPLESCRIPT_CASES]
)
def test_applescript_quote(text: str, quoted: str) -> None:
    assert applescript_quote(text) == quoted


def test_osascript_argv() -> None:
    n = Notification(title='He said "down"', body="line1\nline2")
    assert osascript_argv(n) == [
        "osascript",
        "-e",
        'display notification "line1\\nline2" with title "He said \\"down\\""',
    ]


@pytest.mark.parametrize(
    ("platform", "with_tray", "notify_send", "names"),
    [
        ("linux", True, True, ["dbus", "notify-send", "tray", "menu"]),
        ("linux", False, True, ["dbus", "notify-send", "menu"]),
        # plyer on Linux runs notify-send itself and ignores its exit code: only without it
        ("linux", True, False, ["dbus", "notify-send", "plyer", "tray", "menu"]),
        ("win32", True, True, ["plyer", "tray", "menu"]),
        ("darwin", True, True, ["osascript", "tray", "menu"]),
    ],
    ids=["linux", "linux-no-tray", "linux-no-notify-send", "windows", "macos"],
)
def test_default_backends_order(
    platform: str,
    with_tray: bool,
    notify_send: bool,
    names: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if not notify_send:
        monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without notify-send
    tray = (lambda title, body: True) if with_tray else None
    backends = default_backends(platform, tray_notify=tray, icon_path=ICON, open_url=None)
    assert [b.name for b in backends] == names
    if platform == "darwin":
        assert isinstance(backends[0], OsascriptBackend)


def test_menu_line_keeps_the_last_alert() -> None:
    menu = MenuLineBackend()
    assert menu.text is None
    menu.send(
        Notification(title="2 services down: A, B", body="A: major outage\nB: partial outage")
    )
    assert menu.text == "2 services down: A, B: A: major outage"
