"""The tray rebuilds its menu only when what the menu shows changes, and a poll that changes
nothing the tray shows does not even wake the UI thread.

On StatusNotifierItem hosts every native menu rebuild is work for the panel (and with plain
libappindicator a re-registration), so a poll that changes nothing the menu shows, like the
time of the next check, must not rebuild it. Runs TrayUI on pystray's dummy backend in a
subprocess (``import pystray`` picks its backend once per process).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from tray_app.core.models import ComponentView, Health, MonitorSnapshot
from tray_app.platform.paths import AppPaths
from tray_app.sinks.menu import MenuPrefs
from tray_app.sinks.tray import TrayUI
from tray_app.sinks.tray_menu import TrayActions

noop = lambda *args: None
base = Path(sys.argv[1])
ui = TrayUI(TrayActions(*[noop] * 8), backend="dummy",
            app_paths=AppPaths(base / "c", base / "d", base / "s", base / "l"))
rebuilds = []
ui._icon._update_menu = lambda: rebuilds.append(1)  # the dummy backend has no native menu
ui._ready.set()  # as after setup(): show() then applies at once on this backend
kicks = []
kick = ui._kick
ui._kick = lambda: (kicks.append(1), kick())  # each one wakes the UI thread

checked = datetime.now(timezone.utc).replace(second=0, microsecond=0)

def snapshot(health, seconds):
    at = checked + timedelta(seconds=seconds)
    api = ComponentView("api", "Claude API", health, health, None, None)
    return MonitorSnapshot(health, "", (api,), (), last_checked=at,
                           next_check=at + timedelta(seconds=60 - seconds))

ui.show(snapshot(Health.OPERATIONAL, 0), MenuPrefs())
first, first_kicks = len(rebuilds), len(kicks)
for second in range(1, 20):  # polls that change nothing the menu shows
    ui.show(snapshot(Health.OPERATIONAL, second), MenuPrefs())
same, same_kicks = len(rebuilds), len(kicks)
ui.show(snapshot(Health.MAJOR_OUTAGE, 20), MenuPrefs())
print(first, same, len(rebuilds), first_kicks, same_kicks, len(kicks), ui._icon.title)
"""


def test_polls_that_change_nothing_shown_do_not_rebuild_the_menu(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PYSTRAY_BACKEND": "dummy", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    *counts, title = result.stdout.split(maxsplit=6)
    first, same, after_outage, first_kicks, same_kicks, after_kicks = map(int, counts)
    assert first == 1  # the first real state replaces the "starting" menu
    assert same == first  # 19 more polls within the minute: no rebuild
    assert after_outage == same + 1  # the outage changes the menu: one rebuild
    assert first_kicks == 1 and same_kicks == first_kicks  # ...and no wake-up of the UI thread
    assert after_kicks == same_kicks + 1
    assert "major outage" in title.lower()  # what the outage's wake-up brought
