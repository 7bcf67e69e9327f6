"""The Anthropic API key used by the direct API probe: environment first, then the OS keyring.

The key is never logged. ``keyring`` is imported lazily: it can be slow to load and, on a
headless machine, may have no usable backend at all (then we simply have no key).
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from tray_app import APP_NAME
from tray_app.core.errors import KeyringUnavailable
from tray_app.platform.atomic import write_atomic
from tray_app.platform.paths import default_state_dir

logger = logging.getLogger(__name__)

ENV_VAR = "ANTHROPIC_API_KEY"
KEYRING_SERVICE = APP_NAME  # "claude-status-tray"
KEYRING_USER = "anthropic-api-key"


def _usable(key: str) -> bool:
    """An HTTP header can carry only visible ASCII; anything else would end up in an error
    message (and so in a log) instead of in the request."""
    return bool(key) and all("!" <= ch <= "~" for ch in key)


def _stored_marker() -> Path:
    """Says "a key was stored with `api-key set`" (never the key itself). Looked at every probe
    round: the folder is worked out once per XDG_STATE_HOME and HOME, not four every round."""
    return _marker_under(os.environ.get("XDG_STATE_HOME"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=4)
def _marker_under(_xdg_state_home: str | None, _home: str | None) -> Path:
    # the arguments only key the cache: platformdirs reads the environment itself
    return default_state_dir() / "api-key-in-keyring"


def get_api_key() -> str | None:
    """The API key from $ANTHROPIC_API_KEY, else from the OS keyring, else None.

    The keyring is asked only after `claude-status-tray api-key set` stored a key: importing
    keyring costs ~19 MB and it would otherwise be loaded by every probe round for nothing.
    """
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        if _usable(from_env):
            return from_env
        logger.warning("%s has characters an API key cannot have; probing without a key", ENV_VAR)
        return None
    if not _stored_marker().exists():
        return None
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:  # any backend failure just means "no key"
        logger.debug("no API key from the OS keyring (%s)", type(exc).__name__)
        return None
    if isinstance(stored, str) and _usable(stored.strip()):
        return stored.strip()
    return None


def set_api_key(key: str) -> None:
    """Store ``key`` in the OS keyring. Raises KeyringUnavailable."""
    key = key.strip()
    if not key:
        raise KeyringUnavailable("refusing to store an empty API key")
    if not _usable(key):
        raise KeyringUnavailable("refusing to store a key with spaces or invisible characters")
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
    except Exception as exc:
        raise KeyringUnavailable(
            f"cannot store the API key in the OS keyring ({type(exc).__name__})"
        ) from None
    marker = _stored_marker()
    write_atomic(marker, b"stored with `claude-status-tray api-key set`\n")
    logger.info("API key stored in the OS keyring")


def delete_api_key() -> bool:
    """Remove the stored key. True if one was removed, False if there was none."""
    try:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
        except PasswordDeleteError:
            _stored_marker().unlink(missing_ok=True)
            return False
    except Exception as exc:
        raise KeyringUnavailable(
            f"cannot delete the API key from the OS keyring ({type(exc).__name__})"
        ) from None
    _stored_marker().unlink(missing_ok=True)
    logger.info("API key removed from the OS keyring")
    return True


__all__ = [
    "ENV_VAR",
    "KEYRING_SERVICE",
    "KEYRING_USER",
    "KeyringUnavailable",
    "delete_api_key",
    "get_api_key",
    "set_api_key",
]
