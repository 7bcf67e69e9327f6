"""The app's shared client speaks HTTP/2 to a server that offers it (real TLS and HTTP/2 framing
on 127.0.0.1, tests/h2server.py): the page and both probes work, the page's ETag still gets a
304, and one connection per host carries every poll."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.h2server import H2Server, h2_server
from tests.statusserver import (
    API_401,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    json_route,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, ProbeSettings, Settings, StatusPageSettings
from tray_app.core.models import Health, ProbeOutcome
from tray_app.sources.build import build_sources


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[H2Server]:
    with h2_server() as (h2, ca_file):
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        h2.set("/v1/models", API_401)
        h2.set("/", CLOUDFLARE_403)
        yield h2


def test_page_and_probes_over_http2_on_one_connection_with_the_etag_kept(
    server: H2Server,
) -> None:
    server.set(SUMMARY_PATH, json_route(summary_doc()))
    settings = Settings(
        status_page=StatusPageSettings(url=server.url, timeout=5),
        probes=ProbeSettings(
            timeout=5, api_url=f"{server.url}/v1/models", claude_ai_url=f"{server.url}/"
        ),
    )
    sources = build_sources(settings)
    assert sources.prober is not None
    try:
        for _ in range(3):
            page = sources.page.fetch()
            results = sources.prober.run()
            assert page.indicator == "none"
            assert [r.outcome for r in results] == [ProbeOutcome.UP, ProbeOutcome.UP]
        server.set(
            SUMMARY_PATH, json_route(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        )
        changed = sources.page.fetch()
        assert changed.component(API_COMPONENT).health is Health.MAJOR_OUTAGE  # type: ignore[union-attr]
    finally:
        sources.close()
    assert server.protocols == ["h2"]  # one connection, HTTP/2, for all 13 requests
    page_reads = server.requests_for(SUMMARY_PATH)
    assert len(page_reads) == 4
    assert all("if-none-match" in r.headers for r in page_reads[1:])  # answered 304, then 200
