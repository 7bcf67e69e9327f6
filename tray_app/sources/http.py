"""The one HTTP client of the app, and the one place httpx errors become tray_app errors.

``build_client`` makes the shared ``httpx.Client`` (building one loads the CA bundle, ~20 ms of
CPU, so the app builds it once). ``fetch`` does a capped, streamed GET and translates every
httpx failure into the ``tray_app.core.errors`` family:

    DNS failure, refused, unreachable, connect timeout, proxy failure   -> NetworkError
    read / write / pool timeout                                        -> FetchTimeout
    certificate or handshake failure                                   -> TLSError
    no complete answer by the request's deadline (header or body drip) -> FetchTimeout
    more than MAX_REDIRECTS redirects (a loop)                         -> TooManyRedirects
    body past ``max_bytes`` (raw, or decoded: any layer)               -> BodyTooLarge
    undecodable or stacked-too-deep content-encoding                   -> InvalidResponse
    reset / disconnect mid-answer, bad URL, anything else from httpx   -> SourceError

One wall-clock deadline (``timeout``) covers connect, headers and body (tray_app.sources.deadline),
and the body is decoded here a bounded piece at a time (tray_app.sources.decoding), never by httpx.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tray_app import USER_AGENT
from tray_app.core.errors import (
    BodyTooLarge,
    FetchTimeout,
    InternalReadError,
    InvalidResponse,
    NetworkError,
    SourceError,
    TLSError,
    TooManyRedirects,
)
from tray_app.core.reasons import plain_reason
from tray_app.sources.deadline import deadline, enforce_deadlines
from tray_app.sources.decoding import ACCEPT_ENCODING, LayerTooLarge, UndecodableBody, decoded
from tray_app.sources.prepared import request_for
from tray_app.sources.trust import default_trust

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


def build_client(
    timeout: float, *, verify: bool | str | ssl.SSLContext | None = None
) -> httpx.Client:
    """The app's shared client. ``verify`` may be a CA bundle file or directory path; None:
    the system's authorities, loaded as needed (tray_app.sources.trust)."""
    if verify is None:
        verify = default_trust()
    elif isinstance(verify, str):
        verify = _context_for_ca(verify)
    client = httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        limits=httpx.Limits(
            max_connections=10, max_keepalive_connections=5, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
        verify=verify,
        trust_env=True,
        # when the server offers it: HPACK shrinks repeated headers to a few bytes
        http2=_http2_available(),
    )
    enforce_deadlines(client)
    _skip_cookieless_answers(client)
    return client


class _Cookies(httpx.Cookies):
    """httpx's cookie store, minus reading cookies out of an answer that sets none: httpx
    builds a urllib request for every answer to do it (an eighth of an unchanged poll's CPU).
    Only Set-Cookie counts (the stdlib's default policy ignores the obsolete Set-Cookie2)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def _skip_cookieless_answers(client: httpx.Client) -> None:
    """Give ``client`` the store above (``Client.cookies = ...`` would wrap it in a plain one,
    so the attribute behind it is set; tests/test_http.py proves cookies still work)."""
    if type(getattr(client, "_cookies", None)) is httpx.Cookies:
        client._cookies = _Cookies(client.cookies.jar)


def _http2_available() -> bool:
    """h2 (httpx[http2]) is installed; without it the app speaks HTTP/1.1 rather than fail."""
    try:
        import h2  # noqa: F401
    except ImportError:
        logger.debug("h2 is not installed: HTTP/1.1 only")
        return False
    return True


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
    same_origin_only: bool = False,
) -> FetchResult:
    """GET (or ``method``) ``url`` and read at most ``max_bytes`` of (decoded) body, all of it
    within ``timeout`` seconds of wall-clock time. ``same_origin_only``: follow no redirect to
    another scheme, host or port (for requests carrying a credential); such a redirect is
    returned as it came. Raises the SourceError family."""
    seconds = timeout if timeout is not None else (client.timeout.read or 10.0)
    sent = {"Accept-Encoding": ACCEPT_ENCODING, **(headers or {})}
    started = time.perf_counter()
    answered: list[bool] = []  # headers arrived: a timeout now is a slow body
    with deadline(seconds) as cutoff:
        try:
            result = _get(
                client, method, url, sent, max_bytes, seconds, same_origin_only, answered, started
            )
        except SourceError:
            raise
        except Exception as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            if timed_out and not isinstance(exc, httpx.ConnectTimeout) and _past(cutoff):
                why = "slow drip: not all" if answered else "nothing"
                raise FetchTimeout(
                    f"{_host_of(url)} did not answer in time ({why} within {seconds:g} s)"
                ) from exc
            raise translate_error(exc, url) from exc
    if logger.isEnabledFor(logging.DEBUG):  # an unchanged poll should not even format it
        logger.debug(
            "GET %s -> %d (%d bytes, %.0f ms)",
            _redact(url),
            result.status_code,
            len(result.body),
            result.elapsed_ms,
        )
    return result


def _past(cutoff: float) -> bool:
    return time.monotonic() >= cutoff - 0.05


def _get(
    client: httpx.Client,
    method: str,
    url: str,
    headers: Mapping[str, str],
    max_bytes: int,
    seconds: float,
    same_origin_only: bool,
    answered: list[bool],
    started: float,
) -> FetchResult:
    address, current, hops = url, _parsed_url(url), 0  # parsed once per address, not per request
    while True:
        request = request_for(client, method, address, current, headers, seconds)
        with contextlib.closing(
            client.send(request, stream=True, follow_redirects=not same_origin_only)
        ) as response:
            answered.append(True)
            target = _redirect_target(response) if same_origin_only else None
            if target is not None and _origin(target) == _origin(response.url):
                hops += 1
                if hops > MAX_REDIRECTS:
                    raise httpx.TooManyRedirects("too many redirects", request=response.request)
                address, current = str(target), target
                continue
            host = _host_of(address)
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise BodyTooLarge(f"response larger than {format_size(max_bytes)} from {host}")
            body = _read_capped(response, max_bytes, host)
            return FetchResult(
                status_code=response.status_code,
                headers=_flatten(response.headers),
                body=body,
                url=str(response.url),
                elapsed_ms=(time.perf_counter() - started) * 1000.0,
                redirected=bool(response.history) or hops > 0,
            )


def _redirect_target(response: httpx.Response) -> httpx.URL | None:
    location = response.headers.get("location")
    if not response.is_redirect or not location:
        return None
    try:
        return response.url.join(location)
    except Exception:
        return None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _read_capped(response: httpx.Response, max_bytes: int, host: str) -> bytes:
    """The decoded body, at most ``max_bytes`` of it (raw or after any decoding layer). The
    request's deadline (tray_app.sources.deadline) bounds the time every read may take."""
    too_large = f"response larger than {format_size(max_bytes)} from {host}"
    raw_size = 0

    def raw() -> Iterator[bytes]:
        nonlocal raw_size
        for chunk in response.iter_raw():
            raw_size += len(chunk)
            if raw_size > max_bytes:
                raise BodyTooLarge(too_large)
            yield chunk

    chunks: list[bytes] = []
    size = 0
    try:
        for piece in decoded(raw(), response.headers.get("content-encoding", ""), max_bytes):
            size += len(piece)
            if size > max_bytes:
                raise BodyTooLarge(too_large)
            chunks.append(piece)
    except LayerTooLarge as exc:
        raise BodyTooLarge(f"{too_large} (decompressed)") from exc
    except UndecodableBody as exc:
        raise InvalidResponse(f"{host} sent a body that cannot be decoded: {exc}") from exc
    return b"".join(chunks)


def captive_portal(result: FetchResult, requested_url: str | None) -> str:
    """Why this answer looks like our own network intercepting us, or ""."""
    if result.status_code == 511:
        return f"HTTP 511 Network Authentication Required ({CAPTIVE})"
    if 300 <= result.status_code < 400 and result.headers.get("location"):
        # a redirect to another origin, not followed (see fetch's same_origin_only)
        here = httpx.URL(result.url)
        try:
            there = here.join(result.headers["location"])
        except Exception:
            return f"redirected to an unreadable address ({CAPTIVE})"
        if _origin(there) != _origin(here):
            return f"redirected to {there.scheme}://{there.host} ({CAPTIVE})"
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
    if not isinstance(exc, httpx.HTTPError):  # not the transport's word: our own code failed
        return InternalReadError(
            f"reading {host} failed inside the app: {type(exc).__name__}: {_reason(exc)}"
        )
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
    return plain_reason(exc)


@functools.lru_cache(maxsize=64)
def _parsed_url(url: str) -> httpx.URL:
    """``url`` parsed as httpx parses it (raises httpx.InvalidURL); httpx.URL is immutable, and
    an app polls a handful of addresses, so each is parsed once."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=64)
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


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")


def plain_http_warning(url: str, what: str) -> str | None:
    """One line to log when ``url`` is plain http to another machine, else None."""
    if urlsplit(url).scheme.lower() != "http" or is_loopback(url):
        return None
    return (
        f"{what} {_redact(url)} uses plain http: anyone on the way can read or change its "
        "answers (use https)"
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad.

    A date in the past gives 0.0; ``now`` must be timezone-aware.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _ASCII_DIGITS.fullmatch(text):
        return float(text)
    if not text.isascii():
        return None  # "²" and other Unicode digits are not delta-seconds
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
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
    "is_loopback",
    "parse_retry_after",
    "plain_http_warning",
    "translate_error",
]
