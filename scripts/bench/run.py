"""The command line: runs the chosen measurements and prints the Markdown report."""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Report, say
from bench.cpu import bench_cpu
from bench.detection import bench_detect
from bench.launch import bench_launch
from bench.memory import bench_rss
from bench.network import bench_bytes
from bench.report import bench_report
from bench.statusline import bench_statusline

BENCHES = ("launch", "bytes", "statusline", "rss", "cpu", "detect", "report")


def machine() -> list[str]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    mem = next(
        ln.split()[1]
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    os_name = "?"
    with contextlib.suppress(OSError):
        found = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        os_name = found.group(1) if found else os_name
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu}, nproc {os.cpu_count()}",
        f"- RAM: {int(mem) / 1024 / 1024:.1f} GiB",
        f"- OS: {os_name}, kernel {os.uname().release}",
        f"- Python: {sys.version.split()[0]}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the REAL app process against loopback servers it starts itself."
    )
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer trials")
    parser.add_argument("--only", action="append", choices=BENCHES, help="run only these")
    parser.add_argument("--seed", type=int, default=None, help="seed for the random flip moments")
    args = parser.parse_args(argv)
    only = args.only or list(BENCHES)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    started = time.monotonic()
    load_before = os.getloadavg()
    reports: dict[str, Report] = {}
    with tempfile.TemporaryDirectory(prefix="cst-bench-") as tmp:
        work = Path(tmp)
        # Timing-sensitive ones alone first; the long ones side by side (separate everything).
        for name in ("launch", "bytes", "statusline", "report"):
            if name in only:
                say(f"== {name}")
                reports[name] = RUNNERS[name](args.quick, work, seed)
        long_ones = [n for n in ("rss", "cpu", "detect") if n in only]
        say(f"== {', '.join(long_ones)} (side by side)")
        with ThreadPoolExecutor(max(1, len(long_ones))) as pool:
            jobs = {n: pool.submit(RUNNERS[n], args.quick, work, seed) for n in long_ones}
            for name, job in jobs.items():
                reports[name] = job.result()
    order = [n for n in ("rss", "cpu", "launch", "bytes", "detect", "statusline", "report")]
    order = [n for n in order if n in reports]
    print("| measurement | figure | target | result | notes |")
    print("|---|---|---|---|---|")
    for name in order:
        for row in reports[name].rows:
            print(row.markdown())
    print()
    mode = "--quick (shortened windows, see details)" if args.quick else "full"
    print(f"Run: {mode}, {time.monotonic() - started:.0f} s.")
    loads = " / ".join(
        f"{a:.2f} → {b:.2f}" for a, b in zip(load_before, os.getloadavg(), strict=True)
    )
    print(f"Load average (1/5/15 min) at start → end: {loads} (other work on the machine counts)")
    print()
    print("\n".join(machine()))
    print()
    print("Details:")
    print()
    print("```")
    for name in order:
        for line in reports[name].details:
            print(line)
    print("```")
    failed = [r for n in order for r in reports[n].rows if r.ok is False]
    return 1 if failed else 0


RUNNERS: dict[str, Callable[[bool, Path, int], Report]] = {
    "launch": lambda q, w, s: bench_launch(q, w),
    "bytes": lambda q, w, s: bench_bytes(q, w),
    "statusline": lambda q, w, s: bench_statusline(q, w),
    "rss": lambda q, w, s: bench_rss(q, w),
    "cpu": lambda q, w, s: bench_cpu(q, w),
    "detect": bench_detect,
    "report": lambda q, w, s: bench_report(q, w),
}


if __name__ == "__main__":
    raise SystemExit(main())
