"""Claude Status Tray: Claude's health in the system tray."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("claude-status-tray")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_NAME = "claude-status-tray"
APP_TITLE = "Claude Status Tray"
USER_AGENT = f"{APP_NAME}/{__version__}"

__all__ = ["APP_NAME", "APP_TITLE", "USER_AGENT", "__version__"]
