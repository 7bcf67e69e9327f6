"""Hostile input bounds (issue 11), measured against loopback servers this script starts:

1. peak memory while a ``Content-Encoding: gzip, gzip`` bomb (1,827 bytes on the wire, 1 GiB
   unpacked) is read with the default 2 MiB cap, in a fresh process;
2. CPU, memory and disk of the real headless app (``watch``) polling a 40,000-component page
   whose every component flips between operational and major outage at each poll.

Prints Markdown rows for docs/benchmark.md ("Hostile input bounds"). Run from the repository:

    PYTHONPATH=. python scripts/hostile_bounds.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000

BOMB_CHILD = """
import json, sys
from tests.faultrig import gzip_bomb, peak_rss_bytes, reset_peak_rss, rss_bytes
from tests.statusserver import Route, StatusServer
from tray_app.core.errors import SourceError
from tray_app.sources.http import build_client, fetch

bomb = Route(body=gzip_bomb(), headers=(("Content-Encoding", "gzip, gzip"),))
with StatusServer() as server, build_client(10.0) as client:
    server.set("/bomb", bomb)
    fetch(client, server.url + "/warm-up-404")  # imports and the first connection, not counted
    before = rss_bytes()
    reset_peak_rss()
    try:
        fetch(client, server.url + "/bomb")
        outcome = "read"
    except SourceError as exc:
        outcome = str(exc)
    print(json.dumps({"before": before, "peak": peak_rss_bytes(), "outcome": outcome,
                      "wire": len(bomb.body)}))
"""


def measure_bomb() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(result.stdout))


def _big_page(components: int, status: str) -> bytes:
    from tests.statusserver import component_doc, summary_doc

    doc = summary_doc("critical" if status != "operational" else "none")
    doc["components"] = [component_doc(f"c{n:06d}", status, position=n) for n in range(components)]
    return json.dumps(doc).encode()


def _proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_text()


def _cpu_seconds(pid: int) -> float:
    fields = _proc(pid, "stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    for line in _proc(pid, "status").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _written(pid: int) -> int:
    for line in _proc(pid, "io").splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def measure_big_page(components: int, seconds: float, code: Path = REPO) -> dict[str, Any]:
    """``code``: the checkout whose app runs (another one gives a before/after)."""
    from tests.statusserver import API_401, CLOUDFLARE_403, SUMMARY_PATH, Route, StatusServer

    bodies = [_big_page(components, s) for s in ("operational", "major_outage")]
    routes = [Route(body=body, headers=(("Content-Type", "application/json"),)) for body in bodies]
    with tempfile.TemporaryDirectory(prefix="cst-hostile-") as tmp, StatusServer() as server:
        server.script(SUMMARY_PATH, routes * 10_000)
        server.set("/v1/models", API_401)
        server.set("/", CLOUDFLARE_403)
        env = {**os.environ, "PYTHONPATH": str(code)}
        for name in ("CONFIG", "DATA", "STATE", "CACHE"):
            env[f"XDG_{name}_HOME"] = str(Path(tmp) / name.lower())
        config = Path(env["XDG_CONFIG_HOME"]) / "claude-status-tray" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(
            f'[status_page]\nurl = "{server.url}"\ninterval = 1\ntimeout = 10\n'
            f"max_body_bytes = {64 * 1024 * 1024}\n"
            f'[probes]\ninterval = 1\napi_url = "{server.url}/v1/models"\n'
            f'claude_ai_url = "{server.url}/"\n',
            encoding="utf-8",
        )
        watch = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
            cwd=code,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        try:
            server.wait_for_requests(SUMMARY_PATH, 1, timeout=60)
            cpu0, written0, started = _cpu_seconds(watch.pid), _written(watch.pid), time.monotonic()
            reads0 = len(server.requests_for(SUMMARY_PATH))
            time.sleep(seconds)
            cpu = _cpu_seconds(watch.pid) - cpu0
            elapsed = time.monotonic() - started
            written = _written(watch.pid) - written0
            peak = _status_kb(watch.pid, "VmHWM") * 1024
            rss = _status_kb(watch.pid, "VmRSS") * 1024
            reads = len(server.requests_for(SUMMARY_PATH)) - reads0
        finally:
            watch.send_signal(signal.SIGTERM)
            watch.wait(timeout=60)
        data = Path(env["XDG_DATA_HOME"]) / "claude-status-tray"
        state = Path(env["XDG_STATE_HOME"]) / "claude-status-tray" / "state.json"
        history = sum(p.stat().st_size for p in data.glob("history.sqlite3*"))
        state_size = state.stat().st_size if state.exists() else 0
    return {
        "components": components,
        "page_bytes": len(bodies[0]),
        "seconds": elapsed,
        "reads": reads,
        "cpu_percent": 100.0 * cpu / elapsed,
        "rss": rss,
        "peak": peak,
        "written": written,
        "state_json": state_size,
        "history": history,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--components", type=int, default=40_000)
    parser.add_argument(
        "--code", type=Path, default=REPO, help="run the big page against this checkout's app"
    )
    parser.add_argument("--page-only", action="store_true", help="skip the bomb")
    args = parser.parse_args()
    if not args.page_only:
        _print_bomb(measure_bomb())
    page = measure_big_page(args.components, args.seconds, args.code)
    print(
        f"| {page['components']:,}-component page ({page['page_bytes'] / MB:.1f} MB, "
        f"max_body_bytes raised to 64 MiB), every component flipping at each poll, "
        f"1 s interval, {page['seconds']:.0f} s, {page['reads']} page reads "
        f"| CPU {page['cpu_percent']:.0f} % of one core; RSS {page['rss'] / MB:.1f} MB "
        f"(peak {page['peak'] / MB:.1f} MB); written {page['written'] / MB:.1f} MB; "
        f"state.json {page['state_json'] / 1000:.1f} kB; history {page['history'] / MB:.2f} MB |"
    )
    return 0


def _print_bomb(bomb: dict[str, Any]) -> None:
    growth = (bomb["peak"] - bomb["before"]) / MB
    before = bomb["before"] / MB
    print(
        f"| `gzip, gzip` bomb ({bomb['wire']:,} bytes on the wire, 1 GiB unpacked), 2 MiB cap "
        f"| peak RSS {bomb['peak'] / MB:.1f} MB, {growth:+.1f} MB over the {before:.1f} MB "
        f"before | {bomb['outcome']} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
