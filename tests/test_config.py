"""Config: parsing rules, the defaults file, load_config's never-raise contract, write-back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tray_app.config.checks import is_loopback_url
from tray_app.config.load import (
    config_file_problems,
    config_show,
    default_config_text,
    load_config,
)
from tray_app.config.schema import (
    DEFAULT_STATUS_PAGE,
    GOVERNMENT_COMPONENT,
    KNOWN_COMPONENT_NAMES,
    BackoffSettings,
    HistorySettings,
    HookSettings,
    NotificationSettings,
    ProbeSettings,
    ProviderSettings,
    Settings,
    StatusPageSettings,
    WatchSettings,
)
from tray_app.config.validate import parse_config, read_config
from tray_app.config.writeback import update_config
from tray_app.core.errors import ConfigError, ConfigSyntaxError

FAKE_KEY = "sk-ant-api03-SECRETSECRETSECRET"


def _own_dir(tmp_path: Path) -> Path:
    """A directory only this test writes to (conftest puts XDG dirs in tmp_path)."""
    folder = tmp_path / "cfg"
    folder.mkdir()
    return folder


# ---- defaults ----


def test_default_file_parses_to_default_settings() -> None:
    assert parse_config(default_config_text()) == Settings()


def test_empty_text_is_all_defaults() -> None:
    assert parse_config("") == Settings()


def test_default_file_documents_every_setting_and_component() -> None:
    text = default_config_text()
    for section in ("status_page", "probes", "backoff", "watch", "notifications", "history"):
        assert f"[{section}]" in text
        for name in getattr(Settings(), section).__dataclass_fields__:
            assert f"# {name} = " in text, f"{section}.{name} is not documented"
    for name in ("config_version", "autostart", "log_level"):
        assert f"# {name} = " in text
    assert "# [[hooks]]" in text
    for cid in (*KNOWN_COMPONENT_NAMES, GOVERNMENT_COMPONENT):
        assert cid in text


def test_default_file_has_provider_presets_that_only_apply_when_uncommented() -> None:
    text = default_config_text()
    assert parse_config(text).providers == ()  # nothing extra is fetched unless asked
    presets = "\n".join(
        line[2:]
        for line in text[text.index("# [[providers]]") :].splitlines()
        if line.startswith(
            ("# [[providers]]", "# name =", "# url =", "# upstream", "# fallback", "# format =")
        )
    )
    providers = parse_config(presets).providers
    assert [(p.name, p.url) for p in providers] == [
        ("OpenAI", "https://status.openai.com"),
        ("GitHub", "https://www.githubstatus.com"),
        ("Cloudflare", "https://www.cloudflarestatus.com"),
        ("Google Cloud", "https://status.cloud.google.com"),
    ]
    assert [p.name for p in providers if p.format == "google-cloud"] == ["Google Cloud"]
    assert [p.name for p in providers if p.upstream] == ["Cloudflare"]
    assert [p.name for p in providers if p.fallback] == ["OpenAI"]


# ---- valid values ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "autostart = true\nlog_level = 'debug'",
            Settings(autostart=True, log_level="DEBUG"),
        ),
        (
            "[status_page]\nurl = 'http://127.0.0.1:8123'\ninterval = 1",
            Settings(status_page=StatusPageSettings(url="http://127.0.0.1:8123", interval=1.0)),
        ),
        (
            "[status_page]\nurl = 'http://localhost:9/'\ninterval = 2.5",
            Settings(status_page=StatusPageSettings(url="http://localhost:9/", interval=2.5)),
        ),
        (
            "[status_page]\nurl = 'http://[::1]:8080'\ninterval = 1",
            Settings(status_page=StatusPageSettings(url="http://[::1]:8080", interval=1.0)),
        ),
        (
            "[probes]\ninterval = 1\napi_url = 'http://127.0.0.2/v1/models'\n"
            "claude_ai_url = 'http://127.0.0.1:1/'",
            Settings(
                probes=ProbeSettings(
                    interval=1.0,
                    api_url="http://127.0.0.2/v1/models",
                    claude_ai_url="http://127.0.0.1:1/",
                )
            ),
        ),
        (
            "[probes]\ninterval = 1\nclaude_ai = false\napi_url = 'http://127.0.0.1/'",
            Settings(
                probes=ProbeSettings(interval=1.0, claude_ai=False, api_url="http://127.0.0.1/")
            ),
        ),
        (
            "[probes]\nenabled = false\ninterval = 5",
            Settings(probes=ProbeSettings(enabled=False, interval=5.0)),
        ),
        (
            "[watch]\ncomponents = ['k8w3r06qmzrp', 'yyzkbfz2thpt']\nkeywords = ['Opus']",
            Settings(
                watch=WatchSettings(components=("k8w3r06qmzrp", "yyzkbfz2thpt"), keywords=("Opus",))
            ),
        ),
        (
            "[notifications]\nquiet_hours = '22:00-07:00'\nreminder_minutes = 60\n"
            "only_when_back = ['rwppv331jlwc']",
            Settings(
                notifications=NotificationSettings(
                    quiet_hours="22:00-07:00",
                    reminder_minutes=60.0,
                    only_when_back=("rwppv331jlwc",),
                )
            ),
        ),
        (
            "[[hooks]]\ncommand = ['notify-send', 'Claude']\n"
            "[[hooks]]\ncommand = ['/bin/true']\nevents = ['service_down']\ntimeout = 0.5",
            Settings(
                hooks=(
                    HookSettings(command=("notify-send", "Claude")),
                    HookSettings(command=("/bin/true",), events=("service_down",), timeout=0.5),
                )
            ),
        ),
        (
            "[history]\nretention_days = 7\nlatency_sample_seconds = 60",
            Settings(history=HistorySettings(retention_days=7, latency_sample_seconds=60.0)),
        ),
        (
            "[backoff]\nmaximum = 60\njitter = 0",
            Settings(backoff=BackoffSettings(maximum=60.0, jitter=0.0)),
        ),
        ("config_version = 1", Settings()),
    ],
    ids=[
        "top-level",
        "loopback-ipv4-fast",
        "localhost-fast",
        "loopback-ipv6-fast",
        "loopback-probes-fast",
        "disabled-probe-target-ignored",
        "probes-disabled-any-interval",
        "watch",
        "notifications",
        "hooks",
        "history",
        "backoff-edges",
        "version-1",
    ],
)
def test_valid(text: str, expected: Settings) -> None:
    assert parse_config(text) == expected


def test_ints_become_floats_for_float_settings() -> None:
    settings = parse_config("[status_page]\ninterval = 90")
    assert settings.status_page.interval == 90.0
    assert isinstance(settings.status_page.interval, float)


# ---- invalid values: the message names the dotted key and the bad value ----


@pytest.mark.parametrize(
    ("text", "key", "fragments"),
    [
        ('[probes]\ninterval = "fast"', "probes.interval", ['got "fast"', ">= 1 second"]),
        ("[probes]\ninterval = 0.5", "probes.interval", ["got 0.5"]),
        ("[probes]\ninterval = 10", "probes.interval", [">= 30", "got 10"]),
        ("[status_page]\ninterval = 29", "status_page.interval", [">= 30", "got 29"]),
        (
            "[status_page]\nurl = 'http://127.0.0.1.example.com'\ninterval = 5",
            "status_page.interval",
            [">= 30"],
        ),
        ("[status_page]\ntimeout = 0", "status_page.timeout", ["> 0", "got 0"]),
        ("[status_page]\ninterval = true", "status_page.interval", ["got true"]),
        ("[status_page]\ninterval = nan", "status_page.interval", ["got nan"]),
        ("[status_page]\nurl = 'ftp://x.org'", "status_page.url", ["http", 'got "ftp://x.org"']),
        ("[status_page]\nurl = 'https://'", "status_page.url", ["with a host"]),
        ("[status_page]\nurl = 'https://x:99999/'", "status_page.url", ["http"]),
        ("[status_page]\nmax_body_bytes = 10", "status_page.max_body_bytes", ["got 10"]),
        ("[probes]\nfailure_threshold = 0", "probes.failure_threshold", [">= 1", "got 0"]),
        ("[probes]\nsuccess_threshold = 1.5", "probes.success_threshold", ["whole", "got 1.5"]),
        ("[probes]\napi_component = 42", "probes.api_component", ["got 42"]),
        ("[probes]\nenabled = 'yes'", "probes.enabled", ["true or false", 'got "yes"']),
        ("[watch]\ncomponents = 'k8w3r06qmzrp'", "watch.components", ["list"]),
        ("[watch]\ncomponents = ['ok', 3]", "watch.components[1]", ["got 3"]),
        ("[notifications]\nquiet_hours = '22-7'", "notifications.quiet_hours", ["HH:MM"]),
        ("[notifications]\nquiet_hours = '24:00-07:00'", "notifications.quiet_hours", ["HH:MM"]),
        (
            "[notifications]\nquiet_hours = '07:00-07:00'",
            "notifications.quiet_hours",
            ["different"],
        ),
        ("[notifications]\nmin_interval = -1", "notifications.min_interval", ["got -1"]),
        ("[backoff]\njitter = 1", "backoff.jitter", ["got 1"]),
        ("[backoff]\nmaximum = 10", "backoff.maximum", ["status_page.interval"]),
        ("[history]\nretention_days = 0", "history.retention_days", ["got 0"]),
        ("log_level = 'LOUD'", "log_level", ["DEBUG", 'got "LOUD"']),
        ("config_version = 0", "config_version", ["got 0"]),
        ("config_version = 2", "config_version", ["newer version"]),
        ("probes = 5", "probes", ["table", "got 5"]),
        ("[[hooks]]\ncommand = 'notify-send hi'", "hooks[0].command", ["shell string"]),
        ("[[hooks]]\ncommand = []", "hooks[0].command", ["non-empty"]),
        ("[[hooks]]\ncommand = ['x', 1]", "hooks[0].command[1]", ["got 1"]),
        ("[[hooks]]\ncommand = ['']", "hooks[0].command[0]", ["program"]),
        ("[[hooks]]\nevents = ['service_down']", "hooks[0]", ["command"]),
        (
            "[[hooks]]\ncommand = ['x']\nevents = ['service_dwn']",
            "hooks[0].events[0]",
            ["did you mean 'service_down'", 'got "service_dwn"'],
        ),
        ("[[hooks]]\ncommand = ['x']\ntimeout = 0", "hooks[0].timeout", ["got 0"]),
        ("hooks = 3", "hooks", ["[[hooks]]"]),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v and len(v) < 30 else None,
)
def test_invalid(text: str, key: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.key == key
    message = str(info.value)
    assert message.startswith(f"{key}: ")
    for fragment in fragments:
        assert fragment in message


def test_example_message_from_the_spec() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('[probes]\ninterval = "fast"')
    assert str(info.value) == 'probes.interval: must be a number >= 1 second, got "fast"'


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("[status_page]\nintervall = 60", "status_page.intervall", "status_page.interval"),
        ("autostrat = true", "autostrat", "autostart"),
        ("[notification]\nenabled = true", "notification", "notifications"),
        ("[[hooks]]\ncommand = ['x']\ntimout = 3", "hooks[0].timout", "hooks[0].timeout"),
    ],
    ids=["section-key", "top-level", "section-name", "hook-key"],
)
def test_unknown_key_suggests_close_match(text: str, key: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.key == key
    assert f"did you mean {suggestion}?" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        f'api_key = "{FAKE_KEY}"',
        f'[probes]\napi_key = "{FAKE_KEY}"',
        f'[probes]\nANTHROPIC_API_KEY = "{FAKE_KEY}"',
        f'[[hooks]]\ncommand = ["x"]\nx-api-key = "{FAKE_KEY}"',
        f'[probes]\napi_url = "{FAKE_KEY}"',
        f'[[hooks]]\ncommand = ["curl", "-H", "{FAKE_KEY}"]',
        'api_key = "not-even-a-key"',
    ],
    ids=["top", "section", "env-style", "hook", "key-as-url", "key-in-argv", "any-value"],
)
def test_api_key_rejected_without_echoing_it(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    message = str(info.value)
    assert "keyring" in message
    assert "ANTHROPIC_API_KEY" in message
    assert "SECRET" not in message
    assert "not-even-a-key" not in message
    assert info.value.value is None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("autostart = true\n\nprobes = [\n", None),
        ("autostart = true\nlog_level = \n", 2),
        ("[probes]\ninterval = 30\ninterval = 40\n", 3),
        ("[probes\n", 1),
    ],
    ids=["unterminated-at-end", "missing-value", "duplicate-key", "bad-header"],
)
def test_syntax_error_reports_line(text: str, line: int | None) -> None:
    with pytest.raises(ConfigSyntaxError) as info:
        parse_config(text)
    assert info.value.line == line
    if line is not None:
        assert str(info.value).startswith(f"line {line}: ")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.5.6.7/", True),
        ("http://[::1]:80/", True),
        ("http://LOCALHOST:1/", True),
        (DEFAULT_STATUS_PAGE, False),
        ("http://128.0.0.1/", False),
        ("http://localhost.example.com/", False),
    ],
    ids=lambda v: str(v),
)
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


# ---- config_show ----


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(
            autostart=True,
            log_level="DEBUG",
            watch=WatchSettings(components=("k8w3r06qmzrp",), keywords=("Opus", "Code")),
            notifications=NotificationSettings(quiet_hours="23:00-06:30"),
            hooks=(
                HookSettings(command=("logger", "-t", 'say "hi"'), events=("service_down",)),
                HookSettings(command=("/bin/true",), timeout=2.0),
            ),
            providers=(
                ProviderSettings("OpenAI", "https://status.openai.com", fallback=True),
                ProviderSettings("Cloudflare", "https://c.example", ("abc",), True, True),
                ProviderSettings(
                    "Google Cloud",
                    "https://status.cloud.google.com",
                    format="google-cloud",
                    max_body_bytes=16 * 1024 * 1024,
                ),
            ),
        ),
    ],
    ids=["defaults", "custom"],
)
def test_config_show_round_trips(settings: Settings) -> None:
    text = config_show(settings)
    assert "interval = " in text
    assert parse_config(text) == settings


# ---- load_config ----


def test_first_run_writes_commented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "config.toml"
    loaded = load_config(path)
    assert loaded.created is True
    assert loaded.problems == ()
    assert loaded.settings == Settings()
    assert path.read_text("utf-8") == default_config_text()
    again = load_config(path)
    assert again.created is False
    assert again.problems == ()


def test_good_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("autostart = true\n[watch]\ncomponents = ['k8w3r06qmzrp']\n", "utf-8")
    loaded = load_config(path)
    assert loaded.problems == ()
    assert loaded.settings.autostart is True
    assert loaded.settings.watch.components == ("k8w3r06qmzrp",)


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbfautostart = true\n")
    assert load_config(path).settings.autostart is True


@pytest.mark.parametrize(
    ("content", "expected_error"),
    [
        (b"autostart = true\n\nlog_level = \n", "config.toml line 3: "),
        (
            b'[probes]\ninterval = "fast"\n',
            'config.toml: probes.interval: must be a number >= 1 second, got "fast"; '
            "using the default (30.0)",
        ),
        (b"autostart = tru\xff\n", "config.toml: not UTF-8"),
        (b"[probes\n", "config.toml line 1: "),
        (b"config_version = 7\n", "config.toml: config_version: this file is from a newer version"),
        (f'api_key = "{FAKE_KEY}"\n'.encode(), "config.toml: api_key: "),
    ],
    ids=["syntax", "invalid-value", "not-utf8", "bad-header", "newer-version", "api-key"],
)
def test_bad_file_gives_defaults_and_one_line_and_is_untouched(
    tmp_path: Path, content: bytes, expected_error: str
) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    path.write_bytes(content)
    loaded = load_config(path)
    assert loaded.settings == Settings()
    assert loaded.created is False
    assert len(loaded.problems) == 1
    (problem,) = loaded.problems
    assert problem.startswith(expected_error)
    assert "\n" not in problem
    assert "SECRET" not in problem
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


def test_each_bad_setting_alone_falls_back_and_the_rest_applies(tmp_path: Path) -> None:
    """One typo must not send the app back to the public hosts the user replaced."""
    path = _own_dir(tmp_path) / "config.toml"
    path.write_text(
        """
autostart = true
log_level = "LOUD"
colour = "blue"

[status_page]
url = "https://status.example.internal"
interval = "fast"
timeout = 5

[probes]
api_url = "https://api.example.internal/v1/models"
claude_ai = false
failure_threshold = 0

[watch]
components = ["k8w3r06qmzrp"]
keywords = ["Opus", 3]

[[hooks]]
command = ["/bin/true"]
events = ["service_dwn"]

[[hooks]]
command = ["/usr/bin/logger"]
timout = 3
""",
        "utf-8",
    )
    loaded = load_config(path)
    settings = loaded.settings
    # the good settings apply...
    assert settings.autostart is True
    assert settings.status_page.url == "https://status.example.internal"
    assert settings.status_page.timeout == 5.0
    assert settings.probes.api_url == "https://api.example.internal/v1/models"
    assert settings.probes.claude_ai is False
    assert settings.watch.components == ("k8w3r06qmzrp",)
    assert settings.hooks == (HookSettings(command=("/usr/bin/logger",)),)
    # ...each bad one alone takes its default (a hook whose events are wrong is left out,
    # since "all events" would run it far more often than asked)
    assert settings.log_level == "INFO"
    assert settings.status_page.interval == StatusPageSettings().interval
    assert settings.probes.failure_threshold == ProbeSettings().failure_threshold
    assert settings.watch.keywords == ()
    # ...and every problem is named, once, in file order
    keys = [p.split(": ")[1] for p in loaded.problems]
    assert keys == [
        "log_level",
        "colour",
        "status_page.interval",
        "probes.failure_threshold",
        "watch.keywords[1]",
        "hooks[0].events[0]",
        "hooks[1].timout",
    ]
    assert loaded.problems[0].endswith('; using the default ("INFO")')
    assert loaded.problems[1].endswith("; ignored")
    assert loaded.problems[5].endswith("; this [[hooks]] entry is left out")
    assert config_file_problems(path) == loaded.problems


def test_every_problem_of_one_entry_is_named_not_only_the_first() -> None:
    parsed = read_config(
        '[[providers]]\ncomponents = "x"\nnotify = "yes"\nformat = "rss"\n'
        '[[providers]]\nname = "GitHub"\nurl = "https://www.githubstatus.com"\n'
    )
    keys = [str(p).split(": ")[0] for p in parsed.problems]
    assert keys == [
        "providers[0].components",
        "providers[0].notify",
        "providers[0].format",
        "providers[0]",  # missing 'name'
        "providers[0]",  # missing 'url'
    ]
    assert [p.name for p in parsed.settings.providers] == ["GitHub"]  # the broken one left out


def test_a_too_fast_remote_interval_falls_back_alone(tmp_path: Path) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    path.write_text("[status_page]\nurl = 'https://status.example.internal'\ninterval = 5\n")
    loaded = load_config(path)
    assert loaded.settings.status_page.url == "https://status.example.internal"
    assert loaded.settings.status_page.interval == 60.0
    assert len(loaded.problems) == 1
    assert "status_page.interval: must be >= 30 seconds" in loaded.problems[0]


def test_unreadable_path_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()  # a directory where the file should be: reading fails, even as root
    loaded = load_config(path)
    assert loaded.settings == Settings()
    assert len(loaded.problems) == 1
    assert loaded.problems[0].startswith("config.toml: cannot read")
    assert path.is_dir()


def test_uncreatable_path_gives_defaults(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    loaded = load_config(blocker / "config.toml")
    assert loaded.settings == Settings()
    assert loaded.created is False
    assert len(loaded.problems) == 1
    assert blocker.read_text() == "x"


# ---- update_config ----


def test_update_keeps_comments_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    load_config(path)
    settings = update_config(
        path,
        {
            "watch.components": ["k8w3r06qmzrp"],
            "autostart": True,
            "notifications.quiet_hours": "22:00-07:00",
        },
    )
    assert settings.watch.components == ("k8w3r06qmzrp",)
    assert settings.autostart is True
    text = path.read_text("utf-8")
    assert parse_config(text) == settings
    # every comment line of the defaults file is still there, in order
    comments = [line for line in default_config_text().splitlines() if line.startswith("#")]
    kept = [line for line in text.splitlines() if line.startswith("#")]
    assert kept == comments
    # the new value sits under its commented-out example
    lines = text.splitlines()
    at = lines.index('components = ["k8w3r06qmzrp"]')
    assert lines[at - 1] == "# components = []"
    assert (tmp_path / "config.toml.bak").read_text("utf-8") == default_config_text()


def test_update_changes_existing_value_in_place(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "# mine\nautostart = false  # keep this note\n\n[probes]\n# faster\ninterval = 60\n",
        "utf-8",
    )
    settings = update_config(path, {"autostart": True, "probes.interval": 45, "probes.api": False})
    assert settings.autostart is True
    assert settings.probes.interval == 45.0
    assert settings.probes.api is False
    text = path.read_text("utf-8")
    assert "autostart = true  # keep this note" in text
    assert "# faster\ninterval = 45" in text
    assert text.startswith("# mine\n")


def test_update_none_removes_setting(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("autostart = true\n[watch]\ncomponents = ['x']\n", "utf-8")
    settings = update_config(path, {"watch.components": None, "autostart": None})
    assert settings == Settings()


def test_update_hooks_and_new_section(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("autostart = true\n", "utf-8")
    settings = update_config(
        path,
        {
            "hooks": [{"command": ("logger", "x"), "events": ["service_down"]}],
            "history.retention_days": 30,
        },
    )
    assert settings.hooks == (HookSettings(command=("logger", "x"), events=("service_down",)),)
    assert settings.history.retention_days == 30
    assert parse_config(path.read_text("utf-8")) == settings


def test_update_creates_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    settings = update_config(path, {"autostart": True})
    assert settings.autostart is True
    assert "# Claude Status Tray settings." in path.read_text("utf-8")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"probes.interval": "fast"}, "probes.interval"),
        ({"probes.interval": 5}, "probes.interval"),
        ({"probes.intervall": 60}, "probes.intervall"),
        ({"nope": 1}, "nope"),
        ({"probes": {"interval": 60}}, "probes"),
        ({"a.b.c": 1}, "a.b.c"),
        ({"api_key": FAKE_KEY}, "api_key"),
    ],
    ids=["bad-type", "too-fast", "unknown-in-section", "unknown-top", "whole-table", "deep", "key"],
)
def test_update_rejects_invalid_changes_and_leaves_file(
    tmp_path: Path, changes: dict[str, object], key: str
) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    path.write_text("# mine\nautostart = true\n", "utf-8")
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        update_config(path, changes)
    assert info.value.key == key
    assert "SECRET" not in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    "content",
    [b"autostart = \n", b"[probes]\ninterval = 'fast'\n", b"\xff\xfe"],
    ids=["syntax", "invalid", "not-utf8"],
)
def test_update_refuses_a_broken_file(tmp_path: Path, content: bytes) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"config\.toml"):
        update_config(path, {"autostart": True})
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


def test_update_keeps_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("autostart = false\n", "utf-8")
    os.chmod(path, 0o600)
    update_config(path, {"autostart": True})
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"autostart = true\n", None),
        (b"\xef\xbb\xbfautostart = true\n", None),
        (b"autostart = 1\n", "config.toml: autostart: must be true or false, got 1"),
        (b"x = \n", "config.toml line 1: "),
    ],
    ids=["ok", "bom", "invalid", "syntax"],
)
def test_config_file_problems(tmp_path: Path, content: bytes, expected: str | None) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    path.write_bytes(content)
    problems = config_file_problems(path)
    if expected is None:
        assert problems == ()
    else:
        assert len(problems) == 1 and problems[0].startswith(expected)
    assert path.read_bytes() == content


def test_config_file_problems_never_creates(tmp_path: Path) -> None:
    path = _own_dir(tmp_path) / "config.toml"
    problems = config_file_problems(path)
    assert len(problems) == 1 and "cannot read" in problems[0]
    assert not path.exists()


def test_a_symlinked_config_stays_a_symlink_and_its_target_is_updated(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "config.toml"
    dotfiles.parent.mkdir()
    dotfiles.write_text("# mine\nautostart = false\n", encoding="utf-8")
    link = tmp_path / "config" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(dotfiles)
    update_config(link, {"autostart": True})
    assert link.is_symlink()
    assert "autostart = true" in dotfiles.read_text(encoding="utf-8")
    assert "# mine" in dotfiles.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("pasted", "read_as"),
    [
        ("https://status.example.com/api/v2/summary.json", "https://status.example.com"),
        ("https://status.example.com/API/v2/status.json?x=1#top", "https://status.example.com"),
        ("https://example.com/openai/api/v2/incidents/abc.json/", "https://example.com/openai"),
        ("https://status.example.com/", "https://status.example.com/"),
        ("https://status.example.com/api/v2/", "https://status.example.com/api/v2/"),
    ],
)
def test_a_page_address_pasted_with_its_json_path_means_the_page(pasted: str, read_as: str) -> None:
    text = f'[status_page]\nurl = "{pasted}"\n[[providers]]\nname = "P"\nurl = "{pasted}"\n'
    settings = parse_config(text)
    assert settings.status_page.url == read_as
    assert settings.providers[0].url == read_as
