"""One wall-clock deadline for a whole request: connect, TLS, headers and body.

httpx's timeouts apply to each socket operation, so a server sending its headers one byte every
two seconds holds a request for ever. ``enforce_deadlines(client)`` puts a thin layer under the
client's connections: every connect, read and write of the calling thread waits at most until
the deadline set with ``with deadline(seconds):``, and fails at once after it. The monitor runs
its jobs one at a time, so this is what keeps one slow source from stopping the others.

httpx has no public way to hand its connection pools a network backend; this reaches the
``_pool._network_backend`` attribute of each transport and says so (tests/test_http.py proves
it still works with the installed httpx).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every socket operation of this thread inside the block ends by now + ``seconds``;
    yields the deadline (time.monotonic())."""
    previous = getattr(_local, "at", None)
    at = time.monotonic() + seconds
    _local.at = at if previous is None else min(at, previous)
    try:
        yield _local.at
    finally:
        _local.at = previous


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:  # h11 hands over an empty write for a request's (empty) body and its end
            return
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's network backend so that every wait respects this thread's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def enforce_deadlines(client: httpx.Client) -> bool:
    """Put DeadlineBackend under every transport of ``client`` (the direct one and any proxy);
    True when all of them took it."""
    transports = [client._transport, *client._mounts.values()]
    ok = True
    for transport in transports:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, DeadlineBackend):
            continue
        if not isinstance(backend, httpcore.NetworkBackend):
            ok = False
            continue
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    if not ok:
        log.warning("this httpx cannot take a per-request deadline; slow servers are cut later")
    return ok


__all__ = ["DeadlineBackend", "deadline", "enforce_deadlines"]
