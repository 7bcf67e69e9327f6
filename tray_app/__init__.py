"""Claude Status Tray: Claude's health in the system tray."""

from __future__ import annotations

# A literal, not importlib.metadata: that import alone costs ~30 ms, and `statusline` runs on
# every shell prompt. tests/test_version.py keeps it equal to pyproject.toml's version.
__version__ = "0.1.0"

APP_NAME = "claude-status-tray"
APP_TITLE = "Claude Status Tray"
USER_AGENT = f"{APP_NAME}/{__version__}"

__all__ = ["APP_NAME", "APP_TITLE", "USER_AGENT", "__version__"]
