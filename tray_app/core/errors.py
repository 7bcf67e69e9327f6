"""One error hierarchy for the whole app.

    TrayAppError
    ├── ConfigError            a setting is missing, mistyped or out of range (names the key)
    │   └── ConfigSyntaxError  the file is not valid TOML (line and column)
    ├── SourceError            a status source could not give an answer
    │   ├── NetworkError       DNS or connection failure, or a connect timeout: may mean *we*
    │   │                      are offline
    │   ├── FetchTimeout       the read timed out
    │   ├── TLSError           certificate or handshake failure
    │   ├── HTTPStatusError    an unexpected HTTP status (carries retry_after when given)
    │   ├── TooManyRedirects   a redirect loop or a very long chain
    │   ├── BodyTooLarge       the response exceeded the size cap
    │   └── InvalidResponse    not JSON, truncated JSON, HTML, or JSON of the wrong shape
    ├── HistoryError           the history database could not be used
    ├── NotifyError            a notification backend failed (never fatal)
    ├── KeyringUnavailable     the OS keyring could not store or delete the API key
    ├── AutostartError         start at login could not be read or changed
    │   └── AutostartConflict  (autostart.py) a file we did not write is in the way
    ├── TrayUnavailable        no tray icon can be made here: run headless
    └── InstanceLockError      the single-instance lock file cannot be opened (a planted symlink)

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


class ConfigSyntaxError(ConfigError):
    """The text is not valid TOML; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, *, line: int | None, column: int | None) -> None:
        self.line = line
        self.column = column
        self.reason = message
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}")


class NetworkError(SourceError):
    """Name resolution or connection failed (or timed out) before any HTTP exchange."""


class FetchTimeout(SourceError):
    """The read timed out after the connection was made."""


class TooManyRedirects(SourceError):
    """The server kept redirecting (a redirect loop, or a very long chain)."""


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


class InternalReadError(SourceError):
    """Our own read failed, not the server: a bug in the client code. It says nothing about the
    service, so a probe never counts it as "down"."""


class HistoryError(TrayAppError):
    """The history database could not be opened or written."""


class NotifyError(TrayAppError):
    """A notification backend failed; callers log it and try the next one."""


class KeyringUnavailable(TrayAppError):
    """The OS keyring could not store or delete the key."""


class AutostartError(TrayAppError):
    """Start at login could not be read or changed."""


class TrayUnavailable(TrayAppError):
    """No tray icon can be made here; the app runs headless instead."""


class InstanceLockError(TrayAppError):
    """The single-instance lock file cannot be opened (not: another instance holds it)."""


__all__ = [
    "AutostartError",
    "BodyTooLarge",
    "ConfigError",
    "ConfigSyntaxError",
    "FetchTimeout",
    "HTTPStatusError",
    "HistoryError",
    "InstanceLockError",
    "InvalidResponse",
    "KeyringUnavailable",
    "NetworkError",
    "NotifyError",
    "SourceError",
    "TLSError",
    "TooManyRedirects",
    "TrayAppError",
    "TrayUnavailable",
]
