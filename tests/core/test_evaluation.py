"""The evaluation library: metrics behave, loaders read the shared recordings, renders match their strokes."""

from __future__ import annotations

import numpy as np
import pytest

from inksight_sdk.evaluation import (
    STYLES,
    compare_ink,
    load_hanzi_strokes,
    load_unipen_strokes,
    load_wacom_strokes,
    render_page,
    resample,
)
from tests.conftest import shared

TOL = 6.0


def _strokes() -> list[np.ndarray]:
    """Five well separated strokes, each long enough to count for direction."""
    out = []
    for i in range(5):
        t = np.linspace(0, 1, 30)
        x = 100.0 * i + 60 * t
        y = 50 + 20 * np.sin(3 * t) + 10 * i
        out.append(np.column_stack([x, y]))
    return out


def test_resample_is_one_pixel_apart_and_keeps_ends():
    pts = resample(np.array([[0.0, 0.0], [10.5, 0.0]]))
    assert len(pts) == 12
    np.testing.assert_allclose(np.diff(pts[:, 0])[:-1], 1.0)
    np.testing.assert_allclose(pts[[0, -1]], [[0, 0], [10.5, 0]])
    assert resample(np.array([[3.0, 4.0]])).shape == (1, 2)


def test_identical_strokes_score_perfectly():
    s = compare_ink(_strokes(), _strokes(), TOL)
    assert (s.precision, s.recall, s.f1, s.order, s.direction, s.pen_lifts, s.local_order) == (1,) * 7


def test_reversed_strokes_have_wrong_direction():
    s = compare_ink(_strokes(), [p[::-1] for p in _strokes()], TOL)
    assert s.direction == 0.0
    assert s.f1 == 1.0


def test_shuffled_strokes_have_low_order():
    true = _strokes()
    s = compare_ink(true, [true[i] for i in (4, 1, 3, 0, 2)], TOL)
    assert s.order < 0.3
    assert s.direction == 1.0


def _close_pairs() -> list[np.ndarray]:
    """Three letters of two strokes each: a stem, then a bar across it, a letter width apart."""
    out = []
    for i in range(3):
        x = 40.0 * i
        out.append(np.column_stack([np.full(20, x + 10), np.linspace(0, 30, 20)]))
        out.append(np.column_stack([np.linspace(x, x + 20, 20), np.full(20, 10.0)]))
    return out


def test_local_order_scores_each_close_pair():
    true = _close_pairs()
    assert compare_ink(true, true, 2.0).local_order == 1.0
    # bar before stem in every letter, letters still left to right: all 3 in-letter pairs wrong,
    # the 2 between letters (bar of one, stem of the next, 30 px apart) still right
    swapped = [true[i] for i in (1, 0, 3, 2, 5, 4)]
    assert compare_ink(true, swapped, 2.0).local_order == pytest.approx(2 / 5)
    # one traced run through both strokes of a letter, stem first, keeps them in order
    joined = [np.concatenate([true[i], true[i + 1]]) for i in (0, 2, 4)]
    assert compare_ink(true, joined, 2.0).local_order == 1.0
    # a letter left out: its pairs count as wrong
    assert compare_ink(true, true[:4], 2.0).local_order == pytest.approx(3 / 5)


def test_local_order_ignores_pairs_far_apart():
    far = [p + [300.0 * i, 0] for i, p in enumerate(_strokes()[:2])]
    assert np.isnan(compare_ink(far, far[::-1], TOL).local_order)


def test_shift_by_three_tolerances_misses_everything():
    s = compare_ink(_strokes(), [p + [0, 3 * TOL] for p in _strokes()], TOL)
    assert s.f1 < 0.05


def test_split_strokes_count_as_pen_lifts_and_missing_output_scores_zero():
    true = _strokes()
    split = [part for p in true for part in (p[:15], p[15:])]
    assert compare_ink(true, split, TOL).pen_lifts == 2.0
    empty = compare_ink(true, [], TOL)
    assert (empty.f1, empty.order, empty.direction) == (0.0, 0.0, 0.0)


def test_wacom_note_has_177_strokes_in_time_order():
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    assert len(strokes) == 177
    assert all(s.ndim == 2 and s.shape[1] == 2 and len(s) >= 2 for s in strokes)
    every = np.concatenate(strokes)
    assert every.min() > 100 and every.max() < 1200  # the note's own 96-dpi pixels


def test_unipen_pen_down_blocks_are_strokes_with_y_down():
    strokes = load_unipen_strokes(shared("ink", "unipen", "app2200.dat"))  # Build / Boy / Calm / Cannon, one a line
    assert len(strokes) == 21  # one per .PEN_DOWN block
    every = np.concatenate(strokes)
    assert every[:, 1].min() == 0
    # written top line first: with y flipped to point down, the first stroke lies in the top quarter
    assert strokes[0][:, 1].max() < 0.25 * every[:, 1].max() < strokes[-1][:, 1].min()
    line = load_unipen_strokes(shared("ink", "unipen", "jwsr102.dat"))  # one sentence on one line
    assert np.ptp(np.concatenate(line)[:, 0]) > 10 * np.ptp(np.concatenate(line)[:, 1])


def test_hanzi_medians_flip_y():
    strokes = load_hanzi_strokes(shared("ink", "hanzi", "6211.json"))
    assert len(strokes) == 7
    # 我 starts with the short top stroke written right to left and downwards (y grows down in the image)
    first = strokes[0]
    assert first[0, 0] > first[-1, 0] and first[0, 1] < first[-1, 1]
    every = np.concatenate(strokes)
    assert every.min() >= -124 and every.max() <= 1024  # the 1024 box, shifted by the 900 baseline


@pytest.mark.parametrize("style", STYLES)
def test_rendered_strokes_lie_on_dark_pixels(style):
    page = render_page(_strokes(), style=style, pen_width=4.0, seed=3)
    gray = page.image.astype(np.float64).mean(axis=2)
    h, w = gray.shape
    pts = np.concatenate([resample(s) for s in page.strokes])
    x = np.clip(np.rint(pts[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.rint(pts[:, 1]).astype(int), 0, h - 1)
    on_ink = gray[y, x]
    assert page.image.dtype == np.uint8 and page.image.shape[2] == 3
    assert np.median(on_ink) < np.median(gray) - 60
    # one pen width away from any stroke the paper shows again
    assert np.median(gray[np.clip(y + 8, 0, h - 1), x]) > np.median(on_ink) + 60


def test_render_is_deterministic_and_rotates_only_dim_pages():
    a = render_page(_strokes(), style="dim_rotated", seed=1)
    b = render_page(_strokes(), style="dim_rotated", seed=1)
    assert np.array_equal(a.image, b.image)
    clean = render_page(_strokes(), style="clean", seed=1)
    offset = clean.strokes[0][0] - _strokes()[0][0]
    np.testing.assert_allclose(clean.strokes[4] - _strokes()[4], np.broadcast_to(offset, clean.strokes[4].shape))
    da, db = a.strokes[0][-1] - a.strokes[0][0], clean.strokes[0][-1] - clean.strokes[0][0]
    angle = np.degrees(np.arctan2(da[1], da[0]) - np.arctan2(db[1], db[0]))
    assert 2.0 <= abs(angle) <= 4.0


def test_text_lines_and_per_line_order():
    from inksight_sdk.evaluation import compare_by_line, compare_ink, text_lines

    # two lines of three strokes, the lower line written first; a lone underline joins its line
    top = [np.array([[x, 10.0], [x + 8, 30.0]]) for x in (0.0, 20.0, 40.0)]
    bottom = [np.array([[x, 110.0], [x + 8, 130.0]]) for x in (0.0, 20.0, 40.0)]
    underline = [np.array([[0.0, 45.0], [50.0, 45.0]])]
    true = bottom + top + underline
    lines = text_lines(true, gap=30.0)
    assert lines == [[3, 4, 5, 6], [0, 1, 2]]
    read_top_down = [true[i] for line in lines for i in line]
    assert compare_ink(true, read_top_down, 3.0).order < 0.5  # the page order punishes reading top-down
    assert all(s.order > 0.99 for s in compare_by_line(true, read_top_down, 3.0, lines))


def test_myscript_strokes_are_read_in_time_order_with_y_down(tmp_path):
    import json

    from inksight_sdk.evaluation import load_myscript_strokes

    # written out of file order: the second item's first pointer is the earliest; a non-stroke item is skipped
    items = [
        {"type": "stroke", "pointers": [{"x": 10, "y": 5, "t": 200, "p": 0.5}, {"x": 12, "y": 9, "t": 210, "p": 0.5}]},
        {"type": "stroke", "pointers": [{"x": 1, "y": 40, "t": 100, "p": 0.5}, {"x": 3, "y": 30, "t": 110, "p": 0.5}]},
        {"type": "text", "pointers": [{"x": 0, "y": 0, "t": 50}]},
        {"type": "stroke", "pointers": []},
    ]
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(items))
    strokes = load_myscript_strokes(path)
    assert [s.tolist() for s in strokes] == [[[1.0, 40.0], [3.0, 30.0]], [[10.0, 5.0], [12.0, 9.0]]]

    real = load_myscript_strokes(shared("ink", "myscript", "hello-my-friend.json"))
    assert len(real) == 10 and all(s.dtype == np.float64 and s.shape[1] == 2 for s in real)
    japanese = load_myscript_strokes(shared("ink", "myscript", "ja_JP-2Columns.json"))  # no timestamps: file order
    assert len(japanese) == 20
    right, left = np.concatenate(japanese[:10]), np.concatenate(japanese[10:])
    assert right[:, 0].mean() > left[:, 0].max() - 20, "the right column is written first"
