"""The one headline: what every surface (icon, tooltip, menu, statusline, `check`, `watch`) says
about Claude as a whole, and the exit code `check` returns for it. Pure: no I/O, no clock.

Rules
-----
Health (``overall_health``, which the snapshot's ``overall`` and so the icon come from)
    Offline when our network is down. Else the worst watched service in trouble (degraded or
    worse), whether the page or our probes say so. Else, when the status page cannot be read,
    "status page unreachable": what it said last is not news. Else maintenance if a watched
    service is under maintenance, operational only when *every* watched service is known to
    be operational, and unknown otherwise (an unknown service is never "operational").

Text (``headline``)
    "Claude: " then the health in words and every watched service in trouble, worst first
    ("major outage — Claude API, Claude Code; partial outage — claude.ai"); a short headline
    (statusline, menu, tooltip) spends about ``width`` characters on short names, then says
    "+N more". When the page cannot be read, the text says that what it shows is last known,
    and since when (the last successful read).

Exit code
    0 operational; 1 degraded, partial outage or maintenance; 2 major outage; 3 offline,
    status page unreachable or unknown. So with the page unreadable `check` exits 3 unless a
    watched service is known to be in trouble.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from tray_app.core.models import ComponentView, Health, MonitorSnapshot

EXIT_OK = 0
EXIT_DEGRADED = 1
EXIT_MAJOR = 2
EXIT_UNKNOWN = 3

PREFIX = "Claude: "
SHORT_WIDTH = 90  # characters of service names a short headline (statusline, menu) spends
NOT_READ_YET = "not read yet"  # the last-known note before the status page was ever read

# The icon's glyphs, as text (menu lines, statusline, the `check` table).
GLYPHS = {
    Health.OPERATIONAL: "✓",
    Health.DEGRADED: "!",
    Health.PARTIAL_OUTAGE: "!!",
    Health.MAJOR_OUTAGE: "✗",
    Health.MAINTENANCE: "🔧",
    Health.UNKNOWN: "?",
    Health.OFFLINE: "?",
    Health.STATUS_PAGE_UNREACHABLE: "?",
}


@dataclass(frozen=True)
class Headline:
    health: Health  # what the icon draws
    phrase: str  # the text without the "Claude: " prefix (statusline puts its glyph first)
    exit_code: int
    troubled: tuple[ComponentView, ...]  # watched services in trouble, worst first
    last_known_at: datetime | None  # set when the page cannot be read: its last good read
    stale: bool  # the page cannot be read: what it said is last known, not current

    @property
    def text(self) -> str:
        return PREFIX + self.phrase


def exit_code(health: Health) -> int:
    if health is Health.OPERATIONAL:
        return EXIT_OK
    if health in (Health.DEGRADED, Health.PARTIAL_OUTAGE, Health.MAINTENANCE):
        return EXIT_DEGRADED
    if health is Health.MAJOR_OUTAGE:
        return EXIT_MAJOR
    return EXIT_UNKNOWN


def troubled(components: Iterable[ComponentView]) -> tuple[ComponentView, ...]:
    """Watched services degraded or worse, worst first (page order among equals)."""
    found = [c for c in components if c.watched and c.health.is_problem]
    return tuple(sorted(found, key=lambda c: -c.health.rank))


def overall_health(
    components: Iterable[ComponentView], *, offline: bool, page_unreadable: bool
) -> Health:
    """The one decision of Claude's overall health (see the module's rules)."""
    if offline:
        return Health.OFFLINE
    watched = [c for c in components if c.watched]
    trouble = troubled(watched)
    if trouble:
        return trouble[0].health
    if page_unreadable:
        return Health.STATUS_PAGE_UNREACHABLE
    if any(c.health is Health.MAINTENANCE for c in watched):
        return Health.MAINTENANCE
    if watched and all(c.health is Health.OPERATIONAL for c in watched):
        return Health.OPERATIONAL
    return Health.UNKNOWN


def headline(
    snapshot: MonitorSnapshot, *, width: int | None = None, tz: tzinfo | None = None
) -> Headline:
    """What to say about ``snapshot`` (``tz`` None = the machine's zone, for "last known").

    ``width``: a short headline, its service names cut to about that many characters."""
    health = snapshot.overall
    trouble = troubled(snapshot.components)
    stale = snapshot.page_error is not None or health is Health.OFFLINE
    last_known = snapshot.page_read_at if stale else None
    state = _state_phrase(snapshot, health, trouble, width)
    if health is Health.OFFLINE:
        since = snapshot.offline_since
        phrase = "offline, your network is down"
        if since is not None:
            phrase += f" since {_when(since, snapshot, tz)}"
        if last_known is not None and state:
            phrase += f"; last known at {_when(last_known, snapshot, tz)}: {state}"
    elif health is Health.STATUS_PAGE_UNREACHABLE:
        phrase = "the status page cannot be read"
        if last_known is not None and state:
            phrase += f"; last known at {_when(last_known, snapshot, tz)}: {state}"
        else:
            phrase += "; status unknown"
            answering = tuple(
                c for c in snapshot.components if c.watched and c.probe is Health.OPERATIONAL
            )
            if answering:
                verb = "answers" if len(answering) == 1 else "answer"
                phrase += f", though {_grouped(answering, width, labels=False)} {verb} from here"
    else:
        phrase = state or health.label
        if stale and last_known is not None:
            when = _when(last_known, snapshot, tz)
            phrase += f" · last known at {when}, the status page cannot be read"
        elif stale:
            phrase += " · the status page cannot be read"
    return Headline(
        health=health,
        phrase=phrase,
        exit_code=exit_code(health),
        troubled=trouble,
        last_known_at=last_known,
        stale=stale,
    )


def last_known_note(snapshot: MonitorSnapshot, tz: tzinfo | None = None) -> str | None:
    """ "last known at 14:03" for lines drawn from a page that cannot be read now; else None."""
    if snapshot.page_error is None and snapshot.overall is not Health.OFFLINE:
        return None
    if snapshot.page_read_at is None:
        return NOT_READ_YET
    return f"last known at {_when(snapshot.page_read_at, snapshot, tz)}"


def service_state(view: ComponentView, last_known: str | None) -> tuple[Health, str]:
    """One service as every list (``check``, the menu) shows it: its health and why, when it
    matters ("" otherwise). ``last_known`` is ``last_known_note``'s word for the page.

    A service the page never said anything about is unknown even when our probe answers: the
    probe alone makes it "answers from here", never "operational"."""
    if view.official is Health.UNKNOWN and view.health is Health.OPERATIONAL:
        unread = "status page not read; " if last_known == NOT_READ_YET else ""
        return Health.UNKNOWN, f"{unread}answers from here"
    if view.note:
        return view.health, view.note
    if last_known and view.health is not Health.UNKNOWN:
        return view.health, last_known
    return view.health, ""


def _state_phrase(
    snapshot: MonitorSnapshot,
    health: Health,
    trouble: tuple[ComponentView, ...],
    width: int | None,
) -> str:
    """The services' state in words, without the page's or the network's condition."""
    watched = [c for c in snapshot.components if c.watched]
    if trouble:
        return _grouped(trouble, width)
    maintenance = tuple(c for c in watched if c.health is Health.MAINTENANCE)
    if maintenance:
        return _grouped(maintenance, width)
    if watched and all(c.health is Health.OPERATIONAL for c in watched):
        return "all systems operational"
    if health in (Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE):
        return ""  # nothing useful is known
    if snapshot.last_checked is None:
        return "status unknown (not checked yet)"
    unknown = tuple(c for c in watched if c.health is Health.UNKNOWN)
    if not unknown:
        return "no watched service is on the status page"
    return "status unknown — " + _grouped(unknown, width, labels=False)


def _grouped(views: tuple[ComponentView, ...], width: int | None, *, labels: bool = True) -> str:
    """ "major outage — A, B; partial outage — C" (in the given order, worst first); with a
    ``width``, short names ("Claude API" for "Claude API (api.anthropic.com)") and "+N more"
    once the names would pass ``width`` characters (one name at least)."""
    groups: list[tuple[Health, list[str]]] = []
    used = shown = 0
    for view in views:
        name = _short_name(view.name)
        if view.probe_only:
            name += " (from here)"
        if width is not None and shown and used + len(name) > width:
            break
        used += len(name) + 2
        shown += 1
        if groups and groups[-1][0] is view.health:
            groups[-1][1].append(name)
        else:
            groups.append((view.health, [name]))
    if labels:
        text = "; ".join(f"{health.label} — {', '.join(names)}" for health, names in groups)
    else:
        text = ", ".join(name for _, names in groups for name in names)
    hidden = len(views) - shown
    return f"{text} +{hidden} more" if hidden else text


def _short_name(name: str) -> str:
    """ "Claude API (api.anthropic.com)" -> "Claude API"; a name that is all parentheses stays."""
    if name.endswith(")") and " (" in name:
        return name[: name.rindex(" (")] or name
    return name


def _when(value: datetime, snapshot: MonitorSnapshot, tz: tzinfo | None) -> str:
    """14:03 on the day of the latest check, else "Tue 14:03", else "2026-03-01 14:03"."""
    local = value.astimezone(tz)
    ref = (snapshot.last_checked or value).astimezone(tz)
    if local.date() == ref.date():
        return local.strftime("%H:%M")
    if timedelta(0) <= ref - local < timedelta(days=6):
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


__all__ = [
    "EXIT_DEGRADED",
    "EXIT_MAJOR",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "GLYPHS",
    "NOT_READ_YET",
    "SHORT_WIDTH",
    "Headline",
    "exit_code",
    "headline",
    "last_known_note",
    "overall_health",
    "service_state",
    "troubled",
]
