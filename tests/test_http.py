"""sources.http: the shared client and fetch(), over real sockets to tests/statusserver.py."""

from __future__ import annotations

import gzip
import re
import socket
import ssl
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import trustme

from tests.faultrig import (
    GZIP_BOMB,
    RawServer,
    header_drip,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
)
from tests.statusserver import Route, StatusServer, redirect
from tray_app import USER_AGENT
from tray_app.core.errors import (
    BodyTooLarge,
    FetchTimeout,
    InternalReadError,
    InvalidResponse,
    NetworkError,
    SourceError,
    TLSError,
)
from tray_app.sources.http import (
    MAX_REDIRECTS,
    TooManyRedirects,
    build_client,
    fetch,
    format_size,
    parse_retry_after,
    translate_error,
)
from tray_app.sources.prepared import MAX_KEPT
from tray_app.sources.trust import default_trust

MiB = 1024 * 1024


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with build_client(5.0) as c:
        yield c


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the client ----


def test_client_sends_user_agent_and_reuses_the_connection(
    client: httpx.Client, status_server: StatusServer
) -> None:
    status_server.set("/a", Route(body=b"one"))
    first = fetch(client, status_server.url + "/a")
    second = fetch(client, status_server.url + "/a")
    assert (first.body, second.body) == (b"one", b"one")
    seen = status_server.requests_for("/a")
    assert seen[0].headers["user-agent"] == USER_AGENT
    assert seen[0].peer_port == seen[1].peer_port  # same keep-alive connection


def test_a_cookie_a_server_sets_is_sent_back_as_a_browser_would(
    client: httpx.Client, status_server: StatusServer
) -> None:
    """(A bot-protection cookie such as Cloudflare's __cf_bm.) The app skips reading cookies
    from answers that set none; answers that do still set them."""
    status_server.set("/plain", Route(body=b"no cookie here"))
    status_server.set("/sets", Route(body=b"x", headers=(("Set-Cookie", "__cf_bm=abc; Path=/"),)))
    fetch(client, status_server.url + "/plain")
    fetch(client, status_server.url + "/sets")
    fetch(client, status_server.url + "/plain")
    first, second = status_server.requests_for("/plain")
    assert "cookie" not in first.headers
    assert second.headers["cookie"] == "__cf_bm=abc"


def test_a_request_sent_again_carries_the_headers_of_this_call(
    client: httpx.Client, status_server: StatusServer
) -> None:
    """An unchanged poll re-sends the request it built last time; a new ETag, another
    address or more addresses than are kept never send a stale one."""
    status_server.set("/a", Route(body=b"a"))
    for etag in ('"1"', '"1"', '"2"', '"1"'):
        fetch(client, status_server.url + "/a", headers={"If-None-Match": etag})
    for n in range(MAX_KEPT + 2):
        fetch(client, status_server.url + f"/a?n={n}", headers={"If-None-Match": '"3"'})
    fetch(client, status_server.url + "/a", headers={"If-None-Match": '"1"'})
    sent = [(r.query, r.headers["if-none-match"]) for r in status_server.requests_for("/a")]
    assert sent[:4] == [("", '"1"'), ("", '"1"'), ("", '"2"'), ("", '"1"')]
    assert sent[4:-1] == [(f"n={n}", '"3"') for n in range(MAX_KEPT + 2)]
    assert sent[-1] == ("", '"1"')


def test_fetch_result_fields(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set(
        "/doc", Route(body=b"{}", headers=(("Content-Type", "application/json; charset=utf-8"),))
    )
    result = fetch(client, status_server.url + "/doc?x=1", headers={"X-Test": "yes"})
    assert result.status_code == 200
    assert result.body == b"{}"
    assert result.content_type == "application/json"
    assert result.headers["content-type"] == "application/json; charset=utf-8"
    assert result.url == status_server.url + "/doc?x=1"
    assert result.elapsed_ms > 0
    assert not result.redirected
    assert status_server.requests_for("/doc")[0].headers["x-test"] == "yes"


def test_redirects_are_followed(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/old", redirect("/new", 301))
    status_server.set("/new", Route(body=b"moved here"))
    result = fetch(client, status_server.url + "/old")
    assert result.body == b"moved here"
    assert result.url == status_server.url + "/new"
    assert result.redirected


def test_redirect_loop_is_a_clear_error(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/a", redirect("/b"))
    status_server.set("/b", redirect("/a"))
    with pytest.raises(TooManyRedirects, match="redirect loop") as caught:
        fetch(client, status_server.url + "/a")
    assert isinstance(caught.value, SourceError)
    assert len(status_server.requests) == MAX_REDIRECTS + 1


# ---- the body cap ----


def test_streamed_50_mb_body_stops_early(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/huge", Route(fill=50 * MiB, chunked=True))
    with pytest.raises(BodyTooLarge, match="response larger than 2 MiB"):
        fetch(client, status_server.url + "/huge", max_bytes=2 * MiB)
    (sent,) = status_server.wait_for_responses("/huge", 1)
    assert not sent.complete
    assert sent.body_bytes < 20 * MiB


def test_declared_length_over_the_cap_is_refused_before_reading(
    client: httpx.Client, status_server: StatusServer
) -> None:
    status_server.set("/big", Route(fill=3 * MiB))
    with pytest.raises(BodyTooLarge, match="larger than 2 MiB"):
        fetch(client, status_server.url + "/big", max_bytes=2 * MiB)


def test_body_exactly_at_the_cap_is_fine(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/edge", Route(fill=64 * 1024, chunked=True))
    assert len(fetch(client, status_server.url + "/edge", max_bytes=64 * 1024).body) == 64 * 1024


def test_slow_drip_within_the_timeout_is_read(
    client: httpx.Client, status_server: StatusServer
) -> None:
    status_server.set("/drip", Route(body=b"abcdef", chunk_size=2, drip=0.05))
    assert fetch(client, status_server.url + "/drip", timeout=5).body == b"abcdef"


def test_a_drip_that_never_ends_is_cut_off_at_the_timeout(
    client: httpx.Client, status_server: StatusServer
) -> None:
    """Each chunk comes within the read timeout, but the whole answer would take 20 s."""
    status_server.set("/trickle", Route(body=b"x" * 100, chunk_size=1, drip=0.2, chunked=True))
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="slow drip"):
        fetch(client, status_server.url + "/trickle", timeout=1.0)
    assert time.monotonic() - started < 10


def test_headers_dripped_a_byte_at_a_time_are_cut_off_at_the_deadline(
    client: httpx.Client,
) -> None:
    """httpx's read timeout is per read: a byte every 0.2 s never trips it. One deadline
    covers connect + headers + body."""
    with RawServer(header_drip(0.2)) as server:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match="did not answer in time"):
            fetch(client, server.url + "/", timeout=1.0)
        took = time.monotonic() - started
        # and the pooled connection is not left holding the next request up
        with pytest.raises(FetchTimeout):
            fetch(client, server.url + "/", timeout=1.0)
    assert took < 6, took  # 1 s deadline; unbounded before


def test_the_deadline_holds_through_a_proxy_too(
    status_server: StatusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RawServer(header_drip(0.2)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with build_client(5.0) as proxied:
            started = time.monotonic()
            with pytest.raises(FetchTimeout):
                fetch(proxied, "http://status.example.invalid/api", timeout=1.0)
    assert time.monotonic() - started < 6
    assert proxy.connections == 1


# ---- content encodings: decoded here, bounded ----


def _encoded(path: str, body: bytes, encoding: str) -> Route:
    return Route(body=body, headers=(("Content-Encoding", encoding),))


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        pytest.param("gzip", gzip.compress, id="gzip"),
        pytest.param("x-gzip", gzip.compress, id="x-gzip"),
        pytest.param("deflate", zlib.compress, id="deflate-zlib"),
        pytest.param("deflate", lambda b: zlib.compress(b, wbits=-15), id="deflate-raw"),
        pytest.param("gzip, gzip", lambda b: gzip.compress(gzip.compress(b)), id="gzip-gzip"),
        pytest.param(
            "deflate, gzip", lambda b: gzip.compress(zlib.compress(b)), id="deflate-then-gzip"
        ),
        pytest.param("identity", lambda b: b, id="identity"),
        pytest.param(
            "gzip", lambda b: gzip.compress(b[:5000]) + gzip.compress(b[5000:]), id="two-members"
        ),
    ],
)
def test_encoded_bodies_are_decoded(
    client: httpx.Client,
    status_server: StatusServer,
    encoding: str,
    pack: Callable[[bytes], bytes],
) -> None:
    body = b'{"status": "ok", "n": [' + b",".join(b"%d" % n for n in range(50_000)) + b"]}"
    status_server.set("/enc", _encoded("/enc", pack(body), encoding))
    result = fetch(client, status_server.url + "/enc")
    assert result.body == body
    (request,) = status_server.requests
    assert request.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("encoding", "body", "words"),
    [
        pytest.param("br", b"\x0b\x02\x80ok\x03", "unsupported content-encoding 'br'", id="br"),
        pytest.param("gzip", b"not gzip at all", "corrupt gzip data", id="corrupt"),
        pytest.param(
            "gzip, gzip, gzip, gzip", b"x", "4 stacked content-encodings", id="four-layers"
        ),
    ],
)
def test_undecodable_bodies_are_invalid_responses(
    client: httpx.Client, status_server: StatusServer, encoding: str, body: bytes, words: str
) -> None:
    status_server.set("/enc", _encoded("/enc", body, encoding))
    with pytest.raises(InvalidResponse, match="cannot be decoded") as caught:
        fetch(client, status_server.url + "/enc")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("packed", "encoding"),
    [
        pytest.param("", "gzip", id="gzip-100MiB"),
        pytest.param("gzip.gzip", "gzip, gzip", id="gzip-gzip-1GiB"),
        pytest.param("deflate.deflate", "deflate, deflate", id="deflate-deflate-1GiB"),
        pytest.param("rawdeflate.rawdeflate", "deflate, deflate", id="raw-deflate-deflate-1GiB"),
        pytest.param("gzip.deflate", "gzip, deflate", id="gzip-deflate-1GiB"),
    ],
)
def test_a_decompression_bomb_stops_at_the_cap_without_the_memory(
    client: httpx.Client, status_server: StatusServer, packed: str, encoding: str
) -> None:
    if packed:  # about 1.8 KB on the wire, 1 GiB unpacked (tests/fixtures/PROVENANCE.md)
        body = (GZIP_BOMB.parent / f"bomb_1GiB_zeros.{packed}").read_bytes()
    else:
        body = gzip.compress(bytes(100 * MiB), 1)
    status_server.set("/bomb", _encoded("/bomb", body, encoding))
    before = rss_bytes()
    reset_peak_rss()
    with pytest.raises(BodyTooLarge, match=r"response larger than 2 MiB from 127\.0\.0\.1"):
        fetch(client, status_server.url + "/bomb", max_bytes=2 * MiB)
    growth = peak_rss_bytes() - before
    assert growth < 16 * MiB, f"peak RSS grew {growth / MiB:.1f} MiB"  # httpx: 2.1 GB


# ---- failures over real sockets ----


def test_connection_refused_is_network_error(client: httpx.Client) -> None:
    port = closed_port()
    with pytest.raises(NetworkError, match=re.escape(f"cannot connect to 127.0.0.1:{port}")):
        fetch(client, f"http://127.0.0.1:{port}/")


def test_hang_is_fetch_timeout(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/hang", Route(delay=30))
    with pytest.raises(FetchTimeout, match="did not answer in time"):
        fetch(client, status_server.url + "/hang", timeout=0.5)


def test_reset_is_source_error(client: httpx.Client, status_server: StatusServer) -> None:
    status_server.set("/reset", Route(reset=True))
    with pytest.raises(SourceError, match="broke mid-answer") as caught:
        fetch(client, status_server.url + "/reset")
    assert type(caught.value) is SourceError


def test_unsupported_scheme_is_source_error(client: httpx.Client) -> None:
    with pytest.raises(SourceError, match="cannot fetch"):
        fetch(client, "ftp://127.0.0.1/x")


# ---- TLS with a throwaway CA ----


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(tls_ca: trustme.CA) -> Iterator[StatusServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    with StatusServer(ssl_context=context) as server:
        server.set("/ok", Route(body=b"secure"))
        yield server


def test_untrusted_certificate_is_tls_error(https_server: StatusServer) -> None:
    with build_client(5.0) as client, pytest.raises(TLSError, match=r"127\.0\.0\.1"):
        fetch(client, https_server.url + "/ok")


def test_trusted_ca_context_works(tls_ca: trustme.CA, https_server: StatusServer) -> None:
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    with build_client(5.0, verify=context) as client:
        assert fetch(client, https_server.url + "/ok").body == b"secure"


def test_trusted_ca_file_path_works(
    tls_ca: trustme.CA, https_server: StatusServer, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    with build_client(5.0, verify=str(bundle)) as client:
        assert fetch(client, https_server.url + "/ok").body == b"secure"


def _ssl_context_of(client: httpx.Client) -> ssl.SSLContext:
    context = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


def test_the_apps_client_reads_no_authority_before_a_chain_needs_one() -> None:
    """The system's hashed folder, not certifi's 150-certificate bundle parsed at start (1.7 MB
    an always-running tray would keep)."""
    assert default_trust() is not True, "no hashed CA folder: is ca-certificates installed?"
    with build_client(5.0) as client:
        assert _ssl_context_of(client).cert_store_stats()["x509_ca"] == 0


def test_a_hashed_authority_folder_is_read_when_a_chain_needs_it(
    tls_ca: trustme.CA, https_server: StatusServer, tmp_path: Path
) -> None:
    folder = tmp_path / "certs"
    folder.mkdir()
    tls_ca.cert_pem.write_to_path(str(folder / "test-ca.pem"))
    subprocess.run(["openssl", "rehash", str(folder)], check=True)  # c_rehash's layout
    verify = default_trust(capath=str(folder))
    assert isinstance(verify, ssl.SSLContext)
    with build_client(5.0, verify=verify) as client:
        assert _ssl_context_of(client).cert_store_stats()["x509_ca"] == 0
        assert fetch(client, https_server.url + "/ok").body == b"secure"
        assert _ssl_context_of(client).cert_store_stats()["x509_ca"] == 1


def test_the_users_certificate_settings_and_odd_systems_keep_httpxs_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_trust(capath=str(tmp_path)) is True  # not a hashed folder
    assert default_trust(capath=str(tmp_path / "missing")) is True
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "corporate.pem"))
    assert default_trust() is True  # httpx reads SSL_CERT_FILE itself


# ---- translation table (errors we cannot provoke on loopback: DNS, connect timeout) ----


def _chained(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "expected", "words"),
    [
        pytest.param(
            _chained(httpx.ConnectError("lookup failed"), socket.gaierror(-2, "Name unknown")),
            NetworkError,
            "cannot resolve host status.example",
            id="dns",
        ),
        pytest.param(
            httpx.ConnectTimeout("timed out"),
            NetworkError,
            "timed out connecting to status.example",
            id="connect-timeout",
        ),
        pytest.param(httpx.ReadTimeout("t"), FetchTimeout, "did not answer", id="read-timeout"),
        pytest.param(httpx.WriteTimeout("t"), FetchTimeout, "did not answer", id="write-timeout"),
        pytest.param(httpx.PoolTimeout("t"), FetchTimeout, "did not answer", id="pool-timeout"),
        pytest.param(
            _chained(httpx.ConnectError("x"), ssl.SSLError(1, "[SSL] handshake failure")),
            TLSError,
            "TLS failure talking to status.example",
            id="ssl-cause",
        ),
        pytest.param(
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            TLSError,
            "CERTIFICATE_VERIFY_FAILED",
            id="ssl-message",
        ),
        pytest.param(httpx.ProxyError("407"), NetworkError, "proxy failed", id="proxy"),
        pytest.param(
            httpx.TooManyRedirects("Exceeded"), TooManyRedirects, "redirect loop", id="redirects"
        ),
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected"),
            SourceError,
            "broke mid-answer",
            id="disconnect",
        ),
        pytest.param(httpx.ReadError("reset by peer"), SourceError, "broke mid-answer", id="read"),
        pytest.param(
            httpx.DecodingError("bad gzip"), InvalidResponse, "cannot be decoded", id="decoding"
        ),
        pytest.param(httpx.LocalProtocolError("weird"), SourceError, "weird", id="other"),
        pytest.param(
            RuntimeError("weird"), InternalReadError, "inside the app: RuntimeError", id="our-bug"
        ),
    ],
)
def test_translate_error(exc: Exception, expected: type[SourceError], words: str) -> None:
    translated = translate_error(exc, "https://status.example/api/v2/summary.json?token=1")
    assert type(translated) is expected
    assert words in str(translated)
    assert "\n" not in str(translated)
    assert "token" not in str(translated)


# ---- small helpers ----

NOW = datetime(2026, 10, 7, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("120", 120.0, id="seconds"),
        pytest.param(" 0 ", 0.0, id="zero"),
        pytest.param("Wed, 07 Oct 2026 12:01:30 GMT", 90.0, id="http-date"),
        pytest.param("Wed, 07 Oct 2026 11:00:00 GMT", 0.0, id="date-in-the-past"),
        pytest.param("-5", None, id="negative"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("1.5", None, id="fractional-not-allowed"),
        pytest.param("\u00b2", None, id="unicode-superscript-two"),
        pytest.param("\u0661\u0662", None, id="arabic-indic-digits"),
        pytest.param("\uff11\uff12", None, id="fullwidth-digits"),
        pytest.param("9" * 40, None, id="absurdly-long"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [(2 * MiB, "2 MiB"), (256 * 1024, "256 KiB"), (1000, "1000 bytes"), (MiB + 1, "1048577 bytes")],
    ids=["mib", "kib", "bytes", "odd"],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_statusserver_runs_as_a_module() -> None:
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.statusserver", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with build_client(5.0) as client:
            result = fetch(client, url + "/api/v2/summary.json")
        assert result.status_code == 200 and b'"Claude"' in result.body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_without_h2_installed_the_client_speaks_http_1_1(status_server: StatusServer) -> None:
    """httpx[http2] is a dependency, but an install without h2 (a distro package, stale
    metadata) must still start: Client(http2=True) would raise ImportError."""
    status_server.set("/ok", Route(body=b"fine"))
    child = (
        "import sys\n"
        "sys.modules['h2'] = None  # import h2 -> ImportError\n"
        "from tray_app.sources.http import build_client, fetch\n"
        "print(fetch(build_client(5.0), sys.argv[1]).body.decode())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child, status_server.url + "/ok"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "fine\n"
