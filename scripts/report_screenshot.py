"""Make docs/screenshots/report.png: a report over a generated 90-day history, in headless Chromium.

    .venv/bin/python scripts/report_screenshot.py [OUTPUT.png]

The history is tests/report_history.py's (seeded: the same picture every time); the report is
the real ``write_report``; Chromium (Debian's package) renders the file: URL offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.report_history import generate_history  # noqa: E402
from tray_app.report.command import write_report  # noqa: E402

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "report.png"
    with tempfile.TemporaryDirectory(prefix="cst-report-") as tmp:
        folder = Path(tmp)
        generate_history(folder / "history.sqlite3", now=NOW, days=90, services=6)
        page = write_report(folder / "history.sqlite3", folder / "report.html", now=NOW)
        subprocess.run(
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={folder / 'profile'}",
                "--window-size=1000,1720",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
