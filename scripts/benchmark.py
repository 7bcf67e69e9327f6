"""Benchmark the REAL app process against loopback servers this script starts itself.

    .venv/bin/python scripts/benchmark.py [--quick] [--only NAME ...] [--seed N]

NAME is one of: launch, bytes, statusline, rss, cpu, detect, report. Prints a Markdown table
(figure, target, pass/fail) and the details behind it. Nothing leaves 127.0.0.1; every child process
(app, Xvfb, trayer, dbus-daemon, notification server) is stopped before the script returns.
The full run takes about 6 minutes (the long measurements run side by side, each with its own
server, bus and display); ``--quick`` about 2. Results and method: docs/benchmark.md.
The measurements live in scripts/bench/, one module each.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # the loopback rigs live in tests/

from bench.run import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
