"""Text from the status page made harmless before anyone sees it.

The page is not trusted: a name can carry terminal escape sequences (window title, clear screen,
OSC 8 links, OSC 52 clipboard writes from the shell prompt), bidi overrides that make text read
backwards, and newlines that print fake lines. ``clean`` removes all of them; it runs where the
page is parsed and again at every human output. ``safe_url`` says whether a link from the page
may be opened, ``spreadsheet_safe`` keeps a CSV cell from being read as a formula.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Whole escape sequences first, so their printable tails ("]0;title") go too.
_SEQUENCE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: title, OSC 8 link, OSC 52
    r"|(?:\x1b[P^_X]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor, clear screen
    r"|\x1b[ -/]*[0-~]"  # any other ESC sequence
)
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
# C0 and C1 controls, DEL, and the bidi formatting characters (embeddings, overrides,
# isolates, marks)
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str, *, newlines: bool = False) -> str:
    """``text`` without escape sequences, control or bidi formatting characters. Line breaks
    become spaces, or ``\\n`` when ``newlines`` is true; tabs become spaces."""
    text = _SEQUENCE.sub("", text)
    text = _LINE_BREAKS.sub("\n" if newlines else " ", text)
    text = text.replace("\t", " ")
    if newlines:
        return "\n".join(_INVISIBLE.sub("", line) for line in text.split("\n"))
    return _INVISIBLE.sub("", text)


def safe_url(url: object) -> str | None:
    """``url`` when it is an http(s) address a browser may be handed, else None: never
    ``javascript:``, ``file:``, an option-like ``-...``, or anything with hidden characters."""
    if not isinstance(url, str) or not url or url.startswith("-"):
        return None
    if _INVISIBLE.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula (OWASP)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


__all__ = ["clean", "safe_url", "spreadsheet_safe"]
