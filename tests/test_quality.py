"""Lint, format and types are part of the suite, so CI holds them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_check() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 250


def _sources() -> list[Path]:
    return sorted([*(ROOT / "tray_app").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")])


def test_no_module_is_too_big_to_read() -> None:
    too_big = {
        str(path.relative_to(ROOT)): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_big, f"split these by responsibility (max {MAX_MODULE_LINES} lines): {too_big}"


def test_no_class_is_too_big_to_read() -> None:
    import ast

    too_big = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    too_big[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert not too_big, f"split these classes (max {MAX_CLASS_LINES} lines): {too_big}"


def test_imports_run_one_way() -> None:
    """core <- platform <- config <- sources <- sinks <- report <- cli <- app (core: the schema).

    The composition root is app.py with its two neighbours; ``from tray_app import app`` counts
    as importing ``tray_app.app``."""
    import ast

    root_level = ("tray_app.app", "tray_app.other_services", "tray_app.user_choices")
    above_report = ("tray_app.report", "tray_app.cli", *root_level)
    rules = {
        "core": (
            "tray_app.platform",
            "tray_app.config.load",
            "tray_app.config.validate",
            "tray_app.config.writeback",
            "tray_app.sources",
            "tray_app.sinks",
            *above_report,
        ),
        "platform": ("tray_app.config", "tray_app.sources", "tray_app.sinks", *above_report),
        "config": ("tray_app.sources", "tray_app.sinks", *above_report),
        "sources": ("tray_app.sinks", *above_report),
        "sinks": above_report,
        "report": ("tray_app.cli", *root_level),
    }
    wrong = []
    for folder, forbidden in rules.items():
        base = ROOT / "tray_app" / folder
        paths = list(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        for path in paths:
            if not path.exists():
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom) and node.level:
                    wrong.append(f"{path.relative_to(ROOT)} uses a relative import")
                elif isinstance(node, ast.ImportFrom) and node.module == "tray_app":
                    names = [f"tray_app.{alias.name}" for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                wrong += [
                    f"{path.relative_to(ROOT)} imports {name}"
                    for name in names
                    if name.startswith(forbidden)
                ]
    assert not wrong, wrong
