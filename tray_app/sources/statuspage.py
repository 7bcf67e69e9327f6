"""Reading an Atlassian Statuspage v2 status page over HTTP into a PageSnapshot.

``StatusPageClient.fetch`` does the I/O: a conditional GET of ``<base_url>/api/v2/summary.json``
(If-None-Match with the last ETag, kept only when it can be sent back: visible ASCII; a 304
gives the last snapshot with a fresh ``fetched_at``). A challenge page (``cf-mitigated:
challenge``, or 403 HTML) or any HTML body is InvalidResponse; other non-200 answers are
HTTPStatusError carrying ``retry_after`` when the server sent one. Transport failures arrive
already translated by tray_app.sources.http; the document is read by
tray_app.sources.summary (``parse_summary``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import datetime

import httpx

from tray_app.core.clock import utc_now
from tray_app.core.errors import HTTPStatusError, InvalidResponse, NetworkError
from tray_app.core.models import PageSnapshot
from tray_app.sources.http import (
    DEFAULT_MAX_BYTES,
    FetchResult,
    captive_portal,
    fetch,
    parse_retry_after,
    plain_http_warning,
)
from tray_app.sources.summary import parse_summary

logger = logging.getLogger(__name__)

SUMMARY_PATH = "/api/v2/summary.json"
HTML_MESSAGE = "status page answered HTML, not JSON (captive portal or challenge page?)"


class StatusPageClient:
    """Reads one status page; remembers the last snapshot and its ETag for conditional GETs.

    A page of another format (tray_app.sources.google_cloud) changes ``PATH`` and ``_parse``.
    """

    PATH = SUMMARY_PATH

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._client = client
        self.url = base_url.rstrip("/") + self.PATH
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._clock = clock
        self._last: PageSnapshot | None = None
        warning = plain_http_warning(self.url, "the status page")
        if warning:
            logger.warning("%s", warning)

    @property
    def last(self) -> PageSnapshot | None:
        return self._last

    def fetch(self) -> PageSnapshot:
        """The current snapshot. Raises a SourceError subclass when there is no usable answer."""
        headers = {"Accept": "application/json"}
        if self._last is not None and self._last.etag:
            headers["If-None-Match"] = self._last.etag
        result = fetch(
            self._client,
            self.url,
            headers=headers,
            max_bytes=self._max_bytes,
            timeout=self._timeout,
        )
        now = self._clock()
        if result.status_code == 304 and self._last is not None:
            snapshot = dataclasses.replace(self._last, fetched_at=now)
        else:
            portal = captive_portal(result, self.url)
            if portal and (result.status_code == 511 or _is_html(result)):
                # our network answered in the page's place (a legitimate redirect, such as
                # status.anthropic.com -> status.claude.com, ends in JSON)
                raise NetworkError(f"status page: {portal}")
            if _is_challenge(result):
                raise InvalidResponse(HTML_MESSAGE)
            _check_status(result, now)
            if _is_html(result):
                raise InvalidResponse(HTML_MESSAGE)
            try:
                snapshot = self._parse(result, now)
            except InvalidResponse:
                raise
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                # a quirk the parser has not met yet: a bad answer, never a crash
                raise InvalidResponse(
                    f"status page JSON could not be read ({type(exc).__name__}: {exc})"
                ) from exc
        self._last = snapshot
        return snapshot

    def _parse(self, result: FetchResult, now: datetime) -> PageSnapshot:
        """The snapshot in a 200 answer that is not HTML. Raises InvalidResponse (or ValueError,
        TypeError...: ``fetch`` turns those into InvalidResponse)."""
        doc = _decode_json(result)
        return parse_summary(doc, now, etag=sendable_etag(result.headers.get("etag")))


def sendable_etag(value: str | None) -> str | None:
    """The ETag when it can go back in If-None-Match (visible ASCII); else None, so one odd
    ETag (legal: RFC 7232 allows other bytes) never breaks the next request."""
    if not value or not all("!" <= c <= "~" for c in value):
        return None
    return value


def _check_status(result: FetchResult, now: datetime) -> None:
    if result.status_code == 200:
        return
    retry_after = parse_retry_after(result.headers.get("retry-after"), now)
    reason = httpx.codes.get_reason_phrase(result.status_code) or "unexpected status"
    message = f"status page answered HTTP {result.status_code} {reason}"
    if retry_after is not None:
        message += f" (retry after {retry_after:.0f} s)"
    raise HTTPStatusError(message, status_code=result.status_code, retry_after=retry_after)


def _is_html(result: FetchResult) -> bool:
    if result.content_type in ("text/html", "application/xhtml+xml"):
        return True
    return result.body[:512].lstrip().startswith(b"<")


def _is_challenge(result: FetchResult) -> bool:
    """A bot-protection page (Cloudflare's "Just a moment...") in place of the JSON."""
    if result.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    return result.status_code == 403 and _is_html(result)


def _decode_json(result: FetchResult) -> object:
    try:
        return json.loads(result.body)
    except UnicodeDecodeError as exc:
        raise InvalidResponse(f"status page answered undecodable bytes: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidResponse(
            f"status page answered broken JSON (truncated?): {exc.msg} at byte {exc.pos}"
        ) from exc
    except RecursionError as exc:
        raise InvalidResponse("status page answered JSON nested too deeply") from exc


__all__ = ["SUMMARY_PATH", "StatusPageClient", "sendable_etag"]
