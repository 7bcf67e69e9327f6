"""Raw TOML -> ``Settings``: which check applies to which key, tables, secrets, cross-checks.

``read_config`` is pure and forgiving: each bad setting alone falls back to its default (an
unknown one is ignored, a broken ``[[hooks]]``/``[[providers]]`` entry is left out) and every
problem is listed, so one typo never throws away the user's other settings. ``parse_config``
is the strict form (the first problem raises), used before writing the file back.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass
from typing import Any

from tray_app.config import checks
from tray_app.config.schema import (
    MIN_REMOTE_INTERVAL,
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
from tray_app.core.errors import ConfigError, ConfigSyntaxError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_API_KEY_NAME = re.compile(r"api[-_]?key|x[-_]api[-_]key|secret|token|password", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^\s*sk-ant-", re.IGNORECASE)
_KEYRING_HINT = (
    "API keys do not belong in the config file; store it in the OS keyring "
    "(`claude-status-tray api-key set`) or set the ANTHROPIC_API_KEY "
    "environment variable"
)

RULES: dict[type[Any], dict[str, checks.Check]] = {
    StatusPageSettings: {
        "url": checks.page_url,
        "interval": checks.SECONDS,
        "timeout": checks.TIMEOUT,
        "max_body_bytes": checks.integer(1024),
    },
    ProbeSettings: {
        "enabled": checks.boolean,
        "interval": checks.SECONDS,
        "timeout": checks.TIMEOUT,
        "api": checks.boolean,
        "api_url": checks.url,
        "api_component": checks.component_id,
        "claude_ai": checks.boolean,
        "claude_ai_url": checks.url,
        "claude_ai_component": checks.component_id,
        "failure_threshold": checks.integer(1),
        "success_threshold": checks.integer(1),
    },
    BackoffSettings: {
        "maximum": checks.SECONDS,
        "jitter": checks.fraction,
    },
    WatchSettings: {
        "components": checks.strings(checks.component_id),
        "keywords": checks.strings(checks.keyword),
    },
    NotificationSettings: {
        "enabled": checks.boolean,
        "service_down": checks.boolean,
        "service_degraded": checks.boolean,
        "service_recovered": checks.boolean,
        "incident_opened": checks.boolean,
        "incident_updated": checks.boolean,
        "incident_resolved": checks.boolean,
        "maintenance": checks.boolean,
        "maintenance_lead_minutes": checks.number(0, " minutes"),
        "offline": checks.boolean,
        "min_interval": checks.number(0, " seconds"),
        "reminder_minutes": checks.number(0, " minutes"),
        "quiet_hours": checks.quiet_hours,
        "only_when_back": checks.strings(checks.component_id),
    },
    HookSettings: {
        "command": checks.argv,
        "events": checks.strings(checks.event_kind),
        "timeout": checks.TIMEOUT,
    },
    ProviderSettings: {
        "name": checks.display_name,
        "url": checks.page_url,
        "components": checks.strings(checks.component_id),
        "notify": checks.boolean,
        "upstream": checks.boolean,
        "fallback": checks.boolean,
        "format": checks.provider_format,
        "max_body_bytes": checks.integer(1024),
    },
    HistorySettings: {
        "retention_days": checks.integer(1),
        "latency_sample_seconds": checks.SECONDS,
    },
}

SECTIONS: dict[str, type[Any]] = {
    "status_page": StatusPageSettings,
    "probes": ProbeSettings,
    "backoff": BackoffSettings,
    "watch": WatchSettings,
    "notifications": NotificationSettings,
    "history": HistorySettings,
}

TOP_LEVEL: dict[str, checks.Check] = {
    "config_version": checks.config_version,
    "autostart": checks.boolean,
    "log_level": checks.log_level,
}

# Arrays of tables: [[hooks]], [[providers]].
ENTRIES: dict[str, type[Any]] = {
    "hooks": HookSettings,
    "providers": ProviderSettings,
}

# Entry settings whose default would widen what the entry does, or read its page as something
# it is not (format): a bad one leaves the entry out.
_ENTRY_STRICT = {"events", "components", "format"}

ALL_TOP_KEYS = (*TOP_LEVEL, *SECTIONS, *ENTRIES)


@dataclass(frozen=True)
class ConfigProblem:
    """One bad setting and what the app does instead ("using the default (30)", "ignored")."""

    error: ConfigError
    outcome: str

    def __str__(self) -> str:
        return f"{self.error}; {self.outcome}"


@dataclass(frozen=True)
class ParsedConfig:
    settings: Settings
    problems: tuple[ConfigProblem, ...]


class _Problems(list[ConfigProblem]):
    def add(self, error: ConfigError, outcome: str) -> None:
        self.append(ConfigProblem(error, outcome))


def _without_secrets(node: Any, problems: _Problems, prefix: str = "") -> Any:
    """``node`` minus anything that looks like an API key (never echoing its value)."""
    if isinstance(node, dict):
        kept: dict[str, Any] = {}
        for name, value in node.items():
            key = f"{prefix}{name}"
            if _API_KEY_NAME.search(str(name)):
                problems.add(ConfigError(_KEYRING_HINT, key=key), "ignored")
                continue
            cleaned = _without_secrets(value, problems, key + ".")
            if cleaned is not _SECRET:
                kept[name] = cleaned
        return kept
    if isinstance(node, list):
        items = [
            _without_secrets(value, problems, f"{prefix.rstrip('.')}[{i}].")
            for i, value in enumerate(node)
        ]
        return _SECRET if any(item is _SECRET for item in items) else items
    if isinstance(node, str) and _SECRET_VALUE.match(node):
        problems.add(
            ConfigError(
                "this value looks like an Anthropic API key. " + _KEYRING_HINT,
                key=prefix.rstrip(".") or None,
            ),
            "ignored",
        )
        return _SECRET
    return node


_SECRET = object()  # marks a value dropped by _without_secrets


def _default_of(cls: type[Any], name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name and f.default is not dataclasses.MISSING:
            return f.default
    return None


def _fallback(cls: type[Any], name: str) -> str:
    default = _default_of(cls, name)
    if default is None:
        return "using the default"
    if default == () or default == "":
        return "using the default (none)" if name != "components" else "using the default (all)"
    return f"using the default ({checks.show(default)})"


def _section(cls: type[Any], raw: Any, key: str, problems: _Problems) -> Any:
    """A [section]: each bad setting alone takes its default."""
    if not isinstance(raw, dict):
        problems.add(checks.bad(key, "must be a table", raw), "using its defaults")
        return cls()
    rules = RULES[cls]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        dotted = f"{key}.{name}"
        if name not in rules:
            problems.add(checks.unknown(dotted, name, list(rules)), "ignored")
            continue
        try:
            values[name] = rules[name](dotted, value)
        except ConfigError as exc:
            problems.add(exc, _fallback(cls, name))
    return cls(**values)


def _entry(cls: type[Any], raw: Any, key: str, table: str, problems: _Problems) -> Any | None:
    """One [[table]] entry; None (left out) when a required or narrowing setting is bad."""
    left_out = f"this [[{table}]] entry is left out"
    if not isinstance(raw, dict):
        problems.add(checks.bad(key, "must be a table", raw), left_out)
        return None
    rules = RULES[cls]
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    values: dict[str, Any] = {}
    bad: list[str] = []  # every problem of the entry is named, not only the first
    for name, value in raw.items():
        dotted = f"{key}.{name}"
        if name not in rules:
            problems.add(checks.unknown(dotted, name, list(rules)), "ignored")
            continue
        try:
            values[name] = rules[name](dotted, value)
        except ConfigError as exc:
            if name in required or name in _ENTRY_STRICT:
                problems.add(exc, left_out)
                bad.append(name)
            else:
                problems.add(exc, _fallback(cls, name))
    for name in required:
        if name not in values and name not in bad:
            problems.add(ConfigError(f"missing required setting {name!r}", key=key), left_out)
            bad.append(name)
    return None if bad else cls(**values)


def _entries(name: str, raw: Any, problems: _Problems) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        problems.add(
            checks.bad(name, f"must be an array of tables written as [[{name}]]", raw), "ignored"
        )
        return ()
    cls = ENTRIES[name]
    found = (_entry(cls, item, f"{name}[{i}]", name, problems) for i, item in enumerate(raw))
    entries = tuple(entry for entry in found if entry is not None)
    if cls is ProviderSettings:
        entries = _unique_providers(entries, problems)
    return entries


def _unique_providers(
    providers: tuple[ProviderSettings, ...], problems: _Problems
) -> tuple[ProviderSettings, ...]:
    kept: list[ProviderSettings] = []
    for provider in providers:
        if any(p.name.casefold() == provider.name.casefold() for p in kept):
            problems.add(
                checks.bad("providers", "names must differ", provider.name),
                "the second one is left out",
            )
            continue
        kept.append(provider)
    return tuple(kept)


def _cross_check(settings: Settings, problems: _Problems) -> Settings:
    """Rules between settings; a breach puts the setting at fault back to its default."""
    page = settings.status_page
    if page.interval < MIN_REMOTE_INTERVAL and not checks.is_loopback_url(page.url):
        problems.add(
            checks.bad(
                "status_page.interval",
                f"must be >= {MIN_REMOTE_INTERVAL:g} seconds for a remote status page (be polite)",
                page.interval,
            ),
            _fallback(StatusPageSettings, "interval"),
        )
        page = dataclasses.replace(page, interval=StatusPageSettings().interval)
    probes = settings.probes
    targets = ((probes.api, probes.api_url), (probes.claude_ai, probes.claude_ai_url))
    remote = [url for enabled, url in targets if enabled and not checks.is_loopback_url(url)]
    if probes.enabled and remote and probes.interval < MIN_REMOTE_INTERVAL:
        problems.add(
            checks.bad(
                "probes.interval",
                f"must be >= {MIN_REMOTE_INTERVAL:g} seconds when probing a remote host",
                probes.interval,
            ),
            _fallback(ProbeSettings, "interval"),
        )
        probes = dataclasses.replace(probes, interval=ProbeSettings().interval)
    backoff = settings.backoff
    if backoff.maximum < page.interval:
        maximum = max(BackoffSettings().maximum, page.interval)
        problems.add(
            checks.bad(
                "backoff.maximum",
                f"must be >= status_page.interval ({page.interval:g})",
                backoff.maximum,
            ),
            f"using {maximum:g}",
        )
        backoff = dataclasses.replace(backoff, maximum=maximum)
    return dataclasses.replace(settings, status_page=page, probes=probes, backoff=backoff)


def _syntax_error(exc: tomllib.TOMLDecodeError) -> ConfigSyntaxError:
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match:
        reason = message[: match.start()]
        return ConfigSyntaxError(
            f"{reason} (column {match.group(2)})",
            line=int(match.group(1)),
            column=int(match.group(2)),
        )
    reason = re.sub(r"\s*\(at end of document\)\s*$", " at the end of the file", message)
    return ConfigSyntaxError(reason, line=None, column=None)


def read_config(text: str) -> ParsedConfig:
    """Settings from TOML text, with every problem found; missing settings take their defaults.

    Invalid TOML gives the defaults and one ``ConfigSyntaxError`` problem; otherwise each bad
    setting alone falls back (see the module docstring).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = ConfigProblem(_syntax_error(exc), "the whole file is ignored, using the defaults")
        return ParsedConfig(Settings(), (problem,))
    problems = _Problems()
    raw = _without_secrets(raw, problems)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in TOP_LEVEL:
            try:
                values[name] = TOP_LEVEL[name](name, value)
            except ConfigError as exc:
                problems.add(exc, _fallback(Settings, name))
        elif name in SECTIONS:
            values[name] = _section(SECTIONS[name], value, name, problems)
        elif name in ENTRIES:
            values[name] = _entries(name, value, problems)
        else:
            problems.add(checks.unknown(name, name, ALL_TOP_KEYS), "ignored")
    settings = _cross_check(Settings(**values), problems)
    return ParsedConfig(settings, tuple(problems))


def parse_config(text: str) -> Settings:
    """The strict form: the settings only if the text has no problem at all.

    Raises ``ConfigSyntaxError`` (a ``ConfigError``) for invalid TOML and ``ConfigError``
    naming the dotted key for the first unknown, mistyped or out-of-range setting.
    """
    parsed = read_config(text)
    if parsed.problems:
        raise parsed.problems[0].error
    return parsed.settings
