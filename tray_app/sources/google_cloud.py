"""Google Cloud's status page (status.cloud.google.com): its own JSON, read into a PageSnapshot.

Google Cloud Service Health is not a Statuspage page. Its machine-readable form is
``<url>/incidents.json``: a JSON array of incidents (schema: ``<url>/incidents.schema.json``),
each with ``id``, ``begin``, ``end`` (absent or null while the incident is ongoing),
``external_desc`` (its title), ``status_impact`` (SERVICE_INFORMATION, SERVICE_DISRUPTION or
SERVICE_OUTAGE), ``severity`` (low, medium, high), ``most_recent_update`` (``when``, ``text``,
``status``: one of those three or AVAILABLE once the service is back), ``affected_products``
(``title``, ``id``) and ``uri`` (relative to the page: ``incidents/<id>``). There is no overall
indicator and no component list: both are worked out here from the ongoing incidents.

- an incident's state is its latest update's status (the incident's ``status_impact``, then its
  ``severity``, when that is missing): AVAILABLE is operational, SERVICE_INFORMATION degraded,
  SERVICE_DISRUPTION a partial outage, SERVICE_OUTAGE a major outage; an ongoing incident that
  says none of these is degraded (trouble of unknown size, never "operational");
- the components are the products the ongoing incidents name, plus every watched product id
  (``components`` in the settings), which is operational when no ongoing incident names it;
- the page's state is the worst ongoing incident's (operational when there is none).

The file holds the page's whole published history (several MB in some years), so it is never
turned into one big Python structure: its items are decoded one at a time
(``json.JSONDecoder.raw_decode``) and an ended one is dropped as soon as it is read. At most
MAX_ONGOING ongoing incidents and MAX_ITEMS items are read (each limit logged once). Strings go
through tray_app.core.text.clean; a link is kept only when it is https (or on the configured
page's own origin) and passes safe_url.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tray_app.core.clock import utc_now
from tray_app.core.errors import InvalidResponse
from tray_app.core.models import Component, Health, Incident, IncidentUpdate, PageSnapshot
from tray_app.core.text import clean, safe_url
from tray_app.sources.http import FetchResult
from tray_app.sources.statuspage import StatusPageClient, sendable_etag
from tray_app.sources.summary import parse_time

logger = logging.getLogger(__name__)

INCIDENTS_PATH = "/incidents.json"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # the whole history; Claude's page keeps its own 2 MiB cap
MAX_ONGOING = 50  # ongoing incidents kept (Google rarely has more than a few at once)
MAX_ITEMS = 20_000  # incidents read in all (the history since 2016 is a few thousand)
MAX_PRODUCTS = 50  # products named by one incident
NAME_MAX = 300
BODY_MAX = 2000

# Google's words -> (Statuspage impact, health, how it is shown)
_IMPACTS: dict[str, tuple[str, Health, str]] = {
    "AVAILABLE": ("none", Health.OPERATIONAL, "available again"),
    "SERVICE_INFORMATION": ("minor", Health.DEGRADED, "service information"),
    "SERVICE_DISRUPTION": ("major", Health.PARTIAL_OUTAGE, "service disruption"),
    "SERVICE_OUTAGE": ("critical", Health.MAJOR_OUTAGE, "service outage"),
}
_SEVERITIES = {
    "low": "SERVICE_INFORMATION",
    "medium": "SERVICE_DISRUPTION",
    "high": "SERVICE_OUTAGE",
}
_UNGRADED = ("unknown", Health.DEGRADED, "ongoing")
_INDICATORS = {
    Health.OPERATIONAL: "none",
    Health.DEGRADED: "minor",
    Health.PARTIAL_OUTAGE: "major",
    Health.MAJOR_OUTAGE: "critical",
}

_SPACE = re.compile(r"[ \t\n\r]*")
_warned: set[str] = set()


class GoogleCloudClient(StatusPageClient):
    """Reads ``<url>/incidents.json``; the shared client, caps, ETag and errors of the base."""

    PATH = INCIDENTS_PATH

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
        watched: Iterable[str] = (),
    ) -> None:
        super().__init__(client, base_url, max_bytes=max_bytes, timeout=timeout, clock=clock)
        self._base = base_url.rstrip("/")
        self._watched = tuple(watched)

    def _parse(self, result: FetchResult, now: datetime) -> PageSnapshot:
        etag = sendable_etag(result.headers.get("etag"))
        return parse_incidents(result.body, now, self._base, watched=self._watched, etag=etag)


# ---- pure ----


@dataclass(frozen=True)
class _Ongoing:
    incident: Incident
    health: Health
    products: tuple[tuple[str, str], ...]  # (id, title)


def parse_incidents(
    body: bytes,
    fetched_at: datetime,
    base_url: str,
    *,
    watched: Iterable[str] = (),
    etag: str | None = None,
) -> PageSnapshot:
    """The snapshot an ``incidents.json`` body gives. Raises InvalidResponse when it is not a
    JSON list; one bad item is skipped (logged once)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidResponse(f"status page answered undecodable bytes: {exc.reason}") from exc
    wanted = set(watched)
    titles: dict[str, str] = {}  # watched product id -> title, from any incident
    ongoing: list[_Ongoing] = []
    for index, item in enumerate(_items(text)):
        if index >= MAX_ITEMS:
            _warn_once("items", f"more than {MAX_ITEMS} incidents; read only the first ones")
            break
        if not isinstance(item, dict):
            _warn_once("not an object", "an incident that is not an object; skipped it")
            continue
        if wanted:
            titles.update((pid, title) for pid, title in _products(item) if pid in wanted)
        if not _is_ongoing(item):
            continue
        if len(ongoing) >= MAX_ONGOING:
            _warn_once("ongoing", f"more than {MAX_ONGOING} ongoing incidents; showing the first")
            continue
        read = _ongoing(item, base_url)
        if read is not None:
            ongoing.append(read)
    worst = max((o.health for o in ongoing), key=lambda h: h.rank, default=Health.OPERATIONAL)
    count = len(ongoing)
    return PageSnapshot(
        page_name="Google Cloud",
        page_url=base_url,
        indicator=_INDICATORS.get(worst, "minor"),
        description=f"{count} ongoing incident{'s' if count != 1 else ''}"
        if count
        else "No ongoing incidents",
        components=_components(ongoing, wanted, titles),
        incidents=tuple(o.incident for o in ongoing),
        maintenances=(),
        fetched_at=fetched_at,
        etag=etag,
    )


def _items(text: str) -> Iterator[object]:
    """The elements of the JSON array in ``text``, decoded one at a time."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        raise InvalidResponse(
            "status page JSON has the wrong shape: not a list of incidents "
            "(is this a Google Cloud status page?)"
        )
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        _end(text, pos)
        return
    while True:
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidResponse(
                f"status page answered broken JSON (truncated?): {exc.msg} at character {exc.pos}"
            ) from exc
        except RecursionError as exc:
            raise InvalidResponse("status page answered JSON nested too deeply") from exc
        yield item
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            _end(text, pos)
            return
        else:
            raise InvalidResponse(
                f"status page answered broken JSON (truncated?): no ',' or ']' at character {pos}"
            )


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _end(text: str, pos: int) -> None:
    if _skip(text, pos + 1) != len(text):
        raise InvalidResponse("status page answered broken JSON: data after the list")


def _is_ongoing(item: Mapping[str, Any]) -> bool:
    end = item.get("end")
    return end is None or end == ""


def _ongoing(item: Mapping[str, Any], base_url: str) -> _Ongoing | None:
    incident_id = item.get("id")
    if not isinstance(incident_id, str) or not incident_id.strip():
        _warn_once("no id", "an ongoing incident without an id; skipped it")
        return None
    incident_id = clean(incident_id.strip())
    update = item.get("most_recent_update")
    latest = update if isinstance(update, dict) else {}
    word = _word(latest.get("status"), item)
    impact, health, shown = _IMPACTS.get(word, _UNGRADED) if word else _UNGRADED
    if word and word not in _IMPACTS:
        _warn_once(f"impact {word[:40]}", f"an incident state it does not know ({word[:40]!r})")
    products = _products(item)
    when = parse_time(latest.get("when")) or parse_time(latest.get("created"))
    text = latest.get("text")
    latest_update = None
    if isinstance(text, str) or when is not None:
        body = clean(text, newlines=True).strip() if isinstance(text, str) else ""
        latest_update = IncidentUpdate(
            id=f"{incident_id}:{when.isoformat() if when else ''}",
            status=shown,
            body=_cut(body, BODY_MAX),
            created_at=when,
            affected_component_ids=tuple(pid for pid, _ in products),
        )
    incident = Incident(
        id=incident_id,
        name=_cut(_name(item), NAME_MAX),
        status=shown,
        impact=impact,
        shortlink=_link(item.get("uri"), incident_id, base_url),
        created_at=parse_time(item.get("begin")) or parse_time(item.get("created")),
        updated_at=when or parse_time(item.get("modified")),
        component_ids=tuple(pid for pid, _ in products),
        latest_update=latest_update,
    )
    return _Ongoing(incident, health, tuple(products))


def _word(status: object, item: Mapping[str, Any]) -> str | None:
    """Google's word for the incident's state now: the latest update's, else the incident's."""
    for value in (status, item.get("status_impact")):
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    severity = item.get("severity")
    if isinstance(severity, str):
        return _SEVERITIES.get(severity.strip().lower())
    return None


def _name(item: Mapping[str, Any]) -> str:
    for key in ("external_desc", "service_name"):
        value = item.get(key)
        if isinstance(value, str) and clean(value).strip():
            return " ".join(clean(value).split())
    return "Google Cloud incident"


def _products(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = item.get("affected_products")
    if not isinstance(found, list):
        return []
    products: list[tuple[str, str]] = []
    for product in found[:MAX_PRODUCTS]:
        if not isinstance(product, dict):
            continue
        pid, title = product.get("id"), product.get("title")
        if isinstance(pid, str) and pid.strip():
            pid = clean(pid.strip())
            name = " ".join(clean(title).split()) if isinstance(title, str) else ""
            products.append((pid, _cut(name or pid, NAME_MAX)))
    return products


def _link(uri: object, incident_id: str, base_url: str) -> str | None:
    """The incident's page: https, or on the configured page's own origin; else None."""
    target = uri if isinstance(uri, str) and uri.strip() else f"incidents/{incident_id}"
    try:
        url = urljoin(base_url.rstrip("/") + "/", target.strip())
        parts, base = urlsplit(url), urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme != "https" and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    return safe_url(url)


def _components(
    ongoing: list[_Ongoing], wanted: set[str], titles: dict[str, str]
) -> tuple[Component, ...]:
    health: dict[str, Health] = {}
    names: dict[str, str] = {}
    for o in ongoing:
        for pid, title in o.products:
            names.setdefault(pid, title)
            if pid not in health or o.health.rank > health[pid].rank:
                health[pid] = o.health
    for pid in sorted(wanted - set(names)):
        names[pid] = titles.get(pid, pid)
        health[pid] = Health.OPERATIONAL
    return tuple(
        Component(pid, names[pid], health[pid], health[pid].value, position=position)
        for position, pid in enumerate(names)
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _warn_once(key: str, what: str) -> None:
    if key in _warned:
        return
    _warned.add(key)
    logger.warning("Google Cloud status page sent %s", what)


__all__ = ["DEFAULT_MAX_BYTES", "INCIDENTS_PATH", "GoogleCloudClient", "parse_incidents"]
