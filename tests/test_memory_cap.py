"""The malloc arena cap: taken by glibc, and never over a choice the user made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "from tray_app.platform.memory import cap_malloc_arenas; print(cap_malloc_arenas())"


def run(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.run(
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_glibc_takes_the_cap() -> None:
    assert run({}) == "True"


def test_a_users_malloc_arena_max_is_left_alone() -> None:
    assert run({"MALLOC_ARENA_MAX": "4"}) == "False"
