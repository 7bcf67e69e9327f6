"""The log file: rotating, in the folder given, and never a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tray_app.platform.logsetup import setup_logging

FAKE_KEY = "sk-ant-api03-" + "x" * 40


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    "message",
    [
        f"using key {FAKE_KEY}",
        f"headers: {{'x-api-key': '{FAKE_KEY}'}}",
        "Authorization: Bearer-token-value-123",
    ],
    ids=["bare-key", "header-dict", "authorization"],
)
def test_secrets_never_reach_the_log_file(
    tmp_path: Path, restore_logging: None, message: str
) -> None:
    log_file = tmp_path / "log" / "app.log"
    setup_logging(log_file, verbosity=2)
    logging.getLogger("tray_app.test").info("%s", message)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "[redacted]" in text
    assert FAKE_KEY not in text
    assert "Bearer-token-value-123" not in text


def test_file_lines_name_the_thread(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "app.log"
    setup_logging(log_file, verbosity=0, level="INFO")
    logging.getLogger("tray_app.test").info("hello")
    logging.getLogger("tray_app.test").debug("not at INFO")
    text = log_file.read_text(encoding="utf-8")
    assert "[MainThread] tray_app.test: hello" in text
    assert "not at INFO" not in text
