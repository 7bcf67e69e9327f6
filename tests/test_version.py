"""One version everywhere: the package's literal, pyproject.toml, the installed metadata."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from tray_app import USER_AGENT, __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_versions_agree() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert __version__ == pyproject["project"]["version"]
    assert __version__ == metadata.version("claude-status-tray")
    assert f"claude-status-tray/{__version__}" == USER_AGENT
