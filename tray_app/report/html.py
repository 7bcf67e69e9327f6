"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

Everything that came from the status page (names, impacts, links) is untrusted: all text is
cleaned of control and bidi characters and HTML-escaped, and a link is kept only when
``safe_url`` passes it (plain http(s)). The page's own
Content-Security-Policy forbids scripts and any fetch, so a mail client or browser opening
the file offline shows exactly what is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from tray_app.core.models import Health
from tray_app.core.text import clean, safe_url
from tray_app.core.timefmt import format_duration
from tray_app.report.build import ReportData
from tray_app.report.days import ServiceDays
from tray_app.report.incidents import IncidentRow, OutageRow
from tray_app.report.svg import HEALTH_COLOURS, NO_DATA, TARGET_COLOURS, day_bars, latency_chart

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  background: #f6f7f8; color: #1d2327; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta, .note { color: #5b6770; font-size: 13px; }
.card { background: #fff; border: 1px solid #dde1e4; border-radius: 8px; padding: 12px 14px;
  margin: 10px 0; }
.service-head { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline;
  margin-bottom: 6px; }
.service-head h3 { font-size: 15px; margin: 0; flex: 1 1 auto; }
.figure b { font-variant-numeric: tabular-nums; }
.axis-row { display: flex; justify-content: space-between; color: #5b6770; font-size: 12px; }
svg text.axis { font: 11px system-ui, sans-serif; fill: #5b6770; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e6e9eb;
  vertical-align: top; }
th { background: #eef0f2; font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; color: #3c474f; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  vertical-align: -1px; margin-right: 5px; }
.dash { display: inline-block; width: 18px; border-top: 2px dashed; vertical-align: 3px;
  margin-right: 5px; }
.line { display: inline-block; width: 18px; border-top: 2px solid; vertical-align: 3px;
  margin-right: 5px; }
"""

_IMPACT = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}


def _e(text: object) -> str:
    """Text for the page: no control or bidi characters (``clean``), then HTML-escaped."""
    return escape(clean(str(text)), quote=True)


def _when(at: datetime | None, data: ReportData) -> str:
    return "—" if at is None else at.astimezone(data.tz).strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta | None, ongoing: str = "ongoing") -> str:
    return ongoing if delta is None else format_duration(delta)


def _lead(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    if delta >= timedelta(0):
        return f"{format_duration(delta)} earlier"
    return f"{format_duration(-delta)} later"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _legend() -> str:
    items = [
        (HEALTH_COLOURS[Health.OPERATIONAL], "operational"),
        (HEALTH_COLOURS[Health.MAINTENANCE], "maintenance"),
        (HEALTH_COLOURS[Health.DEGRADED], "degraded"),
        (HEALTH_COLOURS[Health.PARTIAL_OUTAGE], "partial outage"),
        (HEALTH_COLOURS[Health.MAJOR_OUTAGE], "major outage"),
        (NO_DATA, "no data (not watching)"),
    ]
    spans = "".join(
        f'<span><i class="swatch" style="background:{colour}"></i>{_e(label)}</span>'
        for colour, label in items
    )
    note = "<span>grey tick under a bar: share of the day watched</span>"
    return f'<div class="legend">{spans}{note}</div>'


def _service(service: ServiceDays, data: ReportData) -> str:
    first = data.grid.dates[0].isoformat()
    return (
        f'<section class="card service" data-component="{_e(service.component_id)}">'
        '<div class="service-head">'
        f"<h3>{_e(service.name)}</h3>"
        f'<span class="figure">our uptime <b>{_percent(service.uptime)}</b></span>'
        f'<span class="figure">official (as we read the page) <b>'
        f"{_percent(service.official_uptime)}</b></span>"
        f'<span class="figure">coverage <b>{_percent(service.coverage)}</b>'
        f" ({service.observed_days} of {data.days} days)</span>"
        "</div>"
        f"{day_bars(service)}"
        f'<div class="axis-row"><span>{first}</span><span>today</span></div>'
        "</section>"
    )


def _seen_by(row: OutageRow) -> str:
    if row.outage.probe_only or row.page_down is None:
        return "our probes only"
    return "status page" if row.probe_down is None else "status page and our probes"


def _outages(rows: Sequence[OutageRow], data: ReportData) -> str:
    if not rows:
        return '<p class="note">No outages seen in this period.</p>'
    body = "".join(
        "<tr>"
        f"<td>{_e(r.outage.name)}</td>"
        f'<td class="num">{_when(r.outage.start, data)}</td>'
        f'<td class="num">{_when(r.outage.end, data)}</td>'
        f'<td class="num">{_duration(r.outage.duration)}</td>'
        f"<td>{_e(r.outage.worst.label)}</td>"
        f"<td>{_seen_by(r)}</td>"
        f'<td class="num">{_lead(r.probe_lead)}</td>'
        "</tr>"
        for r in rows
    )
    return (
        '<table class="outages"><thead><tr><th>Service</th><th>Start</th><th>End</th>'
        "<th>Duration</th><th>Worst</th><th>Seen by</th><th>Probe lead</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _incident_name(r: IncidentRow) -> str:
    link = safe_url(r.link)
    if link is None:
        return _e(r.name)
    return f'<a href="{_e(link)}" rel="noopener noreferrer">{_e(r.name)}</a>'


def _incidents(rows: Sequence[IncidentRow], data: ReportData) -> str:
    if not rows:
        return '<p class="note">No incidents on the status page in this period (as we saw it).</p>'
    body = "".join(
        "<tr>"
        f"<td>{_incident_name(r)}</td>"
        f'<td class="num">{_when(r.start, data)}</td>'
        f'<td class="num">{_when(r.end, data)}</td>'
        f'<td class="num">{_duration(r.duration, "ongoing" if r.end is None else "—")}</td>'
        f"<td>{_e(', '.join(r.components) or '—')}</td>"
        f"<td>{_e(_IMPACT.get(r.impact, r.impact))}</td>"
        f'<td class="num">{_lead(r.probe_lead)}</td>'
        "</tr>"
        for r in rows
    )
    return (
        '<table class="incidents"><thead><tr><th>Incident</th><th>Start</th><th>End</th>'
        "<th>Duration</th><th>Components</th><th>Impact</th><th>Probe lead</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _providers(data: ReportData) -> str:
    """Other services as the app last read them: context, never part of Claude's figures."""
    if not data.providers:
        return ""
    rows = []
    for p in data.providers:
        link = safe_url(p.url)
        name = (
            f'<a href="{_e(link)}" rel="noopener noreferrer">{_e(p.name)}</a>'
            if link
            else _e(p.name)
        )
        state = f"{p.health.label} — {p.error}" if p.error else p.health.label
        incidents = ", ".join(_incident_link(i.name, i.shortlink) for i in p.incidents) or "—"
        rows.append(
            f"<tr><td>{name}</td><td>{_e(state)}</td>"
            f'<td class="num">{_when(p.checked_at, data)}</td><td>{incidents}</td></tr>'
        )
    return (
        "<h2>Other services</h2>"
        '<p class="note">As the app last read them; context only, never part of the figures'
        " above.</p>"
        '<table class="incidents"><thead><tr><th>Service</th><th>State</th><th>Read</th>'
        f"<th>Open incidents</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _incident_link(name: str, url: str | None) -> str:
    link = safe_url(url)
    if link is None:
        return _e(name)
    return f'<a href="{_e(link)}" rel="noopener noreferrer">{_e(name)}</a>'


def _latency(data: ReportData) -> str:
    if not data.latency:
        return '<p class="note">No probe latency recorded in this period.</p>'
    legend = "".join(
        f'<span><i class="line" style="border-color:{TARGET_COLOURS[i % len(TARGET_COLOURS)]}">'
        f"</i>{_e(t.target)} median</span>"
        f'<span><i class="dash" style="border-color:{TARGET_COLOURS[i % len(TARGET_COLOURS)]}">'
        f"</i>{_e(t.target)} p95</span>"
        for i, t in enumerate(data.latency)
    )
    chart = latency_chart(data.latency, data.grid.starts[0], data.grid.starts[-1], data.tz)
    return f'<div class="card"><div class="legend">{legend}</div>{chart}</div>'


_NOTHING_YET = (
    '<p class="note"><strong>No history has been recorded yet.</strong> Claude Status Tray'
    " records what it sees while it runs (the tray, or <code>claude-status-tray watch</code>);"
    " this page fills in from its first check on.</p>"
)


def render_html(data: ReportData) -> str:
    """The whole page."""
    zone = data.generated_at.astimezone(data.tz).strftime("%Z") or "local time"
    services = "".join(_service(s, data) for s in data.services) or (
        '<p class="note">No observations recorded in this period.</p>'
        if data.services or data.outages or data.incidents or data.latency
        else _NOTHING_YET
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Claude status history — last {data.days} days</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f"<h1>Claude status history — last {data.days} days</h1>"
        f'<p class="meta">Generated {_when(data.generated_at, data)} ({_e(zone)}) by Claude Status'
        f" Tray from what this machine observed since {data.grid.dates[0].isoformat()}."
        " Uptime is the share of the time we were watching; coverage is how much of the time"
        " that was. The official figure is the status page's own word, as we read it.</p>"
        f"<h2>Services</h2>{_legend()}{services}"
        f"<h2>Probe latency per hour</h2>{_latency(data)}"
        f"<h2>Outages we saw</h2>"
        '<p class="note">Probe lead: how much earlier our own probes said “down from here”'
        " than the status page did (where we saw both).</p>"
        f"{_outages(data.outages, data)}"
        f"<h2>Incidents on the status page</h2>{_incidents(data.incidents, data)}"
        f"{_providers(data)}"
        "</main></body></html>\n"
    )
