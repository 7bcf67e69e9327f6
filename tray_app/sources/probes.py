"""Direct probes: can *this machine* reach Claude's front doors, and do they answer like healthy
services do? Each probe is one small GET (body capped at 256 KiB) with its own timeout.

How an answer is classified (ProbeOutcome):

API (settings.api_url, e.g. https://api.anthropic.com/v1/models)
    without a key: 401 JSON, error.type "authentication_error"   -> UP
    with a key (x-api-key + anthropic-version): 2xx JSON          -> UP
        (the key goes only over https or to this machine, and follows no redirect to another
        scheme, host or port: such a redirect is the "redirect to another host" below)
                   401 JSON                                       -> UP, "API key rejected"
    another 4xx in Anthropic's JSON error shape (e.g. 429)        -> UP, "HTTP 429 rate_limit_error"
    511, 2xx HTML, or a redirect to another host                  -> UNREACHABLE, "captive portal?"
        (something on *our* network answered in the API's place)
    529 overloaded_error, any other 5xx                           -> DOWN
    anything else (403 HTML, 404, non-JSON, too big, reset)       -> DOWN, reason in detail

claude.ai (settings.claude_ai_url)
    any answer below 500, incl. Cloudflare's 403 "Just a moment"  -> UP
    511, or a redirect to another host                            -> UNREACHABLE, "captive portal?"
    5xx                                                           -> DOWN

Failures before an answer (both targets)
    DNS / refused / connect timeout (NetworkError)                -> UNREACHABLE
    read timeout (FetchTimeout)                                   -> TIMEOUT
    certificate / handshake failure (TLSError)                    -> TLS_ERROR

``Prober.run`` never raises. Details never contain the API key.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from tray_app.config.schema import ProbeSettings
from tray_app.core.clock import utc_now
from tray_app.core.errors import (
    FetchTimeout,
    InternalReadError,
    NetworkError,
    SourceError,
    TLSError,
)
from tray_app.core.models import ProbeOutcome, ProbeResult
from tray_app.platform.secrets import get_api_key
from tray_app.sources.http import (
    CAPTIVE,
    FetchResult,
    captive_portal,
    fetch,
    is_loopback,
    plain_http_warning,
)

logger = logging.getLogger(__name__)

PROBE_MAX_BYTES = 256 * 1024
ANTHROPIC_VERSION = "2023-06-01"
API = "api"
CLAUDE_AI = "claude_ai"


class Prober:
    """Runs the enabled probes in turn; each result stands for one status-page component."""

    def __init__(
        self,
        client: httpx.Client,
        settings: ProbeSettings,
        *,
        api_key_provider: Callable[[], str | None] = get_api_key,
        clock: Callable[[], datetime] = utc_now,
        max_bytes: int = PROBE_MAX_BYTES,
    ) -> None:
        self._client = client
        self._settings = settings
        self._api_key_provider = api_key_provider
        self._clock = clock
        self._max_bytes = max_bytes
        self._warned_key_over_http = False
        if settings.enabled:
            for what, url, on in (
                ("the API probe's address", settings.api_url, settings.api),
                ("the claude.ai probe's address", settings.claude_ai_url, settings.claude_ai),
            ):
                warning = plain_http_warning(url, what) if on else None
                if warning:
                    logger.warning("%s", warning)

    def targets(self) -> list[tuple[str, str, Callable[[], ProbeResult]]]:
        """(target, component id, probe) for each enabled probe."""
        settings = self._settings
        if not settings.enabled:
            return []
        found: list[tuple[str, str, Callable[[], ProbeResult]]] = []
        if settings.api:
            found.append((API, settings.api_component, self.probe_api))
        if settings.claude_ai:
            found.append((CLAUDE_AI, settings.claude_ai_component, self.probe_claude_ai))
        return found

    def run(self) -> tuple[ProbeResult, ...]:
        """Each enabled probe in turn (the monitor's background rounds)."""
        return tuple(self._guarded(*target) for target in self.targets())

    def run_in_parallel(self, timeout: float) -> tuple[ProbeResult, ...]:
        """Every probe at once, each on its own thread, all within ``timeout`` seconds (a
        one-shot check); a probe not done by then is a TIMEOUT."""
        results: dict[str, ProbeResult] = {}
        threads = [
            threading.Thread(
                target=lambda t=t: results.__setitem__(t[0], self._guarded(*t)), daemon=True
            )
            for t in self.targets()
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return tuple(
            results.get(target)
            or ProbeResult(
                target,
                component_id,
                ProbeOutcome.TIMEOUT,
                self._clock(),
                detail=f"no answer within {timeout:g} s",
            )
            for target, component_id, _ in self.targets()
        )

    def probe_api(self) -> ProbeResult:
        """With a key, the key goes only where it was meant to: over https (or to this machine),
        and through no redirect to another scheme, host or port."""
        url = self._settings.api_url
        key = self._api_key()
        if key and not key_may_travel_to(url):
            if not self._warned_key_over_http:
                logger.warning("not sending the API key over plain http to %s", _host(url))
                self._warned_key_over_http = True
            key = None
        headers = {"Accept": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if key:
            headers["x-api-key"] = key
        return self._probe(
            API,
            self._settings.api_component,
            url,
            headers,
            lambda result, url: classify_api(result, has_key=bool(key), requested_url=url),
            same_origin_only=bool(key),
        )

    def probe_claude_ai(self) -> ProbeResult:
        """HEAD: the status code says all we need, and Cloudflare's challenge page is several KB
        that a GET would download every 30 s. A server that does not do HEAD gets a GET."""

        def attempt(method: str) -> ProbeResult:
            return self._probe(
                CLAUDE_AI,
                self._settings.claude_ai_component,
                self._settings.claude_ai_url,
                {"Accept": "text/html"},
                lambda result, url: classify_claude_ai(result, requested_url=url),
                method=method,
            )

        probe = attempt("HEAD")
        return attempt("GET") if probe.status_code in (405, 501) else probe

    def _api_key(self) -> str | None:
        try:
            return self._api_key_provider()
        except Exception as exc:
            logger.debug("API key provider failed (%s); probing without a key", type(exc).__name__)
            return None

    def _probe(
        self,
        target: str,
        component_id: str,
        url: str,
        headers: dict[str, str],
        classify: Callable[[FetchResult, str], tuple[ProbeOutcome, str]],
        *,
        method: str = "GET",
        same_origin_only: bool = False,
    ) -> ProbeResult:
        try:
            result = fetch(
                self._client,
                url,
                headers=headers,
                max_bytes=self._max_bytes,
                timeout=self._settings.timeout,
                method=method,
                same_origin_only=same_origin_only,
            )
        except SourceError as exc:
            outcome = outcome_for_error(exc)
            probe = ProbeResult(target, component_id, outcome, self._clock(), detail=str(exc))
        else:
            outcome, detail = classify(result, url)
            probe = ProbeResult(
                target,
                component_id,
                outcome,
                self._clock(),
                latency_ms=round(result.elapsed_ms, 1),
                status_code=result.status_code,
                detail=detail,
            )
        logger.debug(
            "probe %s: %s %s %s",
            target,
            probe.outcome.value,
            probe.status_code or "-",
            probe.detail,
        )
        return probe

    def _guarded(
        self, target: str, component_id: str, probe: Callable[[], ProbeResult]
    ) -> ProbeResult:
        try:
            return probe()
        except Exception as exc:  # a bug here must not stop the monitor, nor say "down"
            logger.exception("probe %s crashed", target)
            return ProbeResult(
                target,
                component_id,
                ProbeOutcome.UNREACHABLE,
                self._clock(),
                detail=f"probe failed: {type(exc).__name__} (not counted)",
            )


def key_may_travel_to(url: str) -> bool:
    """An API key may be sent to ``url``: https, or plain http to this machine only."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "https" or (scheme == "http" and is_loopback(url))


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the server"


def outcome_for_error(exc: SourceError) -> ProbeOutcome:
    if isinstance(exc, InternalReadError):  # says nothing about the service: not counted
        return ProbeOutcome.UNREACHABLE
    if isinstance(exc, NetworkError):
        return ProbeOutcome.UNREACHABLE
    if isinstance(exc, FetchTimeout):
        return ProbeOutcome.TIMEOUT
    if isinstance(exc, TLSError):
        return ProbeOutcome.TLS_ERROR
    return ProbeOutcome.DOWN  # oversized, broken mid-answer, redirect loop...


def classify_api(
    result: FetchResult, *, has_key: bool, requested_url: str | None = None
) -> tuple[ProbeOutcome, str]:
    """Classify an answer from the API front door (see the module docstring)."""
    code = result.status_code
    captive = captive_portal(result, requested_url)
    if captive:
        return ProbeOutcome.UNREACHABLE, captive
    error_type = _anthropic_error_type(result)
    if code >= 500:
        return ProbeOutcome.DOWN, f"HTTP {code} {error_type or _reason(code)}".strip()
    if result.content_type in ("text/html", "application/xhtml+xml") and 200 <= code < 300:
        return ProbeOutcome.UNREACHABLE, f"HTTP {code} HTML instead of JSON ({CAPTIVE})"
    if 200 <= code < 300 and _is_json(result):
        return ProbeOutcome.UP, ""
    if code == 401 and error_type is not None:
        if has_key:
            return ProbeOutcome.UP, "API key rejected"
        if error_type == "authentication_error":
            return ProbeOutcome.UP, ""
    if 400 <= code < 500 and error_type is not None:
        return ProbeOutcome.UP, f"HTTP {code} {error_type}"
    kind = result.content_type or "no content type"
    return ProbeOutcome.DOWN, f"unexpected answer: HTTP {code} {kind}"


def classify_claude_ai(
    result: FetchResult, *, requested_url: str | None = None
) -> tuple[ProbeOutcome, str]:
    """Classify an answer from claude.ai: anything below 500 means the front door is up."""
    code = result.status_code
    captive = captive_portal(result, requested_url)
    if captive:
        return ProbeOutcome.UNREACHABLE, captive
    if code >= 500:
        return ProbeOutcome.DOWN, f"HTTP {code} {_reason(code)}"
    if code == 403 and result.headers.get("cf-mitigated") == "challenge":
        return ProbeOutcome.UP, "Cloudflare challenge (the site is up)"
    return ProbeOutcome.UP, ""


def _anthropic_error_type(result: FetchResult) -> str | None:
    """error.type from Anthropic's {"type": "error", "error": {"type": ...}} body, else None."""
    if not _is_json(result):
        return None
    try:
        doc = json.loads(result.body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("type") != "error":
        return None
    error = doc.get("error")
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        return str(error["type"])
    return None


def _is_json(result: FetchResult) -> bool:
    return result.content_type == "application/json" or result.content_type.endswith("+json")


def _reason(code: int) -> str:
    return httpx.codes.get_reason_phrase(code)


__all__ = [
    "ANTHROPIC_VERSION",
    "PROBE_MAX_BYTES",
    "Prober",
    "classify_api",
    "classify_claude_ai",
    "key_may_travel_to",
    "outcome_for_error",
]
