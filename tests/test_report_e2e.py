"""The report of a real outage: `claude-status-tray watch` as a real process against a loopback
status server; our API probe fails first, the status page follows a few seconds later, both
recover; then the real `report` command shows the outage seen by both with the probe lead, the
page's incident with its link, and the probe latency."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.apprig import run_cli, write_loopback_config
from tests.statusserver import (
    API_401,
    API_529_OVERLOADED,
    CLOUDFLARE_403,
    StatusServer,
    incident_doc,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT

OUTAGE = summary_doc(
    "critical",
    {API_COMPONENT: "major_outage"},
    incidents=[incident_doc("inc42", "Elevated errors on the Claude API", "investigating")],
)
RESOLVED = summary_doc()


def wait_for_text(path: Path, text: str, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def test_report_shows_a_real_outage_with_the_probe_lead(
    status_server: StatusServer, tmp_path: Path
) -> None:
    status_server.set_summary(RESOLVED)
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    log = tmp_path / "watch.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        status_server.wait_for_requests("/api/v2/summary.json", 2)
        status_server.set("/v1/models", API_529_OVERLOADED)  # down from here first
        wait_for_text(log, "DOWN Claude API")
        time.sleep(3)
        status_server.set_summary(OUTAGE)  # then the page says so
        seen = len(status_server.requests_for("/api/v2/summary.json"))
        status_server.wait_for_requests("/api/v2/summary.json", seen + 3)
        status_server.set("/v1/models", API_401)
        status_server.set_summary(RESOLVED)
        wait_for_text(log, "RECOVERED Claude API")
        seen = len(status_server.requests_for("/api/v2/summary.json"))
        status_server.wait_for_requests("/api/v2/summary.json", seen + 2)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0

    page_file = tmp_path / "report.html"
    result = run_cli("report", "--days", "2", "--output", str(page_file))
    assert result.returncode == 0, result.stderr
    page = page_file.read_text(encoding="utf-8")
    outages = re.search(r'<table class="outages">.*?</table>', page, re.DOTALL)
    assert outages is not None, page
    (row,) = [r for r in re.findall(r"<tr>.*?</tr>", outages.group(0)) if "Claude API" in r]
    assert "major outage" in row and "status page and our probes" in row
    lead = re.search(r"(\d+) s earlier", row)
    assert lead is not None and int(lead.group(1)) >= 2, row  # the page followed ~3 s later
    assert 'href="https://stspg.io/inc42"' in page
    assert "Elevated errors on the Claude API" in page
    assert '<path class="median" data-target="api"' in page
    (api,) = re.findall(
        r'<section class="card service" data-component="k8w3r06qmzrp".*?</section>', page, re.DOTALL
    )
    assert 'data-state="major_outage"' in api  # the day of the outage shows its worst state
