"""One check per kind of setting value: ``(dotted key, raw TOML value) -> typed value``.

Each raises ``ConfigError`` naming the key and the rule; ``bad`` and ``unknown`` build those
errors for the callers that check whole tables.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tray_app.config.schema import CONFIG_VERSION, LOG_LEVELS, PROVIDER_FORMATS
from tray_app.core.errors import ConfigError
from tray_app.core.events import EVENT_KINDS

Check = Callable[[str, Any], Any]

_QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")


def show(value: Any) -> str:
    """A short TOML-ish rendering of a bad value for an error message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "a table"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def bad(key: str, rule: str, value: Any) -> ConfigError:
    return ConfigError(f"{rule}, got {show(value)}", key=key, value=value)


def is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def number(minimum: float, unit: str, *, exclusive: bool = False) -> Check:
    op = ">" if exclusive else ">="
    rule = f"must be a number {op} {minimum:g}{unit}"

    def check(key: str, value: Any) -> float:
        if not is_number(value):
            raise bad(key, rule, value)
        amount = float(value)
        if amount < minimum or (exclusive and amount == minimum):
            raise bad(key, rule, value)
        return amount

    return check


def fraction(key: str, value: Any) -> float:
    rule = "must be a number from 0 to less than 1"
    if not is_number(value) or not 0 <= float(value) < 1:
        raise bad(key, rule, value)
    return float(value)


def integer(minimum: int) -> Check:
    rule = f"must be a whole number >= {minimum}"

    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise bad(key, rule, value)
        return value

    return check


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad(key, "must be true or false", value)
    return value


def component_id(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(key, 'must be a component id string (e.g. "k8w3r06qmzrp")', value)
    return value.strip()


def strings(item: Check) -> Check:
    def check(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise bad(key, "must be a list of strings", value)
        return tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))

    return check


def keyword(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(key, "must be a non-empty string", value)
    return value


def url(key: str, value: Any) -> str:
    rule = "must be an http:// or https:// URL with a host"
    if not isinstance(value, str):
        raise bad(key, rule, value)
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise bad(key, rule, value) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad(key, rule, value)
    return value.strip()


_API_PATH = re.compile(r"/api/v2(?:/[^/]+)+\.json/?$", re.IGNORECASE)


def page_url(key: str, value: Any) -> str:
    """A status page's address; one pasted with its JSON path (``…/api/v2/summary.json``, as
    copied from the browser) means the page at its base, which is what the app reads from."""
    text = url(key, value)
    parts = urlsplit(text)
    base = _API_PATH.sub("", parts.path)
    if base == parts.path:
        return text
    return urlunsplit((parts.scheme, parts.netloc, base, "", ""))


def quiet_hours(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad(key, 'must be "" or "HH:MM-HH:MM" (24-hour local time)', value)
    text = value.strip()
    if text == "":
        return ""
    match = _QUIET_HOURS.match(text)
    if not match or match.group(1, 2) == match.group(3, 4):
        raise bad(key, 'must be "" or "HH:MM-HH:MM" with two different times', value)
    return text


def log_level(key: str, value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in LOG_LEVELS:
        raise bad(key, "must be one of " + ", ".join(LOG_LEVELS), value)
    return value.strip().upper()


def provider_format(key: str, value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in PROVIDER_FORMATS:
        raise bad(key, "must be one of " + ", ".join(f'"{f}"' for f in PROVIDER_FORMATS), value)
    return value.strip().lower()


def config_version(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad(key, "must be a whole number >= 1", value)
    if value > CONFIG_VERSION:
        raise ConfigError(
            f"this file is from a newer version of the app (config_version {value}; "
            f"this version understands {CONFIG_VERSION}); upgrade the app or fix the file",
            key=key,
            value=value,
        )
    return value


def event_kind(key: str, value: Any) -> str:
    if not isinstance(value, str) or value not in EVENT_KINDS:
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, EVENT_KINDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise bad(key, "must be one of " + ", ".join(EVENT_KINDS) + hint, value)
    return value


def argv(key: str, value: Any) -> tuple[str, ...]:
    rule = 'must be a non-empty list of strings (argv, e.g. ["notify-send", "Claude"])'
    if isinstance(value, str):
        raise bad(key, rule + "; a shell string is not accepted", value)
    if not isinstance(value, list) or not value:
        raise bad(key, rule, value)
    for i, part in enumerate(value):
        if not isinstance(part, str):
            raise bad(f"{key}[{i}]", "must be a string", part)
    if not value[0].strip():
        raise bad(f"{key}[0]", "must name a program", value[0])
    if _relative_path(value[0]):
        why = "must be an absolute path or a program name on PATH (the app's folder varies)"
        raise bad(f"{key}[0]", why, value[0])
    return tuple(value)


def _relative_path(program: str) -> bool:
    """``./x.sh``, ``bin/x``, ``~/x`` (no shell expands ``~``): a path, but not an absolute one."""
    has_folder = "/" in program or "\\" in program or program.startswith("~")
    return (
        has_folder
        and not PurePosixPath(program).is_absolute()
        and not PureWindowsPath(program).is_absolute()
    )


def unknown(key: str, name: str, known: tuple[str, ...] | list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, list(known), n=1)
    dotted_parent = key.rsplit(".", 1)[0] + "." if "." in key else ""
    hint = f" (did you mean {dotted_parent}{close[0]}?)" if close else ""
    return ConfigError(f"unknown setting{hint}", key=key)


def is_loopback_url(url: str) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SECONDS = number(1, " second")
TIMEOUT = number(0, " seconds", exclusive=True)


def display_name(key: str, value: Any) -> str:
    """A short one-line name shown in menus and notifications."""
    rule = "must be a short name (1 to 40 characters, one line)"
    if not isinstance(value, str):
        raise bad(key, rule, value)
    text = " ".join(value.split())
    if not text or len(text) > 40:
        raise bad(key, rule, value)
    return text
