"""Settings: TOML in the user config dir -> validated, frozen dataclasses.

``parse_config`` is pure (text in, ``Settings`` out, ``ConfigError`` naming the dotted key on
any problem). ``load_config`` is the app's entry point and never raises: a broken file gives
the defaults plus one line of ``error`` and is left exactly as the user wrote it.
``update_config`` is the tray menu's write-back: it keeps comments and layout (tomlkit),
validates before writing and replaces the file atomically.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import ipaddress
import json
import logging
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit
import tomlkit.container
import tomlkit.items

from tray_app.core.errors import ConfigError, ConfigSyntaxError
from tray_app.core.events import EVENT_KINDS
from tray_app.platform.atomic import write_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

log = logging.getLogger(__name__)

# Component ids on status.claude.com (names change; ids do not).
CLAUDE_AI_COMPONENT = "rwppv331jlwc"
CONSOLE_COMPONENT = "0qbwn08sd68x"
API_COMPONENT = "k8w3r06qmzrp"
CLAUDE_CODE_COMPONENT = "yyzkbfz2thpt"
COWORK_COMPONENT = "bpp5gb3hpjcl"
GOVERNMENT_COMPONENT = "0scnb50nvy53"

# Names to show before the status page has ever been read.
KNOWN_COMPONENT_NAMES = {
    CLAUDE_AI_COMPONENT: "claude.ai",
    CONSOLE_COMPONENT: "Claude Console",
    API_COMPONENT: "Claude API",
    CLAUDE_CODE_COMPONENT: "Claude Code",
    COWORK_COMPONENT: "Claude Cowork",
}

DEFAULT_STATUS_PAGE = "https://status.claude.com"
MIN_REMOTE_INTERVAL = 30.0  # seconds; loopback URLs may poll faster (tests rely on 1 s)
CONFIG_VERSION = 1
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class StatusPageSettings:
    url: str = DEFAULT_STATUS_PAGE  # base URL; the client reads <url>/api/v2/summary.json
    interval: float = 60.0
    timeout: float = 10.0
    max_body_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProbeSettings:
    enabled: bool = True
    interval: float = 30.0
    timeout: float = 10.0
    api: bool = True
    api_url: str = "https://api.anthropic.com/v1/models"
    api_component: str = API_COMPONENT
    claude_ai: bool = True
    claude_ai_url: str = "https://claude.ai/"
    claude_ai_component: str = CLAUDE_AI_COMPONENT
    failure_threshold: int = 2
    success_threshold: int = 2


@dataclass(frozen=True)
class BackoffSettings:
    maximum: float = 600.0
    jitter: float = 0.2  # +/- fraction


@dataclass(frozen=True)
class WatchSettings:
    components: tuple[str, ...] = ()  # component ids; empty means all
    keywords: tuple[str, ...] = ()  # only incidents mentioning one of these (e.g. "Opus")


@dataclass(frozen=True)
class NotificationSettings:
    enabled: bool = True
    service_down: bool = True
    service_degraded: bool = False
    service_recovered: bool = True
    incident_opened: bool = True
    incident_updated: bool = False
    incident_resolved: bool = True
    maintenance: bool = False  # scheduled / starting soon / started / ended
    maintenance_lead_minutes: float = 30.0
    offline: bool = False
    min_interval: float = 300.0  # seconds between two notifications about one component
    reminder_minutes: float = 0.0  # remind of a long outage every N minutes; 0 = off
    quiet_hours: str = ""  # "22:00-07:00", local time; empty = none
    only_when_back: tuple[str, ...] = ()  # component ids: tell me only when they recover


@dataclass(frozen=True)
class HookSettings:
    command: tuple[str, ...]  # argv; run without a shell
    events: tuple[str, ...] = ()  # event kinds; empty means all
    timeout: float = 10.0


@dataclass(frozen=True)
class HistorySettings:
    retention_days: int = 90
    latency_sample_seconds: float = 300.0  # keep one probe latency per target per this window


@dataclass(frozen=True)
class Settings:
    config_version: int = 1
    status_page: StatusPageSettings = field(default_factory=StatusPageSettings)
    probes: ProbeSettings = field(default_factory=ProbeSettings)
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    hooks: tuple[HookSettings, ...] = ()
    history: HistorySettings = field(default_factory=HistorySettings)
    autostart: bool = False
    log_level: str = "INFO"


@dataclass(frozen=True)
class LoadedConfig:
    """What ``load_config`` found: always usable settings, plus one line if the file was bad."""

    settings: Settings
    path: Path
    error: str | None
    created: bool


# ---------------------------------------------------------------------------------------------
# Value checks. Each takes (dotted key, raw TOML value) and returns the typed value or raises.

_Check = Callable[[str, Any], Any]

_API_KEY_NAME = re.compile(r"api[-_]?key|x[-_]api[-_]key|secret|token|password", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^\s*sk-ant-", re.IGNORECASE)
_QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")
_KEYRING_HINT = (
    "API keys do not belong in the config file; store it in the OS keyring "
    "(`claude-status-tray api-key set`) or set the ANTHROPIC_API_KEY "
    "environment variable"
)


def _show(value: Any) -> str:
    """A short TOML-ish rendering of a bad value for an error message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "a table"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(key: str, rule: str, value: Any) -> ConfigError:
    return ConfigError(f"{rule}, got {_show(value)}", key=key, value=value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _number(minimum: float, unit: str, *, exclusive: bool = False) -> _Check:
    op = ">" if exclusive else ">="
    rule = f"must be a number {op} {minimum:g}{unit}"

    def check(key: str, value: Any) -> float:
        if not _is_number(value):
            raise _bad(key, rule, value)
        number = float(value)
        if number < minimum or (exclusive and number == minimum):
            raise _bad(key, rule, value)
        return number

    return check


def _fraction(key: str, value: Any) -> float:
    rule = "must be a number from 0 to less than 1"
    if not _is_number(value) or not 0 <= float(value) < 1:
        raise _bad(key, rule, value)
    return float(value)


def _integer(minimum: int) -> _Check:
    rule = f"must be a whole number >= {minimum}"

    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _bad(key, rule, value)
        return value

    return check


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(key, "must be true or false", value)
    return value


def _component_id(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, 'must be a component id string (e.g. "k8w3r06qmzrp")', value)
    return value.strip()


def _strings(item: _Check) -> _Check:
    def check(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise _bad(key, "must be a list of strings", value)
        return tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))

    return check


def _keyword(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, "must be a non-empty string", value)
    return value


def _url(key: str, value: Any) -> str:
    rule = "must be an http:// or https:// URL with a host"
    if not isinstance(value, str):
        raise _bad(key, rule, value)
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise _bad(key, rule, value) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(key, rule, value)
    return value.strip()


def _quiet_hours(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(key, 'must be "" or "HH:MM-HH:MM" (24-hour local time)', value)
    text = value.strip()
    if text == "":
        return ""
    match = _QUIET_HOURS.match(text)
    if not match or match.group(1, 2) == match.group(3, 4):
        raise _bad(key, 'must be "" or "HH:MM-HH:MM" with two different times', value)
    return text


def _log_level(key: str, value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in LOG_LEVELS:
        raise _bad(key, "must be one of " + ", ".join(LOG_LEVELS), value)
    return value.strip().upper()


def _config_version(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(key, "must be a whole number >= 1", value)
    if value > CONFIG_VERSION:
        raise ConfigError(
            f"this file is from a newer version of the app (config_version {value}; "
            f"this version understands {CONFIG_VERSION}); upgrade the app or fix the file",
            key=key,
            value=value,
        )
    return value


def _event_kind(key: str, value: Any) -> str:
    if not isinstance(value, str) or value not in EVENT_KINDS:
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, EVENT_KINDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _bad(key, "must be one of " + ", ".join(EVENT_KINDS) + hint, value)
    return value


def _argv(key: str, value: Any) -> tuple[str, ...]:
    rule = 'must be a non-empty list of strings (argv, e.g. ["notify-send", "Claude"])'
    if isinstance(value, str):
        raise _bad(key, rule + "; a shell string is not accepted", value)
    if not isinstance(value, list) or not value:
        raise _bad(key, rule, value)
    for i, part in enumerate(value):
        if not isinstance(part, str):
            raise _bad(f"{key}[{i}]", "must be a string", part)
    if not value[0].strip():
        raise _bad(f"{key}[0]", "must name a program", value[0])
    return tuple(value)


_SECONDS = _number(1, " second")
_TIMEOUT = _number(0, " seconds", exclusive=True)

_RULES: dict[type[Any], dict[str, _Check]] = {
    StatusPageSettings: {
        "url": _url,
        "interval": _SECONDS,
        "timeout": _TIMEOUT,
        "max_body_bytes": _integer(1024),
    },
    ProbeSettings: {
        "enabled": _boolean,
        "interval": _SECONDS,
        "timeout": _TIMEOUT,
        "api": _boolean,
        "api_url": _url,
        "api_component": _component_id,
        "claude_ai": _boolean,
        "claude_ai_url": _url,
        "claude_ai_component": _component_id,
        "failure_threshold": _integer(1),
        "success_threshold": _integer(1),
    },
    BackoffSettings: {
        "maximum": _SECONDS,
        "jitter": _fraction,
    },
    WatchSettings: {
        "components": _strings(_component_id),
        "keywords": _strings(_keyword),
    },
    NotificationSettings: {
        "enabled": _boolean,
        "service_down": _boolean,
        "service_degraded": _boolean,
        "service_recovered": _boolean,
        "incident_opened": _boolean,
        "incident_updated": _boolean,
        "incident_resolved": _boolean,
        "maintenance": _boolean,
        "maintenance_lead_minutes": _number(0, " minutes"),
        "offline": _boolean,
        "min_interval": _number(0, " seconds"),
        "reminder_minutes": _number(0, " minutes"),
        "quiet_hours": _quiet_hours,
        "only_when_back": _strings(_component_id),
    },
    HookSettings: {
        "command": _argv,
        "events": _strings(_event_kind),
        "timeout": _TIMEOUT,
    },
    HistorySettings: {
        "retention_days": _integer(1),
        "latency_sample_seconds": _SECONDS,
    },
}

_SECTIONS: dict[str, type[Any]] = {
    "status_page": StatusPageSettings,
    "probes": ProbeSettings,
    "backoff": BackoffSettings,
    "watch": WatchSettings,
    "notifications": NotificationSettings,
    "history": HistorySettings,
}

_TOP_LEVEL: dict[str, _Check] = {
    "config_version": _config_version,
    "autostart": _boolean,
    "log_level": _log_level,
}

_ALL_TOP_KEYS = (*_TOP_LEVEL, *_SECTIONS, "hooks")


def _unknown(key: str, name: str, known: tuple[str, ...] | list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, list(known), n=1)
    dotted_parent = key.rsplit(".", 1)[0] + "." if "." in key else ""
    hint = f" (did you mean {dotted_parent}{close[0]}?)" if close else ""
    return ConfigError(f"unknown setting{hint}", key=key)


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
        raise _bad(key, "must be a table", raw)
    rules = _RULES[cls]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        dotted = f"{key}.{name}"
        if name not in rules:
            raise _unknown(dotted, name, list(rules))
        values[name] = rules[name](dotted, value)
    try:
        return cls(**values)
    except TypeError:  # a required field (hook command) is missing
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        raise ConfigError(f"missing required setting {missing[0]!r}", key=key) from None


def _hooks(raw: Any) -> tuple[HookSettings, ...]:
    if not isinstance(raw, list):
        raise _bad("hooks", "must be an array of tables written as [[hooks]]", raw)
    return tuple(_section(HookSettings, item, f"hooks[{i}]") for i, item in enumerate(raw))


def is_loopback_url(url: str) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cross_check(settings: Settings) -> None:
    page = settings.status_page
    if page.interval < MIN_REMOTE_INTERVAL and not is_loopback_url(page.url):
        raise _bad(
            "status_page.interval",
            f"must be >= {MIN_REMOTE_INTERVAL:g} seconds for a remote status page (be polite)",
            page.interval,
        )
    probes = settings.probes
    targets = ((probes.api, probes.api_url), (probes.claude_ai, probes.claude_ai_url))
    remote = [url for enabled, url in targets if enabled and not is_loopback_url(url)]
    if probes.enabled and remote and probes.interval < MIN_REMOTE_INTERVAL:
        raise _bad(
            "probes.interval",
            f"must be >= {MIN_REMOTE_INTERVAL:g} seconds when probing a remote host",
            probes.interval,
        )
    backoff = settings.backoff
    if backoff.maximum < settings.status_page.interval:
        raise _bad(
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
        if name in _TOP_LEVEL:
            values[name] = _TOP_LEVEL[name](name, value)
        elif name in _SECTIONS:
            values[name] = _section(_SECTIONS[name], value, name)
        elif name == "hooks":
            values[name] = _hooks(value)
        else:
            raise _unknown(name, name, _ALL_TOP_KEYS)
    settings = Settings(**values)
    _cross_check(settings)
    return settings


# ---------------------------------------------------------------------------------------------
# Files.


def default_config_text() -> str:
    """The packaged, commented defaults file."""
    return resources.files("tray_app").joinpath("default_config.toml").read_text("utf-8")


def _read_text(path: Path) -> str:
    """The file's text; BOM tolerated (Windows editors add one). Raises ConfigError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None


def _describe(path: Path, exc: ConfigError) -> str:
    if isinstance(exc, ConfigSyntaxError):
        where = f" line {exc.line}" if exc.line is not None else ""
        return f"{path.name}{where}: {exc.reason}"
    return " ".join(str(exc).split())


def load_config(path: Path) -> LoadedConfig:
    """Read the settings at ``path``. Never raises; never rewrites an existing file.

    No file: the commented defaults are written there (``created=True``). A bad file:
    the defaults, and ``error`` says what is wrong in one line.
    """
    if not path.exists() and not path.is_symlink():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as fh:
                fh.write(default_config_text())
        except FileExistsError:
            pass  # someone else created it in between: read theirs below
        except OSError as exc:
            log.warning("could not create %s: %s", path, exc)
            return LoadedConfig(
                Settings(), path, f"{path.name}: could not create: {exc.strerror or exc}", False
            )
        else:
            log.info("wrote default settings to %s", path)
            return LoadedConfig(Settings(), path, None, True)
    try:
        settings = parse_config(_read_text(path))
    except ConfigError as exc:
        message = _describe(path, exc)
        log.warning("ignoring %s, using defaults: %s", path, message)
        return LoadedConfig(Settings(), path, message, False)
    return LoadedConfig(settings, path, None, False)


def config_file_error(path: Path) -> str | None:
    """For ``config validate``: None if the file at ``path`` is valid, else one line.

    Unlike ``load_config`` this never creates the file.
    """
    try:
        parse_config(_read_text(path))
    except ConfigError as exc:
        return _describe(path, exc)
    return None


def _schema_check(dotted: str) -> list[str]:
    parts = dotted.split(".")
    if len(parts) == 1:
        if parts[0] not in (*_TOP_LEVEL, "hooks"):
            if parts[0] in _SECTIONS:
                raise ConfigError("set one setting at a time, not a whole table", key=dotted)
            raise _unknown(dotted, parts[0], _ALL_TOP_KEYS)
    elif len(parts) == 2 and parts[0] in _SECTIONS:
        known = list(_RULES[_SECTIONS[parts[0]]])
        if parts[1] not in known:
            raise _unknown(dotted, parts[1], known)
    else:
        raise _unknown(
            dotted, dotted, [f"{s}.{k}" for s in _SECTIONS for k in _RULES[_SECTIONS[s]]]
        )
    return parts


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _set_near_comment(table: Any, name: str, value: object) -> None:
    """Set ``name``; if absent, put it right under its commented-out example when there is one."""
    if name in table:
        table[name] = value
        return
    container = table if isinstance(table, tomlkit.container.Container) else table.value
    body = getattr(container, "body", None)
    pattern = re.compile(rf"^#\s*{re.escape(name)}\s*=")
    if isinstance(body, list):
        for idx, (key, item) in enumerate(body):
            if (
                key is None
                and isinstance(item, tomlkit.items.Comment)
                and pattern.match(item.as_string().strip())
                and idx + 1 < len(body)
            ):
                with contextlib.suppress(Exception):  # cosmetic only: fall back to append
                    container._insert_at(idx + 1, name, value)
                    return
    table[name] = value


def update_config(path: Path, changes: Mapping[str, object]) -> Settings:
    """Apply ``{"dotted.key": value}`` to the file at ``path``, keeping comments and layout.

    A value of ``None`` removes the setting (back to its default). The result is validated
    before anything is written; the write is atomic (temp file + ``os.replace``) and the
    previous file is kept as ``config.toml.bak``. Raises ``ConfigError`` (file untouched)
    if the current file does not parse or the result would be invalid.
    """
    if path.exists():
        current = _read_text(path)
        try:
            parse_config(current)
        except ConfigError as exc:
            raise ConfigError(
                f"not changing {path.name} because it has an error; fix it first "
                f"({_describe(path, exc)})"
            ) from None
    else:
        current = default_config_text()
    doc = tomlkit.parse(current)
    for dotted, value in changes.items():
        parts = _schema_check(dotted)
        plain = _plain(value)
        if len(parts) == 1:
            if plain is None:
                doc.pop(parts[0], None)
            elif parts[0] == "hooks":
                aot = tomlkit.aot()
                for hook in plain if isinstance(plain, list) else [plain]:
                    aot.append(tomlkit.item(hook))
                doc[parts[0]] = aot
            else:
                _set_near_comment(doc, parts[0], plain)
            continue
        section, name = parts
        if section not in doc:
            if plain is None:
                continue
            doc[section] = tomlkit.table()
        table = doc[section]
        if plain is None:
            table.pop(name, None)
        else:
            _set_near_comment(table, name, plain)
    text = tomlkit.dumps(doc)
    settings = parse_config(text)
    _atomic_write(path, text)
    return settings


def _atomic_write(path: Path, text: str) -> None:
    path = path.resolve()  # a config.toml symlinked from a dotfiles folder stays a symlink
    try:
        mode = None
        if path.exists():
            mode = path.stat().st_mode & 0o7777
            path.with_name(path.name + ".bak").write_bytes(path.read_bytes())
        write_atomic(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise ConfigError(f"could not write {path.name}: {exc.strerror or exc}") from exc


def _to_toml(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_toml(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_to_toml(v) for v in value]
    return value


def config_show(settings: Settings) -> str:
    """The effective settings as TOML text (``parse_config`` of it gives ``settings`` back)."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Effective settings of claude-status-tray (defaults filled in)"))
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name in _SECTIONS or f.name == "hooks":
            continue
        doc[f.name] = _to_toml(value)
    for f in dataclasses.fields(settings):
        if f.name in _SECTIONS:
            table = tomlkit.table()
            section = _to_toml(getattr(settings, f.name))
            assert isinstance(section, dict)
            for name, value in section.items():
                table[name] = value
            doc[f.name] = table
    if settings.hooks:
        aot = tomlkit.aot()
        for hook in settings.hooks:
            aot.append(tomlkit.item(_to_toml(hook)))
        doc["hooks"] = aot
    return tomlkit.dumps(doc)


__all__ = [
    "API_COMPONENT",
    "CLAUDE_AI_COMPONENT",
    "CLAUDE_CODE_COMPONENT",
    "CONFIG_VERSION",
    "CONSOLE_COMPONENT",
    "COWORK_COMPONENT",
    "DEFAULT_STATUS_PAGE",
    "GOVERNMENT_COMPONENT",
    "KNOWN_COMPONENT_NAMES",
    "LOG_LEVELS",
    "MIN_REMOTE_INTERVAL",
    "BackoffSettings",
    "ConfigSyntaxError",
    "HistorySettings",
    "HookSettings",
    "LoadedConfig",
    "NotificationSettings",
    "ProbeSettings",
    "Settings",
    "StatusPageSettings",
    "WatchSettings",
    "config_file_error",
    "config_show",
    "default_config_text",
    "is_loopback_url",
    "load_config",
    "parse_config",
    "update_config",
]
