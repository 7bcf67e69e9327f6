"""Bytes on the wire per day when nothing changes, through byte-counting proxies in front of an
HTTPS loopback server."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.common import BYTES_PER_DAY, FIXTURE, MB, Report, Row
from tests.h2server import H2Server
from tests.statusserver import API_401, CLOUDFLARE_403, FIXTURES, SUMMARY_PATH, Route, StatusServer
from tray_app.sources.build import Sources


class CountingProxy:
    """A threaded TCP forwarder on 127.0.0.1 that counts payload bytes both ways."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.up = 0  # client -> server
        self.down = 0  # server -> client
        self.connections = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self.connections += 1
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upward: bool) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:  # counted before forwarding: the reader cannot be ahead of us
                    if upward:
                        self.up += len(data)
                    else:
                        self.down += len(data)
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def total(self) -> int:
        with self._lock:
            return self.up + self.down

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()


@contextlib.contextmanager
def tls_rig(
    page_route: Route, *, http2: bool = False
) -> Iterator[tuple[dict[str, CountingProxy], Callable[[], Sources]]]:
    """An HTTPS server (trustme CA, trusted through SSL_CERT_FILE) behind three counting
    proxies, one per origin (page, API, claude.ai), as the real app talks to three hosts.
    ``http2``: the server offers HTTP/2 by ALPN (tests/h2server.py), else HTTP/1.1 only
    (tests/statusserver.py)."""
    import trustme

    from tray_app.config.schema import ProbeSettings, Settings, StatusPageSettings
    from tray_app.sources.build import build_sources

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server: StatusServer | H2Server
    server = H2Server(context).start() if http2 else StatusServer(ssl_context=context).start()
    server.set(SUMMARY_PATH, page_route)
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)
    proxies = {name: CountingProxy(server.port) for name in ("page", "api", "web")}
    with tempfile.TemporaryDirectory(prefix="cst-bench-ca-") as tmp:
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        base = "https://127.0.0.1:{}"
        settings = Settings(
            status_page=StatusPageSettings(url=base.format(proxies["page"].port), timeout=5),
            probes=ProbeSettings(
                timeout=5,
                api_url=base.format(proxies["api"].port) + "/v1/models",
                claude_ai_url=base.format(proxies["web"].port) + "/",
            ),
        )
        saved = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(ca_file)
        try:
            yield proxies, lambda: build_sources(settings)
        finally:
            if saved is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = saved
            for proxy in proxies.values():
                proxy.close()
            server.stop()


@dataclasses.dataclass(frozen=True)
class WireFigures:
    """Bytes per request (both directions) for page / api / web."""

    reused: dict[str, float]  # on a kept-alive connection
    fresh: dict[str, float]  # on a new TLS connection each time (handshake + close included)
    connections_kept_run: int  # TCP connections opened in the kept-alive run (warm-up included)
    connections_fresh_run: int


def _settle() -> None:
    time.sleep(0.3)  # close_notify / FIN bytes still crossing the proxy


def _poll_run(
    sources: Sources, proxies: dict[str, CountingProxy], polls: int, *, fresh: bool = False
) -> dict[str, float]:
    """Bytes per request for each origin over ``polls`` polls, after one warm-up poll.
    ``fresh``: every connection is closed before each poll (HTTP/2 has no "Connection: close")."""
    assert sources.prober is not None  # probes are on in these settings
    sources.page.fetch()
    sources.prober.run()
    _settle()
    before = {name: p.total() for name, p in proxies.items()}
    for _ in range(polls):
        time.sleep(0.2)
        if fresh:
            sources.client._transport.close()  # the pool opens new connections afterwards
        sources.page.fetch()
        if fresh:
            sources.client._transport.close()
        sources.prober.run()
    _settle()
    return {name: (p.total() - before[name]) / polls for name, p in proxies.items()}


def measure_wire(page_route: Route, polls: int, *, http2: bool = False) -> WireFigures:
    with tls_rig(page_route, http2=http2) as (proxies, make_sources):
        sources = make_sources()  # one client for the whole run, like the app
        reused = _poll_run(sources, proxies, polls)
        conns = sum(p.connections for p in proxies.values())
        sources.close()
        _settle()
        # What it costs when the server drops idle connections before the next poll:
        # "Connection: close" (+19 bytes per request) makes every request a new TCP + TLS
        # connection, while the page client keeps its ETag.
        sources = make_sources()
        if not http2:
            sources.client.headers["Connection"] = "close"
        before_conns = sum(p.connections for p in proxies.values())
        fresh = _poll_run(sources, proxies, polls, fresh=http2)
        fresh_conns = sum(p.connections for p in proxies.values()) - before_conns
        sources.close()
    return WireFigures(reused, fresh, conns, fresh_conns)


def bench_bytes(quick: bool, work: Path) -> Report:
    polls = 10 if quick else 30
    body = (FIXTURES / FIXTURE).read_bytes()
    from tests.statusserver import json_body_route

    json_type = ("Content-Type", "application/json; charset=utf-8")
    with_etag = json_body_route(body)
    variants = {  # name: (the page's route, the server offers HTTP/2)
        "HTTP/2, ETag/304": (with_etag, True),
        "HTTP/1.1, ETag/304": (with_etag, False),
        "HTTP/1.1, no ETag": (Route(body=body, headers=(json_type,)), False),
        "HTTP/1.1, no ETag, gzip": (
            Route(body=gzip.compress(body), headers=(json_type, ("Content-Encoding", "gzip"))),
            False,
        ),
    }
    report = Report()
    per_day: dict[str, tuple[float, float, float, float]] = {}
    for name, (route, http2) in variants.items():
        wire = measure_wire(route, polls, http2=http2)
        probes_reused = wire.reused["api"] + wire.reused["web"]
        probes_fresh = wire.fresh["api"] + wire.fresh["web"]
        page_kept = 1440 * wire.reused["page"]
        page_fresh = 1440 * wire.fresh["page"]
        all_kept = page_kept + 2880 * probes_reused
        per_day[name] = (page_kept, all_kept, page_fresh, page_fresh + 2880 * probes_fresh)
        report.details.append(
            f"bytes {name}: per request kept-alive page {wire.reused['page']:.0f}, api "
            f"{wire.reused['api']:.0f}, claude.ai {wire.reused['web']:.0f}; new connection each "
            f"time page {wire.fresh['page']:.0f}, api {wire.fresh['api']:.0f}, claude.ai "
            f"{wire.fresh['web']:.0f} (TCP payload both ways, TLS included; "
            f"connections opened: {wire.connections_kept_run} kept-alive run, "
            f"{wire.connections_fresh_run} new-connection run, {polls} polls + 1 warm-up each)"
        )
    for name, (page_kept, all_kept, page_fresh, all_fresh) in per_day.items():
        cases = [
            ("page only, keep-alive held", page_kept),
            ("page + probes, keep-alive held", all_kept),
        ]
        if "ETag/304" in name:  # the app's real mode: also when the server drops idle connections
            cases += [
                ("page only, new TLS connection per poll", page_fresh),
                ("page + probes, new TLS connection per request", all_fresh),
            ]
        for label, value in cases:
            report.rows.append(
                Row(
                    f"Network per day, nothing changes, {name}, {label}",
                    f"{value / MB:.2f} MB",
                    "≤ 1 MB",
                    value <= BYTES_PER_DAY,
                    "1440 page reads" + (" + 2880 probe rounds" if "probes" in label else ""),
                )
            )
    report.details.append(
        f"bytes: {polls} polls per variant through byte-counting proxies in front of an HTTPS "
        "server (trustme CA via SSL_CERT_FILE; tests/statusserver.py for HTTP/1.1, "
        "tests/h2server.py for HTTP/2), serving the real capture "
        f"{FIXTURE} ({len(body)} bytes, gzip {len(gzip.compress(body))} bytes)"
    )
    return report
