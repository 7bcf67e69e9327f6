"""Keep an always-running process small: at most two glibc malloc arenas.

glibc gives a thread that allocates while another holds the lock an arena of its own (up to
eight per core), and each arena keeps what it once held. The app's threads (the monitor, its
I/O, dispatch, the doorbell, GTK's) allocate little and seldom at the same moment; two arenas
keep the tray about 0.9 MB smaller on trayer (docs/benchmark.md). Elsewhere (macOS, Windows,
musl) and when the user set ``MALLOC_ARENA_MAX`` nothing changes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Call before starting threads; True when glibc took the cap."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    taken = bool(mallopt(M_ARENA_MAX, arenas))
    log.debug("malloc arenas capped at %d: %s", arenas, taken)
    return taken


__all__ = ["cap_malloc_arenas"]
