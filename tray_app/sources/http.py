"""The one HTTP client of the app, and the one place httpx errors become tray_app errors.

``build_client`` makes the shared ``httpx.Client`` (building one loads the CA bundle, ~20 ms of
CPU, so the app builds it once). ``fetch`` does a capped, streamed GET and translates every
httpx failure into the ``tray_app.core.errors`` family:

    DNS failure, refused, unreachable, connect timeout, proxy failure   -> NetworkError
    read / write / pool timeout                                        -> FetchTimeout
    certificate or handshake failure                                   -> TLSError
    more than MAX_REDIRECTS redirects (a loop)                         -> TooManyRedirects
    body past ``max_bytes``                                            -> BodyTooLarge
    undecodable content-encoding                                       -> InvalidResponse
    reset / disconnect mid-answer, bad URL, anything else from httpx   -> SourceError
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from tray_app import USER_AGENT
from tray_app.core.errors import (
    BodyTooLarge,
    FetchTimeout,
    InvalidResponse,
    NetworkError,
    SourceError,
    TLSError,
    TooManyRedirects,
)

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CAPTIVE = "captive portal?"
# httpx closes idle connections after 5 s by default; a 60 s poll should reuse its connection.
KEEPALIVE_EXPIRY = 120.0
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class FetchResult:
    status_code: int
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    url: str  # the final URL, after redirects
    elapsed_ms: float  # request sent -> whole body read
    redirected: bool = False

    @property
    def content_type(self) -> str:
        """The media type alone, lower case ("text/html"), or "" when absent."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def build_client(timeout: float, *, verify: bool | str | ssl.SSLContext = True) -> httpx.Client:
    """The app's shared client. ``verify`` may be a CA bundle file or directory path."""
    if isinstance(verify, str):
        verify = _context_for_ca(verify)
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(
            max_connections=10, max_keepalive_connections=5, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
        verify=verify,
        trust_env=True,
    )


def _context_for_ca(path: str) -> ssl.SSLContext:
    # httpx 0.28 deprecates verify=<path>; an SSLContext is the supported way.
    if Path(path).is_dir():
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


def fetch(
    client: httpx.Client,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float | None = None,
    method: str = "GET",
) -> FetchResult:
    """GET (or ``method``) ``url`` and read at most ``max_bytes`` of (decoded) body.
    Raises the SourceError family."""
    host = _host_of(url)
    request_timeout = httpx.Timeout(timeout) if timeout is not None else client.timeout
    started = time.perf_counter()
    try:
        with client.stream(method, url, headers=headers, timeout=request_timeout) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise BodyTooLarge(f"response larger than {format_size(max_bytes)} from {host}")
            total = timeout if timeout is not None else (client.timeout.read or 10.0)
            body = _read_capped(response, max_bytes, host, deadline=started + total)
            result = FetchResult(
                status_code=response.status_code,
                headers=_flatten(response.headers),
                body=body,
                url=str(response.url),
                elapsed_ms=(time.perf_counter() - started) * 1000.0,
                redirected=bool(response.history),
            )
    except SourceError:
        raise
    except Exception as exc:
        raise translate_error(exc, url) from exc
    logger.debug(
        "GET %s -> %d (%d bytes, %.0f ms)",
        _redact(url),
        result.status_code,
        len(result.body),
        result.elapsed_ms,
    )
    return result


def _read_capped(response: httpx.Response, max_bytes: int, host: str, *, deadline: float) -> bytes:
    """The body, at most ``max_bytes`` of it, by ``deadline`` (perf_counter): httpx's read
    timeout applies to each chunk, so a server dripping bytes just fast enough would otherwise
    hold the monitor forever."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"response larger than {format_size(max_bytes)} from {host}")
        if time.perf_counter() > deadline:
            raise FetchTimeout(f"{host} did not finish answering in time (slow drip)")
        chunks.append(chunk)
    return b"".join(chunks)


def captive_portal(result: FetchResult, requested_url: str | None) -> str:
    """Why this answer looks like our own network intercepting us, or ""."""
    if result.status_code == 511:
        return f"HTTP 511 Network Authentication Required ({CAPTIVE})"
    if result.redirected and requested_url is not None:
        wanted = httpx.URL(requested_url).host
        landed = httpx.URL(result.url).host
        if landed != wanted and not landed.endswith("." + wanted):
            return f"redirected to {landed} ({CAPTIVE})"
    return ""


def translate_error(exc: BaseException, url: str) -> SourceError:
    """Map an httpx (or lower) exception to the tray_app error it means. One-line messages."""
    host = _host_of(url)
    if isinstance(exc, httpx.TooManyRedirects):
        return TooManyRedirects(
            f"too many redirects (more than {MAX_REDIRECTS}) from {host}: redirect loop?"
        )
    ssl_error = _ssl_cause(exc)
    if ssl_error is not None:
        return TLSError(f"TLS failure talking to {host}: {_reason(ssl_error)}")
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"timed out connecting to {host}")
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeout(f"{host} did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.ProxyError):
        return NetworkError(f"proxy failed for {host}: {_reason(exc)}")
    if isinstance(exc, httpx.ConnectError):
        if _has_cause(exc, socket.gaierror):
            return NetworkError(f"cannot resolve host {host}: {_reason(exc)}")
        return NetworkError(f"cannot connect to {host}: {_reason(exc)}")
    if isinstance(exc, httpx.DecodingError):
        return InvalidResponse(f"{host} sent a body that cannot be decoded: {_reason(exc)}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return SourceError(f"connection to {host} broke mid-answer: {_reason(exc)}")
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return SourceError(f"cannot fetch {_redact(url)}: {_reason(exc)}")
    return SourceError(f"request to {host} failed: {type(exc).__name__}: {_reason(exc)}")


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    # httpcore re-raises SSL failures as ConnectError carrying only the message.
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text:
        return ssl.SSLError(text)
    return None


def _has_cause(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        current = current.__cause__ or current.__context__
    return "Name or service not known" in str(exc) or "nodename nor servname" in str(exc)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _host_of(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "the server"
    if not parsed.host:
        return "the server"
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


_USERINFO = re.compile(r"//[^/@]*@")


def _redact(url: str) -> str:
    """The URL without user:password and query string, safe to log."""
    return _USERINFO.sub("//", url).split("?", 1)[0]


def _flatten(headers: httpx.Headers) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat


def format_size(size: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad.

    A date in the past gives 0.0; ``now`` must be timezone-aware.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


__all__ = [
    "DEFAULT_MAX_BYTES",
    "KEEPALIVE_EXPIRY",
    "MAX_REDIRECTS",
    "FetchResult",
    "TooManyRedirects",
    "build_client",
    "fetch",
    "format_size",
    "parse_retry_after",
    "translate_error",
]
