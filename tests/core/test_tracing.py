"""The classical tracer: masks drawn here (and one real hanzi) traced into strokes in writing order."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from inksight_sdk.evaluation import compare_ink, load_hanzi_strokes
from inksight_sdk.tracing import TracedStroke, trace_mask
from inksight_sdk.tracing.order import orient
from inksight_sdk.tracing.paths import Path
from tests.conftest import shared


def draw(shape: tuple[int, int], *polylines: list[tuple[int, int]], pen: int = 4) -> np.ndarray:
    """A bool mask with each polyline drawn by a round pen ``pen`` pixels wide."""
    canvas = np.zeros(shape, np.uint8)
    for line in polylines:
        pts = np.asarray(line, np.int32)
        if len(pts) == 1:
            cv2.circle(canvas, tuple(int(v) for v in pts[0]), pen // 2 + 1, 1, -1)
        else:
            cv2.polylines(canvas, [pts], False, 1, pen)
    return canvas.astype(bool)


def max_off_chord(points: np.ndarray) -> float:
    """Largest distance of a stroke's points from the line through its ends."""
    a, b = points[0], points[-1]
    d = b - a
    rel = points - a
    return float(np.max(np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0])) / np.linalg.norm(d))


def test_empty_and_tiny_masks():
    assert trace_mask(np.zeros((0, 0), bool)) == []
    assert trace_mask(np.zeros((30, 40), bool)) == []
    assert trace_mask(np.zeros((1, 1), bool)) == []
    assert trace_mask(np.ones((1, 1), bool)) == []  # a lone pixel is a speck, not a dot
    (dot,) = trace_mask(np.ones((3, 3), bool))
    assert np.all(np.abs(dot.points - 1) <= 1)


def test_all_ink_mask_gives_strokes_inside_the_image():
    strokes = trace_mask(np.ones((60, 90), bool))
    assert strokes
    for s in strokes:
        assert s.points.dtype == np.float32 and s.width.dtype == np.float32
        assert np.all(s.points >= 0) and np.all(s.points[:, 0] <= 89) and np.all(s.points[:, 1] <= 59)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        trace_mask(np.zeros((5, 5), bool), script="klingon")
    with pytest.raises(ValueError):
        trace_mask(np.zeros((5, 5, 3), bool))


def test_a_line_is_one_stroke_from_its_left_end_with_the_pen_width():
    mask = draw((50, 140), [(120, 27), (15, 22)], pen=5)
    (stroke,) = trace_mask(mask)
    assert isinstance(stroke, TracedStroke)
    assert stroke.points[0][0] < 20 and stroke.points[-1][0] > 115  # starts at the left end
    assert max_off_chord(stroke.points) < 1.5
    drawn = int(mask[:, 60].sum())  # OpenCV's thick lines come out a little wider than asked
    assert np.all(np.abs(stroke.width - drawn) <= 1.5)
    assert len(stroke.points) < 15  # a straight line needs few points after simplification


def test_a_vertical_line_starts_at_the_top():
    (stroke,) = trace_mask(draw((120, 40), [(22, 105), (18, 10)]))
    assert stroke.points[0][1] < 15 and stroke.points[-1][1] > 100


def test_specks_are_not_strokes():
    mask = draw((50, 140), [(15, 25), (120, 25)])
    mask[5, 5] = mask[45, 130] = mask[40, 60] = True
    assert len(trace_mask(mask)) == 1


def test_a_ring_stays_one_closed_loop_started_at_the_top_counter_clockwise():
    canvas = np.zeros((80, 80), np.uint8)
    cv2.circle(canvas, (40, 40), 22, 1, 4)
    (stroke,) = trace_mask(canvas.astype(bool))
    pts = stroke.points
    assert np.linalg.norm(pts[0] - pts[-1]) < 1.5
    radius = np.linalg.norm(pts - [40, 40], axis=1)
    assert np.all(np.abs(radius - 22) < 2.0)
    assert pts[0][1] < 22  # starts at the top
    second = pts[len(pts) // 8]
    assert second[0] < pts[0][0]  # and heads left first, like an 'o'


def test_a_broad_markers_o_with_a_small_eye_stays_a_loop():
    """An 11 px marker round an eye of 15 px: a pinhole is filled only when it is smaller than a pen width in
    area, so the eye is kept (it was filled below a quarter of the pen width squared, 30 px, and the o traced
    as a dot: the tuning photo's "Also sharpie" in its scaled-down variants, recall 0.962 -> 0.979)."""
    canvas = np.zeros((80, 80), np.uint8)
    cv2.circle(canvas, (40, 40), 9, 1, 11)
    assert 10 <= np.count_nonzero(canvas[30:50, 30:50] == 0) <= 20
    (stroke,) = trace_mask(canvas.astype(bool), stroke_width=11.0)
    radius = np.linalg.norm(stroke.points - [40, 40], axis=1)
    assert np.all(np.abs(radius - 9) < 2.0)


def test_an_x_crossing_is_two_straight_strokes():
    mask = draw((100, 100), [(10, 10), (90, 90)], [(90, 10), (10, 90)], pen=5)
    strokes = trace_mask(mask)
    assert len(strokes) == 2
    for s in strokes:
        assert max_off_chord(s.points) < 2.0
        assert np.linalg.norm(s.points[-1] - s.points[0]) > 100


@pytest.mark.parametrize("tilt", [-1, 0, 1])
def test_two_close_bars_through_one_upright_each_run_straight_on(tilt: int) -> None:
    # 書, 聿 at a notebook's size: the crossings of two close bars with the upright merge into one junction,
    # where each bar's halves are about as straight a pair as one bar's half and the other's; the one on its line wins
    mask = draw((90, 90), [(10, 40), (70, 40 + tilt)], [(10, 48), (70, 48 - tilt)], [(40, 15), (40, 75)])
    strokes = trace_mask(mask, script="cjk")
    bars = [s for s in strokes if np.ptp(s.points[:, 0]) > 40]
    assert len(bars) == 2
    for bar in bars:
        assert np.ptp(bar.points[:, 1]) <= 3.0, "a bar's left half ran on into the other bar's right half"


def test_a_t_is_stem_then_bar_each_from_its_natural_end():
    mask = draw((100, 80), [(40, 10), (40, 90)], [(15, 30), (65, 30)])  # the bar crosses the stem
    strokes = trace_mask(mask)
    assert len(strokes) == 2
    stem, bar = strokes
    assert np.ptp(stem.points[:, 1]) > 70 and stem.points[0][1] < stem.points[-1][1]
    assert np.ptp(bar.points[:, 0]) > 40 and bar.points[0][0] < bar.points[-1][0]


def test_a_capital_t_keeps_its_bar_whole_and_draws_it_after_the_stem():
    mask = draw((100, 80), [(10, 12), (70, 12)], [(40, 12), (40, 90)])
    stem, bar = trace_mask(mask)
    assert stem.points[0][1] < 20 and stem.points[-1][1] > 85
    assert bar.points[0][0] < 15 and bar.points[-1][0] > 65


def test_an_i_dot_comes_right_after_its_body_and_before_the_next_letter():
    mask = draw((80, 120), [(20, 35), (20, 70)], [(20, 15)], [(60, 10), (60, 70)], pen=5)
    body, dot, ell = trace_mask(mask)
    assert body.points[:, 1].min() > 30 and np.ptp(body.points[:, 1]) > 25
    assert dot.points[:, 1].max() < 22 and abs(float(dot.points[:, 0].mean()) - 20) < 3
    assert ell.points[:, 0].min() > 50


def test_words_and_lines_are_read_in_order():
    first = [(10, 20), (10, 50)], [(20, 20), (20, 50)]
    second = [(80, 20), (80, 50)]
    below = [(10, 90), (10, 120)]
    strokes = trace_mask(draw((140, 110), *first, second, below))
    starts = [(round(float(s.points[0][0])), round(float(s.points[0][1]))) for s in strokes]
    assert [x for x, _ in starts[:3]] == sorted(x for x, _ in starts[:3])
    assert starts[3][1] > 80


def test_a_cursive_loop_keeps_its_eye():
    # a cursive 'l' (one arch of a prolate cycloid): up, round the eye, down across the upstroke
    t = np.linspace(-np.pi, np.pi, 200)
    line = np.column_stack([55 + 12 * t - 25 * np.sin(t), 60 - 40 * np.cos(t)])
    mask = draw((110, 110), [tuple(p) for p in np.rint(line).astype(int)], pen=4)
    strokes = trace_mask(mask)
    scores = compare_ink([line], [s.points for s in strokes], tolerance=6.0)
    assert scores.f1 > 0.97
    assert len(strokes) == 1  # one pen-down, straight through the crossing
    assert scores.direction == 1.0


def _bowl_and_tail(
    centre: tuple[float, float], junction_deg: float, tail_end: tuple[float, float], turn: float
) -> Path:
    """A path as the chainer may leave it: a tail ending at the junction, then a ring of radius 12 back to it.

    ``junction_deg`` places the junction on the ring (0 = right, 90 = top);
    ``turn`` +1 runs the ring counter-clockwise on screen, -1 clockwise.
    """
    cx, cy = centre
    a = np.radians(junction_deg) + turn * np.linspace(0.0, 2 * np.pi, 60)
    ring = np.column_stack([cx + 12 * np.cos(a), cy - 12 * np.sin(a)])
    tail = np.linspace(tail_end, ring[0], 20)
    points = np.concatenate([tail, ring[1:]])
    return Path(points=points, radii=np.full(len(points), 2.0), closed=False, end_loop=len(tail) - 1)


def _turn(points: np.ndarray) -> float:
    """Twice the signed area of a ring: negative counter-clockwise on screen."""
    x, y = points[:, 0], points[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize(
    ("letter", "junction_deg", "tail_end", "bowl_first", "clockwise"),
    [
        ("a", 45.0, (52.0, 70.0), True, False),  # stem from the top right of the bowl down: bowl first, o-like
        ("e", 180.0, (56.0, 58.0), True, False),  # the tail runs on to the right from the left of the eye
        ("d", 0.0, (52.0, 5.0), False, False),  # ascender on the right, drawn down into the bowl
        ("b", 200.0, (28.0, 5.0), False, True),  # ascender on the left: down the stem, then a clockwise bowl
        ("p", 160.0, (28.0, 80.0), False, True),  # descender on the left, written first; a clockwise bowl
        ("ra", 120.0, (10.0, 40.0), False, False),  # a lead-in from the left joins the top of the bowl
        # the r's foot on the baseline a pixel below the bowl's bottom (57): still a lead-in, not a bowl's tail
        ("ra foot", 150.0, (6.0, 58.0), False, False),
    ],
)
def test_a_bowl_with_a_tail_starts_and_turns_like_the_letter(
    letter: str, junction_deg: float, tail_end: tuple[float, float], bowl_first: bool, clockwise: bool
) -> None:
    for given in (_bowl_and_tail((40.0, 45.0), junction_deg, tail_end, turn) for turn in (1.0, -1.0)):
        for path in (given, given.reversed()):
            out = orient(path)
            assert out.closed is False
            k = out.start_loop if out.start_loop is not None else out.end_loop
            assert k is not None, letter
            assert (out.start_loop is not None) == bowl_first, letter
            loop = out.points[: k + 1] if bowl_first else out.points[k:]
            assert (_turn(loop) > 0) == clockwise, letter
            assert np.allclose(out.points[-1 if bowl_first else 0], tail_end), letter


def test_a_hanzi_is_traced_in_canonical_order_and_direction():
    true = load_hanzi_strokes(shared("ink", "hanzi", "6211.json"))  # 我, 7 strokes
    scale, pen = 128 / 1024, 5
    placed = [s * scale + 16 for s in true]
    canvas = np.zeros((170, 170), np.uint8)
    for s in placed:
        cv2.polylines(canvas, [np.rint(s).astype(np.int32)], False, 1, pen)
    strokes = trace_mask(canvas.astype(bool), script="cjk")
    scores = compare_ink(placed, [s.points for s in strokes], tolerance=1.5 * pen)
    assert scores.f1 > 0.95
    assert scores.order > 0.7
    assert scores.direction >= 0.7
    assert scores.pen_lifts <= 1.3


def _starts(strokes: list[TracedStroke]) -> list[tuple[int, int]]:
    return [(round(float(s.points[0][0])), round(float(s.points[0][1]))) for s in strokes]


def test_cjk_components_are_written_whole_left_then_right():
    # a left component (two verticals joined by a bar, like a radical) standing clear of a right one (three bars)
    left = [(15, 20), (15, 100)], [(30, 20), (30, 100)], [(15, 60), (30, 60)]
    right = [(50, 30), (100, 30)], [(50, 60), (100, 60)], [(50, 90), (100, 90)]
    strokes = trace_mask(draw((120, 120), *left, *right), script="cjk")
    xs = [float(s.points[:, 0].mean()) for s in strokes]
    n_left = sum(x < 40 for x in xs)
    assert n_left >= 2 and all(x < 40 for x in xs[:n_left])  # the whole left component first
    right_ys = [y for (x, y), m in zip(_starts(strokes), xs) if m > 40]
    assert right_ys == sorted(right_ys)  # then the right one top to bottom


def test_cjk_components_are_written_whole_top_then_bottom():
    # a top component of two verticals side by side, over a wide bottom bar with a stroke on it
    top = [(30, 10), (30, 45)], [(80, 10), (80, 45)]
    bottom = [(10, 70), (100, 70)], [(55, 70), (55, 100)]
    strokes = trace_mask(draw((110, 110), *top, *bottom), script="cjk")
    starts = _starts(strokes)
    assert [y < 50 for _, y in starts] == [True, True, False, False]
    assert starts[0][0] < starts[1][0]  # left before right inside the top component


def test_cjk_a_bar_comes_before_the_stroke_it_crosses():
    # 十: the horizontal first, from its left end; then the vertical from its top
    strokes = trace_mask(draw((100, 100), [(50, 10), (50, 90)], [(10, 45), (90, 45)]), script="cjk")
    assert len(strokes) == 2
    bar, stem = strokes
    assert np.ptp(bar.points[:, 0]) > 60 and bar.points[0][0] < bar.points[-1][0]
    assert np.ptp(stem.points[:, 1]) > 60 and stem.points[0][1] < stem.points[-1][1]


def test_cjk_bars_come_before_a_vertical_that_starts_above_them():
    # 丰-like: the vertical starts highest, yet the bars it crosses are written first, top to bottom
    bars = [(20, 35), (80, 35)], [(25, 55), (75, 55)], [(15, 75), (85, 75)]
    strokes = trace_mask(draw((110, 100), [(50, 10), (50, 100)], *bars), script="cjk")
    assert len(strokes) == 4
    ys = [float(s.points[:, 1].mean()) for s in strokes[:3]]
    assert all(np.ptp(s.points[:, 1]) < 8 for s in strokes[:3]) and ys == sorted(ys)
    assert np.ptp(strokes[3].points[:, 1]) > 80


def test_cjk_a_bottom_left_enclosure_comes_after_what_it_encloses():
    # 辶-like: a dot and a left column joined to a base running under a right component (丰-like), drawn last
    column = [(22, 15)], [(12, 40), (28, 40), (18, 80), (16, 92)]
    base = [(16, 92), (60, 98), (110, 102)]
    inner = [(50, 20), (100, 20)], [(50, 50), (100, 50)], [(75, 10), (75, 75)]
    strokes = trace_mask(draw((120, 120), *column, base, *inner, pen=5), script="cjk")
    assert len(strokes) == 6
    assert all(s.points[:, 0].min() > 45 for s in strokes[:3])  # the enclosed component first
    assert all(s.points[:, 0].max() < 35 for s in strokes[3:5])  # then the dot and the column
    assert np.ptp(strokes[5].points[:, 0]) > 80 and strokes[5].points[0][0] < 25  # the base last, from its left


def test_cjk_a_falling_diagonal_starts_top_right_a_flat_rising_one_at_its_left():
    # 丿 at about 40 degrees: from the top right down to the left; 提 at about 20 degrees: from the left up
    pie, ti = trace_mask(draw((100, 140), [(100, 15), (40, 65)], [(30, 85), (110, 57)]), script="cjk")
    assert pie.points[0][0] > pie.points[-1][0] and pie.points[0][1] < pie.points[-1][1]
    assert ti.points[0][0] < ti.points[-1][0] and ti.points[0][1] > ti.points[-1][1]


def test_cjk_a_bar_across_frames_comes_after_them():
    # 册-like: two 冂 frames (a vertical and a 横折 from one corner) with a bar across both, drawn last
    frames = [
        [(20, 20), (20, 90)],
        [(20, 20), (40, 20), (40, 90)],
        [(60, 20), (60, 90)],
        [(60, 20), (80, 20), (80, 90)],
    ]
    strokes = trace_mask(draw((110, 100), *frames, [(8, 55), (92, 55)]), script="cjk")
    last = strokes[-1]
    assert np.ptp(last.points[:, 0]) > 70 and np.ptp(last.points[:, 1]) < 8


def test_cjk_the_centre_comes_before_symmetric_sides():
    # 小: a tall centre stroke between two short side strokes
    strokes = trace_mask(
        draw((100, 100), [(50, 10), (50, 90)], [(25, 40), (15, 65)], [(75, 40), (85, 65)]), script="cjk"
    )
    assert len(strokes) == 3
    assert np.ptp(strokes[0].points[:, 1]) > 60
    assert strokes[1].points[:, 0].mean() < strokes[2].points[:, 0].mean()


def test_a_long_line_of_ink_traces_quickly():
    rng = np.random.default_rng(0)
    canvas = np.zeros((300, 2000), np.uint8)
    for x in range(20, 1960, 28):  # ~70 scribbled letters
        pts = np.column_stack([x + rng.uniform(0, 26, 6), rng.uniform(90, 210, 6)]).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 1, 4)
    start = time.perf_counter()
    strokes = trace_mask(canvas.astype(bool))
    assert strokes
    assert time.perf_counter() - start < 3.0


def test_skeleton_script_auto_follows_the_crop_hint():
    from inksight_sdk.builtin.classical import SkeletonDerenderer, SkeletonOptions
    from inksight_sdk.stages import Mode, WordCrop

    assert SkeletonOptions().script == "auto"
    seen = []
    import inksight_sdk.tracing as tracing

    original = tracing.trace_mask

    def spy(mask, *, script, **kwargs):
        seen.append(script)
        return original(mask, script=script, **kwargs)

    image = np.full((60, 60, 3), 245, np.uint8)
    cv2.line(image, (10, 30), (50, 30), (20, 20, 20), 4)
    content = np.array([[5.0, 5.0], [55.0, 5.0], [55.0, 55.0], [5.0, 55.0]])
    tracing.trace_mask = spy
    try:
        derenderer = SkeletonDerenderer(SkeletonOptions())
        crops = [WordCrop(image=image, content=content, script=s) for s in ("cjk", "latin", None)]
        derenderer.derender(crops, next(iter(Mode)))
    finally:
        tracing.trace_mask = original
    assert seen == ["cjk", "latin", "latin"]
