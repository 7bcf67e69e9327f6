"""Reading an Atlassian Statuspage v2 ``summary.json`` into a PageSnapshot.

``parse_summary`` is pure (no I/O, no clock) and tolerant of what real pages send:

- ``reminder_intervals`` as a string, ``null`` descriptions, missing optional fields;
- no ``incidents`` / ``scheduled_maintenances`` keys (incident.io's Statuspage-compatible output);
- no ``group`` keys, or real groups (``group: true`` + ``components: [ids]``, children with
  ``group_id``);
- unknown status strings: the component becomes Health.UNKNOWN (incidents/maintenances get
  "unknown") and one warning is logged per distinct unexpected value, not per poll;
- timestamps with ``Z``, numeric offsets, 0-9 fraction digits (all converted to UTC).

It is strict about shape: the document must be an object with a ``status`` object (carrying the
``indicator``) and a ``components`` list whose entries are objects with an ``id``. So a
``components.json`` (``page`` + ``components``, no ``status``) is refused with InvalidResponse:
it means the configured URL is not a status page base URL, and a partial parse would silently
lose the overall indicator and every incident.

``StatusPageClient.fetch`` does the I/O: a conditional GET of ``<base_url>/api/v2/summary.json``
(If-None-Match with the last ETag; a 304 gives the last snapshot with a fresh ``fetched_at``).
A challenge page (``cf-mitigated: challenge``, or 403 HTML) or any HTML body is InvalidResponse;
other non-200 answers are HTTPStatusError carrying ``retry_after`` when the server sent one.
Transport failures arrive already translated by tray_app.sources.http.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tray_app.core.errors import HTTPStatusError, InvalidResponse, NetworkError
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
from tray_app.sources.http import (
    DEFAULT_MAX_BYTES,
    FetchResult,
    captive_portal,
    fetch,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

SUMMARY_PATH = "/api/v2/summary.json"
HTML_MESSAGE = "status page answered HTML, not JSON (captive portal or challenge page?)"

# Unexpected values already warned about, so a poll every minute logs each only once.
_warned: set[tuple[str, str]] = set()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class StatusPageClient:
    """Reads one status page; remembers the last snapshot and its ETag for conditional GETs."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self.url = base_url.rstrip("/") + SUMMARY_PATH
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._clock = clock
        self._last: PageSnapshot | None = None

    @property
    def last(self) -> PageSnapshot | None:
        return self._last

    def fetch(self) -> PageSnapshot:
        """The current snapshot. Raises a SourceError subclass when there is no usable answer."""
        headers = {"Accept": "application/json"}
        if self._last is not None and self._last.etag:
            headers["If-None-Match"] = self._last.etag
        result = fetch(
            self._client,
            self.url,
            headers=headers,
            max_bytes=self._max_bytes,
            timeout=self._timeout,
        )
        now = self._clock()
        if result.status_code == 304 and self._last is not None:
            snapshot = dataclasses.replace(self._last, fetched_at=now)
        else:
            portal = captive_portal(result, self.url)
            if portal and (result.status_code == 511 or _is_html(result)):
                # our network answered in the page's place (a legitimate redirect, such as
                # status.anthropic.com -> status.claude.com, ends in JSON)
                raise NetworkError(f"status page: {portal}")
            if _is_challenge(result):
                raise InvalidResponse(HTML_MESSAGE)
            _check_status(result, now)
            doc = _decode_json(result)
            try:
                snapshot = parse_summary(doc, now, etag=result.headers.get("etag"))
            except InvalidResponse:
                raise
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                # a quirk the parser has not met yet: a bad answer, never a crash
                raise InvalidResponse(
                    f"status page JSON could not be read ({type(exc).__name__}: {exc})"
                ) from exc
        self._last = snapshot
        return snapshot


def _check_status(result: FetchResult, now: datetime) -> None:
    if result.status_code == 200:
        return
    retry_after = parse_retry_after(result.headers.get("retry-after"), now)
    reason = httpx.codes.get_reason_phrase(result.status_code) or "unexpected status"
    message = f"status page answered HTTP {result.status_code} {reason}"
    if retry_after is not None:
        message += f" (retry after {retry_after:.0f} s)"
    raise HTTPStatusError(message, status_code=result.status_code, retry_after=retry_after)


def _is_html(result: FetchResult) -> bool:
    if result.content_type in ("text/html", "application/xhtml+xml"):
        return True
    return result.body[:512].lstrip().startswith(b"<")


def _is_challenge(result: FetchResult) -> bool:
    """A bot-protection page (Cloudflare's "Just a moment...") in place of the JSON."""
    if result.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    return result.status_code == 403 and _is_html(result)


def _decode_json(result: FetchResult) -> object:
    if _is_html(result):
        raise InvalidResponse(HTML_MESSAGE)
    try:
        return json.loads(result.body)
    except UnicodeDecodeError as exc:
        raise InvalidResponse(f"status page answered undecodable bytes: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidResponse(
            f"status page answered broken JSON (truncated?): {exc.msg} at byte {exc.pos}"
        ) from exc
    except RecursionError as exc:
        raise InvalidResponse("status page answered JSON nested too deeply") from exc


# ---- pure parsing ----


def parse_summary(doc: object, fetched_at: datetime, etag: str | None = None) -> PageSnapshot:
    """Parse a summary.json document (already decoded from JSON). Raises InvalidResponse."""
    root = _object(doc, "the document")
    status = _object(root.get("status"), "'status'")
    page_value = root.get("page")
    page: dict[str, Any] = page_value if isinstance(page_value, dict) else {}
    components = _parse_components(_list(root.get("components"), "'components'", required=True))
    incidents = tuple(
        incident
        for incident in (
            _parse_incident(item, f"incidents[{n}]")
            for n, item in enumerate(_list(root.get("incidents", []), "'incidents'"))
        )
        if not incident.is_resolved
    )
    maintenances = tuple(
        maintenance
        for maintenance in (
            _parse_maintenance(item, f"scheduled_maintenances[{n}]")
            for n, item in enumerate(
                _list(root.get("scheduled_maintenances", []), "'scheduled_maintenances'")
            )
        )
        if maintenance.status != "completed"
    )
    return PageSnapshot(
        page_name=_str(page.get("name")),
        page_url=_str(page.get("url")),
        indicator=_known(_str(status.get("indicator")), INDICATORS, "indicator"),
        description=_str(status.get("description")),
        components=components,
        incidents=incidents,
        maintenances=maintenances,
        fetched_at=fetched_at,
        etag=etag,
    )


def _parse_components(items: list[Any]) -> tuple[Component, ...]:
    raw = [_object(item, f"components[{n}]") for n, item in enumerate(items)]
    for n, item in enumerate(raw):
        _id(item, f"components[{n}]")
    # Groups list their children; use that when a child does not name its group itself.
    parent_of: dict[str, str] = {}
    for item in raw:
        if item.get("group") is True:
            for child in _str_list(item.get("components")):
                parent_of.setdefault(child, str(item["id"]))
    parsed: dict[str, Component] = {}
    for item in raw:
        component_id = str(item["id"])
        raw_status = _str(item.get("status")) or "unknown"
        health = COMPONENT_STATUS.get(raw_status)
        if health is None:
            _warn_once("component status", raw_status)
            health = Health.UNKNOWN
        group_id = item.get("group_id")
        parsed[component_id] = Component(
            id=component_id,
            name=_str(item.get("name")) or component_id,
            health=health,
            raw_status=raw_status,
            group_id=str(group_id) if isinstance(group_id, str) and group_id else None,
            is_group=item.get("group") is True,
            child_ids=tuple(_str_list(item.get("components"))),
            position=item["position"] if isinstance(item.get("position"), int) else 0,
            description=item["description"] if isinstance(item.get("description"), str) else None,
            updated_at=parse_time(item.get("updated_at")),
        )
        if parsed[component_id].group_id is None and component_id in parent_of:
            parsed[component_id] = dataclasses.replace(
                parsed[component_id], group_id=parent_of[component_id]
            )
    return tuple(parsed.values())


def _parse_update(item: object, where: str) -> IncidentUpdate:
    update = _object(item, where)
    affected = [
        str(a["code"])
        for a in update.get("affected_components") or []
        if isinstance(a, dict) and isinstance(a.get("code"), str)
    ]
    return IncidentUpdate(
        id=_id(update, where),
        status=_str(update.get("status")) or "unknown",
        body=_str(update.get("body")).strip(),
        created_at=parse_time(update.get("created_at")),
        affected_component_ids=tuple(_dedupe(affected)),
    )


def _latest_update(incident: Mapping[str, Any], where: str) -> IncidentUpdate | None:
    updates = [
        _parse_update(item, f"{where}.incident_updates[{n}]")
        for n, item in enumerate(_list(incident.get("incident_updates", []), "'incident_updates'"))
    ]
    if not updates:
        return None
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return max(updates, key=lambda u: u.created_at or oldest)


def _component_ids(incident: Mapping[str, Any], latest: IncidentUpdate | None) -> tuple[str, ...]:
    listed = [
        str(c["id"])
        for c in incident.get("components") or []
        if isinstance(c, dict) and isinstance(c.get("id"), str)
    ]
    from_update = list(latest.affected_component_ids) if latest is not None else []
    return tuple(_dedupe([*listed, *from_update]))


def _parse_incident(item: object, where: str) -> Incident:
    incident = _object(item, where)
    latest = _latest_update(incident, where)
    return Incident(
        id=_id(incident, where),
        name=_one_line(_str(incident.get("name"))) or "(untitled incident)",
        status=_known(_str(incident.get("status")), INCIDENT_STATUSES, "incident status"),
        impact=_known(_str(incident.get("impact")), INDICATORS, "incident impact"),
        shortlink=_opt_str(incident.get("shortlink")),
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
        shortlink=_opt_str(maintenance.get("shortlink")),
        scheduled_for=parse_time(maintenance.get("scheduled_for")),
        scheduled_until=parse_time(maintenance.get("scheduled_until")),
        component_ids=_component_ids(maintenance, latest),
        latest_update=latest,
    )


# ---- small helpers ----

_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC; None when absent or unparseable. Naive means UTC."""
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
    except ValueError:
        return None
    return moment.astimezone(timezone.utc)


def _offset(text: str | None) -> timezone:
    if text is None or text.upper() == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))


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


def _id(item: Mapping[str, Any], where: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise InvalidResponse(f"status page JSON has the wrong shape: {where} has no 'id'")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "missing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _known(value: str, allowed: Iterable[str], what: str) -> str:
    if value in allowed:
        return value
    _warn_once(what, value)
    return "unknown"


def _warn_once(what: str, value: str) -> None:
    if (what, value) in _warned:
        return
    _warned.add((what, value))
    logger.warning("status page sent an unknown %s %r; treating it as unknown", what, value)


__all__ = ["SUMMARY_PATH", "StatusPageClient", "parse_summary", "parse_time"]
