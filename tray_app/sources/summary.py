"""Reading an Atlassian Statuspage v2 ``summary.json`` document into a PageSnapshot (pure: no
I/O, no clock).

Tolerant of what real pages send:

- ``reminder_intervals`` as a string, ``null`` descriptions, missing optional fields;
- no ``incidents`` / ``scheduled_maintenances`` keys (incident.io's Statuspage-compatible output);
- no ``group`` keys, or real groups (``group: true`` + ``components: [ids]``, children with
  ``group_id``);
- unknown status strings: the component becomes Health.UNKNOWN (incidents/maintenances get
  "unknown") and one warning is logged per distinct unexpected value, not per poll;
- timestamps with ``Z``, numeric offsets, 0-9 fraction digits (all converted to UTC).

Strict about what makes it a summary at all: the document must be an object with a ``status``
object (carrying the ``indicator``) and a ``components`` list. So a ``components.json``
(``page`` + ``components``, no ``status``) is refused with InvalidResponse: it means the
configured URL is not a status page base URL.

The page is not trusted (it may be broken, compromised or the user's own), so below that:

- one bad item (a component or incident that is not an object or has no id, a field of the
  wrong type) skips that item or field, logged once, never the page;
- a timestamp out of range (year 9999 or 0001 with an offset) is no timestamp;
- at most MAX_ITEMS components, incidents and maintenances are read (logged once);
- two incidents with the same id: the last one wins (logged once);
- every string is cleaned of terminal escape sequences, controls and bidi overrides
  (tray_app.core.text), and links that are not http(s) are dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from tray_app.core.errors import InvalidResponse
from tray_app.core.models import (
    COMPONENT_STATUS,
    INCIDENT_STATUSES,
    INDICATORS,
    MAINTENANCE_STATUSES,
    Component,
    Health,
    Incident,
    IncidentUpdate,
    Maintenance,
    PageSnapshot,
)
from tray_app.core.text import clean, safe_url

logger = logging.getLogger(__name__)

MAX_ITEMS = 500  # components, incidents, maintenances: a real page has tens

# Unexpected values already warned about, so a poll every minute logs each only once.
_warned: set[tuple[str, str]] = set()

_T = TypeVar("_T")
_BAD_ITEM = (InvalidResponse, ValueError, TypeError, OverflowError, KeyError, AttributeError)


def parse_summary(doc: object, fetched_at: datetime, etag: str | None = None) -> PageSnapshot:
    """Parse a summary.json document (already decoded from JSON). Raises InvalidResponse."""
    root = _object(doc, "the document")
    status = _object(root.get("status"), "'status'")
    page_value = root.get("page")
    page: dict[str, Any] = page_value if isinstance(page_value, dict) else {}
    components = _parse_components(_list(root.get("components"), "'components'", required=True))
    incidents = _unique(
        "incident",
        _items(root, "incidents", _parse_incident),
    )
    maintenances = _unique(
        "maintenance",
        _items(root, "scheduled_maintenances", _parse_maintenance),
    )
    return PageSnapshot(
        page_name=_str(page.get("name")),
        page_url=safe_url(_str(page.get("url"))) or "",
        indicator=_known(_str(status.get("indicator")), INDICATORS, "indicator"),
        description=_str(status.get("description")),
        components=components,
        incidents=tuple(i for i in incidents if not i.is_resolved),
        maintenances=tuple(m for m in maintenances if m.status != "completed"),
        fetched_at=fetched_at,
        etag=etag,
    )


def _items(root: Mapping[str, Any], key: str, parse: Callable[[object, str], _T]) -> list[_T]:
    """Each readable item of the list ``root[key]``; a bad item is skipped and logged once."""
    value = root.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _warn_once(
            (key, "not a list"), f"an '{key}' field that is {_kind(value)}, not a list; ignored it"
        )
        return []
    parsed = []
    for n, item in enumerate(_capped(value, key)):
        try:
            parsed.append(parse(item, f"{key}[{n}]"))
        except _BAD_ITEM as exc:
            _skipped(key, exc)
    return parsed


def _capped(items: list[Any], what: str) -> list[Any]:
    if len(items) > MAX_ITEMS:
        _warn_once(
            (what, "too many"), f"more than {MAX_ITEMS} {what}; reading only the first {MAX_ITEMS}"
        )
        return items[:MAX_ITEMS]
    return items


def _unique(what: str, items: list[_T]) -> list[_T]:
    """One item per id, the last one listed winning, in the order of first appearance."""
    by_id: dict[str, _T] = {}
    for item in items:
        item_id: str = getattr(item, "id")  # noqa: B009
        if item_id in by_id:
            _warn_once((what, item_id), f"{what} {item_id!r} twice; using the last one")
        by_id[item_id] = item
    return list(by_id.values())


def _parse_components(items: list[Any]) -> tuple[Component, ...]:
    raw: list[dict[str, Any]] = []
    for n, item in enumerate(_capped(items, "components")):
        try:
            entry = _object(item, f"components[{n}]")
            _id(entry, f"components[{n}]")
        except InvalidResponse as exc:
            _skipped("components", exc)
            continue
        raw.append(entry)
    # Groups list their children; use that when a child does not name its group itself.
    parent_of: dict[str, str] = {}
    for item in raw:
        if item.get("group") is True:
            for child in _str_list(item.get("components")):
                parent_of.setdefault(child, _id(item, "group"))
    parsed: dict[str, Component] = {}
    for item in raw:
        component_id = _id(item, "component")
        raw_status = _str(item.get("status")) or "unknown"
        health = COMPONENT_STATUS.get(raw_status)
        if health is None:
            _unknown("component status", raw_status)
            health = Health.UNKNOWN
        group_id = _str(item.get("group_id")) or parent_of.get(component_id)
        parsed[component_id] = Component(
            id=component_id,
            name=_one_line(_str(item.get("name"))) or component_id,
            health=health,
            raw_status=raw_status,
            group_id=group_id or None,
            is_group=item.get("group") is True,
            child_ids=tuple(_str_list(item.get("components"))),
            position=item["position"] if type(item.get("position")) is int else 0,
            description=_str(item.get("description"), newlines=True) or None,
            updated_at=parse_time(item.get("updated_at")),
        )
    return tuple(parsed.values())


def _parse_update(item: object, where: str) -> IncidentUpdate:
    update = _object(item, where)
    affected = [_str(a.get("code")) for a in _dicts(update.get("affected_components"))]
    return IncidentUpdate(
        id=_id(update, where),
        status=_str(update.get("status")) or "unknown",
        body=_str(update.get("body"), newlines=True).strip(),
        created_at=parse_time(update.get("created_at")),
        affected_component_ids=tuple(_dedupe(a for a in affected if a)),
    )


def _latest_update(incident: Mapping[str, Any], where: str) -> IncidentUpdate | None:
    updates = _items(incident, "incident_updates", _parse_update)
    if not updates:
        return None
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return max(updates, key=lambda u: u.created_at or oldest)


def _component_ids(incident: Mapping[str, Any], latest: IncidentUpdate | None) -> tuple[str, ...]:
    listed = [_str(c.get("id")) for c in _dicts(incident.get("components"))]
    from_update = list(latest.affected_component_ids) if latest is not None else []
    return tuple(_dedupe(c for c in [*listed, *from_update] if c))


def _parse_incident(item: object, where: str) -> Incident:
    incident = _object(item, where)
    latest = _latest_update(incident, where)
    return Incident(
        id=_id(incident, where),
        name=_one_line(_str(incident.get("name"))) or "(untitled incident)",
        status=_known(_str(incident.get("status")), INCIDENT_STATUSES, "incident status"),
        impact=_known(_str(incident.get("impact")), INDICATORS, "incident impact"),
        shortlink=safe_url(_str(incident.get("shortlink"))),
        created_at=parse_time(incident.get("created_at")),
        updated_at=parse_time(incident.get("updated_at")),
        component_ids=_component_ids(incident, latest),
        latest_update=latest,
    )


def _parse_maintenance(item: object, where: str) -> Maintenance:
    maintenance = _object(item, where)
    latest = _latest_update(maintenance, where)
    return Maintenance(
        id=_id(maintenance, where),
        name=_one_line(_str(maintenance.get("name"))) or "(untitled maintenance)",
        status=_known(_str(maintenance.get("status")), MAINTENANCE_STATUSES, "maintenance status"),
        impact=_known(_str(maintenance.get("impact")), INDICATORS, "maintenance impact"),
        shortlink=safe_url(_str(maintenance.get("shortlink"))),
        scheduled_for=parse_time(maintenance.get("scheduled_for")),
        scheduled_until=parse_time(maintenance.get("scheduled_until")),
        component_ids=_component_ids(maintenance, latest),
        latest_update=latest,
    )


# ---- small helpers ----

_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE | re.ASCII,
)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC; None when absent, unparseable or out of range (year
    9999 with a negative offset, 0001 with a positive one). Naive means UTC."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_offset(offset),
        )
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def _offset(text: str | None) -> timezone:
    if text is None or text.upper() == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))  # ValueError past 24 h


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidResponse(
            f"status page JSON has the wrong shape: {where} is {_kind(value)}, not an object"
        )
    return value


def _list(value: object, where: str, *, required: bool = False) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise InvalidResponse(
            f"status page JSON has the wrong shape: {where} is {_kind(value)}, not a list"
        )
    return value


def _dicts(value: object) -> list[dict[str, Any]]:
    """The objects in ``value`` when it is a list; anything else is no list at all."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _id(item: Mapping[str, Any], where: str) -> str:
    raw = item.get("id")
    value = clean(raw) if isinstance(raw, str) else ""
    if not value.strip():
        raise InvalidResponse(f"status page JSON has the wrong shape: {where} has no 'id'")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "missing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _str(value: object, *, newlines: bool = False) -> str:
    return clean(value, newlines=newlines) if isinstance(value, str) else ""


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [clean(v) for v in value if isinstance(v, str)]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _known(value: str, allowed: Iterable[str], what: str) -> str:
    if value in allowed:
        return value
    _unknown(what, value)
    return "unknown"


def _unknown(what: str, value: str) -> None:
    _warn_once((what, value), f"an unknown {what} {value!r}; treating it as unknown")


def _skipped(where: str, exc: BaseException) -> None:
    reason = str(exc).removeprefix("status page JSON has the wrong shape: ")
    reason = reason or type(exc).__name__
    _warn_once((where, reason), f"an item it could not read ({reason[:120]}); skipped it")


def _warn_once(key: tuple[str, str], what: str) -> None:
    if key in _warned:
        return
    _warned.add(key)
    logger.warning("status page sent %s", what)


__all__ = ["MAX_ITEMS", "parse_summary", "parse_time"]
