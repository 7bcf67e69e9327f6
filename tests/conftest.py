"""Shared fixtures. Every test is isolated from the real user's dirs, proxies and API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring.core
import pytest

from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer, summary_doc

# ---- isolation (autouse) ----

_SCRUBBED_ENV = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "ANTHROPIC_API_KEY",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point XDG dirs into tmp_path, drop proxy, CA and API-key variables, and make sure no
    test reads or writes the real OS keyring (the "fail" backend: every call raises)."""
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        folder = tmp_path / "xdg" / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))
    for name in _SCRUBBED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # re-detect from the env


# ---- loopback HTTP ----


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    """A started loopback StatusServer (http://127.0.0.1:PORT), stopped after the test."""
    with StatusServer() as server:
        yield server


@pytest.fixture
def claude(status_server: StatusServer) -> StatusServer:
    """The loopback status server answering as a healthy Claude: page, API front door, claude.ai."""
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    return status_server
