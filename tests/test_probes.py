"""sources.probes and platform.secrets: classification tables, then real probes over sockets."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import keyring
import keyring.backend
import pytest
import trustme

from tests.statusserver import (
    API_200_MODELS,
    API_401,
    API_529_OVERLOADED,
    CAPTIVE_PORTAL_200,
    CLOUDFLARE_403,
    Route,
    StatusServer,
    redirect,
    service_unavailable,
)
from tray_app.config.schema import API_COMPONENT, CLAUDE_AI_COMPONENT, ProbeSettings
from tray_app.core.errors import (
    BodyTooLarge,
    FetchTimeout,
    HTTPStatusError,
    InternalReadError,
    NetworkError,
    SourceError,
    TLSError,
)
from tray_app.core.models import ProbeOutcome, ProbeResult
from tray_app.platform import secrets
from tray_app.sources.http import FetchResult, build_client
from tray_app.sources.probes import (
    ANTHROPIC_VERSION,
    Prober,
    classify_api,
    classify_claude_ai,
    key_may_travel_to,
    outcome_for_error,
)

T0 = datetime(2026, 10, 7, 12, 0, tzinfo=timezone.utc)
UP, DOWN = ProbeOutcome.UP, ProbeOutcome.DOWN
UNREACHABLE, TIMEOUT, TLS_ERROR = (
    ProbeOutcome.UNREACHABLE,
    ProbeOutcome.TIMEOUT,
    ProbeOutcome.TLS_ERROR,
)
SECRET = "sk-ant-test-DO-NOT-LOG-0123456789"


# Only labels here: these tests never fetch them.
DEFAULT_API_URL = ProbeSettings().api_url
DEFAULT_CLAUDE_AI_URL = ProbeSettings().claude_ai_url


def answer(route: Route, *, url: str = DEFAULT_API_URL) -> FetchResult:
    return FetchResult(
        status_code=route.status,
        headers={k.lower(): v for k, v in route.headers},
        body=route.body,
        url=url,
        elapsed_ms=12.0,
        redirected=url != DEFAULT_API_URL,
    )


JSON = (("content-type", "application/json"),)

# ---- classification tables (pure) ----


@pytest.mark.parametrize(
    ("route", "has_key", "outcome", "detail"),
    [
        pytest.param(API_401, False, UP, "", id="401-no-key"),
        pytest.param(API_401, True, UP, "API key rejected", id="401-with-key"),
        pytest.param(API_200_MODELS, True, UP, "", id="200-with-key"),
        pytest.param(
            Route(429, b'{"type":"error","error":{"type":"rate_limit_error"}}', JSON),
            True,
            UP,
            "HTTP 429 rate_limit_error",
            id="429-json",
        ),
        pytest.param(
            Route(401, b'{"type":"error","error":{"type":"permission_error"}}', JSON),
            False,
            UP,
            "HTTP 401 permission_error",
            id="401-other-error-type",
        ),
        pytest.param(API_529_OVERLOADED, False, DOWN, "HTTP 529 overloaded_error", id="529"),
        pytest.param(service_unavailable("30"), False, DOWN, "HTTP 503 Service Unavailable"),
        pytest.param(Route(500, b"", JSON), True, DOWN, "HTTP 500 Internal Server Error"),
        pytest.param(
            CAPTIVE_PORTAL_200,
            False,
            UNREACHABLE,
            "HTTP 200 HTML instead of JSON (captive portal?)",
        ),
        pytest.param(
            Route(511), False, UNREACHABLE, "HTTP 511 Network Authentication Required", id="511"
        ),
        pytest.param(
            CLOUDFLARE_403, False, DOWN, "unexpected answer: HTTP 403 text/html", id="403-html"
        ),
        pytest.param(Route(404, b"nope"), False, DOWN, "unexpected answer: HTTP 404", id="404"),
        pytest.param(Route(401, b"no json"), False, DOWN, "unexpected answer: HTTP 401", id="401t"),
        pytest.param(Route(401, b"{broken", JSON), False, DOWN, "unexpected answer", id="401-bad"),
        pytest.param(Route(200, b"plain"), True, DOWN, "unexpected answer: HTTP 200", id="200t"),
    ],
)
def test_classify_api(route: Route, has_key: bool, outcome: ProbeOutcome, detail: str) -> None:
    got_outcome, got_detail = classify_api(answer(route), has_key=has_key)
    assert got_outcome is outcome
    assert got_detail.startswith(detail)


@pytest.mark.parametrize(
    ("route", "outcome", "detail"),
    [
        pytest.param(CLOUDFLARE_403, UP, "Cloudflare challenge", id="cloudflare-403"),
        pytest.param(Route(200, b"<html>"), UP, "", id="200"),
        pytest.param(Route(404), UP, "", id="404"),
        pytest.param(Route(429), UP, "", id="429"),
        pytest.param(Route(502), DOWN, "HTTP 502 Bad Gateway", id="502"),
        pytest.param(Route(503), DOWN, "HTTP 503", id="503"),
        pytest.param(Route(511), UNREACHABLE, "HTTP 511", id="511"),
    ],
)
def test_classify_claude_ai(route: Route, outcome: ProbeOutcome, detail: str) -> None:
    result = answer(route, url=DEFAULT_CLAUDE_AI_URL)
    got_outcome, got_detail = classify_claude_ai(result, requested_url=DEFAULT_CLAUDE_AI_URL)
    assert got_outcome is outcome
    assert got_detail.startswith(detail)


@pytest.mark.parametrize(
    ("landed", "outcome"),
    [
        pytest.param("https://login.hotel-wifi.example/portal", UNREACHABLE, id="other-host"),
        pytest.param(DEFAULT_CLAUDE_AI_URL + "login", UP, id="same-host"),
        pytest.param(DEFAULT_CLAUDE_AI_URL.replace("//", "//www."), UP, id="subdomain"),
    ],
)
def test_redirect_to_another_host_looks_like_a_captive_portal(
    landed: str, outcome: ProbeOutcome
) -> None:
    result = answer(Route(200, b"<html>"), url=landed)
    got, detail = classify_claude_ai(result, requested_url=DEFAULT_CLAUDE_AI_URL)
    assert got is outcome
    assert ("captive portal?" in detail) is (outcome is UNREACHABLE)


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        pytest.param(NetworkError("x"), UNREACHABLE, id="network"),
        pytest.param(FetchTimeout("x"), TIMEOUT, id="timeout"),
        pytest.param(TLSError("x"), TLS_ERROR, id="tls"),
        pytest.param(BodyTooLarge("x"), DOWN, id="too-large"),
        pytest.param(HTTPStatusError("x", status_code=500), DOWN, id="status"),
        pytest.param(SourceError("x"), DOWN, id="other"),
        pytest.param(InternalReadError("x"), UNREACHABLE, id="our-own-bug"),
    ],
)
def test_outcome_for_error(exc: SourceError, outcome: ProbeOutcome) -> None:
    assert outcome_for_error(exc) is outcome


# ---- real probes over loopback ----


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with build_client(5.0) as client:
        yield client


def settings_for(server_url: str, **kw: Any) -> ProbeSettings:
    values: dict[str, Any] = {
        "api_url": server_url + "/v1/models",
        "claude_ai_url": server_url + "/",
        "timeout": 5.0,
    }
    values.update(kw)
    return ProbeSettings(**values)


def run(http: httpx.Client, server_url: str, **kw: Any) -> dict[str, ProbeResult]:
    prober = Prober(http, settings_for(server_url, **kw), clock=lambda: T0)
    return {r.target: r for r in prober.run()}


def test_healthy_front_doors(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    results = run(http, status_server.url)
    api, web = results["api"], results["claude_ai"]
    assert (api.outcome, api.status_code, api.component_id) == (UP, 401, API_COMPONENT)
    assert (web.outcome, web.status_code, web.component_id) == (UP, 403, CLAUDE_AI_COMPONENT)
    assert api.latency_ms is not None and api.latency_ms > 0
    assert api.at == T0
    (request,) = status_server.requests_for("/v1/models")
    assert "x-api-key" not in request.headers
    assert request.headers["anthropic-version"] == ANTHROPIC_VERSION


@pytest.mark.parametrize(
    ("api_route", "outcome", "status", "detail"),
    [
        pytest.param(API_529_OVERLOADED, DOWN, 529, "overloaded_error", id="529"),
        pytest.param(service_unavailable("30"), DOWN, 503, "HTTP 503", id="503-retry-after"),
        pytest.param(CLOUDFLARE_403, DOWN, 403, "unexpected answer", id="cloudflare-403"),
        pytest.param(CAPTIVE_PORTAL_200, UNREACHABLE, 200, "captive portal?", id="captive"),
    ],
)
def test_api_answers(
    http: httpx.Client,
    status_server: StatusServer,
    api_route: Route,
    outcome: ProbeOutcome,
    status: int,
    detail: str,
) -> None:
    status_server.set("/v1/models", api_route)
    (result,) = Prober(http, settings_for(status_server.url, claude_ai=False)).run()
    assert (result.target, result.outcome, result.status_code) == ("api", outcome, status)
    assert detail in result.detail


def test_claude_ai_is_asked_with_head_so_no_page_is_downloaded(
    http: httpx.Client, status_server: StatusServer
) -> None:
    status_server.set("/", CLOUDFLARE_403)
    (result,) = Prober(http, settings_for(status_server.url, api=False)).run()
    assert (result.outcome, result.status_code) == (UP, 403)
    assert [r.method for r in status_server.requests_for("/")] == ["HEAD"]
    assert [r.body_bytes for r in status_server.wait_for_responses("/", 1)] == [0]


def test_a_server_without_head_gets_a_get(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.script("/", [Route(status=405), CLOUDFLARE_403])
    (result,) = Prober(http, settings_for(status_server.url, api=False)).run()
    assert (result.outcome, result.status_code) == (UP, 403)
    assert [r.method for r in status_server.requests_for("/")] == ["HEAD", "GET"]


def test_claude_ai_5xx_is_down(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/", Route(status=502))
    (result,) = Prober(http, settings_for(status_server.url, api=False)).run()
    assert (result.target, result.outcome, result.status_code) == ("claude_ai", DOWN, 502)


def test_redirect_to_a_portal_host_is_unreachable(
    http: httpx.Client, status_server: StatusServer
) -> None:
    # "localhost" is the same loopback server under another name: a different host to the probe.
    status_server.set("/", redirect(f"http://localhost:{status_server.port}/portal", 302))
    status_server.set("/portal", CAPTIVE_PORTAL_200)
    (result,) = Prober(http, settings_for(status_server.url, api=False)).run()
    assert result.outcome is UNREACHABLE
    assert result.detail == "redirected to localhost (captive portal?)"


def test_hang_is_timeout(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/v1/models", Route(delay=30))
    (result,) = Prober(http, settings_for(status_server.url, claude_ai=False, timeout=0.5)).run()
    assert result.outcome is TIMEOUT
    assert result.latency_ms is None and result.status_code is None


def test_reset_is_down(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/v1/models", Route(reset=True))
    (result,) = Prober(http, settings_for(status_server.url, claude_ai=False)).run()
    assert result.outcome is DOWN
    assert "broke mid-answer" in result.detail


def test_connection_refused_is_unreachable(http: httpx.Client) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    results = run(http, f"http://127.0.0.1:{port}")
    assert {r.outcome for r in results.values()} == {UNREACHABLE}
    assert "cannot connect" in results["api"].detail


def test_oversized_answer_is_down(http: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/v1/models", Route(fill=1024 * 1024, chunked=True))
    (result,) = Prober(http, settings_for(status_server.url, claude_ai=False)).run()
    assert result.outcome is DOWN
    assert "larger than 256 KiB" in result.detail


def test_disabled_probes(http: httpx.Client, status_server: StatusServer) -> None:
    assert Prober(http, settings_for(status_server.url, enabled=False)).run() == ()
    assert status_server.requests == []


def test_run_never_raises(http: httpx.Client, status_server: StatusServer) -> None:
    (result,) = Prober(http, settings_for("not a url at all", claude_ai=False)).run()
    assert result.outcome is DOWN


def test_a_failure_inside_our_own_read_is_never_counted_as_down() -> None:
    """A transport handing back a body that was already read (what a bug in our read path looks
    like: httpx raises StreamConsumed) says nothing about Claude: not "down from here"."""

    def already_read(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(529, json={"type": "error"}, request=request)
        response.read()
        return response

    with httpx.Client(transport=httpx.MockTransport(already_read)) as client:
        settings = settings_for("https://api.example.invalid", claude_ai=False)
        (result,) = Prober(client, settings, clock=lambda: T0).run()
    assert result.outcome is UNREACHABLE, result
    assert "inside the app" in result.detail


# ---- TLS ----


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(tls_ca: trustme.CA) -> Iterator[StatusServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    with StatusServer(ssl_context=context) as server:
        server.set("/v1/models", API_401)
        server.set("/", CLOUDFLARE_403)
        yield server


def test_untrusted_certificate_is_tls_error(http: httpx.Client, https_server: StatusServer) -> None:
    results = run(http, https_server.url)
    assert {r.outcome for r in results.values()} == {TLS_ERROR}
    assert "CERTIFICATE_VERIFY_FAILED" in results["api"].detail


def test_trusted_certificate_works(tls_ca: trustme.CA, https_server: StatusServer) -> None:
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    with build_client(5.0, verify=context) as client:
        results = run(client, https_server.url)
    assert {r.outcome for r in results.values()} == {UP}


# ---- the API key ----


def test_api_key_from_env_is_sent_and_never_logged(
    http: httpx.Client,
    status_server: StatusServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    status_server.script("/v1/models", [API_200_MODELS, API_401])
    caplog.set_level(logging.DEBUG)
    prober = Prober(http, settings_for(status_server.url, claude_ai=False))
    (accepted,) = prober.run()
    (rejected,) = prober.run()
    assert (accepted.outcome, accepted.detail) == (UP, "")
    assert (rejected.outcome, rejected.detail) == (UP, "API key rejected")
    for request in status_server.requests_for("/v1/models"):
        assert request.headers["x-api-key"] == SECRET
        assert request.headers["anthropic-version"] == ANTHROPIC_VERSION
    assert caplog.records  # debug logging really ran
    assert not any(SECRET in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text


def test_the_api_key_follows_a_redirect_on_the_same_origin_only(
    http: httpx.Client, status_server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    with StatusServer() as elsewhere:
        elsewhere.set("/v1/models", API_200_MODELS)
        status_server.set("/old/models", redirect("/v1/models", 307))
        status_server.set("/v1/models", redirect(elsewhere.url_for("/v1/models"), 302))
        keyed = Prober(
            http,
            settings_for(
                status_server.url, claude_ai=False, api_url=status_server.url + "/old/models"
            ),
            api_key_provider=lambda: SECRET,
        )
        (result,) = keyed.run()
        assert elsewhere.requests == []  # another port is another origin: not followed
        assert [r.path for r in status_server.requests] == ["/old/models", "/v1/models"]
        assert all(r.headers["x-api-key"] == SECRET for r in status_server.requests)
        assert (result.outcome, result.status_code) == (UNREACHABLE, 302)
        assert result.detail == "redirected to http://127.0.0.1 (captive portal?)"
        keyless = Prober(http, settings_for(status_server.url, claude_ai=False))
        (followed,) = keyless.run()  # without a key, redirects are followed as before
    assert [r.headers.get("x-api-key") for r in elsewhere.requests] == [None]
    assert followed.outcome is UP  # same host, another port: as before


def test_the_api_key_never_follows_a_redirect_to_another_name_for_the_same_server(
    http: httpx.Client, status_server: StatusServer
) -> None:
    """127.0.0.1 and localhost are one socket but two origins: the key is not sent again."""
    port = status_server.url.rsplit(":", 1)[1]
    status_server.set("/v1/models", redirect(f"http://localhost:{port}/v2/models", 307))
    status_server.set("/v2/models", API_200_MODELS)
    prober = Prober(
        http, settings_for(status_server.url, claude_ai=False), api_key_provider=lambda: SECRET
    )
    (result,) = prober.run()
    assert [r.path for r in status_server.requests] == ["/v1/models"]
    assert status_server.requests[0].headers["x-api-key"] == SECRET
    assert result.outcome is UNREACHABLE
    assert result.detail == "redirected to http://localhost (captive portal?)"


def test_the_api_key_never_follows_https_down_to_http(
    tls_ca: trustme.CA, https_server: StatusServer, status_server: StatusServer
) -> None:
    https_server.set("/v1/models", redirect(status_server.url_for("/v1/models"), 301))
    status_server.set("/v1/models", API_200_MODELS)
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    with build_client(5.0, verify=context) as client:
        prober = Prober(
            client, settings_for(https_server.url, claude_ai=False), api_key_provider=lambda: SECRET
        )
        (result,) = prober.run()
    assert status_server.requests == []
    assert result.outcome is UNREACHABLE
    assert result.detail == "redirected to http://127.0.0.1 (captive portal?)"


def test_the_api_key_is_never_sent_over_plain_http_to_another_machine(
    status_server: StatusServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A loopback HTTP proxy stands in for the way to a remote host: it sees what would leave."""
    status_server.set("/v1/models", API_401)
    monkeypatch.setenv("HTTP_PROXY", status_server.url)
    remote = "http://api.example.invalid"
    with build_client(5.0) as client:
        prober = Prober(
            client,
            settings_for(remote, claude_ai=False),
            api_key_provider=lambda: SECRET,
        )
        results = [prober.run()[0] for _ in range(3)]
    requests = status_server.requests_for("/v1/models")
    assert len(requests) == 3
    assert all("x-api-key" not in r.headers for r in requests)
    assert {r.outcome for r in results} == {UP}
    lines = [r.getMessage() for r in caplog.records]
    assert lines.count("not sending the API key over plain http to api.example.invalid") == 1
    assert (
        "the API probe's address http://api.example.invalid/v1/models uses plain http: anyone on "
        "the way can read or change its answers (use https)"
    ) in lines
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.anthropic.com/v1/models", True),
        ("http://127.0.0.1:8080/v1/models", True),
        ("http://localhost/v1/models", True),
        ("http://[::1]/v1/models", True),
        ("http://api.anthropic.com/v1/models", False),
        ("http://10.0.0.1/v1/models", False),
        ("ftp://127.0.0.1/", False),
    ],
)
def test_where_a_key_may_travel(url: str, ok: bool) -> None:
    assert key_may_travel_to(url) is ok


def test_failing_key_provider_probes_without_a_key(
    http: httpx.Client, status_server: StatusServer
) -> None:
    def broken() -> str | None:
        raise RuntimeError("keyring exploded")

    status_server.set("/v1/models", API_401)
    prober = Prober(http, settings_for(status_server.url, claude_ai=False), api_key_provider=broken)
    (result,) = prober.run()
    assert (result.outcome, result.detail) == (UP, "")
    assert "x-api-key" not in status_server.requests[0].headers


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (no OS keyring in CI)."""

    priority = 1.0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return backend


def test_key_round_trip_through_the_keyring(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert secrets.get_api_key() is None
    secrets.set_api_key(f"  {SECRET}\n")
    assert memory_keyring.store == {("claude-status-tray", "anthropic-api-key"): SECRET}
    assert secrets.get_api_key() == SECRET
    assert secrets.delete_api_key() is True
    assert secrets.delete_api_key() is False
    assert secrets.get_api_key() is None
    assert SECRET not in caplog.text


def test_env_wins_over_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set_api_key("from-keyring")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    assert secrets.get_api_key() == "from-env"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    assert secrets.get_api_key() == "from-keyring"


def test_the_keyring_is_not_asked_unless_a_key_was_stored_here(
    memory_keyring: MemoryKeyring,
) -> None:
    """Importing keyring costs ~19 MB: a user who never ran `api-key set` never pays it."""
    memory_keyring.store[("claude-status-tray", "anthropic-api-key")] = SECRET
    assert secrets.get_api_key() is None


def test_no_keyring_backend_means_no_key() -> None:
    # The autouse fixture selected keyring's "fail" backend: every call raises.
    assert secrets.get_api_key() is None
    with pytest.raises(secrets.KeyringUnavailable, match="cannot store"):
        secrets.set_api_key(SECRET)
    with pytest.raises(secrets.KeyringUnavailable, match="cannot delete"):
        secrets.delete_api_key()


def test_empty_key_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(secrets.KeyringUnavailable, match="empty"):
        secrets.set_api_key("  ")
    assert memory_keyring.store == {}


def test_a_key_with_invisible_characters_is_never_sent_nor_stored(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-first\ntest-key-second-half")
    assert secrets.get_api_key() is None
    assert "second-half" not in caplog.text
    with pytest.raises(secrets.KeyringUnavailable, match="invisible"):
        secrets.set_api_key("test-key-a\tb")
    assert memory_keyring.store == {}
