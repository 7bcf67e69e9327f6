"""The report in a real browser: headless Chromium (Debian's package) loads the page from a
file: URL with no network, logs no console message (no script error, no blocked fetch), draws a
bar per day per service, and paints a screenshot that is not blank."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image

from tests.report_history import SERVICES, generate_history
from tray_app.report.command import write_report

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)
CHROMIUM = shutil.which("chromium") or "chromium"


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless run; its console messages go to stderr as ``...:CONSOLE...`` lines."""
    return subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # we run as root in CI
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def console(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    generate_history(folder / "history.sqlite3", now=NOW, days=90, services=6)
    return write_report(folder / "history.sqlite3", folder / "report.html", now=NOW, days=90)


def test_the_rig_sees_a_console_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>undefinedFunction();</script>")
    result = chromium(tmp_path / "profile", "--dump-dom", bad.as_uri())
    assert any("Uncaught" in line for line in console(result)), result.stderr


def test_report_loads_without_console_messages_with_a_bar_per_day_per_service(
    page: Path, tmp_path: Path
) -> None:
    result = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert console(result) == []
    dom = result.stdout
    cards = re.findall(r'<section class="card service"[^>]*>.*?</section>', dom, re.DOTALL)
    assert len(cards) == len(SERVICES)
    for card in cards:
        bars = re.findall(r'<rect class="day" data-day="([0-9-]+)"', card)
        assert len(bars) == 90 and bars[0] == "2026-09-02" and bars[-1] == "2026-11-30"
        assert len(re.findall(r"<title>", card)) == 90  # a hover title on each
    chart = re.search(r'<svg class="latency".*?</svg>', dom, re.DOTALL)
    assert chart is not None
    assert len(re.findall(r'<path class="median"', chart.group(0))) == 2  # api and claude_ai
    assert '<table class="incidents">' in dom and '<table class="outages">' in dom


def test_report_screenshot_is_not_blank(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = chromium(
        tmp_path / "profile", "--window-size=1000,1400", f"--screenshot={shot}", page.as_uri()
    )
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    assert console(result) == []
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # text, bars, tables: not one flat colour
    counts = {rgb: n for n, rgb in colours}
    assert counts.get((34, 160, 70), 0) > 2000  # the operational green of many day bars
    assert counts.get((210, 35, 45), 0) > 0  # and some red major-outage days
