"""Where the app keeps its files, per platformdirs (so XDG_* variables isolate a run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tray_app import APP_NAME
from tray_app.platform.atomic import ensure_private_dir


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    state_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def state_file(self) -> Path:
        """Last seen state: dedupe across restarts and the source of ``statusline``."""
        return self.state_dir / "state.json"

    @property
    def alerts_file(self) -> Path:
        """What the notifier has already said (dedupe across restarts), and held alerts."""
        return self.state_dir / "alerts.json"

    @property
    def prefs_file(self) -> Path:
        return self.state_dir / "prefs.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{APP_NAME}.log"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "instance.lock"

    @classmethod
    def default(cls) -> AppPaths:
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            state_dir=default_state_dir(),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> None:
        """Create the app's folders (0700, and missing parents too, whatever the umask)."""
        for d in (self.config_dir, self.data_dir, self.state_dir, self.log_dir):
            ensure_private_dir(d)


def default_state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


__all__ = ["AppPaths", "default_state_dir"]
