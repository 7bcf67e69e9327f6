"""Which certificate authorities the app's client trusts, loaded as they are needed.

httpx's default parses certifi's whole bundle (about 150 certificates) into the TLS context at
start: 1.7 MB that an always-running tray keeps for a status page and two probes, which need
one or two of them. Where the system keeps its authorities in a hashed folder (``c_rehash``
layout: /etc/ssl/certs on Debian, Ubuntu, Fedora, Arch...), the context reads that folder
instead, and OpenSSL loads a certificate only when a chain needs it. Everything else keeps
httpx's default: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` set by the user (httpx honours them),
macOS, Windows, and systems without such a folder.
"""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path

_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def default_trust(capath: str | None = None) -> bool | ssl.SSLContext:
    """``verify`` for httpx: a context over the system's hashed folder (or ``capath``), or
    True (httpx's own default) when there is none or the user chose one by environment."""
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return True
    folder = capath if capath is not None else ssl.get_default_verify_paths().capath
    if not folder or not _is_hashed_folder(Path(folder)):
        return True
    return ssl.create_default_context(capath=folder)


def _is_hashed_folder(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(_HASHED_NAME.fullmatch(entry.name) for entry in entries)
    except OSError:
        return False


__all__ = ["default_trust"]
