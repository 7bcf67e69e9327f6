"""core.text: the one sanitizer for page text, the link check and the CSV cell rule (pure)."""

from __future__ import annotations

import pytest

from tray_app.core.text import clean, safe_url, spreadsheet_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("Claude API", "Claude API", id="plain"),
        pytest.param("API\x1b]0;pwned\x07 down", "API down", id="osc-title-bel"),
        pytest.param("API\x1b]0;pwned\x1b\\ down", "API down", id="osc-title-st"),
        pytest.param("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click", id="osc8"),
        pytest.param("x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy", id="osc52-clipboard"),
        pytest.param("x\x9d52;c;cm0=\x9cy", "xy", id="c1-osc52"),
        pytest.param("\x1b[2J\x1b[1;31mred\x1b[0m", "red", id="csi-clear-colour"),
        pytest.param("a\x9b31mb", "ab", id="c1-csi"),
        pytest.param("a\x1bPq#0;2;0;0;0\x1b\\b", "ab", id="dcs-sixel"),
        pytest.param("a\x1bcb", "ab", id="esc-reset"),
        pytest.param("bell\x07\x00nul\x7fdel\x85", "bellnuldel ", id="c0-c1-del"),
        pytest.param("\u202eevil\u202c \u2066x\u2069\u200e\u200f\u061c", "evil x", id="bidi"),
        pytest.param(
            "one\ntwo\r\nthree\rfour\u2028five\tsix", "one two three four five six", id="newlines"
        ),
        pytest.param("Café 東京 — ✓", "Café 東京 — ✓", id="unicode-kept"),
    ],
)
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_keeps_newlines_only_when_asked() -> None:
    body = "We are investigating.\r\n\x1b[31mUpdate\x07:\tfixed\u2029done"
    assert clean(body, newlines=True) == "We are investigating.\nUpdate: fixed\ndone"
    assert clean(body) == "We are investigating. Update: fixed done"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://stspg.io/74sqh6d7f9vq", True),
        ("http://127.0.0.1:8080/incidents/1", True),
        ("HTTPS://status.claude.com", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("-new-window", False),
        ("--user-data-dir=/tmp/x", False),
        ("https://", False),
        ("https://evil.example/\x1b]0;x\x07", False),
        ("https://evil.example/a b", False),
        ("https://\u202eevil.example", False),
        ("data:text/html,<script>", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url(url: object, ok: bool) -> None:
    assert safe_url(url) == (url if ok else None)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Claude API", "Claude API"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written
