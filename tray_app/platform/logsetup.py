"""Logging: a rotating file in the user log dir (0600 in a 0700 folder, never written through
a symlink), a terse console, and never a secret."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

from tray_app.platform.atomic import ensure_private_dir

FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"
# Anthropic keys, and any x-api-key / Authorization header value that slips into a message.
_SECRET = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]+|(?i:(x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',]+"
)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log opened 0600 and ``O_NOFOLLOW``: a symlink planted at the log's path is an
    error, never a way to append to another file."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.baseFilename, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


class RedactSecrets(logging.Filter):
    """Last line of defence: masks anything that looks like an API key before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET.sub(lambda m: (m.group(1) or "") + "[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(log_file: Path | None, *, verbosity: int = 0, level: str = "INFO") -> None:
    """File at ``level`` (DEBUG with -v), console at WARNING (INFO with -v, DEBUG with -vv)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    redact = RedactSecrets()
    console_level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(redact)
    root.addHandler(console)
    file_level = logging.DEBUG if verbosity else getattr(logging, level.upper(), logging.INFO)
    if log_file is not None:
        try:
            ensure_private_dir(log_file.parent)
            handler = PrivateRotatingFileHandler(
                log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
            )
        except OSError as exc:
            logging.getLogger(__name__).warning("cannot write the log file %s: %s", log_file, exc)
        else:
            handler.setLevel(file_level)
            handler.setFormatter(logging.Formatter(FILE_FORMAT))
            handler.addFilter(redact)
            root.addHandler(handler)
    root.setLevel(min(console_level, file_level))
    for noisy in ("httpx", "httpcore", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


__all__ = ["PrivateRotatingFileHandler", "RedactSecrets", "setup_logging"]
