"""A loopback HTTPS server that speaks HTTP/2 (ALPN "h2"), serving the same routes as
``tests.statusserver`` (``Route``: status, body, headers, strong ETag answered with 304).

Real sockets, real TLS (a trustme certificate), real HTTP/2 framing by the ``h2`` library; no
internet. Used by the tests that check the app's client negotiates HTTP/2, and by
scripts/benchmark.py to count what a day of polls costs on the wire over HTTP/2.
"""

from __future__ import annotations

import contextlib
import email.utils
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from tests.statusserver import RecordedRequest, Route, _etag_matches

_SERVER_HEADER = "BaseHTTP/0.6 Python"  # what the HTTP/1.1 StatusServer sends, for fair bytes


class H2Server:
    """``with H2Server(context) as server:`` — routes by path; ``url``; ``requests``;
    ``connections`` (TCP connections accepted)."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        ssl_context.set_alpn_protocols(["h2"])
        self._context = ssl_context
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.protocols: list[str | None] = []  # ALPN result per connection
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, name="h2-accept", daemon=True)

    def start(self) -> H2Server:
        self._thread.start()
        return self

    def __enter__(self) -> H2Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.protocols)

    def set(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[path] = route

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for_requests(self, path: str, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests_for(path)) < count:
            if time.monotonic() > deadline:
                seen = len(self.requests_for(path))
                raise TimeoutError(f"{path}: saw {seen} request(s), wanted {count} in {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    # ---- serving ----

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            sock = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self._lock:
            self._sockets.append(sock)
            self.protocols.append(sock.selected_alpn_protocol())
        if sock.selected_alpn_protocol() != "h2":
            sock.close()
            return
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        heads: dict[int, dict[str, str]] = {}
        with contextlib.suppress(OSError, h2.exceptions.ProtocolError):
            sock.sendall(conn.data_to_send())
            while data := sock.recv(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        heads[event.stream_id] = {str(k): str(v) for k, v in event.headers}
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        self._answer(conn, event.stream_id, heads.pop(event.stream_id, {}))
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        sock.sendall(conn.data_to_send())
                        return
                sock.sendall(conn.data_to_send())
        sock.close()

    def _answer(self, conn: h2.connection.H2Connection, stream: int, head: dict[str, str]) -> None:
        path = head.get(":path", "/").split("?", 1)[0]
        method = head.get(":method", "GET")
        headers = {k: v for k, v in head.items() if not k.startswith(":")}
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers, time.monotonic()))
            route = self._routes.get(path, Route(status=404, body=b"not found"))
        common = [("server", _SERVER_HEADER), ("date", email.utils.formatdate(usegmt=True))]
        inm = headers.get("if-none-match")
        if route.etag is not None and inm is not None and _etag_matches(inm, route.etag):
            conn.send_headers(
                stream, [(":status", "304"), *common, ("etag", route.etag)], end_stream=True
            )
            return
        response = [
            (":status", str(route.status)),
            *common,
            *((name.lower(), value) for name, value in route.headers),
            ("content-length", str(len(route.body))),
        ]
        body = b"" if method == "HEAD" else route.body
        conn.send_headers(stream, response, end_stream=not body)
        if body:
            conn.send_data(stream, body, end_stream=True)


@contextlib.contextmanager
def h2_server() -> Iterator[tuple[H2Server, str]]:
    """An HTTP/2 server with a fresh trustme CA; yields (server, path of the CA's PEM file)."""
    import tempfile

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with tempfile.TemporaryDirectory(prefix="cst-h2-") as tmp, H2Server(context) as server:
        ca_file = f"{tmp}/ca.pem"
        ca.cert_pem.write_to_path(ca_file)
        yield server, ca_file


__all__ = ["H2Server", "h2_server"]
