"""sources.statuspage: the pure parser on real captures and quirks, and the client over sockets."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.statusserver import (
    CAPTIVE_PORTAL_200,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    Route,
    StatusServer,
    component_doc,
    incident_doc,
    load_fixture,
    maintenance_doc,
    redirect,
    service_unavailable,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, CONSOLE_COMPONENT
from tray_app.core.errors import BodyTooLarge, HTTPStatusError, InvalidResponse, NetworkError
from tray_app.core.models import Health, PageSnapshot
from tray_app.sources import summary
from tray_app.sources.http import TooManyRedirects, build_client
from tray_app.sources.statuspage import StatusPageClient
from tray_app.sources.summary import parse_summary, parse_time

T0 = datetime(2026, 10, 7, 23, 50, tzinfo=timezone.utc)
CONSOLE = CONSOLE_COMPONENT


def parse(doc: object) -> PageSnapshot:
    return parse_summary(doc, T0)


# ---- real captures ----


def test_anthropic_capture() -> None:
    snap = parse_summary(load_fixture("anthropic_summary_2026-10-07.json"), T0, etag='"e1"')
    assert (snap.page_name, snap.page_url) == ("Claude", "https://status.claude.com")
    assert (snap.indicator, snap.description) == ("minor", "Partially Degraded Service")
    assert [c.id for c in snap.components] == [
        "rwppv331jlwc",
        "0qbwn08sd68x",
        "k8w3r06qmzrp",
        "yyzkbfz2thpt",
        "bpp5gb3hpjcl",
        "0scnb50nvy53",
    ]
    console = snap.component(CONSOLE)
    assert console is not None
    assert console.health is Health.DEGRADED
    assert console.raw_status == "degraded_performance"
    assert console.updated_at == datetime(2026, 10, 7, 21, 44, 41, 416000, tzinfo=timezone.utc)
    (incident,) = snap.incidents
    assert incident.id == "978mjkgw6mh7"
    assert (incident.status, incident.impact) == ("monitoring", "major")
    assert incident.component_ids == (CONSOLE,)
    assert incident.shortlink == "https://stspg.io/sjkw7njwf0mt"
    assert incident.latest_update is not None
    assert incident.latest_update.id == "1nnyzdbn2qkg"
    assert incident.latest_update.status == "monitoring"
    assert incident.latest_update.affected_component_ids == (CONSOLE,)
    assert snap.maintenances == ()
    assert (snap.fetched_at, snap.etag) == (T0, '"e1"')


def test_openai_incident_io_capture_without_incident_keys() -> None:
    snap = parse(load_fixture("openai_summary.json"))
    assert snap.page_name == "OpenAI"
    assert snap.indicator == "none"
    assert len(snap.components) == 25
    assert snap.incidents == () and snap.maintenances == ()
    assert all(c.group_id is None and not c.is_group for c in snap.components)
    assert all(c.health is Health.OPERATIONAL for c in snap.components)


def test_instructure_capture_with_groups_and_offsets() -> None:
    snap = parse(load_fixture("statuspage_generic_instructure_summary_with_groups.json"))
    canvas_group = snap.component("41wg86q5vc14")
    assert canvas_group is not None and canvas_group.is_group
    assert "9dlvqx1drp3d" in canvas_group.child_ids
    child = snap.component("9dlvqx1drp3d")
    assert child is not None and child.group_id == "41wg86q5vc14" and not child.is_group
    # 09:06:59.160-07:00 is 16:06:59.160 UTC
    assert child.updated_at == datetime(2021, 12, 7, 16, 6, 59, 160000, tzinfo=timezone.utc)
    (incident,) = snap.incidents
    assert incident.status == "identified"
    assert incident.latest_update is not None and incident.latest_update.id == "bkwp1fjx0sxj"
    assert incident.created_at is not None and incident.created_at.utcoffset() == timedelta(0)


def test_github_components_json_is_not_a_summary() -> None:
    # A components.json has no 'status' (overall indicator) and no incidents: refusing it tells
    # the user the URL is wrong, where a partial parse would silently hide every incident.
    with pytest.raises(InvalidResponse, match="'status' is missing"):
        parse(load_fixture("github_components_with_problem.json"))


# ---- quirks: each case edits a valid document; the parse must still succeed ----


def _edit(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = summary_doc(
        "major",
        {API_COMPONENT: "major_outage"},
        incidents=[incident_doc("inc1", status="identified")],
        maintenances=[maintenance_doc("m1", status="in_progress")],
    )
    fn(doc)
    return doc


def _drop(*keys: str) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        for key in keys:
            del doc[key]

    return fn


def _strip_optional(doc: dict[str, Any]) -> None:
    for c in doc["components"]:
        for key in ("description", "position", "updated_at", "group", "group_id", "name"):
            c.pop(key)
    for i in doc["incidents"]:
        for key in ("shortlink", "created_at", "updated_at", "impact", "components"):
            i.pop(key)
    del doc["page"]


def _set_in(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        target: Any = doc
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return fn


QUIRKS = [
    pytest.param(_set_in("incidents.0.reminder_intervals", "[3, 6]"), id="reminder-string"),
    pytest.param(_set_in("incidents.0.reminder_intervals", None), id="reminder-null"),
    pytest.param(_drop("incidents"), id="no-incidents-key"),
    pytest.param(_drop("scheduled_maintenances"), id="no-maintenances-key"),
    pytest.param(_set_in("incidents", None), id="incidents-null"),
    pytest.param(_strip_optional, id="missing-optional-fields"),
    pytest.param(_set_in("components.0.updated_at", "2026-10-07T15:00:00+02:00"), id="offset"),
    pytest.param(_set_in("components.0.updated_at", "yesterday"), id="bad-time"),
    pytest.param(_set_in("components.0.description", 7), id="odd-description"),
    pytest.param(_set_in("incidents.0.incident_updates", []), id="no-updates"),
    pytest.param(_set_in("incidents.0.incident_updates.0.affected_components", None), id="no-ac"),
    pytest.param(_set_in("page.extra", {"new": "field"}), id="unknown-keys"),
]


@pytest.mark.parametrize("edit", QUIRKS)
def test_quirks_still_parse(edit: Callable[[dict[str, Any]], None]) -> None:
    snap = parse(_edit(edit))
    api = snap.component(API_COMPONENT)
    assert api is not None and api.health is Health.MAJOR_OUTAGE
    assert snap.indicator == "major"


def test_missing_optional_fields_get_defaults() -> None:
    snap = parse(_edit(_strip_optional))
    api = snap.component(API_COMPONENT)
    assert api is not None
    assert (api.name, api.position, api.description, api.updated_at) == (
        API_COMPONENT,
        0,
        None,
        None,
    )
    assert (snap.page_name, snap.page_url) == ("", "")
    (incident,) = snap.incidents
    assert (incident.shortlink, incident.impact) == (None, "unknown")
    assert incident.component_ids == (API_COMPONENT,)  # still known from the update


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-10-07T21:44:41.416Z", datetime(2026, 10, 7, 21, 44, 41, 416000), id="z"),
        pytest.param("2026-10-07T15:00:00+02:00", datetime(2026, 10, 7, 13), id="plus-offset"),
        pytest.param("2021-12-07T11:07:15.773-07:00", datetime(2021, 12, 7, 18, 7, 15, 773000)),
        pytest.param("2026-07-09T19:25:56Z", datetime(2026, 7, 9, 19, 25, 56), id="no-fraction"),
        pytest.param("2026-07-09T19:25:56.123456789Z", datetime(2026, 7, 9, 19, 25, 56, 123456)),
        pytest.param("2026-07-09T19:25:56", datetime(2026, 7, 9, 19, 25, 56), id="naive-is-utc"),
        pytest.param("2026-07-09T19:25:56+0530", datetime(2026, 7, 9, 13, 55, 56), id="compact"),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [None, "", "soon", "2026-13-40T00:00:00Z", 1700000000])
def test_parse_time_rejects(value: object) -> None:
    assert parse_time(value) is None


def test_unknown_status_is_unknown_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    doc = summary_doc(components={API_COMPONENT: "on_fire_quirk"})
    doc["incidents"] = [incident_doc("inc9", status="exploding_quirk", impact="cosmic_quirk")]
    with caplog.at_level(logging.WARNING, logger="tray_app.sources.statuspage"):
        for _ in range(3):  # three polls
            snap = parse(doc)
    api = snap.component(API_COMPONENT)
    assert api is not None
    assert (api.health, api.raw_status) == (Health.UNKNOWN, "on_fire_quirk")
    assert (snap.incidents[0].status, snap.incidents[0].impact) == ("unknown", "unknown")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3  # one per distinct value, not per poll
    assert any("on_fire_quirk" in m for m in messages)


def test_resolved_incidents_and_completed_maintenances_are_dropped() -> None:
    doc = summary_doc(
        incidents=[
            incident_doc("open", status="investigating"),
            incident_doc("done", status="resolved"),
            incident_doc("pm", status="postmortem"),
        ],
        maintenances=[
            maintenance_doc("soon", status="scheduled"),
            maintenance_doc("now", status="in_progress"),
            maintenance_doc("verify", status="verifying"),
            maintenance_doc("over", status="completed"),
        ],
    )
    snap = parse(doc)
    assert [i.id for i in snap.incidents] == ["open"]
    assert [m.id for m in snap.maintenances] == ["soon", "now", "verify"]
    soon = snap.maintenances[0]
    assert soon.scheduled_for == datetime(2026, 10, 8, 2, tzinfo=timezone.utc)
    assert soon.scheduled_until == datetime(2026, 10, 8, 3, tzinfo=timezone.utc)
    assert soon.component_ids == (API_COMPONENT,)


def test_latest_update_is_newest_by_time_and_components_merge() -> None:
    incident = incident_doc("inc1", component_ids=[CONSOLE])
    newer = copy.deepcopy(incident["incident_updates"][0])
    newer.update(id="newer", created_at="2026-10-07T13:00:00Z", status="identified")
    newer["affected_components"] = [{"code": API_COMPONENT, "name": "API"}]
    older = copy.deepcopy(newer)
    older.update(id="older", created_at="2026-10-07T11:00:00Z")
    incident["incident_updates"] = [older, newer, incident["incident_updates"][0]]
    (parsed,) = parse(summary_doc(incidents=[incident])).incidents
    assert parsed.latest_update is not None and parsed.latest_update.id == "newer"
    assert parsed.component_ids == (CONSOLE, API_COMPONENT)


def test_children_learn_their_group_from_the_group_list() -> None:
    doc = summary_doc()
    doc["components"].append(
        {
            "id": "grp",
            "name": "Group",
            "status": "operational",
            "group": True,
            "components": ["k8w3r06qmzrp"],
        }
    )
    snap = parse(doc)
    api = snap.component(API_COMPONENT)
    assert api is not None and api.group_id == "grp"


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        pytest.param([], "the document is a list", id="list-root"),
        pytest.param("ok", "the document is a string", id="string-root"),
        pytest.param({"components": []}, "'status' is missing", id="no-status"),
        pytest.param(
            {"status": {"indicator": "none"}}, "'components' is missing", id="no-components"
        ),
        pytest.param(
            {"status": {}, "components": {"a": 1}}, "'components' is an object", id="comp-dict"
        ),
    ],
)
def test_wrong_shape_is_invalid_response(doc: object, words: str) -> None:
    with pytest.raises(InvalidResponse, match="wrong shape") as caught:
        parse(doc)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


# ---- hostile or broken pages: one bad item never breaks the page ----


def _one_warning(caplog: pytest.LogCaptureFixture, words: str) -> None:
    lines = [r.getMessage() for r in caplog.records if words in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        pytest.param(lambda d: d["components"].append("a"), "components[6] is a string", id="str"),
        pytest.param(lambda d: d["components"].append({"name": "x"}), "has no 'id'", id="no-id"),
        pytest.param(lambda d: d.update(incidents="none"), "'incidents' field", id="inc-string"),
        pytest.param(
            lambda d: d["incidents"].insert(0, {"name": "x"}), "has no 'id'", id="inc-no-id"
        ),
        pytest.param(
            lambda d: d["incidents"][0].update(components=5), "", id="inc-components-number"
        ),
        pytest.param(
            lambda d: d["incidents"][0].update(incident_updates={"a": 1}),
            "'incident_updates' field",
            id="updates-object",
        ),
        pytest.param(
            lambda d: d["incidents"][0]["incident_updates"][0].update(affected_components=7),
            "",
            id="affected-number",
        ),
    ],
)
def test_a_bad_item_or_field_is_skipped_and_the_page_read(
    change: Callable[[dict[str, Any]], object], words: str, caplog: pytest.LogCaptureFixture
) -> None:
    doc = summary_doc("minor", incidents=[incident_doc()])
    change(doc)
    for _ in range(3):  # polled again and again: said once
        snap = parse(doc)
    assert snap.indicator == "minor"
    assert len(snap.components) == 6
    assert [i.id for i in snap.incidents] in (["inc0000001"], [])
    if words:
        _one_warning(caplog, words)


@pytest.mark.parametrize(
    "stamp",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-10-07T12:00:00+99:00"],
)
def test_a_date_out_of_range_is_no_date_not_a_broken_page(stamp: str) -> None:
    assert parse_time(stamp) is None
    doc = summary_doc("minor", incidents=[incident_doc(created_at=stamp)])
    doc["components"][0]["updated_at"] = stamp
    snap = parse(doc)
    (incident,) = snap.incidents
    assert incident.created_at is None
    assert snap.components[0].updated_at is None


def test_duplicate_incident_ids_last_wins_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    first = incident_doc("dup1", name="First", update_id="u1")
    second = incident_doc("dup1", name="Second", update_id="u2")
    doc = summary_doc("major", incidents=[first, incident_doc("other"), second])
    for _ in range(3):
        snap = parse(doc)
    assert [(i.id, i.name) for i in snap.incidents] == [
        ("dup1", "Second"),
        ("other", "Elevated errors on Claude API"),
    ]
    _one_warning(caplog, "incident 'dup1' twice")


def test_at_most_500_components_and_incidents_are_read(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "_warned", set())  # said once per process: say it here
    doc = summary_doc("minor")
    doc["components"] = [component_doc(f"c{n:05}") for n in range(2000)]
    doc["incidents"] = [incident_doc(f"i{n:05}", component_ids=()) for n in range(800)]
    for _ in range(2):
        snap = parse(doc)
    assert len(snap.components) == 500 and snap.components[-1].id == "c00499"
    assert len(snap.incidents) == 500
    _one_warning(caplog, "more than 500 components")
    _one_warning(caplog, "more than 500 incidents")


HOSTILE_NAME = (
    "API\x1b]0;pwned\x07 \x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
    "\x1b]52;c;ZWNobyBwd25lZA==\x07\u202eevil\u202c\u2066x\u2069\r\nFake line\x9b31m\x85"
)


def test_page_strings_are_cleaned_where_they_are_parsed() -> None:
    incident = incident_doc(name=HOSTILE_NAME, body="line one\n\x1b[31mline two\x07")
    incident["shortlink"] = "javascript:alert(1)"
    doc = summary_doc("minor", incidents=[incident])
    doc["components"][0]["name"] = HOSTILE_NAME
    doc["page"]["url"] = "-a --exec"
    doc["page"]["name"] = HOSTILE_NAME
    doc["status"]["description"] = HOSTILE_NAME
    snap = parse(doc)
    for text in (snap.components[0].name, snap.incidents[0].name, snap.page_name, snap.description):
        assert text.startswith("API") and "click" in text and "Fake line" in text
        assert not [c for c in text if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F], repr(text)
        assert not set(text) & set("\u202e\u202c\u2066\u2069"), repr(text)
        assert "pwned" not in text and "52;" not in text and "evil.example" not in text
    update = snap.incidents[0].latest_update
    assert update is not None and update.body == "line one\nline two"
    assert snap.incidents[0].shortlink is None
    assert snap.page_url == ""


# ---- the client, over real sockets ----


class StepClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=60)
        return self.now


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with build_client(5.0) as client:
        yield client


def make_client(http: httpx.Client, server: StatusServer, **kw: Any) -> StatusPageClient:
    return StatusPageClient(http, server.url, **kw)


def test_fetch_reads_summary(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set_summary("anthropic_summary_2026-10-07.json")
    snap = make_client(http, status_server).fetch()
    assert snap.indicator == "minor"
    assert snap.etag is not None and snap.etag.startswith('"')
    (request,) = status_server.requests
    assert request.path == SUMMARY_PATH
    assert request.headers["accept"] == "application/json"
    assert "if-none-match" not in request.headers


def test_etag_304_reuses_the_last_snapshot(http: httpx.Client, status_server: StatusServer) -> None:
    clock = StepClock()
    status_server.set_summary(summary_doc("none"))
    client = make_client(http, status_server, clock=clock)
    first = client.fetch()
    second = client.fetch()
    _, second_req = status_server.requests
    assert second_req.headers["if-none-match"] == first.etag
    assert status_server.wait_for_responses(SUMMARY_PATH, 2)[1].status == 304
    assert second.fetched_at == first.fetched_at + timedelta(seconds=60)
    assert second.components == first.components and second.etag == first.etag
    # The page changes: a new ETag, a full answer, a new snapshot.
    status_server.set_summary(summary_doc("major", {API_COMPONENT: "major_outage"}))
    third = client.fetch()
    assert third.indicator == "major" and third.etag != first.etag
    assert client.last is third


def test_an_etag_that_cannot_be_sent_back_is_dropped(
    http: httpx.Client, status_server: StatusServer
) -> None:
    body = json.dumps(summary_doc("none")).encode()
    odd = Route(body=body, headers=(("Content-Type", "application/json"), ("ETag", '"caf\u00e9"')))
    status_server.set(SUMMARY_PATH, odd)
    client = make_client(http, status_server)
    first = client.fetch()
    assert first.etag is None
    status_server.set_summary(summary_doc("major", {API_COMPONENT: "major_outage"}))
    second = client.fetch()  # goes out (it used to fail before sending, until a restart)
    assert second.indicator == "major"
    assert [r.headers.get("if-none-match") for r in status_server.requests] == [None, None]
    third = client.fetch()  # a good ETag is kept and used again
    assert status_server.requests[-1].headers.get("if-none-match") == second.etag
    assert third.indicator == "major"


@pytest.mark.parametrize(
    "value", ["\u00b2", "\u00b9\u00b2\u00b3", "12\u00b2", "1e3", "-5", " ", "Fri, 99 Foo"]
)
def test_retry_after_that_is_not_ascii_digits_or_a_date_is_ignored(
    http: httpx.Client, status_server: StatusServer, value: str
) -> None:
    status_server.set(SUMMARY_PATH, service_unavailable(value))
    with pytest.raises(HTTPStatusError) as caught:
        make_client(http, status_server).fetch()
    assert caught.value.retry_after is None
    assert str(caught.value) == "status page answered HTTP 503 Service Unavailable"


def test_redirect_is_followed(http: httpx.Client, status_server: StatusServer) -> None:
    # Like status.anthropic.com -> status.claude.com.
    status_server.set("/old" + SUMMARY_PATH, redirect(SUMMARY_PATH, 301))
    status_server.set_summary("anthropic_summary_2026-10-07.json")
    snap = StatusPageClient(http, status_server.url + "/old/").fetch()
    assert snap.page_name == "Claude"
    assert [r.path for r in status_server.requests] == ["/old" + SUMMARY_PATH, SUMMARY_PATH]


def test_redirect_loop(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set(SUMMARY_PATH, redirect(SUMMARY_PATH + "?again"))
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        make_client(http, status_server).fetch()


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(CAPTIVE_PORTAL_200, id="captive-portal-200"),
        pytest.param(CLOUDFLARE_403, id="cloudflare-403"),
        pytest.param(Route(body=b"  <html><body>hi</body></html>"), id="html-without-type"),
    ],
)
def test_html_is_invalid_response(
    http: httpx.Client, status_server: StatusServer, route: Route
) -> None:
    status_server.set(SUMMARY_PATH, route)
    with pytest.raises(InvalidResponse) as caught:
        make_client(http, status_server).fetch()
    assert str(caught.value) == (
        "status page answered HTML, not JSON (captive portal or challenge page?)"
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(b'{"status": {"indicator": "none"}, "compo', "broken JSON", id="truncated"),
        pytest.param(b"", "broken JSON", id="empty"),
        pytest.param(b"\xff\xfe\xfa", "undecodable", id="bytes"),
        pytest.param(b'{"status": 1, "components": []}', "wrong shape", id="shape"),
        pytest.param(b"[" * 200_000, "nested too deeply", id="deeply-nested"),
    ],
)
def test_bad_json_is_invalid_response(
    http: httpx.Client, status_server: StatusServer, body: bytes, words: str
) -> None:
    status_server.set(
        SUMMARY_PATH, Route(body=body, headers=(("Content-Type", "application/json"),))
    )
    with pytest.raises(InvalidResponse, match=words) as caught:
        make_client(http, status_server).fetch()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("route", "status", "retry_after"),
    [
        pytest.param(Route(status=429, headers=(("Retry-After", "120"),)), 429, 120.0, id="429"),
        pytest.param(service_unavailable("30"), 503, 30.0, id="503-seconds"),
        pytest.param(
            # 90 s after the StepClock's first reading (T0 + 60 s = 23:51:00)
            service_unavailable("Wed, 07 Oct 2026 23:52:30 GMT"),
            503,
            90.0,
            id="503-http-date",
        ),
        pytest.param(service_unavailable(None), 503, None, id="503-no-header"),
        pytest.param(Route(status=500), 500, None, id="500"),
        pytest.param(Route(status=404, body=b"nope"), 404, None, id="404"),
    ],
)
def test_http_status_errors(
    http: httpx.Client,
    status_server: StatusServer,
    route: Route,
    status: int,
    retry_after: float | None,
) -> None:
    status_server.set(SUMMARY_PATH, route)
    with pytest.raises(HTTPStatusError, match=f"HTTP {status}") as caught:
        make_client(http, status_server, clock=StepClock()).fetch()
    assert caught.value.status_code == status
    assert caught.value.retry_after == retry_after


def test_body_cap(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set(SUMMARY_PATH, Route(fill=300_000, chunked=True))
    with pytest.raises(BodyTooLarge, match="larger than 100000 bytes"):
        make_client(http, status_server, max_bytes=100_000).fetch()


def test_failure_keeps_the_last_good_snapshot(
    http: httpx.Client, status_server: StatusServer
) -> None:
    status_server.script(
        SUMMARY_PATH,
        [
            Route(status=200, body=b'{"status": {"indicator": "none"}, "components": []}'),
            Route(status=502),
        ],
    )
    client = make_client(http, status_server)
    good = client.fetch()
    with pytest.raises(HTTPStatusError):
        client.fetch()
    assert client.last is good


def test_a_captive_portal_in_the_pages_place_is_our_network(
    http: httpx.Client, status_server: StatusServer
) -> None:
    """Redirected to another host that answers HTML: the Wi-Fi's login page, not the page's
    trouble. ("localhost" is this same loopback server under another name.)"""
    portal = f"http://localhost:{status_server.port}/login"
    status_server.set(SUMMARY_PATH, redirect(portal, 302))
    status_server.set("/login", CAPTIVE_PORTAL_200)
    with pytest.raises(NetworkError, match="captive portal"):
        make_client(http, status_server).fetch()


def test_a_redirect_to_another_host_that_answers_json_is_followed(
    http: httpx.Client, status_server: StatusServer
) -> None:
    """Like status.anthropic.com -> status.claude.com."""
    moved = f"http://localhost:{status_server.port}/moved.json"
    status_server.set(SUMMARY_PATH, redirect(moved, 301))
    status_server.set_json("/moved.json", summary_doc())
    assert make_client(http, status_server).fetch().indicator == "none"
