"""Why something failed, in plain words for a person: "connection refused", not
"[Errno 111] Connection refused"; "no D-Bus session bus …", not "'DBUS_SESSION_BUS_ADDRESS'"."""

from __future__ import annotations

import re

_ERRNO = re.compile(r"^\s*\[Errno -?\d+\]\s*")
_KNOWN_KEYS = {
    "DBUS_SESSION_BUS_ADDRESS": "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
}
MAX_CHARS = 200


def plain_reason(exc: BaseException) -> str:
    """One line saying why ``exc`` happened, without Python's or the C library's decoration."""
    if isinstance(exc, KeyError) and exc.args:
        key = str(exc.args[0])
        return _KNOWN_KEYS.get(key, f"{key} is not set")
    strerror = exc.strerror if isinstance(exc, OSError) else None
    text = strerror or " ".join(str(exc).split())
    text = _ERRNO.sub("", text)
    if not text:
        return type(exc).__name__
    if text[0].isupper() and (len(text) == 1 or not text[1].isupper()):
        text = text[0].lower() + text[1:]  # "Connection refused" reads mid-sentence
    return text[:MAX_CHARS]


__all__ = ["plain_reason"]
