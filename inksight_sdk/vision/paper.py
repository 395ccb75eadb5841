"""Where the sheet of paper is in a photo, so a table or a scanner lid makes no ink.

A phone photo of a page shows the table around it; a scan shows the black
lid. Both would look like ink once the image is divided by its local
background (wood grain, the lid's edge). Paper is told from them on a copy
reduced to cells of a few pixels, median-filtered so the handwriting
vanishes: paper is nearly as bright as the whitest cells (a shadowed corner
still counts) and no more colourful than they are (a sunlit wooden table is
pale but orange). A word crop, which is all paper, is left alone.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["paper_region"]

#: paper is at least this bright (0..255)
_MIN_PAPER_LEVEL = 40
#: paper is at least this share of the brightest paper's level (a shadowed corner of a photo)
_DARK_RATIO = 0.25
#: paper's saturation is at most this much above the clean paper's (wood, even sunlit, is more colourful)
_SATURATION_MARGIN = 0.06
#: the whitest cells (this share of the whiteness level) are surely paper and set the paper's saturation
_WHITE_RATIO = 0.85
#: below this share of the image, what is outside the paper is noise, not a table
_MIN_OUTSIDE_SHARE = 0.002


def whiteness(image: np.ndarray) -> np.ndarray:
    """``min(R, G, B) - 2 (max - min)``: high for white or cream paper, low for wood, black and colour."""
    if image.ndim == 2:
        return image.copy()
    lo, hi = _channel_range(image)
    return _whiteness(lo, hi)


def _channel_range(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel min and max over the three channels (OpenCV: numpy reduces a 3-long last axis slowly)."""
    r, g, b = cv2.split(np.ascontiguousarray(image))
    return cv2.min(cv2.min(r, g), b), cv2.max(cv2.max(r, g), b)


def _whiteness(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.clip(3 * lo.astype(np.int16) - 2 * hi.astype(np.int16), 0, 255).astype(np.uint8)


def paper_region(small: np.ndarray, margin: int) -> np.ndarray | None:
    """Paper mask at the resolution of ``small``, or ``None`` when the image is all paper.

    ``small`` is the working image reduced to cells of a few pixels. Each of
    brightness, saturation and whiteness is median-filtered over
    ``2 * margin + 1`` cells, which erases handwriting (thin, and never most
    of a neighbourhood) but keeps the table. The whitest cells are surely
    paper and tell its saturation; paper is then any cell not much darker
    than them (a shadowed corner of a photo is still paper) and not more
    colourful (a wooden table is, even where the sun makes it pale). The
    sheet is the largest such region, holes filled, shrunk by a cell so its
    own edge makes no ink. An all-False mask means nothing looks like paper
    (a black image).
    """
    if min(small.shape[:2]) <= 2 * margin:
        # too few cells for the median to erase the handwriting (a word crop a few cells high): the ink
        # itself would pass for a table and cut the paper in two; an image this small shows no table
        return None
    # a gray image is its own min and max over channels
    lo, value = _channel_range(small) if small.ndim == 3 else (small, small)
    chroma = (value - lo).astype(np.float32)
    saturation = np.clip(chroma * 255.0 / np.maximum(value, 1), 0, 255).astype(np.uint8)
    white = _whiteness(lo, value)
    value, saturation, white = (cv2.medianBlur(a, 2 * margin + 1) for a in (value, saturation, white))
    level = float(np.percentile(white, 90))
    if level < _MIN_PAPER_LEVEL:
        return np.zeros(value.shape, dtype=bool)
    clean = white >= _WHITE_RATIO * level
    bright = float(np.median(value[clean]))
    pale = float(np.median(saturation[clean])) + 255.0 * _SATURATION_MARGIN
    paper = (value >= max(_MIN_PAPER_LEVEL, _DARK_RATIO * bright)) & (saturation <= pale)
    if paper.mean() > 1.0 - _MIN_OUTSIDE_SHARE:
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper.astype(np.uint8), connectivity=4)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    sheet = (labels == largest).astype(np.uint8)
    # holes (a printed logo, a dark patch) inside the sheet are still paper
    contours, _ = cv2.findContours(sheet, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(sheet)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return cv2.erode(filled, np.ones((3, 3), np.uint8)).astype(bool)
