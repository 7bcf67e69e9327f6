"""Icons: one colour and one outline per state, legible at tray sizes, badge for probe-only."""

from __future__ import annotations

import importlib.util
import itertools
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from tray_app.core.icons import COLOURS, render_app_icon, render_icon
from tray_app.core.models import DISTINCT_STATES, Health

SIZES = [(16, 1), (22, 1), (24, 1), (32, 1), (16, 2), (22, 2), (24, 2), (32, 2)]
SIZE_IDS = [f"{s}px@{k}x" for s, k in SIZES]
PAIRS = list(itertools.combinations(DISTINCT_STATES, 2))
PAIR_IDS = [f"{a.value}-vs-{b.value}" for a, b in PAIRS]
ROOT = Path(__file__).resolve().parent.parent


def _fill_colour(img: Image.Image) -> tuple[int, int, int]:
    """The most common fully opaque colour: the state's background fill."""
    px = img.get_flattened_data()
    counts = Counter(p[:3] for p in px if p[3] == 255)
    return counts.most_common(1)[0][0]


def _mask(img: Image.Image) -> list[bool]:
    return [a > 127 for a in img.getchannel("A").tobytes()]


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


@pytest.mark.parametrize(("size", "scale"), SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("health", DISTINCT_STATES, ids=lambda h: h.value)
def test_icon_is_rgba_of_the_requested_size_filled_with_its_colour(
    health: Health, size: int, scale: int
) -> None:
    img = render_icon(health, size, scale=scale)
    assert img.mode == "RGBA"
    assert img.size == (size * scale, size * scale)
    assert _distance(_fill_colour(img), COLOURS[health]) < 12


@pytest.mark.parametrize(("size", "scale"), SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(("a", "b"), PAIRS, ids=PAIR_IDS)
def test_every_pair_of_states_differs_in_colour_and_in_shape(
    a: Health, b: Health, size: int, scale: int
) -> None:
    ia, ib = render_icon(a, size, scale=scale), render_icon(b, size, scale=scale)
    assert _distance(_fill_colour(ia), _fill_colour(ib)) > 60
    ma, mb = _mask(ia), _mask(ib)
    differing = sum(x != y for x, y in zip(ma, mb, strict=True))
    assert differing >= max(3, len(ma) * 0.03), f"outlines too alike: {differing} px differ"


@pytest.mark.parametrize(("size", "scale"), SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("health", DISTINCT_STATES, ids=lambda h: h.value)
def test_glyph_is_visible_against_the_fill(health: Health, size: int, scale: int) -> None:
    img = render_icon(health, size, scale=scale)
    fill = COLOURS[health]
    px = img.get_flattened_data()
    ink = sum(1 for p in px if p[3] > 200 and _distance(p[:3], fill) > 120)
    assert ink >= (size * scale) ** 2 * 0.06


@pytest.mark.parametrize(("size", "scale"), SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("health", DISTINCT_STATES, ids=lambda h: h.value)
def test_probe_only_badge_changes_the_bottom_right_corner_only(
    health: Health, size: int, scale: int
) -> None:
    plain = render_icon(health, size, scale=scale)
    badged = render_icon(health, size, probe_only=True, scale=scale)
    px = size * scale
    half = px // 2
    top_left = (0, 0, half, half)
    corner = (half, half, px, px)
    assert plain.crop(top_left).tobytes() == badged.crop(top_left).tobytes()
    assert plain.crop(corner).tobytes() != badged.crop(corner).tobytes()


@pytest.mark.parametrize(
    "health", [Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE], ids=lambda h: h.value
)
def test_offline_and_unreachable_draw_as_unknown(health: Health) -> None:
    assert render_icon(health, 22).tobytes() == render_icon(Health.UNKNOWN, 22).tobytes()


@pytest.mark.parametrize(("size", "scale"), [(4, 1), (16, 0)], ids=["too-small", "zero-scale"])
def test_silly_sizes_are_refused(size: int, scale: int) -> None:
    with pytest.raises(ValueError, match="too small"):
        render_icon(Health.OPERATIONAL, size, scale=scale)


def test_make_icons_writes_png_ico_and_icns(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    APP_ICON_SIZES, ICO_SIZES = make_icons.APP_ICON_SIZES, make_icons.ICO_SIZES

    written = make_icons.write_assets(tmp_path)
    assert all(p.exists() for p in written)
    for size in APP_ICON_SIZES:
        with Image.open(tmp_path / f"claude-status-tray-{size}.png") as png:
            assert png.size == (size, size)
    with Image.open(tmp_path / "claude-status-tray.ico") as ico:
        assert ico.format == "ICO"
        assert {s[0] for s in ico.info["sizes"]} == set(ICO_SIZES)
    with Image.open(tmp_path / "claude-status-tray.icns") as icns:
        assert icns.format == "ICNS"
        assert icns.size[0] >= 512


def test_committed_assets_match_the_code() -> None:
    """assets/ is generated: if this fails, run scripts/make_icons.py and commit the result."""
    for size in (16, 32, 256):
        with Image.open(ROOT / "assets" / f"claude-status-tray-{size}.png") as png:
            assert png.convert("RGBA").tobytes() == render_app_icon(size).tobytes()
    for health in DISTINCT_STATES:
        with Image.open(ROOT / "assets" / "tray" / f"{health.value}-22@2x.png") as png:
            expected = render_icon(health, 22, scale=2)
            assert png.convert("RGBA").tobytes() == expected.tobytes()
