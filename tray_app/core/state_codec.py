"""The state's JSON form: ``state_to_dict`` / ``state_from_dict`` round-trip a state exactly,
so the app persists it after every step and a restart never repeats an event."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any, Union

from tray_app.core.state_model import MonitorState

STATE_VERSION = 1


def state_to_dict(state: MonitorState) -> dict[str, object]:
    """A JSON-ready dict; ``state_from_dict`` turns it back into an equal state."""
    body = typing.cast(dict[str, object], _encode(state))
    return {"version": STATE_VERSION, **body}


def state_from_dict(data: object) -> MonitorState:
    """Rebuild a state saved by ``state_to_dict``; ValueError on anything else."""
    if not isinstance(data, dict):
        raise ValueError("state: expected an object")
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"state: unsupported version {data.get('version')!r}")
    body = {k: v for k, v in data.items() if k != "version"}
    try:
        return typing.cast(MonitorState, _decode(MonitorState, body, "state"))
    except (TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise ValueError(f"state: {exc}") from exc


def _encode(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, data: object, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None and len(options) < len(typing.get_args(tp)):
            return None
        if len(options) != 1:
            raise ValueError(f"{where}: unsupported union {tp!r}")
        return _decode(options[0], data, where)
    if origin is tuple:
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list")
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(data))
    if tp is datetime:
        if not isinstance(data, str):
            raise ValueError(f"{where}: expected a timestamp")
        return datetime.fromisoformat(data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is bool:
        if not isinstance(data, bool):
            raise ValueError(f"{where}: expected true/false")
        return data
    if tp is int:
        if not isinstance(data, int) or isinstance(data, bool):
            raise ValueError(f"{where}: expected an integer")
        return data
    if tp is float:
        if not isinstance(data, (int, float)) or isinstance(data, bool):
            raise ValueError(f"{where}: expected a number")
        return float(data)
    if tp is str:
        if not isinstance(data, str):
            raise ValueError(f"{where}: expected a string")
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, data, where)
    raise ValueError(f"{where}: unsupported type {tp!r}")


def _decode_dataclass(cls: type, data: object, where: str) -> object:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    hints = _hints(cls)
    kwargs: dict[str, object] = {}
    for name, field in fields.items():
        if name in data:
            kwargs[name] = _decode(hints[name], data[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where}: missing {name}")
    return cls(**kwargs)
