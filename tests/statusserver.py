"""A scriptable loopback HTTP/1.1 server for the project's integration tests.

Every test that needs a status page or a probe target starts one of these on 127.0.0.1 port 0
(see the ``status_server`` fixture in tests/conftest.py) and scripts what each path answers::

    server.set_summary("anthropic_summary_2026-10-07.json")
    server.set("/v1/models", API_401)
    server.script("/flaky", [Route(status=503), Route(status=200, body=b"ok")])

Routes can hang (``delay``), drip a body slowly (``drip``), stream a huge body without holding it
in memory (``fill``) or reset the connection (``reset``). ``set_json``/``set_summary`` give the
body a strong ETag and the server answers 304 when If-None-Match matches.

Run by hand::

    python -m tests.statusserver --port 8765 --fixture anthropic_summary_2026-10-07.json
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tray_app.config.schema import DEFAULT_STATUS_PAGE

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUMMARY_PATH = "/api/v2/summary.json"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Route:
    """What the server answers on one path (for one request when scripted)."""

    status: int = 200
    body: bytes = b""
    headers: Headers = ()
    delay: float = 0.0  # seconds to wait before answering (hangs / timeouts)
    drip: float = 0.0  # seconds between body chunks (slow drip)
    reset: bool = False  # close the socket without answering (connection reset)
    etag: str | None = None  # strong ETag; a matching If-None-Match gets 304
    fill: int = 0  # extra filler bytes streamed after ``body`` (huge bodies, no memory)
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    chunk_size: int = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # lower-case keys
    at: float  # time.monotonic()
    query: str = ""
    peer_port: int = 0  # the client's source port: equal ports mean a reused connection


@dataclass(frozen=True)
class SentResponse:
    """What the server managed to send; ``complete`` is False when the client hung up early."""

    path: str
    status: int
    body_bytes: int
    complete: bool


@dataclass
class _Script:
    routes: list[Route]
    served: int = 0

    def next(self) -> Route:
        route = self.routes[min(self.served, len(self.routes) - 1)]
        self.served += 1
        return route


NOT_FOUND = Route(status=404, body=b"not found\n", headers=(("Content-Type", "text/plain"),))


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def json_route(doc: object, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Route:
    return json_body_route(json.dumps(doc).encode(), status, headers)


def json_body_route(
    body: bytes, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Route:
    """``body`` served byte for byte as JSON, with a strong ETag (a capture, or a cut of one)."""
    etag = strong_etag(body)
    all_headers = (("Content-Type", "application/json; charset=utf-8"), ("ETag", etag), *headers)
    return Route(status=status, body=body, headers=tuple(all_headers), etag=etag)


def redirect(location: str, status: int = 301) -> Route:
    return Route(status=status, headers=(("Location", location),))


class StatusServer:
    """A loopback HTTP/1.1 (or HTTPS, given ``ssl_context``) server in a daemon thread."""

    def __init__(self, *, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        self._port = port
        self._ssl_context = ssl_context
        self._routes: dict[str, _Script] = {}
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[RecordedRequest] = []
        self.responses: list[SentResponse] = []
        self.url = ""

    # ---- lifecycle ----

    def start(self) -> StatusServer:
        handler = _make_handler(self)
        httpd = _Server(("127.0.0.1", self._port), handler)
        if self._ssl_context is not None:
            # Handshake in the handler thread so a rejected certificate never blocks accept().
            httpd.socket = self._ssl_context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        scheme = "https" if self._ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StatusServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    # ---- scripting ----

    def set(self, path: str, route: Route) -> None:
        self.script(path, [route])

    def script(self, path: str, routes: Sequence[Route]) -> None:
        """Answer successive requests on ``path`` with ``routes`` in order; the last one repeats."""
        if not routes:
            raise ValueError("script() needs at least one route")
        with self._lock:
            self._routes[path] = _Script(list(routes))

    def set_json(
        self,
        path: str,
        doc: object,
        status: int = 200,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.set(path, json_route(doc, status, headers))

    def set_summary(self, doc_or_fixture_name: object | str) -> None:
        """Serve summary.json: a dict, or a file name in tests/fixtures/ (served verbatim)."""
        if isinstance(doc_or_fixture_name, str):
            self.set(SUMMARY_PATH, json_body_route((FIXTURES / doc_or_fixture_name).read_bytes()))
        else:
            self.set_json(SUMMARY_PATH, doc_or_fixture_name)

    def url_for(self, path: str) -> str:
        return self.url + path

    # ---- inspection ----

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for_requests(self, path: str, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while sum(1 for r in self.requests if r.path == path) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sum(1 for r in self.requests if r.path == path)
                    raise TimeoutError(
                        f"{path}: saw {seen} request(s), wanted {count} within {timeout} s"
                    )
                self._lock.wait(remaining)

    def wait_for_responses(
        self, path: str, count: int, timeout: float = 10.0
    ) -> list[SentResponse]:
        """Wait until ``count`` answers on ``path`` were sent (or abandoned); returns them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                done = [r for r in self.responses if r.path == path]
                if len(done) >= count:
                    return done
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{path}: {len(done)} response(s) sent, wanted {count}")
                self._lock.wait(remaining)

    # ---- used by the handler ----

    def _record(self, request: RecordedRequest) -> Route:
        with self._lock:
            self.requests.append(request)
            script = self._routes.get(request.path)
            route = script.next() if script is not None else NOT_FOUND
            self._lock.notify_all()
            return route

    def _sent(self, response: SentResponse) -> None:
        with self._lock:
            self.responses.append(response)
            self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up, failed TLS handshakes and resets are what the tests provoke.
        pass


def _make_handler(server: StatusServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else keep-alive requests wait ~40 ms for a delayed ACK
        server_version = "statusserver/1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(10)
                self.request.do_handshake()
            super().setup()

        def do_GET(self) -> None:
            self._answer()

        do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

        def _answer(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            recorded = RecordedRequest(
                method=self.command,
                path=split.path,
                query=split.query,
                headers={k.lower(): v for k, v in self.headers.items()},
                at=time.monotonic(),
                peer_port=int(self.client_address[1]),
            )
            route = server._record(recorded)
            if route.delay and server._stopping.wait(route.delay):
                self.close_connection = True
                return
            if route.reset:
                self._reset()
                return
            inm = recorded.headers.get("if-none-match")
            if route.etag is not None and inm is not None and _etag_matches(inm, route.etag):
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                server._sent(SentResponse(split.path, 304, 0, True))
                return
            self._send(split.path, route)

        def _send(self, path: str, route: Route) -> None:
            total = len(route.body) + route.fill
            self.send_response(route.status)
            for name, value in route.headers:
                self.send_header(name, value)
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(total))
            self.end_headers()
            if self.command == "HEAD":
                server._sent(SentResponse(path, route.status, 0, True))
                return
            sent = 0
            try:
                for chunk in _chunks(route.body, route.fill, route.chunk_size):
                    if route.drip and sent and server._stopping.wait(route.drip):
                        break
                    if route.chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                    sent += len(chunk)
                if route.chunked:
                    self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.close_connection = True
            server._sent(SentResponse(path, route.status, sent, sent == total))

        def _reset(self) -> None:
            # SO_LINGER 0 makes close() send an RST instead of a polite FIN.
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            server._sent(SentResponse(urlsplit(self.path).path, 0, 0, False))

    return Handler


def _chunks(body: bytes, fill: int, size: int) -> Iterable[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]
    block = b"x" * size
    while fill > 0:
        yield block[: min(size, fill)]
        fill -= size


def _etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return etag in candidates


# ---- canned probe answers ----

API_401 = Route(
    status=401,
    body=(
        b'{"type":"error","error":{"type":"authentication_error",'
        b'"message":"x-api-key header is required"}}'
    ),
    headers=(("content-type", "application/json"),),
)
API_200_MODELS = Route(
    status=200,
    body=b'{"data":[{"type":"model","id":"claude-x","display_name":"Claude X"}],"has_more":false}',
    headers=(("content-type", "application/json"),),
)
API_529_OVERLOADED = Route(
    status=529,
    body=b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    headers=(("content-type", "application/json"),),
)
CLOUDFLARE_403 = Route(
    status=403,
    body=(
        b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
        b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        b'<meta name="robots" content="noindex,nofollow"></head><body>'
        b'<div class="main-wrapper" role="main"><div class="main-content">'
        b"<noscript>Enable JavaScript and cookies to continue</noscript></div></div>"
        b"</body></html>"
    ),
    headers=(
        ("content-type", "text/html; charset=UTF-8"),
        ("cf-mitigated", "challenge"),
        ("server", "cloudflare"),
    ),
)
CAPTIVE_PORTAL_200 = Route(
    status=200,
    body=(
        b"<!DOCTYPE html><html><head><title>Welcome to Airport Wi-Fi</title></head><body>"
        b'<form method="post" action="/login"><p>Accept the terms to get online.</p>'
        b'<input type="checkbox" name="terms"><button type="submit">Connect</button>'
        b"</form></body></html>"
    ),
    headers=(("content-type", "text/html"),),
)


def service_unavailable(retry_after: str | None = "30") -> Route:
    headers: Headers = (("content-type", "text/html"),)
    if retry_after is not None:
        headers = (*headers, ("Retry-After", retry_after))
    return Route(
        status=503, body=b"<html><body>503 Service Unavailable</body></html>", headers=headers
    )


# ---- Statuspage v2 document builders ----

PAGE_ID = "tymt9n04zgry"
CLAUDE_COMPONENTS = {
    "rwppv331jlwc": "claude.ai",
    "0qbwn08sd68x": "Claude Console (platform.claude.com)",
    "k8w3r06qmzrp": "Claude API (api.anthropic.com)",
    "yyzkbfz2thpt": "Claude Code",
    "bpp5gb3hpjcl": "Claude Cowork",
    "0scnb50nvy53": "Claude for Government",
}
INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}
_T0 = "2026-10-07T12:00:00.000Z"


def component_doc(
    component_id: str, status: str = "operational", position: int = 1
) -> dict[str, Any]:
    name = CLAUDE_COMPONENTS.get(component_id, component_id)
    return {
        "created_at": "2023-07-11T17:52:24.275Z",
        "description": None,
        "group": False,
        "group_id": None,
        "id": component_id,
        "name": name,
        "only_show_if_degraded": False,
        "page_id": PAGE_ID,
        "position": position,
        "showcase": True,
        "start_date": "2023-07-11",
        "status": status,
        "updated_at": _T0,
    }


def incident_doc(
    id: str = "inc0000001",
    name: str = "Elevated errors on Claude API",
    status: str = "investigating",
    impact: str = "major",
    component_ids: Sequence[str] = ("k8w3r06qmzrp",),
    update_id: str | None = None,
    body: str = "We are investigating elevated errors.",
    *,
    created_at: str = _T0,
    updated_at: str | None = None,
    component_status: str = "major_outage",
) -> dict[str, Any]:
    """A Statuspage v2 incident with one update, shaped like status.claude.com's."""
    updated = updated_at or created_at
    resolved = status in ("resolved", "postmortem")
    return {
        "components": [component_doc(c, component_status) for c in component_ids],
        "created_at": created_at,
        "id": id,
        "impact": impact,
        "incident_updates": [
            {
                "affected_components": [
                    {
                        "code": c,
                        "name": CLAUDE_COMPONENTS.get(c, c),
                        "new_status": "operational" if resolved else component_status,
                        "old_status": "operational",
                    }
                    for c in component_ids
                ],
                "body": body,
                "created_at": updated,
                "custom_tweet": None,
                "deliver_notifications": True,
                "display_at": updated,
                "id": update_id or f"{id}-u1",
                "incident_id": id,
                "status": status,
                "tweet_id": None,
                "updated_at": updated,
            }
        ],
        "monitoring_at": updated if status == "monitoring" else None,
        "name": name,
        "page_id": PAGE_ID,
        "reminder_intervals": "[]",
        "resolved_at": updated if resolved else None,
        "shortlink": f"https://stspg.io/{id}",
        "started_at": created_at,
        "status": status,
        "updated_at": updated,
    }


def maintenance_doc(
    id: str = "mnt0000001",
    name: str = "Scheduled maintenance of the Claude API",
    status: str = "scheduled",
    component_ids: Sequence[str] = ("k8w3r06qmzrp",),
    scheduled_for: str = "2026-10-08T02:00:00.000Z",
    scheduled_until: str = "2026-10-08T03:00:00.000Z",
    body: str = "We will be performing scheduled maintenance.",
    update_id: str | None = None,
) -> dict[str, Any]:
    doc = incident_doc(
        id,
        name,
        status,
        "maintenance",
        component_ids,
        update_id,
        body,
        component_status="under_maintenance" if status == "in_progress" else "operational",
    )
    doc["scheduled_for"] = scheduled_for
    doc["scheduled_until"] = scheduled_until
    doc["scheduled_remind_prior"] = True
    doc["scheduled_auto_in_progress"] = True
    doc["scheduled_auto_completed"] = True
    return doc


def summary_doc(
    overall: str = "none",
    components: Mapping[str, str] | None = None,
    incidents: Sequence[Mapping[str, Any]] = (),
    maintenances: Sequence[Mapping[str, Any]] = (),
    *,
    description: str | None = None,
) -> dict[str, Any]:
    """A valid status.claude.com summary.json. ``components`` maps id -> status and overrides the
    default (all six operational); ids not on status.claude.com are added."""
    statuses = {cid: "operational" for cid in CLAUDE_COMPONENTS}
    statuses.update(components or {})
    return {
        "components": [
            component_doc(cid, status, position)
            for position, (cid, status) in enumerate(statuses.items(), start=1)
        ],
        "incidents": [copy.deepcopy(dict(i)) for i in incidents],
        "page": {
            "id": PAGE_ID,
            "name": "Claude",
            "time_zone": "Etc/UTC",
            "updated_at": _T0,
            "url": DEFAULT_STATUS_PAGE,  # the page's own address, as the real one reports
        },
        "scheduled_maintenances": [copy.deepcopy(dict(m)) for m in maintenances],
        "status": {
            "description": description or INDICATOR_DESCRIPTIONS.get(overall, overall),
            "indicator": overall,
        },
    }


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake status page on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--fixture",
        default="anthropic_summary_2026-10-07.json",
        help="file in tests/fixtures/ served as /api/v2/summary.json",
    )
    args = parser.parse_args(argv)
    server = StatusServer(port=args.port)
    server.set_summary(args.fixture)
    server.set("/v1/models", API_401)
    server.set("/", Route(body=b"<html><body>claude.ai</body></html>"))
    with server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "API_200_MODELS",
    "API_401",
    "API_529_OVERLOADED",
    "CAPTIVE_PORTAL_200",
    "CLAUDE_COMPONENTS",
    "CLOUDFLARE_403",
    "FIXTURES",
    "SUMMARY_PATH",
    "RecordedRequest",
    "Route",
    "SentResponse",
    "StatusServer",
    "component_doc",
    "incident_doc",
    "json_route",
    "load_fixture",
    "maintenance_doc",
    "redirect",
    "service_unavailable",
    "strong_etag",
    "summary_doc",
]
