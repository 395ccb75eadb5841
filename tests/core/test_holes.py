"""Punched holes along the sheet's edge (issue 13 part 4): taken out, and nothing that is writing is.

The real case is the three binder holes of a tuning photo (their areas are
the ``objects`` of its hand-marked regions); the synthetic pages check what
must not be taken: a lone blot, and filled bullets with their line of
writing beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from inksight_sdk import Pipeline
from inksight_sdk.vision import extract_ink
from inksight_sdk.vision.holes import find_holes
from tests.conftest import shared
from tests.drawing import write

REGIONS = Path(__file__).resolve().parents[2] / "benchmarks" / "regions"
PHOTO = "ruled_margin_bleedthrough_en.jpg"


def _ink(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The page's ink mask with the objects it took out put back, and the pen width."""
    ink = extract_ink(image, explain=True)
    return ink.mask | ink.layers["objects"], ink.stroke_width


def _photo() -> tuple[np.ndarray, list[np.ndarray]]:
    """The tuning photo (RGB) and its marked holes (polygons, photo pixels)."""
    image = cv2.cvtColor(cv2.imread(str(shared("photos", PHOTO))), cv2.COLOR_BGR2RGB)
    marks = json.loads((REGIONS / f"{Path(PHOTO).stem}.json").read_text(encoding="utf-8"))
    return image, [np.asarray(poly, np.float32) for poly in marks["objects"]]


def _page(holes: int) -> np.ndarray:
    """Three lines of writing and the photo's first ``holes`` holes down the left edge, all at half the photo's scale.

    (The photo itself is worked on at half its size, where its pen is 4 pixels wide.)
    """
    page = np.full((750, 550, 3), 250, np.uint8)
    for row in range(3):
        write(page, "the quick brown fox", (110, 130 + 225 * row), size=35, pen=2.8)
    photo, marked = _photo()
    for row, hole in enumerate(marked[:holes]):
        x, y, w, h = cv2.boundingRect(hole)
        crop = cv2.resize(photo[y : y + h, x : x + w], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        page[100 + 225 * row : 100 + 225 * row + h // 2, 15 : 15 + w // 2] = crop
    return page


def test_binder_holes_of_a_real_notebook_page_are_not_traced():
    image, holes = _photo()
    with Pipeline(detector="layout", derenderer="skeleton", derenderer_options={"workers": 0}) as pipeline:
        document = pipeline.convert(image)
    strokes = [np.asarray(s.points, np.float32) for s in document.strokes() if len(s.points)]
    points = np.concatenate(strokes)
    inside = [sum(cv2.pointPolygonTest(hole, (float(x), float(y)), False) >= 0 for x, y in points) for hole in holes]
    assert inside == [0, 0, 0]
    assert len(strokes) > 400  # the page's writing is still there


def test_holes_in_a_column_are_found_and_the_writing_is_not():
    page = _page(holes=3)
    mask, pen = _ink(page)
    found = find_holes(mask, pen)
    assert found[:, :100][mask[:, :100]].mean() > 0.9
    assert not found[:, 100:].any()


def test_a_lone_hole_is_not_taken():
    """One blot alone could be a drawing's filled dot: a hole is only known by its partners."""
    mask, pen = _ink(_page(holes=1))
    assert not find_holes(mask, pen).any()


@pytest.mark.parametrize("radius", [5, 12])
def test_filled_bullets_beside_their_lines_are_not_holes(radius):
    page = _page(holes=0)
    for row in range(3):
        cv2.circle(page, (75, 118 + 225 * row), radius, (30, 30, 30), -1)
    mask, pen = _ink(page)
    assert not find_holes(mask, pen).any()
