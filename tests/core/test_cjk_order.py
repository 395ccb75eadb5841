"""CJK: a lone character stays one character through the layout, and its strokes come in canonical order."""

from __future__ import annotations

import cv2
import numpy as np

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
