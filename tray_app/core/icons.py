"""Tray icons drawn from code with Pillow: one colour and one glyph per health state.

Colour alone is not enough (colour-blind users), so every state also has its own outline
and glyph:

    operational      green   disc            check mark
    degraded         yellow  diamond         exclamation mark
    partial outage   orange  hexagon         double exclamation mark
    major outage     red     octagon         cross
    maintenance      blue    rounded square  wrench
    unknown/offline  grey    small square    question mark

A "probe only" badge (a small dark dot with a white ring, bottom right) marks a problem seen
from this machine that the status page does not show yet. Everything is drawn at 4x the
target size and downsampled, so edges stay smooth at 16 px and crisp at 2x.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageDraw

from tray_app.core.models import Health

RGB = tuple[int, int, int]

COLOURS: dict[Health, RGB] = {
    Health.OPERATIONAL: (34, 160, 70),
    Health.DEGRADED: (240, 196, 25),
    Health.PARTIAL_OUTAGE: (240, 120, 20),
    Health.MAJOR_OUTAGE: (210, 35, 45),
    Health.MAINTENANCE: (40, 110, 220),
    Health.UNKNOWN: (128, 128, 128),
    Health.OFFLINE: (128, 128, 128),
    Health.STATUS_PAGE_UNREACHABLE: (128, 128, 128),
}

# Glyph ink: dark on the light yellow/orange discs, white elsewhere (contrast).
_INK: dict[Health, RGB] = {
    Health.DEGRADED: (40, 30, 0),
    Health.PARTIAL_OUTAGE: (40, 20, 0),
}
_WHITE: RGB = (255, 255, 255)
_BADGE: RGB = (30, 30, 30)
_OVERSAMPLE = 4

# (draw, size, ink, fill): the fill lets a glyph cut notches back out of itself.
_Glyph = Callable[[ImageDraw.ImageDraw, float, RGB, RGB], None]


def _check(d: ImageDraw.ImageDraw, s: float, ink: RGB, _bg: RGB) -> None:
    w = max(1, round(s * 0.13))
    d.line([(s * 0.27, s * 0.52), (s * 0.44, s * 0.69), (s * 0.74, s * 0.33)], ink, w, "curve")


def _exclamation(d: ImageDraw.ImageDraw, s: float, ink: RGB, _bg: RGB) -> None:
    w = s * 0.07
    d.rounded_rectangle((s * 0.5 - w, s * 0.2, s * 0.5 + w, s * 0.6), w, ink)
    d.ellipse((s * 0.5 - w * 1.1, s * 0.68, s * 0.5 + w * 1.1, s * 0.68 + w * 2.2), ink)


def _double_exclamation(d: ImageDraw.ImageDraw, s: float, ink: RGB, _bg: RGB) -> None:
    w = s * 0.06
    for cx in (s * 0.36, s * 0.64):
        d.rounded_rectangle((cx - w, s * 0.2, cx + w, s * 0.6), w, ink)
        d.ellipse((cx - w * 1.1, s * 0.68, cx + w * 1.1, s * 0.68 + w * 2.2), ink)


def _cross(d: ImageDraw.ImageDraw, s: float, ink: RGB, _bg: RGB) -> None:
    w = max(1, round(s * 0.13))
    a, b = s * 0.3, s * 0.7
    d.line([(a, a), (b, b)], ink, w)
    d.line([(a, b), (b, a)], ink, w)


def _wrench(d: ImageDraw.ImageDraw, s: float, ink: RGB, bg: RGB) -> None:
    w = max(1, round(s * 0.11))
    d.line([(s * 0.3, s * 0.72), (s * 0.58, s * 0.44)], ink, w)  # handle
    r = s * 0.16
    cx, cy = s * 0.62, s * 0.38
    d.ellipse((cx - r, cy - r, cx + r, cy + r), ink)  # head
    jaw = s * 0.07
    # the open jaw: a notch cut into the head, pointing up-right
    d.polygon(
        [(cx, cy), (cx + r * 1.4, cy - r * 0.2), (cx + r * 0.2, cy - r * 1.4)],
        bg,
    )
    d.ellipse((cx - jaw, cy - jaw, cx + jaw, cy + jaw), bg)


def _question(d: ImageDraw.ImageDraw, s: float, ink: RGB, _bg: RGB) -> None:
    w = max(1, round(s * 0.11))
    d.arc((s * 0.32, s * 0.18, s * 0.68, s * 0.52), 180, 90, ink, w)
    d.line([(s * 0.5, s * 0.51), (s * 0.5, s * 0.62)], ink, w)
    r = s * 0.065
    d.ellipse((s * 0.5 - r, s * 0.74 - r, s * 0.5 + r, s * 0.74 + r), ink)


_GLYPHS: dict[Health, _Glyph] = {
    Health.OPERATIONAL: _check,
    Health.DEGRADED: _exclamation,
    Health.PARTIAL_OUTAGE: _double_exclamation,
    Health.MAJOR_OUTAGE: _cross,
    Health.MAINTENANCE: _wrench,
    Health.UNKNOWN: _question,
    Health.OFFLINE: _question,
    Health.STATUS_PAGE_UNREACHABLE: _question,
}


def _shape(health: Health, s: float, d: ImageDraw.ImageDraw, fill: RGB) -> None:
    """The disc's outline differs per state too, so the alpha mask alone tells states apart."""
    m = s * 0.04
    if health is Health.MAJOR_OUTAGE:
        # octagon, like a stop sign
        k = s * 0.2
        pts = [
            (m + k, m),
            (s - m - k, m),
            (s - m, m + k),
            (s - m, s - m - k),
            (s - m - k, s - m),
            (m + k, s - m),
            (m, s - m - k),
            (m, m + k),
        ]
        d.polygon(pts, fill)
    elif health is Health.PARTIAL_OUTAGE:
        d.regular_polygon((s / 2, s / 2 + s * 0.02, s / 2 - m), 6, rotation=30, fill=fill)
    elif health is Health.DEGRADED:
        d.regular_polygon((s / 2, s / 2, s / 2 - m * 0.5), 4, rotation=45, fill=fill)
    elif health is Health.MAINTENANCE:
        d.rounded_rectangle((m, m, s - m, s - m), s * 0.12, fill)
    elif health.rank < 0:  # unknown / offline / unreachable
        d.rounded_rectangle((m * 2, m * 2, s - m * 2, s - m * 2), s * 0.08, fill)
    else:
        d.ellipse((m, m, s - m, s - m), fill)


def _badge(d: ImageDraw.ImageDraw, s: float) -> None:
    r = s * 0.2
    cx = cy = s - r - s * 0.01
    d.ellipse((cx - r, cy - r, cx + r, cy + r), _WHITE)
    r2 = r * 0.68
    d.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), _BADGE)


@lru_cache(maxsize=128)
def render_icon(
    health: Health, size: int, *, probe_only: bool = False, scale: int = 1
) -> Image.Image:
    """An RGBA icon of ``size * scale`` pixels for ``health`` (cached; do not mutate)."""
    if size < 8 or scale < 1:
        raise ValueError(f"icon size {size}x{scale} too small")
    px = size * scale
    big = px * _OVERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    colour = COLOURS[health]
    _shape(health, big, d, colour)
    ink = _INK.get(health, _WHITE)
    _GLYPHS[health](d, big, ink, colour)
    if probe_only:
        _badge(d, big)
    return img.reduce(_OVERSAMPLE)  # box filter: exact fill colours, smooth edges


def render_app_icon(size: int) -> Image.Image:
    """The application icon (installers, About): the operational icon without a badge."""
    return render_icon(Health.OPERATIONAL, size).copy()


__all__ = ["COLOURS", "render_app_icon", "render_icon"]
