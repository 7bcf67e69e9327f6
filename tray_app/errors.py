"""One error hierarchy for the whole app.

    TrayAppError
    ├── ConfigError            a setting is missing, mistyped or out of range (names the key)
    ├── SourceError            a status source could not give an answer
    │   ├── NetworkError       DNS or connection failure: may mean *we* are offline
    │   ├── FetchTimeout       connect or read timed out
    │   ├── TLSError           certificate or handshake failure
    │   ├── HTTPStatusError    an unexpected HTTP status (carries retry_after when given)
    │   ├── BodyTooLarge       the response exceeded the size cap
    │   └── InvalidResponse    not JSON, truncated JSON, HTML, or JSON of the wrong shape
    ├── HistoryError           the history database could not be used
    └── NotifyError            a notification backend failed (never fatal)

Lower-layer errors (httpx, sqlite3, OSError) are translated into these at the I/O edge
with ``raise ... from exc`` so the rest of the app catches one family.
"""

from __future__ import annotations


class TrayAppError(Exception):
    """Base of every error this app raises on purpose."""


class ConfigError(TrayAppError):
    """A configuration problem; ``key`` is the dotted path of the offending setting."""

    def __init__(self, message: str, *, key: str | None = None, value: object = None) -> None:
        self.key = key
        self.value = value
        super().__init__(f"{key}: {message}" if key else message)


class SourceError(TrayAppError):
    """A status source (status page or probe) gave no usable answer."""


class NetworkError(SourceError):
    """Name resolution or connection failed before any HTTP exchange."""


class FetchTimeout(SourceError):
    """The connect or read timed out."""


class TLSError(SourceError):
    """The TLS handshake or certificate check failed."""


class HTTPStatusError(SourceError):
    """The server answered with a status we cannot use."""

    def __init__(self, message: str, *, status_code: int, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.retry_after = retry_after
        super().__init__(message)


class BodyTooLarge(SourceError):
    """The response body exceeded the configured cap."""


class InvalidResponse(SourceError):
    """The body was not the JSON document we expected."""


class HistoryError(TrayAppError):
    """The history database could not be opened or written."""


class NotifyError(TrayAppError):
    """A notification backend failed; callers log it and try the next one."""


__all__ = [
    "BodyTooLarge",
    "ConfigError",
    "FetchTimeout",
    "HTTPStatusError",
    "HistoryError",
    "InvalidResponse",
    "NetworkError",
    "NotifyError",
    "SourceError",
    "TLSError",
    "TrayAppError",
]
