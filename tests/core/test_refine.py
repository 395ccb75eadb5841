"""Refining detected quads to their word's ink (inksight_sdk.vision.refine, ``--refine-words``)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inksight_sdk.geometry import apply_affine, quad_frame
from inksight_sdk.stages import DetectedWord, Layout
from inksight_sdk.vision.refine import refine_layout
from tests.drawing import PAPER, write


def _box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _holds(quad: np.ndarray, mask: np.ndarray) -> float:
    """Share of the mask's pixels inside the quad (its own frame, so rotated quads count right)."""
    ys, xs = np.nonzero(mask)
    matrix, w, h = quad_frame(quad)
    uv = apply_affine(matrix, np.column_stack([xs, ys]))
    inside = (uv[:, 0] >= -0.5) & (uv[:, 0] <= w + 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] <= h + 0.5)
    return float(inside.mean())


def _page(words: list[tuple[str, tuple[float, float]]], size: float = 48) -> tuple[np.ndarray, list[np.ndarray]]:
    page = np.full((260, 900, 3), PAPER, np.uint8)
    masks = []
    for text, origin in words:
        alone = np.full_like(page, 255)
        masks.append(write(alone, text, origin, font="futural", size=size, pen=4))
        write(page, text, origin, font="futural", size=size, pen=4)
    return page, masks


def test_a_quad_that_clips_ascenders_descenders_and_the_last_letter_grows_to_the_whole_word():
    page, (ink,) = _page([("jumpy", (100, 140))])
    x0, y0, x1, y1 = _bounds(ink)
    clipped = _box(x0 + 6, y0 + 0.3 * (y1 - y0), x1 - 20, y1 - 0.3 * (y1 - y0))  # an OCR box around the x-height
    assert _holds(clipped, ink) < 0.7
    (word,), report = _refined(page, [clipped])
    assert _holds(word, ink) == 1.0
    assert report.grown == 1
    # and no more than the ink plus a pen's margin
    assert np.all(word.min(axis=0) > [x0 - 6, y0 - 6]) and np.all(word.max(axis=0) < [x1 + 6, y1 + 6])


def test_a_padded_quad_shrinks_to_its_ink():
    page, (ink,) = _page([("over", (300, 150))])
    x0, y0, x1, y1 = _bounds(ink)
    (word,), report = _refined(page, [_box(x0 - 60, y0 - 50, x1 + 70, y1 + 40)])
    assert report.shrunk == 1 and _holds(word, ink) == 1.0
    np.testing.assert_allclose(word.min(axis=0), [x0, y0], atol=4)
    np.testing.assert_allclose(word.max(axis=0), [x1, y1], atol=4)


def test_a_quad_never_takes_the_ink_of_its_neighbour():
    page, (left, right) = _page([("dog", (100, 150)), ("bit", (230, 150))])  # 12 px apart
    lx0, ly0, lx1, ly1 = _bounds(left)
    rx0, ry0, rx1, ry1 = _bounds(right)
    # the left quad reaches into the stem of "b" (a greedy OCR box), the right one clips "b"'s ascender
    quads = [_box(lx0 - 2, ly0 - 2, rx0 + 3, ly1 + 2), _box(rx0 - 1, ry0 + 25, rx1 + 2, ry1 + 2)]
    (first, second), _ = _refined(page, quads)
    assert _holds(first, left) == 1.0 and _holds(second, right) == 1.0
    assert _holds(first, right) < 0.02  # at most a pen's edge of "b"
    assert first.max(axis=0)[0] < rx0 + 2


def test_a_line_through_many_words_is_not_followed():
    page, (ink,) = _page([("fox", (300, 150))])
    x0, y0, x1, y1 = _bounds(ink)
    cv2.line(page, (20, y1 - 2), (880, y1 - 2), (20, 20, 60), 4)  # an underline across the page touching the word
    (word,), _ = _refined(page, [_box(x0 - 3, y0 - 3, x1 + 3, y1 + 3)])
    assert word.min(axis=0)[0] > x0 - 10 and word.max(axis=0)[0] < x1 + 10


def test_a_rotated_word_keeps_a_rotated_quad():
    page, (ink,) = _page([("jumpy", (330, 150))])
    x0, y0, x1, y1 = _bounds(ink)
    turn = cv2.getRotationMatrix2D((450.0, 130.0), 25.0, 1.0)  # counter-clockwise on screen
    page = cv2.warpAffine(page, turn, (900, 260), borderValue=PAPER)
    ink = cv2.warpAffine(ink.astype(np.uint8), turn, (900, 260)) > 0
    clipped = apply_affine(turn, _box(x0 + 8, y0 + 20, x1 - 25, y1 - 20))
    (word,), _ = _refined(page, [clipped])
    assert _holds(word, ink) >= 0.995
    angle = np.degrees(np.arctan2(*(word[1] - word[0])[::-1]))
    assert angle == pytest.approx(-25.0, abs=0.5)


def test_quads_without_ink_or_area_are_left_alone():
    page, _ = _page([("ink", (100, 150))])
    empty = _box(700, 20, 850, 80)
    flat = np.array([[10, 10], [50, 10], [90, 10], [30, 10]], np.float64)
    (a, b), report = _refined(page, [empty, flat])
    np.testing.assert_array_equal(a, empty)
    np.testing.assert_array_equal(b, flat)
    assert report.unchanged == 2


def test_a_blank_page_and_an_empty_layout_come_back_unchanged():
    blank = np.full((200, 300, 3), PAPER, np.uint8)
    assert refine_layout(blank, Layout())[0] == Layout()
    (quad,), report = _refined(blank, [_box(10, 10, 90, 50)])
    np.testing.assert_array_equal(quad, _box(10, 10, 90, 50))


def test_a_large_photo_is_refined_at_working_resolution_and_mapped_back():
    page, (ink,) = _page([("jumpy", (100, 140))])
    big = cv2.resize(page, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)  # 3600 x 1040: reduced by 2
    x0, y0, x1, y1 = _bounds(ink)
    clipped = _box(x0 + 6, y0 + 20, x1 - 20, y1 - 20)
    (small,), _ = _refined(page, [clipped])
    (large,), _ = _refined(big, [(clipped + 0.5) * 4 - 0.5])
    np.testing.assert_allclose(large, (small + 0.5) * 4 - 0.5, atol=4 * 2.5)  # within the working pixel's size


def _refined(page: np.ndarray, quads: list[np.ndarray]):
    layout, report = refine_layout(page, Layout(words=[DetectedWord(quad=q, text="w") for q in quads]))
    assert [w.text for w in layout.words] == ["w"] * len(quads)  # everything but the quad is kept
    return [np.asarray(w.quad, np.float64) for w in layout.words], report
