"""Writing order and direction on real pen recordings (issue 13, part 8): vertical CJK columns, joined words.

The recordings are the tuning part of ``../shared/data/ink`` (docs/quality-split.md): the right
column of the MyScript Japanese capture, the UNIPEN line ``jwsr102``, and even-code-point hanzi
from the hanzi-writer-data tarball the benchmarks cache (skipped where it is not cached).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from inksight_sdk.evaluation import (
    compare_ink,
    load_hanzi_strokes,
    load_myscript_strokes,
    load_unipen_strokes,
)
from inksight_sdk.tracing import trace_mask
from inksight_sdk.tracing.order import _is_bar
from inksight_sdk.tracing.paths import Path as InkPath
from tests.conftest import shared
from tests.drawing import pen_mask, scaled_to

PEN = 3.5
TOLERANCE = 1.5 * PEN


def _two_columns(column: list[np.ndarray], gap: float) -> list[np.ndarray]:
    """``column`` written first on the right, then a copy of it ``gap`` column widths to its left."""
    width = float(np.ptp(np.concatenate(column)[:, 0]))
    return [s + (gap * width, 0.0) for s in column] + column


@pytest.mark.parametrize("tall", [30.0, 40.0, 56.0])
def test_two_vertical_japanese_columns_are_read_right_to_left_top_to_bottom(tall):
    # 手書 written top to bottom (the right column of the capture, its first 10 strokes), twice side by side
    column = scaled_to(load_myscript_strokes(shared("ink", "myscript", "ja_JP-2Columns.json"))[:10], tall)
    true = _two_columns(column, 1.6)
    traced = trace_mask(pen_mask(true, PEN), script="cjk")
    scores = compare_ink(true, [s.points for s in traced], TOLERANCE)
    assert scores.f1 > 0.97
    assert scores.order > 0.8, "the right column first (left to right gives a negative order)"
    assert scores.direction >= 0.85
    middle = 0.5 * (true[0][:, 0].min() + true[-1][:, 0].max())
    assert traced[0].points[0][0] > middle and traced[-1].points[0][0] < middle


def test_a_line_of_two_characters_is_still_read_left_to_right():
    # the same characters side by side in one row: no column stands out, so left to right as before
    column = scaled_to(load_myscript_strokes(shared("ink", "myscript", "ja_JP-2Columns.json"))[:10], 40.0)
    top = [s for s in column if s[:, 1].mean() < np.concatenate(column)[:, 1].mean()]  # 手
    width = float(np.ptp(np.concatenate(top)[:, 0]))
    true = top + [s + (1.3 * width, 0.0) for s in top]
    traced = trace_mask(pen_mask(true, PEN), script="cjk")
    assert compare_ink(true, [s.points for s in traced], TOLERANCE).order > 0.8


def test_two_rows_of_characters_far_apart_are_rows_not_columns():
    # 手 and 書 side by side, twice, the second row a wide line gap lower: its groups are tall, but the
    # rows stand further apart than the characters in them, so the first row still comes first
    column = scaled_to(load_myscript_strokes(shared("ink", "myscript", "ja_JP-2Columns.json"))[:10], 40.0)
    every = np.concatenate(column)
    middle = every[:, 1].mean()
    top, bottom = [s for s in column if s[:, 1].mean() < middle], [s for s in column if s[:, 1].mean() >= middle]
    width = float(np.ptp(np.concatenate(top)[:, 0]))
    lift = float(np.concatenate(bottom)[:, 1].min() - np.concatenate(top)[:, 1].min())
    row = top + [s + (1.15 * width, -lift) for s in bottom]
    true = row + [s + (0.0, 1.0 * float(np.ptp(every[:, 1]))) for s in row]
    traced = trace_mask(pen_mask(true, PEN), script="cjk")
    assert compare_ink(true, [s.points for s in traced], TOLERANCE).order > 0.8


def _cached_hanzi(count: int) -> list[dict]:
    """The first ``count`` even-code-point characters of the cached hanzi-writer-data tarball (or a skip)."""
    found = sorted((Path.home() / ".cache" / "inksight-bench").glob("hanzi-writer-data-*.tgz"))
    if not found:
        pytest.skip("hanzi-writer-data is not cached (benchmarks/quality_groundtruth.py fetches it)")
    with tarfile.open(found[-1]) as tar:
        members = sorted(
            (m for m in tar.getmembers() if m.name.endswith(".json") and len(Path(m.name).stem) == 1),
            key=lambda m: Path(m.name).stem,
        )
        even = [m for m in members if ord(Path(m.name).stem) % 2 == 0]
        out = []
        for member in even[1000 : 1000 + count]:
            f = tar.extractfile(member)
            assert f is not None
            out.append(json.load(f))
    return out


def test_vertical_columns_of_hanzi_are_read_right_to_left():
    chars = _cached_hanzi(6)
    box, true = 64.0, []
    for k, data in enumerate(chars):  # 3 characters per column, the first column on the right
        column, row = divmod(k, 3)
        true += [
            s * box / 1024 + (20 + (1 - column) * 1.5 * box, 20 + row * 1.15 * box) for s in load_hanzi_strokes(data)
        ]
    traced = trace_mask(pen_mask(true, PEN), script="cjk")
    scores = compare_ink(true, [s.points for s in traced], TOLERANCE)
    assert scores.order > 0.85
    assert scores.direction >= 0.75  # 64 px characters with a 3.5 px pen: dense strokes cost some direction


def test_joined_words_of_a_line_come_left_to_right():
    # jwsr102: one line of joined-up writing; its long flat words are no underlines to be drawn after the line
    true = scaled_to(load_unipen_strokes(shared("ink", "unipen", "jwsr102.dat")), 40.0)
    traced = trace_mask(pen_mask(true, PEN), script="latin")
    scores = compare_ink(true, [s.points for s in traced], TOLERANCE)
    assert scores.order > 0.93
    assert scores.direction >= 0.85
    assert scores.local_order >= 0.75


def test_a_long_joined_word_is_not_an_underline():
    # a long flat zigzag (a joined word of n's and m's) before a short word: written in place, not after the line
    zigzag = [(10 + 6 * k, 40 if k % 2 else 62) for k in range(30)]
    mask = _draw((90, 260), zigzag, [(215, 30), (215, 62)], [(235, 30), (235, 62)])
    strokes = trace_mask(mask)
    assert strokes[0].points[:, 0].min() < 20
    assert strokes[-1].points[:, 0].min() > 200


def test_small_letters_between_tall_ones_are_letters_not_marks():
    # l, o, o, l: each o is smaller than an accent would be next to the tall letters, but stands on the line
    def ring(cx: int) -> list[tuple[int, int]]:
        return [(cx + int(round(6 * np.cos(t))), 62 + int(round(6 * np.sin(t)))) for t in np.linspace(0, 2 * np.pi, 40)]

    mask = _draw((100, 140), [(30, 10), (30, 70)], ring(52), ring(74), [(100, 10), (100, 70)])
    xs = [float(s.points[:, 0].mean()) for s in trace_mask(mask)]
    assert len(xs) == 4 and xs == sorted(xs)


def test_an_i_dot_still_follows_its_letter():
    mask = _draw((90, 130), [(30, 40), (30, 70)], [(30, 22)], [(90, 10), (90, 70)], pen=5)
    body, dot, ell = trace_mask(mask)
    assert dot.points[:, 1].max() < 30 and ell.points[:, 0].min() > 80


def _draw(shape: tuple[int, int], *polylines: list[tuple[int, int]], pen: int = 4) -> np.ndarray:
    """A bool mask with each polyline drawn by a round pen ``pen`` pixels wide (one point: a dot)."""
    canvas = np.zeros(shape, np.uint8)
    for line in polylines:
        pts = np.asarray(line, np.int32)
        if len(pts) == 1:
            cv2.circle(canvas, (int(pts[0][0]), int(pts[0][1])), pen // 2 + 1, 1, -1)
        else:
            cv2.polylines(canvas, [pts], False, 1, pen)
    return canvas.astype(bool)


def test_a_ring_starts_at_one_o_clock_and_turns_counter_clockwise():
    # pens start an o a little right of its top (the o's of the Wacom note start between one and two o'clock)
    canvas = np.zeros((80, 80), np.uint8)
    cv2.circle(canvas, (40, 40), 22, 1, 4)
    (stroke,) = trace_mask(canvas.astype(bool))
    start, later = stroke.points[0], stroke.points[len(stroke.points) // 8]
    assert start[1] < 25 and 45 < start[0] < 56
    assert later[0] < start[0]


def test_a_printed_line_of_single_letters_keeps_its_direction():
    # app2200 (UNIPEN Apple, tuning): "Build Boy Calm Cannon" in separate letters; its d and o are left open,
    # its B is a stem and then both bowls in one stroke that overshoots the stem on the left
    true = scaled_to(load_unipen_strokes(shared("ink", "unipen", "app2200.dat")), 56.0)
    traced = trace_mask(pen_mask(true, PEN), script="latin")
    scores = compare_ink(true, [s.points for s in traced], TOLERANCE)
    assert scores.direction >= 0.85
    assert scores.local_order >= 0.9


def _arc(centre: tuple[float, float], radius: float, start_deg: float, end_deg: float) -> list[tuple[int, int]]:
    """Points of a circular arc from ``start_deg`` to ``end_deg`` (0 = right, 90 = top: counter-clockwise on screen)."""
    t = np.radians(np.linspace(start_deg, end_deg, 60))
    return [(int(round(centre[0] + radius * np.cos(a))), int(round(centre[1] - radius * np.sin(a)))) for a in t]


def _turn(points: np.ndarray) -> float:
    """Twice the signed area of a ring of points: negative counter-clockwise on screen (y down)."""
    x, y = points[:, 0], points[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("gap_deg", [200.0, 250.0, 290.0])
def test_an_o_left_open_turns_counter_clockwise(gap_deg):
    # the pen lifted just short of closing its o, the gap low on either side: still an o, counter-clockwise
    (stroke,) = trace_mask(_draw((90, 90), _arc((45, 45), 22, gap_deg + 12, gap_deg + 348)))
    assert _turn(stroke.points) < 0


def test_a_d_with_its_bowl_left_open_starts_at_the_bowl():
    # one stroke: from the top right of the bowl round it counter-clockwise, then up the stem on its right
    bowl = _arc((40, 62), 13, 60, 340)
    stem = [(53, 58), (55, 40), (56, 12)]
    (stroke,) = trace_mask(_draw((90, 90), bowl + stem))
    start, end = stroke.points[0], stroke.points[-1]
    assert start[1] > 40 and end[1] < 20, "from the bowl up the stem, not down from the stem's top"
    assert _turn(stroke.points[: len(stroke.points) // 2]) < 0


def test_a_lifted_stem_comes_before_the_bowls_that_overshoot_it():
    # a B: the stem, then both bowls in one stroke that starts left of the stem's top, clear of it
    stem = [(32, 28), (32, 70)]
    bowls = [(24, 20), (46, 18), (56, 28), (48, 42), (39, 44), (54, 48), (60, 60), (50, 72), (40, 74)]
    first, *rest = trace_mask(_draw((100, 100), stem, bowls))
    assert np.ptp(first.points[:, 0]) < 6 and np.ptp(first.points[:, 1]) > 30
    assert rest and all(np.ptp(s.points[:, 0]) > 10 for s in rest)


def test_a_bowl_with_level_ends_is_no_bar():
    # the top bowl of a B from the stem's top round to its waist (ends level, but rising well above them), the
    # lower bowl leaving from its middle: written where it stands; a flat bar met in its middle is still a bar
    def path(*corners: tuple[float, float]) -> InkPath:
        points = np.concatenate([np.linspace(a, b, 10, endpoint=False) for a, b in zip(corners[:-1], corners[1:])])
        return InkPath(points=points, radii=np.full(len(points), 2.0), closed=False)

    bowl = path((28, 44), (30, 20), (45, 16), (55, 25), (50, 38), (42, 44))
    lower = path((52, 36), (60, 50), (55, 64), (40, 68))
    bar = path((20, 40), (60, 40))
    stem = path((40, 30), (40, 70))
    assert not _is_bar(bowl, [lower], 4.0)
    assert _is_bar(bar, [stem], 4.0)


def test_a_d_with_a_closed_bowl_is_its_bowl_then_its_stem():
    # the Wacom note's writer: the bowl counter-clockwise, then the stem from its top down over the bowl's right
    # side; one path could give the bowl first or the stem its direction, not both. A b stays one stroke.
    ring = _arc((40, 60), 12, 0, 360)
    bowl, stem = trace_mask(_draw((90, 90), ring, [(52, 12), (52, 72)]))
    assert _turn(bowl.points) < 0 and bowl.points[:, 1].min() > 40
    assert stem.points[0][1] < 20 and stem.points[-1][1] > 60 and np.ptp(stem.points[:, 0]) < 10
    (b,) = trace_mask(_draw((90, 90), _arc((50, 60), 12, 0, 360), [(38, 12), (38, 72)]))
    assert b.points[0][1] < 20


def test_a_long_joined_run_met_by_a_stem_is_no_bar():
    # the foot of a joined-up word (BBN writers) runs on through several letters, up and down; a stem or t-bar
    # meeting it does not make it a bar drawn after them. A crooked bar within a letter's width still is one.
    def path(*corners: tuple[float, float]) -> InkPath:
        points = np.concatenate([np.linspace(a, b, 10, endpoint=False) for a, b in zip(corners[:-1], corners[1:])])
        return InkPath(points=points, radii=np.full(len(points), 2.0), closed=False)

    run = path(*[(10.0 + 8 * k, 60.0 if k % 2 else 48.0) for k in range(16)])  # 120 px of zigzag, ends level
    stem = path((66, 20), (66, 70))
    hooked_bar = path((40, 40), (52, 38), (55, 46), (58, 38), (64, 40))  # a t-bar run on into the next letter
    upright = path((56, 20), (56, 70))
    assert not _is_bar(run, [stem], 4.0, line_height=40.0)
    assert _is_bar(hooked_bar, [upright], 4.0, line_height=40.0)
