"""docTR Documents, built by docTR's own classes with known geometry, as inksight Layouts: exact quads,
hierarchy, text, confidence filtering, and 12 MP sizes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("doctr")

from doctr.io.elements import Block, Document, Line, Page, Word  # noqa: E402
from doctr.models.builder import DocumentBuilder  # noqa: E402
from inksight_doctr.convert import document_to_layouts, page_to_layout  # noqa: E402

UPRIGHT = {"value": 0, "confidence": None}


def _word(value: str, geometry, confidence: float = 0.9) -> Word:
    return Word(value, confidence, geometry, 0.8, UPRIGHT)


def _rotated(center, length, height, degrees, size=(1.0, 1.0)):
    """Relative TL, TR, BR, BL corners of a box turned ``degrees`` counter-clockwise on screen (y down).

    ``center``, ``length`` and ``height`` are in the units of ``size`` (width, height): pixels of the page,
    or relative units when ``size`` is left at 1.
    """
    a = np.radians(degrees)
    along, across = np.array([np.cos(a), -np.sin(a)]), np.array([np.sin(a), np.cos(a)])
    c = np.asarray(center, float)
    corners = np.array(
        [
            c - along * length / 2 - across * height / 2,
            c + along * length / 2 - across * height / 2,
            c + along * length / 2 + across * height / 2,
            c - along * length / 2 + across * height / 2,
        ]
    )
    return corners / np.asarray(size, float)


def _page(blocks, shape=(200, 400)) -> Page:
    return Page(np.zeros((*shape, 3), np.uint8), blocks, 0, shape)


def test_straight_boxes_map_from_relative_edges_to_pixel_centres():
    # docTR's relative boxes sit on pixel edges: 0.1 of 400 px is the left edge of column 40, at x = 39.5
    # in pixel-centre coordinates
    hello, world = _word("Hello", ((0.1, 0.2), (0.3, 0.25))), _word("world", ((0.35, 0.2), (0.6, 0.26)))
    page = _page([Block([Line([hello, world])])])
    layout = page_to_layout(page, (200, 400, 3))
    assert [w.text for w in layout.words] == ["Hello", "world"]
    np.testing.assert_array_equal(
        np.asarray(layout.words[0].quad), [[39.5, 39.5], [119.5, 39.5], [119.5, 49.5], [39.5, 49.5]]
    )
    np.testing.assert_allclose(
        np.asarray(layout.words[1].quad), [[139.5, 39.5], [239.5, 39.5], [239.5, 51.5], [139.5, 51.5]]
    )
    assert layout.direction == "ltr"
    assert all(w.script == "latin" for w in layout.words)


@pytest.mark.parametrize("degrees", [0.0, 20.0, -35.0, 90.0, 180.0])
def test_rotated_polygons_keep_their_corner_order_turned_with_the_word(degrees):
    corners = _rotated((0.5, 0.5), 0.3, 0.08, degrees)
    page = _page([Block([Line([_word("turned", corners)])])], shape=(400, 400))  # square: angles as on screen
    quad = np.asarray(page_to_layout(page, (400, 400)).words[0].quad, np.float64)
    np.testing.assert_allclose(quad, corners * 400 - 0.5, atol=1e-4)
    # TL -> TR runs along the word's baseline direction, in the turned direction
    direction = quad[1] - quad[0]
    angle = np.degrees(np.arctan2(-direction[1], direction[0]))
    assert abs((angle - degrees + 180) % 360 - 180) < 1e-3


def test_blocks_and_lines_keep_doctrs_hierarchy_and_confidence_filters_words():
    page = _page(
        [
            Block(
                [
                    Line([_word("one", ((0.1, 0.1), (0.2, 0.15))), _word("two", ((0.25, 0.1), (0.35, 0.15)), 0.2)]),
                    Line([_word("three", ((0.1, 0.2), (0.3, 0.25)))]),
                ]
            ),
            Block([Line([_word("faint", ((0.1, 0.4), (0.2, 0.45)), 0.1)])]),
            Block(
                [
                    Line([_word("dim", ((0.1, 0.5), (0.2, 0.55)), 0.3)]),
                    Line([_word("", ((0.1, 0.6), (0.2, 0.65))), _word("42", ((0.3, 0.6), (0.4, 0.65)), 1.0)]),
                ]
            ),
        ]
    )
    layout = page_to_layout(page, (100, 100))
    assert [(w.text, w.block, w.line) for w in layout.words] == [
        ("one", 0, 0),
        ("two", 0, 0),
        ("three", 0, 1),
        ("faint", 1, 0),
        ("dim", 2, 0),
        (None, 2, 1),  # a word read as nothing keeps its quad, without text
        ("42", 2, 1),
    ]
    assert [w.confidence for w in layout.words] == pytest.approx([0.9, 0.2, 0.9, 0.1, 0.3, 0.9, 1.0])
    assert layout.words[-1].script is None  # digits are neither latin nor cjk
    kept = page_to_layout(page, (100, 100), min_confidence=0.5)
    # the emptied block and line are not counted: ids stay consecutive
    kept_ids = [(w.text, w.block, w.line) for w in kept.words]
    assert kept_ids == [("one", 0, 0), ("three", 0, 1), (None, 1, 0), ("42", 1, 0)]


def test_a_word_flattened_onto_the_border_is_left_out():
    """docTR clips corners to the page: a box found off the page (in the padding of a straightened page)
    comes back as a line along the border, which no word is."""
    flat = _word("flat", ((0.0, 0.1), (0.0, 0.1), (0.0, 0.3), (0.0, 0.3)))
    thin = _word("thin", ((0.5, 0.1), (0.5005, 0.1), (0.5005, 0.3), (0.5, 0.3)))  # 0.2 px x 20 px: 4 px^2
    layout = page_to_layout(_page([Block([Line([flat, thin])])]), (100, 400))
    assert [w.text for w in layout.words] == ["thin"]


def test_script_hint_from_the_letters():
    page = _page([Block([Line([_word("漢字", ((0.1, 0.1), (0.2, 0.2))), _word("été", ((0.3, 0.1), (0.4, 0.2)))])])])
    assert [w.script for w in page_to_layout(page, (10, 10)).words] == ["cjk", "latin"]


def test_a_document_from_doctrs_own_builder_keeps_its_lines_and_pages():
    """docTR's DocumentBuilder groups known rotated boxes into lines; the layout keeps that grouping per page."""
    tilt = np.array([np.cos(np.radians(10.0)), -np.sin(np.radians(10.0))])  # two lines of words turned 10 degrees
    line_a = [_rotated(np.array([150, 200]) + tilt * 130 * i, 110, 30, 10.0, (800, 600)) for i in range(3)]
    line_b = [_rotated(np.array([170, 420]) + tilt * 130 * i, 110, 30, 10.0, (800, 600)) for i in range(2)]
    boxes = np.array(line_b + line_a, np.float32)  # out of order: the builder sorts them
    texts = [("d", 0.9), ("e", 0.9), ("a", 0.9), ("b", 0.9), ("c", 0.9)]
    shapes = [(600, 800), (300, 400)]
    document = DocumentBuilder()(
        [np.zeros((*s, 3), np.uint8) for s in shapes],
        [boxes, boxes[:1]],
        [np.full(5, 0.8), np.full(1, 0.8)],
        [texts, texts[:1]],
        shapes,
        [[UPRIGHT] * 5, [UPRIGHT]],
    )
    first, second = document_to_layouts(document, shapes)
    assert [(w.text, w.block, w.line) for w in first.words] == [
        ("a", 0, 0),
        ("b", 0, 0),
        ("c", 0, 0),
        ("d", 0, 1),
        ("e", 0, 1),
    ]
    np.testing.assert_allclose(np.asarray(first.words[0].quad), line_a[0] * [800, 600] - 0.5, atol=1e-3)
    np.testing.assert_allclose(np.asarray(second.words[0].quad), line_b[0] * [400, 300] - 0.5, atol=1e-3)
    with pytest.raises(ValueError, match="2 pages for 1 images"):
        document_to_layouts(document, shapes[:1])


def test_a_12_mp_page_maps_a_known_word_to_its_pixels_at_any_reading_size():
    """The mapping at 12 MP sizes, exactly: docTR reports a page's geometry relative to the page it was given,
    so the same relative word on a 4032 x 3024 input and on a 1008 x 756 one (4x smaller) must give quads
    that are the same word at both scales (pixel edges scale, centres shift by half a pixel)."""
    word = _rotated((0.42, 0.61), 0.1, 0.02, 15.0)
    page = Page(np.zeros((8, 8, 3), np.uint8), [Block([Line([_word("known", word)])])], 0, (756, 1008))
    big_layout, small_layout = document_to_layouts(Document([page, page]), [(3024, 4032, 3), (756, 1008, 3)])
    big = np.asarray(big_layout.words[0].quad, np.float64)
    small = np.asarray(small_layout.words[0].quad, np.float64)
    np.testing.assert_allclose(big, word * [4032, 3024] - 0.5, atol=1e-3)  # float32 quads: 1e-3 px at 4000 px
    np.testing.assert_allclose(big, (small + 0.5) * 4 - 0.5, atol=1e-3)
