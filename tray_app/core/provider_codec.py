"""Other services' statuses as JSON: `check --json`'s ``providers`` list, and the file the app
leaves for the report (``providers.json`` in the state folder). Pure; reading is tolerant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tray_app.core.models import Component, Health, Incident, ProviderStatus

PROVIDERS_FILE = "providers.json"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def providers_to_dicts(providers: Sequence[ProviderStatus]) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "url": p.url,
            "overall": p.health.value,
            "description": p.description,
            "error": p.error,
            "checked_at": _iso(p.checked_at),
            "upstream": p.upstream,
            "fallback": p.fallback,
            "components": [
                {"id": c.id, "name": c.name, "health": c.health.value, "group": c.is_group}
                for c in p.components
            ],
            "incidents": [
                {
                    "id": i.id,
                    "name": i.name,
                    "status": i.status,
                    "impact": i.impact,
                    "url": i.shortlink,
                    "created_at": _iso(i.created_at),
                }
                for i in p.incidents
            ],
        }
        for p in providers
    ]


def providers_from_dicts(items: object) -> tuple[ProviderStatus, ...]:
    """The statuses in ``items`` (as ``providers_to_dicts`` wrote them); malformed ones skipped."""
    if not isinstance(items, list):
        return ()
    out = []
    for item in items:
        try:
            out.append(_provider(item))
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
    return tuple(out)


def _provider(item: Any) -> ProviderStatus:
    return ProviderStatus(
        name=_text(item["name"]),
        url=_text(item["url"]),
        health=_health(item.get("overall")),
        description=_text(item.get("description", "")),
        components=tuple(
            Component(_text(c["id"]), _text(c["name"]), _health(c.get("health")), "")
            for c in item.get("components") or []
        ),
        incidents=tuple(
            Incident(
                id=_text(i["id"]),
                name=_text(i["name"]),
                status=_text(i.get("status", "unknown")),
                impact=_text(i.get("impact", "unknown")),
                shortlink=i.get("url") if isinstance(i.get("url"), str) else None,
                created_at=_time(i.get("created_at")),
                updated_at=None,
            )
            for i in item.get("incidents") or []
        ),
        error=item.get("error") if isinstance(item.get("error"), str) else None,
        checked_at=_time(item.get("checked_at")),
        upstream=item.get("upstream") is True,
        fallback=item.get("fallback") is True,
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _health(value: object) -> Health:
    try:
        return Health(value)
    except ValueError:
        return Health.UNKNOWN


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


__all__ = ["PROVIDERS_FILE", "providers_from_dicts", "providers_to_dicts"]
