"""Layout merging: reading order (LTR, RTL, vertical), duplicate removal, one time axis."""

import numpy as np
import pytest

from inksight_sdk.ink import Stroke, WordInk
from inksight_sdk.layout import assign_time, reading_order, remove_duplicate_strokes


def box(x, y, w=40, h=20, text=None, strokes=()):
    return WordInk(quad=[[x, y], [x + w, y], [x + w, y + h], [x, y + h]], text=text, strokes=strokes)


def texts(words):
    return [w.text for w in words]


def shuffled(words, seed=0):
    rng = np.random.default_rng(seed)
    return [words[i] for i in rng.permutation(len(words))]


def test_ltr_lines_then_words_with_jittered_baselines():
    words = [
        box(10, 10, text="a"),
        box(60, 13, text="b"),
        box(110, 8, text="c"),
        box(12, 50, text="d"),
        box(70, 47, text="e"),
        box(10, 90, text="f"),
    ]
    for seed in range(5):
        ordered = reading_order(shuffled(words, seed), "ltr")
        assert texts(ordered) == list("abcdef")
        assert [w.line for w in ordered] == [0, 0, 0, 1, 1, 2]


def test_rtl_reads_right_to_left_top_to_bottom():
    words = [
        box(110, 10, text="a"),
        box(60, 10, text="b"),
        box(10, 10, text="c"),
        box(100, 50, text="d"),
        box(20, 50, text="e"),
    ]
    assert texts(reading_order(shuffled(words), "rtl")) == list("abcde")


def test_vertical_columns_right_to_left_each_top_to_bottom():
    # two columns of CJK characters: the right one is read first
    right = [box(200, 10 + 30 * i, 25, 25, text=f"r{i}") for i in range(3)]
    left = [box(150, 12 + 30 * i, 25, 25, text=f"l{i}") for i in range(2)]
    ordered = reading_order(shuffled(right + left), "ttb")
    assert texts(ordered) == ["r0", "r1", "r2", "l0", "l1"]
    assert [w.line for w in ordered] == [0, 0, 0, 1, 1]


def test_rotated_page_reads_along_its_own_lines():
    th = np.deg2rad(25)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    words = []
    for line in range(3):
        for i in range(4):
            w = box(10 + 50 * i, 10 + 40 * line, text=f"{line}{i}")
            words.append(w.transformed(np.hstack([rot, [[300], [0]]])))
    ordered = reading_order(shuffled(words, 3), "ltr")
    assert texts(ordered) == [f"{line}{i}" for line in range(3) for i in range(4)]


def test_detector_blocks_and_lines_are_respected():
    # two blocks side by side (columns of a newspaper-like page); block 1 is on the right
    words = [box(10, 10, text="a"), box(10, 40, text="b"), box(300, 5, text="c"), box(300, 40, text="d")]
    ordered = reading_order(words, "ltr", blocks=[0, 0, 1, 1], lines=[0, 1, 0, 1])
    assert texts(ordered) == list("abcd")
    assert [(w.block, w.line) for w in ordered] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def line_stroke(x0, x1, y):
    return Stroke(points=np.stack([np.linspace(x0, x1, 20), np.full(20, y)], axis=1))


def test_overlapping_crops_keep_one_copy_of_shared_strokes():
    shared = line_stroke(45, 55, 10)  # lies in both quads, more inside the second
    a = box(0, 0, 52, 20, text="a", strokes=[line_stroke(5, 30, 10), shared])
    b = box(44, 0, 50, 20, text="b", strokes=[shared, line_stroke(60, 90, 10)])
    out = remove_duplicate_strokes([a, b])
    total = sum(len(w.strokes) for w in out)
    assert total == 3
    assert len(out[0].strokes) == 1 and len(out[1].strokes) == 2


def test_stroke_picked_up_from_neighbour_goes_to_the_neighbour():
    intruder = line_stroke(62, 80, 10)  # inside b's quad, outside a's
    a = box(0, 0, 50, 20, text="a", strokes=[line_stroke(5, 40, 10), intruder])
    b = box(60, 0, 40, 20, text="b", strokes=[line_stroke(62, 80, 12)])
    out = remove_duplicate_strokes([a, b])
    assert len(out[0].strokes) == 1
    assert len(out[1].strokes) == 1


def test_ink_outside_every_quad_is_kept():
    descender = line_stroke(10, 20, 35)  # below the quad, nobody else claims it
    a = box(0, 0, 50, 20, strokes=[line_stroke(5, 40, 10), descender])
    b = box(200, 0, 40, 20, strokes=[line_stroke(205, 230, 10)])
    out = remove_duplicate_strokes([a, b])
    assert len(out[0].strokes) == 2


def test_time_axis_is_monotonic_and_keeps_given_rhythm():
    timed = Stroke(points=[[0, 0], [1, 0], [2, 0]], t=[10.0, 10.5, 12.0])
    words = [
        box(0, 0, strokes=[line_stroke(0, 30, 5), timed], text="a"),
        box(50, 0, strokes=[line_stroke(50, 80, 5)], text="b"),
        box(0, 40, strokes=[line_stroke(0, 30, 45)], text="c"),
    ]
    words = [w for w in reading_order(words)]
    out = assign_time(words)
    times = np.concatenate([s.t for w in out for s in w.strokes])
    assert np.all(np.diff(times) >= 0)
    kept = out[0].strokes[1].t
    assert kept[1] - kept[0] == pytest.approx(0.5) and kept[2] - kept[1] == pytest.approx(1.5)
    assert out[0].strokes[0].t[0] == 0.0
