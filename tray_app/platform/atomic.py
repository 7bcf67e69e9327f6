"""The one way the app writes a file: so that a crash or a full disk leaves the old file or the
new one, never half of either, and so that nothing is written through a planted symlink.

``write_atomic`` writes a temporary file with a random name, created ``O_EXCL | O_NOFOLLOW``
(a symlink someone put there makes it fail, never write elsewhere), flushes it to disk and
renames it over the target (a symlink at the target itself is replaced, not followed).
Folders the app creates are 0700, files 0600, whatever the umask (the XDG base directory rule;
config can hold webhook tokens in hook arguments).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def ensure_private_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents 0700 (the umask has no say). Folders that
    already exist are left as they are. Raises OSError."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue
        os.chmod(path, PRIVATE_DIR)


def create_new(path: Path, data: bytes = b"", *, mode: int = PRIVATE_FILE) -> None:
    """Create ``path`` holding ``data``; FileExistsError when anything (a symlink too) is there."""
    ensure_private_dir(path.parent)
    fd = os.open(path, _CREATE, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            _fix_mode(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (``mode``: permissions of the new file, 0600
    when None). Raises OSError; the old file is then untouched."""
    ensure_private_dir(path.parent)
    # os.urandom rather than the secrets module: the same bytes, without loading OpenSSL's
    # hashes (14 ms) into `statusline`, which writes nothing but imports this module
    tmp = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    fd = os.open(tmp, _CREATE, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as f:
            _fix_mode(f.fileno(), PRIVATE_FILE if mode is None else mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fix_mode(fd: int, mode: int) -> None:
    """``mode`` exactly, whatever the umask took away at creation."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "create_new",
    "ensure_private_dir",
    "write_atomic",
]
