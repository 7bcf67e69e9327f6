"""The one headline (tray_app.core.headline): what the icon, tooltip, menu, statusline and
`check` say, and `check`'s exit code. Table tests through the real state machine: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

import pytest

from tests.test_state import (
    DEFAULT,
    DOWN,
    NAMES,
    UNREACH,
    H,
    page,
    page_failed,
    probes,
    run,
    settings,
    t,
)
from tray_app.cli.statusline import format_statusline
from tray_app.config.schema import API_COMPONENT, CLAUDE_AI_COMPONENT, CONSOLE_COMPONENT, Settings
from tray_app.core.headline import GLYPHS, SHORT_WIDTH, headline
from tray_app.core.models import Health
from tray_app.core.state import Observation, snapshot
from tray_app.platform.store import summary_from_snapshot
from tray_app.sinks.menu import MenuPrefs, build_menu, tooltip_text

UTC = timezone.utc
CODE, COWORK = "code-id", "cowork-id"
NAMES.setdefault(CODE, "Claude Code")
NAMES.setdefault(COWORK, "Cowork")


@dataclass(frozen=True)
class Case:
    observations: tuple[Observation, ...]
    health: Health
    text: str
    exit_code: int
    cfg: Settings = DEFAULT


def outage_page(at_minute: float) -> Observation:
    obs = page(t(at_minute), api=H.MAJOR_OUTAGE, ai=H.MAJOR_OUTAGE, console=H.PARTIAL_OUTAGE)
    extra = tuple(
        type(obs.snapshot.components[0])(id=cid, name=NAMES[cid], health=h, raw_status=h.value)
        for cid, h in ((CODE, H.MAJOR_OUTAGE), (COWORK, H.MAJOR_OUTAGE))
    )
    snap = obs.snapshot
    return type(obs)(type(snap)(**{**snap.__dict__, "components": snap.components + extra}))


CASES = {
    "all-operational": Case(
        (page(t(0)), probes(t(0))), H.OPERATIONAL, "Claude: all systems operational", 0
    ),
    # the page refuses connections while the probes answer: nothing is known about 4 services
    "page-refused-probes-answer": Case(
        (page_failed(t(0), network=True), probes(t(0))),
        H.STATUS_PAGE_UNREACHABLE,
        "Claude: the status page cannot be read; status unknown, "
        "though Claude API, claude.ai answer from here",
        3,
        settings(fail=1, ok=1),
    ),
    "page-unreadable-mid-outage": Case(
        (page(t(0), api=H.MAJOR_OUTAGE), probes(t(0)), page_failed(t(5))),
        H.MAJOR_OUTAGE,
        "Claude: major outage — Claude API · last known at 12:00, the status page cannot be read",
        2,
    ),
    "page-unreadable-after-maintenance": Case(
        (page(t(0), api=H.MAINTENANCE), page_failed(t(5))),
        H.STATUS_PAGE_UNREACHABLE,
        "Claude: the status page cannot be read; last known at 12:00: "
        "under maintenance — Claude API",
        3,
        settings(probes=False),
    ),
    "page-unreadable-while-healthy": Case(
        (page(t(0)), page_failed(t(3))),
        H.STATUS_PAGE_UNREACHABLE,
        "Claude: the status page cannot be read; last known at 12:00: all systems operational",
        3,
        settings(probes=False),
    ),
    "every-service-in-trouble-worst-first": Case(
        (outage_page(0),),
        H.MAJOR_OUTAGE,
        "Claude: major outage — Claude API, claude.ai, Claude Code, Cowork; "
        "partial outage — Console",
        2,
        settings(probes=False),
    ),
    "unknown-watched-service-is-not-operational": Case(
        (page(t(0)),),
        H.UNKNOWN,
        "Claude: status unknown — Claude Console",
        3,
        settings(probes=False, watch=(API_COMPONENT, CONSOLE_COMPONENT)),
    ),
    "probe-only": Case(
        (page(t(0)), probes(t(0), api=DOWN), probes(t(1), api=DOWN)),
        H.PARTIAL_OUTAGE,
        "Claude: partial outage — Claude API (from here)",
        1,
    ),
    "offline": Case(
        (
            page(t(0)),
            probes(t(0)),
            page_failed(t(4), network=True),
            probes(t(5), api=UNREACH, ai=UNREACH),
        ),
        H.OFFLINE,
        "Claude: offline, your network is down since 12:05; "
        "last known at 12:00: all systems operational",
        3,
    ),
    "degraded-from-the-page": Case(
        (page(t(0), ai=H.DEGRADED),),
        H.DEGRADED,
        "Claude: degraded performance — claude.ai",
        1,
        settings(probes=False),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_headline_table(case: Case) -> None:
    state, _ = run(case.observations, case.cfg)
    snap = snapshot(state, case.cfg)
    said = headline(snap, tz=UTC)
    assert (snap.overall, said.text, said.exit_code) == (case.health, case.text, case.exit_code)


@pytest.mark.parametrize("name", CASES.keys())
def test_every_surface_says_the_headline(name: str) -> None:
    """The icon (the snapshot's overall), tooltip, menu's first line and statusline agree."""
    case = CASES[name]
    state, _ = run(case.observations, case.cfg)
    snap = snapshot(state, case.cfg)
    now = state.last_checked or t(0)
    said = headline(snap, width=SHORT_WIDTH, tz=UTC)
    assert said.health is snap.overall  # the icon draws snapshot.overall
    assert tooltip_text(snap, now, UTC).startswith(said.text[:100].rstrip("…"))
    assert build_menu(snap, MenuPrefs(), now, tz=UTC)[0].text == said.text
    line = format_statusline(summary_from_snapshot(snap), now)
    assert line.startswith(f"Claude: {GLYPHS[snap.overall]} ")
    if said.stale:
        assert "last known" in line or "cannot be read" in line or "offline" in line


def test_statusline_names_every_troubled_service_worst_first_and_shortens() -> None:
    cfg = settings(probes=False)
    state, _ = run((outage_page(0),), cfg)
    snap = snapshot(state, cfg)
    line = format_statusline(summary_from_snapshot(snap), t(0))
    assert line == (
        "Claude: ✗ major outage — Claude API, claude.ai, Claude Code, Cowork; "
        "partial outage — Console"
    )


def test_headline_shortened_keeps_the_count() -> None:
    cfg = settings(probes=False)
    state, _ = run((outage_page(0),), cfg)
    said = headline(snapshot(state, cfg), width=40)
    assert said.phrase == "major outage — Claude API, claude.ai, Claude Code +2 more"
    assert [c.id for c in said.troubled][-1] == CONSOLE_COMPONENT  # worst first


def test_probe_seen_trouble_while_the_page_is_unreadable_exits_1() -> None:
    cfg = settings(fail=1)
    state, _ = run((page(t(0)), page_failed(t(1)), probes(t(2), api=DOWN)), cfg)
    said = headline(snapshot(state, cfg), tz=UTC)
    assert said.exit_code == 1
    assert said.text == (
        "Claude: partial outage — Claude API (from here) · last known at 12:00, "
        "the status page cannot be read"
    )


def test_probe_trouble_before_the_page_was_ever_read() -> None:
    cfg = settings(fail=1)
    state, _ = run((page_failed(t(0)), probes(t(1), api=DOWN)), cfg)
    said = headline(snapshot(state, cfg), tz=UTC)
    assert (said.text, said.exit_code) == (
        "Claude: partial outage — Claude API (from here) · the status page cannot be read",
        1,
    )


def test_unknown_services_are_named_before_anything_is_checked() -> None:
    said = headline(snapshot(run(())[0], DEFAULT))
    assert (said.health, said.text, said.exit_code) == (
        H.UNKNOWN,
        "Claude: status unknown (not checked yet)",
        3,
    )


def test_claude_ai_stays_known_while_the_rest_is_unknown() -> None:
    state, _ = run((probes(t(0)), probes(t(1))), DEFAULT)
    snap = snapshot(state, DEFAULT)
    assert {v.id for v in snap.components if v.health is H.OPERATIONAL} == {
        API_COMPONENT,
        CLAUDE_AI_COMPONENT,
    }
    assert snap.overall is H.UNKNOWN  # four services never seen: not "all operational"


def test_statusline_says_when_its_state_is_old() -> None:
    state, _ = run((page(t(0)), probes(t(0))), DEFAULT)
    summary = summary_from_snapshot(snapshot(state, DEFAULT))
    assert format_statusline(summary, t(5)) == "Claude: ✓ all systems operational"
    assert format_statusline(summary, t(125)) == (
        "Claude: ✓ all systems operational (stale: 2 h 5 min old)"
    )
