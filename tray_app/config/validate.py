"""Raw TOML -> ``Settings``: which check applies to which key, tables, secrets, cross-checks.

``parse_config`` is pure (text in, ``Settings`` out, ``ConfigError`` naming the dotted key on
any problem).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import Any

from tray_app.config import checks
from tray_app.config.schema import (
    MIN_REMOTE_INTERVAL,
    BackoffSettings,
    HistorySettings,
    HookSettings,
    NotificationSettings,
    ProbeSettings,
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
        "url": checks.url,
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

ALL_TOP_KEYS = (*TOP_LEVEL, *SECTIONS, "hooks")


def _reject_secrets(node: Any, prefix: str = "") -> None:
    """Refuse anything that looks like an API key, without ever echoing its value."""
    if isinstance(node, dict):
        for name, value in node.items():
            key = f"{prefix}{name}"
            if _API_KEY_NAME.search(str(name)):
                raise ConfigError(_KEYRING_HINT, key=key)
            _reject_secrets(value, key + ".")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _reject_secrets(value, f"{prefix.rstrip('.')}[{i}].")
    elif isinstance(node, str) and _SECRET_VALUE.match(node):
        raise ConfigError(
            "this value looks like an Anthropic API key. " + _KEYRING_HINT,
            key=prefix.rstrip(".") or None,
        )


def _section(cls: type[Any], raw: Any, key: str) -> Any:
    if not isinstance(raw, dict):
        raise checks.bad(key, "must be a table", raw)
    rules = RULES[cls]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        dotted = f"{key}.{name}"
        if name not in rules:
            raise checks.unknown(dotted, name, list(rules))
        values[name] = rules[name](dotted, value)
    try:
        return cls(**values)
    except TypeError:  # a required field (hook command) is missing
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        raise ConfigError(f"missing required setting {missing[0]!r}", key=key) from None


def _hooks(raw: Any) -> tuple[HookSettings, ...]:
    if not isinstance(raw, list):
        raise checks.bad("hooks", "must be an array of tables written as [[hooks]]", raw)
    return tuple(_section(HookSettings, item, f"hooks[{i}]") for i, item in enumerate(raw))


def _cross_check(settings: Settings) -> None:
    page = settings.status_page
    if page.interval < MIN_REMOTE_INTERVAL and not checks.is_loopback_url(page.url):
        raise checks.bad(
            "status_page.interval",
            f"must be >= {MIN_REMOTE_INTERVAL:g} seconds for a remote status page (be polite)",
            page.interval,
        )
    probes = settings.probes
    targets = ((probes.api, probes.api_url), (probes.claude_ai, probes.claude_ai_url))
    remote = [url for enabled, url in targets if enabled and not checks.is_loopback_url(url)]
    if probes.enabled and remote and probes.interval < MIN_REMOTE_INTERVAL:
        raise checks.bad(
            "probes.interval",
            f"must be >= {MIN_REMOTE_INTERVAL:g} seconds when probing a remote host",
            probes.interval,
        )
    backoff = settings.backoff
    if backoff.maximum < settings.status_page.interval:
        raise checks.bad(
            "backoff.maximum",
            f"must be >= status_page.interval ({settings.status_page.interval:g})",
            backoff.maximum,
        )


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


def parse_config(text: str) -> Settings:
    """Parse and validate TOML text; missing settings take their defaults.

    Raises ``ConfigSyntaxError`` (a ``ConfigError``) for invalid TOML and ``ConfigError``
    naming the dotted key for an unknown, mistyped or out-of-range setting.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc) from None
    _reject_secrets(raw)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in TOP_LEVEL:
            values[name] = TOP_LEVEL[name](name, value)
        elif name in SECTIONS:
            values[name] = _section(SECTIONS[name], value, name)
        elif name == "hooks":
            values[name] = _hooks(value)
        else:
            raise checks.unknown(name, name, ALL_TOP_KEYS)
    settings = Settings(**values)
    _cross_check(settings)
    return settings
