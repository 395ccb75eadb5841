"""CJK: a lone character stays one character through the layout, and its strokes come in canonical order."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inksight_sdk.tracing.cjk import cjk_strokes, order_cjk
from inksight_sdk.tracing.paths import Path
from inksight_sdk.vision.layout import detect_layout


def _small_parts_glyph() -> np.ndarray:
    """A 詐-like character: 言 as five small parts stacked on the left, a post with three bars on the right."""
    page = np.full((200, 200), 245, np.uint8)
    for a, b in [((62, 40), (70, 50)), ((45, 62), (85, 62)), ((50, 80), (80, 80)), ((50, 98), (80, 98))]:
        cv2.line(page, a, b, 40, 6)
    cv2.rectangle(page, (52, 112), (78, 140), 40, 6)
    cv2.line(page, (110, 40), (110, 160), 40, 6)
    for y in (60, 95, 130):
        cv2.line(page, (110, y), (155, y), 40, 6)
    return np.repeat(page[:, :, None], 3, axis=2)


def test_a_character_of_small_parts_is_one_upright_cjk_line():
    # the median part is far smaller than the character, so its parts stack into line peaks; the post
    # spanning the character's middle says they are one character, not lines of Latin words
    layout = detect_layout(_small_parts_glyph())
    assert [w.script for w in layout.words] == ["cjk", "cjk"]
    assert {(w.block, w.line) for w in layout.words} == {(0, 0)}
    for word in layout.words:
        quad = np.asarray(word.quad)
        assert abs(quad[1][1] - quad[0][1]) < 1.0, "read upright, not at an angle fitted to its parts"


def _side_by_side_glyph() -> np.ndarray:
    """A 仙-like character: 亻 (丿 and a post) beside 山 turned to two posts and one bar between them."""
    page = np.full((200, 200), 245, np.uint8)
    for a, b in [((62, 30), (35, 85)), ((50, 65), (50, 170)), ((95, 40), (95, 165)), ((150, 40), (150, 165))]:
        cv2.line(page, a, b, 40, 6)
    cv2.line(page, (95, 100), (160, 100), 40, 6)  # the only bar across 0.4 of the width
    return np.repeat(page[:, :, None], 3, axis=2)


def test_a_lone_character_of_two_parts_with_one_long_bar_is_cjk():
    # too few parts for statistics, so its shape decides: one long bar, but a post in each part (3 in all)
    layout = detect_layout(_side_by_side_glyph())
    assert [w.script for w in layout.words] == ["cjk"]


def _path(*corners: tuple[float, float]) -> Path:
    """A stroke through ``corners``, a point per pixel."""
    pts = [np.array(corners[0], float)]
    for a, b in zip(corners[:-1], corners[1:]):
        a, b = np.array(a, float), np.array(b, float)
        n = max(1, int(np.ceil(np.linalg.norm(b - a))))
        pts.extend(a + (b - a) * t for t in np.arange(1, n + 1) / n)
    points = np.array(pts)
    return Path(points=points, radii=np.full(len(points), 2.5), closed=False)


@pytest.mark.parametrize(
    "frame_corners",
    [
        pytest.param([(35, 25), (90, 25), (90, 95), (80, 90)], id="upright"),
        # photographed a few degrees askew: the side of the 𠃌 leans right, so its bottom is its rightmost
        # point, yet the corner is still where the run turns down
        pytest.param([(35, 25), (88, 27), (95, 95), (85, 90)], id="side-leaning-right"),
    ],
)
def test_outside_before_inside_even_where_the_inside_sticks_out_left(frame_corners):
    # 甸: 丿 and the 𠃌 of 勹 first, then 田, whose left post stands left of where the 𠃌 starts
    pie = _path((40, 10), (10, 60))
    frame = _path(*frame_corners)
    tian = [
        _path((25, 45), (25, 80)),
        _path((25, 45), (70, 45), (70, 80)),
        _path((25, 62), (70, 62)),
        _path((47, 45), (47, 80)),
        _path((25, 80), (70, 80)),
    ]
    ordered = order_cjk([*tian, frame, pie], width=5.0)
    assert ordered[0] is pie and ordered[1] is frame


def test_components_whose_boxes_overlap_stay_whole_when_a_line_parts_their_ink():
    # 木 on the left, its bar reaching into the box of the part on the right: no gap between boxes,
    # but a vertical line leaves little ink on its wrong side, so 木 comes whole before the right part
    left = [
        _path((5, 30), (60, 30)),
        _path((22, 5), (22, 95)),
        _path((21, 40), (2, 80)),
        _path((23, 45), (34, 56)),
    ]
    right = [
        _path((48, 18), (95, 18)),
        _path((72, 8), (72, 92)),
        _path((48, 55), (95, 55)),
        _path((50, 85), (95, 85)),
    ]
    ordered = order_cjk([*right, *left], width=5.0)
    assert {id(p) for p in ordered[:4]} == {id(p) for p in left}


def test_strokes_hanging_from_a_post_come_after_it():
    # 木: the 丿 and 丶 start on the 丨 where the bar crosses it; lying left of the 丨 does not put the 丿 first
    bar = _path((10, 35), (90, 35))
    post = _path((50, 5), (50, 95))
    pie = _path((49, 36), (12, 80))
    dot = _path((51, 36), (88, 78))
    assert order_cjk([dot, pie, post, bar], width=5.0) == [bar, post, pie, dot]


def test_a_turn_ending_down_does_not_run_on_into_the_next_stroke():
    # 子: the 横撇 is as wide as it is tall, but it ends going down-left; the 竖钩 starting at its end is
    # the next stroke, not a third turn of the same one
    heng_pie = _path((5, 10), (52, 10), (32, 32))
    shu_gou = _path((32, 32), (32, 85), (26, 79))
    strokes = cjk_strokes([heng_pie, shu_gou], width=5.0)
    assert len(strokes) == 2
    assert np.linalg.norm(strokes[0].points[-1] - (32, 32)) < 1 and strokes[1].points[-1][1] > 70


def test_a_left_column_and_base_that_no_gap_cuts_off_come_after_what_they_enclose():
    # 辶 of 邀: the dot and the column reach as high as the inside, whose last stroke ends on the base,
    # so no gap cuts the enclosure off; the inside comes first, then the dot, the column and the base
    dot = _path((15, 10), (22, 18))
    column = _path((10, 30), (22, 30), (14, 85))
    base = _path((14, 85), (100, 95))
    inside = [
        _path((35, 20), (90, 20)),
        _path((62, 5), (62, 80)),
        _path((35, 50), (90, 50)),
        _path((60, 50), (88, 92)),
    ]
    ordered = order_cjk([dot, column, base, *inside], width=5.0)
    assert ordered[-3:] == [dot, column, base]


def test_a_dot_right_of_a_stroke_crossing_a_bar_comes_last():
    # 戈: the dot starts as high as the 斜钩, but a dot above a bar, right of where a stroke from above
    # crosses it, is written last
    bar = _path((10, 50), (70, 42))
    xie_gou = _path((30, 10), (85, 100))
    pie = _path((62, 35), (20, 95))
    dot = _path((62, 12), (75, 22))
    assert order_cjk([dot, pie, xie_gou, bar], width=5.0) == [bar, xie_gou, pie, dot]


@pytest.mark.parametrize(
    "roof",
    [
        pytest.param([(30, 20), (90, 20)], id="bar-of-厂"),
        pytest.param([(30, 20), (80, 20), (80, 45)], id="frame-of-尺"),
    ],
)
def test_a_pie_hanging_from_the_start_of_a_short_roof_comes_after_it(roof):
    # 厂, 尺: the 丿 starts where the roof does and stands left of it, yet the roof is written first
    top = _path(*roof)
    pie = _path((30, 20), (28, 55), (8, 95))
    assert order_cjk([pie, top], width=5.0) == [top, pie]


def test_a_post_with_bars_starting_on_it_comes_before_the_frame_on_its_top():
    # the left half of 門: the 丨, then the 𠃍 starting on its top, then the bars closing the box on it
    post = _path((20, 10), (20, 95))
    frame = _path((20, 10), (55, 10), (55, 45))
    bars = [_path((20, 28), (55, 28)), _path((20, 45), (55, 45))]
    assert order_cjk([frame, *bars, post], width=5.0)[:2] == [post, frame]
