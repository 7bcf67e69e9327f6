"""What a notification says: plain, trimmed text with an urgency and a link. Pure.

``make_notification`` is the one way to build a ``Notification``: it strips markup (HTML and
Markdown) and control characters, collapses whitespace and trims title and body to what every
notification server shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

TITLE_MAX = 64
BODY_MAX = 256
ELLIPSIS = "…"


class Urgency(str, Enum):
    LOW = "low"
    NORMAL = "normal"
    CRITICAL = "critical"

    @property
    def level(self) -> int:
        """The freedesktop urgency byte: 0, 1 or 2."""
        return {"low": 0, "normal": 1, "critical": 2}[self.value]


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    url: str | None = None  # opened by the default action
    keys: tuple[str, ...] = ()  # the event keys this notification covers
    icon: str | None = None  # an image file; None = the backend's default icon
    # the outages it speaks for ("component:<id>", "incident:<id>"...): later news about any of
    # them replaces this bubble rather than adding one
    threads: tuple[str, ...] = ()
    ends: bool = False  # the news that these outages are over ("back", "resolved")

    def __post_init__(self) -> None:
        if len(self.title) > TITLE_MAX or len(self.body) > BODY_MAX:
            raise ValueError("notification title or body too long; build it with make_notification")

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "urgency": self.urgency.value,
            "url": self.url,
            "keys": list(self.keys),
            "threads": list(self.threads),
            "ends": self.ends,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        return make_notification(
            str(data["title"]),
            str(data.get("body", "")),
            Urgency(data.get("urgency", "normal")),
            data.get("url") if isinstance(data.get("url"), str) else None,
            tuple(str(k) for k in data.get("keys", ())),
            threads=tuple(str(t) for t in data.get("threads", ())),
            ends=bool(data.get("ends", False)),
        )


_TAG = re.compile(r"<[^>]*>")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_MD_LINE_PREFIX = re.compile(r"(?m)^[ \t]*(#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)")
_SPACE = re.compile(r"[ \t]+")


def _drop_controls(text: str, keep_newlines: bool) -> str:
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            continue  # control, bidi-override, surrogate, private use
        else:
            out.append(ch)
    return "".join(out)


def plain_text(text: str, *, keep_newlines: bool = False) -> str:
    """Markup-free, control-free text with whitespace collapsed.

    Entities are decoded *before* tags are stripped: ``&lt;a href=…&gt;`` must not come out as a
    tag a notification server would render as a live link. Each backend escapes for itself."""
    if "&" in text:  # html.entities is 0.4 MB that a tray with nothing to tell need not keep
        import html

        text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _MD_LINE_PREFIX.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _drop_controls(text, keep_newlines)
    if keep_newlines:
        lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    return _SPACE.sub(" ", text).strip()


def trim(text: str, limit: int) -> str:
    """Cut to ``limit`` characters, ending with an ellipsis when cut (at a word if one is near)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" \n,;:.") + ELLIPSIS


def make_notification(
    title: str,
    body: str,
    urgency: Urgency = Urgency.NORMAL,
    url: str | None = None,
    keys: Iterable[str] = (),
    *,
    threads: Iterable[str] = (),
    ends: bool = False,
) -> Notification:
    """A Notification with plain, trimmed text (title on one line, body may keep newlines)."""
    return Notification(
        title=trim(plain_text(title), TITLE_MAX),
        body=trim(plain_text(body, keep_newlines=True), BODY_MAX),
        urgency=urgency,
        url=url,
        keys=tuple(keys),
        threads=tuple(dict.fromkeys(threads)),
        ends=ends,
    )


__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "Notification",
    "Urgency",
    "make_notification",
    "plain_text",
    "trim",
]
