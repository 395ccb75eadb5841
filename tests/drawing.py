"""Test pages written with the project's own ink: Hershey glyphs and a round pen.

A test's input must not change when a library changes how it draws text:
OpenCV 5 replaced the connected Hershey script of ``cv2.putText`` with a
plain sans-serif face, and a detector test that passed on OpenCV 4 failed on
a fresh machine. Here the glyphs come from the Hershey font data through
:mod:`inksight_sdk.synth` (package ``Hershey-Fonts``, pinned by the
constraints file) and the pen from
:func:`inksight_sdk.evaluation.stroke_coverage` (anti-aliased polylines,
4x supersampled), so a page is fixed by its text, font, size and pen.

Fonts: ``scripts`` is joined-up script (the letters of a word touch),
``futural`` is print (separate letters), ``cursive`` a rounder joined hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inksight_sdk.evaluation import stroke_coverage
from inksight_sdk.evaluation.render import over
from inksight_sdk.synth import hershey_word

__all__ = ["pen_mask", "scaled_to", "text_strokes", "text_width", "write", "PAPER", "INK"]

PAPER = (245, 243, 238)
INK = (20, 20, 60)
#: the gap between words, in cap heights (a hand leaves about half a letter)
WORD_SPACE = 0.6


def text_strokes(
    text: str, origin: Sequence[float] = (0.0, 0.0), *, font: str = "scripts", size: float = 32.0
) -> list[np.ndarray]:
    """The strokes of ``text`` in pixels: capitals ``size`` px tall, the baseline's left end at ``origin``.

    Words are separated by single spaces; each is laid out by
    :func:`~inksight_sdk.synth.hershey_word` (touching segments joined into
    strokes) and the next starts ``WORD_SPACE`` cap heights after its ink.
    """
    strokes: list[np.ndarray] = []
    x = 0.0
    for word in text.split():
        source = hershey_word(word, font)
        left = min(float(s[:, 0].min()) for s in source.strokes)
        right = max(float(s[:, 0].max()) for s in source.strokes)
        strokes += [(s + [x - left, 0.0]) * size + np.asarray(origin, np.float64) for s in source.strokes]
        x += right - left + WORD_SPACE
    return strokes


def text_width(text: str, *, font: str = "scripts", size: float = 32.0) -> float:
    """How far the ink of ``text`` reaches along its baseline (pixels)."""
    strokes = text_strokes(text, font=font, size=size)
    return float(max(s[:, 0].max() for s in strokes) - min(s[:, 0].min() for s in strokes))


def write(
    page: np.ndarray,
    text: str,
    origin: Sequence[float],
    *,
    font: str = "scripts",
    size: float = 32.0,
    pen: float = 3.0,
    color: Sequence[int] | int = INK,
) -> np.ndarray:
    """Write ``text`` on ``page`` in place (RGB or gray uint8); returns the mask of the pen's ink (coverage > 1/2)."""
    coverage = stroke_coverage(text_strokes(text, origin, font=font, size=size), pen, page.shape[:2])
    rgb = np.asarray(color, np.float32).reshape(-1)
    if page.ndim == 3:
        page[...] = np.clip(np.rint(over(page.astype(np.float32), coverage, rgb)), 0, 255).astype(np.uint8)
    else:
        page[...] = np.clip(np.rint(page * (1 - coverage) + rgb[0] * coverage), 0, 255).astype(np.uint8)
    return coverage > 0.5


def scaled_to(strokes: Sequence[np.ndarray], tall: float, edge: float = 20.0) -> list[np.ndarray]:
    """A recording's strokes scaled so its tall strokes (90th percentile of heights) are ``tall`` px, ``edge`` px in."""
    every = np.concatenate(strokes)
    scale = tall / float(np.percentile([np.ptp(s[:, 1]) for s in strokes], 90))
    return [(s - every.min(axis=0)) * scale + edge for s in strokes]


def pen_mask(strokes: Sequence[np.ndarray], pen: float, edge: int = 20) -> np.ndarray:
    """Where the round pen of width ``pen`` inks ``strokes`` (coverage over a half), ``edge`` px of paper beyond."""
    every = np.concatenate(strokes)
    shape = (int(every[:, 1].max()) + edge, int(every[:, 0].max()) + edge)
    return stroke_coverage(strokes, pen, shape) > 0.5
