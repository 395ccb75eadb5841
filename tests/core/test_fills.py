"""Issue 13 part 2: a form's printed fills (shaded section bands, white letters on a dark band) are no ink.

Pages are drawn here: the bands and their headings with Pillow's own bundled
font, the handwriting with the project's Hershey pen (:mod:`tests.drawing`),
then blurred a little and saved as JPEG, as a phone photo of a form is.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from inksight_sdk.vision import extract_ink
from inksight_sdk.vision.fills import find_fills
from tests.drawing import write

PAPER = (246, 244, 238)
BAND = (70, 610, 210, 240)  # x0, x1, y0, y1 of the band on the page: thinner than the ink's window is wide


def _form(fill: tuple[int, int, int], letters: tuple[int, int, int], size: int = 18) -> tuple[np.ndarray, np.ndarray]:
    """A band with a heading in it between two lines of handwriting; returns the photo and the pen's ink."""
    page = Image.new("RGB", (680, 420), PAPER)
    draw = ImageDraw.Draw(page)
    x0, x1, y0, y1 = BAND
    draw.rectangle([x0, y0, x1, y1], fill=fill)
    draw.text((x0 + 12, y0 + 6), "MEDICAL HISTORY", font=ImageFont.load_default(size=size), fill=letters)
    image = np.array(page)
    hand = write(image, "the quick brown fox", (80, 150), size=40, pen=3.0)
    hand |= write(image, "jumps over it", (80, 340), size=40, pen=3.0)
    image = cv2.GaussianBlur(image, (0, 0), 0.7)
    _, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]), hand


def _near_band(shape: tuple[int, ...], reach: int) -> np.ndarray:
    x0, x1, y0, y1 = BAND
    near = np.zeros(shape[:2], bool)
    near[max(0, y0 - reach) : y1 + reach + 1, max(0, x0 - reach) : x1 + reach + 1] = True
    return near


@pytest.mark.parametrize("tone", [60, 90])
def test_white_letters_on_a_dark_band_are_no_ink(tone):
    """Taken for paper by the narrow window, the white letters left the dark band round each of them as ink
    (rings traced round every letter), and the band's blurred edge as a frame round it."""
    image, hand = _form((tone, tone, tone + 8), PAPER)
    ink = extract_ink(image)
    assert np.count_nonzero(ink.mask & _near_band(ink.mask.shape, 3)) <= 20
    kept = np.count_nonzero(hand & cv2.dilate(ink.mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool))
    assert kept >= 0.97 * np.count_nonzero(hand)
    # --debug-dir shows the band as printed structure
    x0, x1, y0, y1 = BAND
    assert extract_ink(image, explain=True).layers["structure"][y0 + 2 : y1 - 1, x0 + 2 : x1 - 1].mean() >= 0.95


def test_a_grey_bands_edge_is_no_ink_and_its_heading_is():
    """On a mid-grey band the heading is ink (print, for the layout to tell), the band's outline is not."""
    image, _ = _form((120, 120, 126), (25, 25, 30))
    ink = extract_ink(image)
    x0, x1, y0, y1 = BAND
    edge = _near_band(ink.mask.shape, 3) & ~_near_band(ink.mask.shape, -4)
    edge[y0 : y1 + 1, x0 + 8 : x0 + 200] = False  # the heading's own letters come near the top and bottom
    assert np.count_nonzero(ink.mask & edge) <= 10
    heading = ink.mask[y0 + 4 : y1 - 4, x0 + 8 : x0 + 200]
    assert np.count_nonzero(heading) >= 300


def test_a_hard_shadow_from_beyond_the_page_is_no_fill():
    """A shadow's edge may be as straight and as sharp as a band's, but it comes from beyond the sheet: the
    writing in it is to be measured against the shadow's own light, not taken out with a fill (the logbook's
    synthetic shadow lost its writing so)."""
    page = np.full((1000, 1200, 3), PAPER, np.uint8)
    write(page, "the quick brown fox", (60, 150), size=40, pen=3.0)
    write(page, "fox", (1095, 330), size=40, pen=3.0)
    page[:, 1085:] = (page[:, 1085:] * 0.55).astype(np.uint8)  # as thin as a band
    assert find_fills(page, np.full_like(page, PAPER), 3.0, 40, None) is None  # against the lit paper


def test_a_word_in_bold_type_is_no_fill():
    """Solid at the reduced scale the fills are looked for on, a bold word is letters and gaps at full scale."""
    page = Image.new("RGB", (680, 200), PAPER)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    for y, text in ((40, "Relationship: Newsletter"), (110, "Reason for visit:")):
        draw.text((40, y), text, font=font, fill=(25, 25, 30), stroke_width=2, stroke_fill=(25, 25, 30))
    image = np.array(page)
    background = np.full_like(image, PAPER)
    assert find_fills(image, background, 2.0, 40, None) is None
