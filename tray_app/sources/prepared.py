"""Requests built once and sent again.

An unchanged poll sends exactly the request it sent last time (same method, address, headers
and timeout), and building one is about a seventh of its CPU in httpx (merging the client's
headers, cookies and URL). httpx's ``Client.send`` sends a request "as-is, unmodified", so one
made by ``Client.build_request`` may go again while nothing that build merged in has changed:
the client's headers are fixed when it is built (tray_app.sources.http.build_client), and its
cookies are written into each request as they stand, so a client holding cookies gets a newly
built request every time.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping

import httpx

MAX_KEPT = 32  # requests kept per client: the addresses it polls (a new ETag is a new request)

_Key = tuple[str, str, tuple[tuple[str, str], ...], float]
_kept: weakref.WeakKeyDictionary[httpx.Client, dict[_Key, httpx.Request]] = (
    weakref.WeakKeyDictionary()
)


def request_for(
    client: httpx.Client,
    method: str,
    address: str,
    url: httpx.URL,
    headers: Mapping[str, str],
    seconds: float,
) -> httpx.Request:
    """What ``client.build_request(method, url, headers=headers, timeout=seconds)`` returns
    (``address`` is ``url`` as a string)."""
    if client.cookies:
        return client.build_request(method, url, headers=headers, timeout=_timeout(seconds))
    key = (method, address, tuple(headers.items()), seconds)
    kept = _kept.get(client)
    if kept is None:
        kept = _kept.setdefault(client, {})
    request = kept.get(key)
    if request is None:
        if len(kept) >= MAX_KEPT:
            kept.clear()
        request = client.build_request(method, url, headers=headers, timeout=_timeout(seconds))
        kept[key] = request
    return request


@functools.lru_cache(maxsize=16)
def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds)


__all__ = ["MAX_KEPT", "request_for"]
