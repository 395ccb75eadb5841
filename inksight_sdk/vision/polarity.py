"""Light on dark or dark on light: is the writing darker than its ground (pen on paper) or lighter (chalk)?

Everything downstream looks for ink darker than the paper, so a blackboard,
white ink on black paper or a negative scan must be turned over first. Which
way round a page is cannot be told from its brightness (a dim photo of paper
is dark, a lit board is not), nor from thin marks alone (the paper between
the strokes of a word is as thin a ridge of light as a chalk line). It can be
told from which side the ink lies on: ink is the minority, so the ground is
the local median over a window much wider than a stroke, and ink pixels stand
out of it on one side only (darker for a pen, lighter for chalk), while the
gaps between strokes sit at the ground's level. A step (the sheet's edge
against a desk) or a shadow wider than the window moves the median with it
and stands out on neither side; texture (paper grain, wood) stands out on
both alike. The side with clearly more energy is the ink's.

Marks right beside marks of the other side count for neither: where
writing is dense (a many-stroked character filling a small image) the
median is pulled toward the ink, and the paper between close strokes stands
out lighter, only ever a pixel or two from them; the same holds for the gaps
between dense chalk strokes. Chalk on a board, or a pen's line on paper,
stands alone.

A page read as unclear is looked at again with a window three times as
wide: broad strokes alone in a small image (a bold heading, a marker) are
as wide as the first window, which they pull toward the ink.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

__all__ = ["Polarity", "page_polarity"]

log = logging.getLogger(__name__)

Polarity = str  # "dark" (ink darker than its ground) or "light" (chalk, white ink)

#: the decision is made on a copy of at most this many pixels
_PIXELS = 1_000_000
#: the window of the ground's median, as a share of the side of a square as large as the copy (wider than a stroke)
_WINDOW_SHARE = 0.05
_MIN_WINDOW = 15
_MAX_WINDOW = 99
#: light marks must carry this many times the energy of dark ones to turn the page over
_LIGHT_MARGIN = 1.5
#: between these ratios of light to dark energy the page could be read either way: it is read by the margin
#: above, with a warning (every tuning photo lies outside, both as it is and turned over: 0.26 and 3.9 at most)
_UNCLEAR = (0.5, 3.0)
#: an unclear page is looked at again with a window this many times as wide (at most half the copy's short side)
_WIDER = 3
#: a pixel stands out of its ground by more than this many noise levels (MAD), and at least _MIN_STEP levels
_NOISE_LEVELS = 4.0
_MIN_STEP = 10.0
#: marks within this many pixels (of the copy) of the other side's are the ground between them, for neither side
#: (on the tuning photos and rendered pages this moves every light-to-dark ratio further from 1)
_BESIDE = 2


def page_polarity(image: np.ndarray) -> Polarity:
    """``"light"`` when the page's thin marks are lighter than their ground, else ``"dark"`` (the usual page).

    ``image`` is ``(h, w, 3)`` RGB or ``(h, w)`` gray, uint8. Ties and pages
    without marks are ``"dark"``: turning a page over wrongly loses all of it.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    factor = max(1, math.ceil(math.sqrt(height * width / _PIXELS)))
    if factor > 1:
        gray = cv2.resize(gray, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    size = int(np.clip(int(_WINDOW_SHARE * math.sqrt(gray.size)) | 1, _MIN_WINDOW, _MAX_WINDOW))
    light, dark = _energies(gray, size)
    wider = min(_WIDER * size, min(gray.shape) // 2) | 1
    if _unclear(light, dark) and wider > size:
        # bold type or a broad marker in a small image: the window must be much wider than a stroke, or the
        # ground's median is pulled toward the ink and the paper between strokes stands out
        light, dark = _energies(gray, wider)
    polarity = "light" if light > _LIGHT_MARGIN * max(dark, 1.0) else "dark"
    ratio = light / max(dark, 1.0)
    if _unclear(light, dark):
        log.warning(
            "the page's polarity is unclear (light marks carry %.0f%% of the dark ones' contrast); read as %s",
            100 * ratio,
            "light writing on a dark ground" if polarity == "light" else "dark writing on a light ground",
        )
    return polarity


def _energies(gray: np.ndarray, size: int) -> tuple[float, float]:
    """The light and the dark marks' contrast against the ground's median over ``size`` pixels (odd)."""
    ground = cv2.medianBlur(gray, size)
    deviation = gray.astype(np.float32) - ground.astype(np.float32)
    noise = 1.4826 * float(np.median(np.abs(deviation)))
    level = max(_MIN_STEP, _NOISE_LEVELS * noise)
    lighter, darker = deviation > level, deviation < -level
    light = float(deviation[lighter & ~_near(darker)].sum())
    dark = -float(deviation[darker & ~_near(lighter)].sum())
    return light, dark


def _unclear(light: float, dark: float) -> bool:
    """Whether the light marks' share of the dark ones' contrast lies in :data:`_UNCLEAR`."""
    return dark > 0 and _UNCLEAR[0] <= light / dark <= _UNCLEAR[1]


def _near(marks: np.ndarray) -> np.ndarray:
    """The pixels within :data:`_BESIDE` of ``marks``."""
    size = 2 * _BESIDE + 1
    return cv2.dilate(marks.astype(np.uint8), np.ones((size, size), np.uint8)).astype(bool)
