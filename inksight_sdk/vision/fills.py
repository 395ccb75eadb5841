"""Printed fills: a form's shaded section bar, a black title band with white letters, a grey header row.

The ink mask measures darkness against the paper around each pixel, a
closing over a window a few pen widths across. A filled band taller than
that window is paper to it inside, and only its rim stands out: blurred
across the band's edge, the estimate is the white page's on the band's
side, so a pen width or two of the band along its outline reads as ink and
is traced as a long stroke round it. White letters in a dark band are
worse: the closing takes them for paper, and the dark band round every
letter becomes ink, traced as rings.

A fill differs from everything a hand puts on a page: it is far thicker than
the pen, an even tone with a sharp, straight outline (a rectangle), and it
is long. Measured against the paper of a window many times wider (which
bridges a band but still follows the light), such a region shows as one
dark, thick, rectangular piece. Within it (and a pen width round it) the
paper is the fill's own tone: writing on a light fill is still darker than
that, a dark band's white letters and its rim are not. A shadow is left to
the narrow window: it is cast from beyond the page, so it reaches the
image's border or what lies beyond the sheet, where print keeps a margin;
and it rarely is as even, as rectangular and as narrow as a band.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from .darkness import relative_darkness

__all__ = ["Fills", "find_fills"]

#: a fill is at least this many pen widths thick (no stroke, nor a marker's, is) and this many long
_THICK_PENS = 4.0
_LONG_PENS = 20.0
#: ... and never thinner than this many working pixels (four widths of a fine pen are no more than where
#: blurred strokes cross)
_THICK_MIN_PX = 8
#: ... and at most this share of the image's shorter side thick: a band, not a shadow over half the page
_THICK_SHARE = 0.15
#: its dark pixels fill at least this share of its rotated bounding box at the reduced scale, and this share
#: at full scale (a band with white letters in it still fills most of it; a shadow's or a blob's outline does
#: not, nor a word in bold type: 0.55-0.79 on the synthetic forms' labels and headings, 0.90-1.0 on their bands)
_RECTANGULAR = 0.8
_SOLID = 0.85
#: its tone is even: the spread (median absolute deviation) of its darkness at most this share of its median
_EVEN = 0.25


class Fills(NamedTuple):
    """Where printed fills lie (working resolution, grown by a pen width) and the paper's colour there."""

    region: np.ndarray
    colour: np.ndarray


def find_fills(
    work: np.ndarray, background: np.ndarray, pen_width: float, level: float, paper: np.ndarray | None
) -> Fills | None:
    """The printed fills of ``work`` (the working image, ink dark), ``None`` where there are none.

    ``background`` is the paper of a window that bridges a band (same
    shape), ``level`` the darkness (0..255) a fill must reach (the ink's low
    threshold: a fainter tint raises no rim), ``paper`` the sheet (``None``:
    all of the image). The colour of each fill is its median colour. Looked
    for on a copy reduced so that a fill is still four pixels thick, and
    checked at full scale.
    """
    thick = max(_THICK_MIN_PX, int(round(_THICK_PENS * pen_width)))
    factor = max(1, thick // 4)
    size = (max(1, work.shape[1] // factor), max(1, work.shape[0] // factor))
    small = cv2.resize(work, size, interpolation=cv2.INTER_AREA)
    _, darkness = relative_darkness(small, cv2.resize(background, size, interpolation=cv2.INTER_AREA))
    dark = (darkness >= level).astype(np.uint8)
    pad = max(1, int(round((pen_width + 1) / factor)))  # the band's blurred edge is its own too
    beyond = None
    if paper is not None:
        beyond = _beyond(cv2.resize(paper.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)
        dark[beyond] = 0
        beyond = cv2.dilate(beyond.astype(np.uint8), np.ones((2 * pad + 1,) * 2, np.uint8)) > 0
    core = cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thick // factor,) * 2))
    if not core.any():
        return None
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    region = np.zeros(work.shape[:2], np.uint8)
    colour = np.zeros_like(work)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * int(round(pen_width)) + 1,) * 2)
    for k in np.unique(labels[core > 0]):
        x, y, w, h = (int(v) for v in stats[k, :4])
        box = (slice(y, y + h), slice(x, x + w))
        piece = labels[box] == k
        if _at_border(stats[k], size, pad) or (beyond is not None and beyond[box][piece].any()):
            continue  # a shadow is cast from beyond the page; print keeps a margin
        ys, xs = np.nonzero(piece)
        rect = cv2.minAreaRect(np.column_stack([xs + x, ys + y]).astype(np.float32))
        short, long = sorted(rect[1])
        if (
            short < thick / factor
            or short > _THICK_SHARE * min(size)
            or long * factor < _LONG_PENS * pen_width
            or len(xs) < _RECTANGULAR * short * long
        ):
            continue
        corners = np.rint((cv2.boxPoints(rect) + 0.5) * factor - 0.5).astype(np.int32)
        reach = grow.shape[0] // 2 + 1
        (x0, y0), (x1, y1) = np.maximum(corners.min(axis=0) - reach, 0), corners.max(axis=0) + reach + 1
        around = (slice(int(y0), int(y1)), slice(int(x0), int(x1)))  # the fill's box at full scale, grown
        here = np.zeros(work[around].shape[:2], np.uint8)
        cv2.fillConvexPoly(here, corners - [x0, y0], 1)
        if _solid(work[around], background[around], here > 0, level):
            here = cv2.dilate(here, grow) > 0
            region[around][here] = 1
            colour[around][here] = np.maximum(np.median(small[box][piece], axis=0), 1).astype(work.dtype)
    return Fills(region > 0, colour) if region.any() else None


def _solid(work: np.ndarray, background: np.ndarray, region: np.ndarray, level: float) -> bool:
    """Whether ``region`` of ``work`` (a crop of the working image) is solid and even at full scale: at
    least :data:`_SOLID` of it at least ``level`` dark, and the spread of its darkness (median absolute
    deviation) at most :data:`_EVEN` of its median. A dark band's white letters are a small part of it; a
    word in bold type, solid at the reduced scale, is letters and the gaps between them and above its short
    letters."""
    _, darkness = relative_darkness(work, background)
    values = darkness[region].astype(np.float32)
    median = float(np.median(values))
    even = float(np.median(np.abs(values - median))) <= _EVEN * median
    return even and float(np.mean(values >= level)) >= _SOLID


def _beyond(paper: np.ndarray) -> np.ndarray:
    """What lies beyond the sheet: the parts outside ``paper`` that reach the image's border (a dark band
    inside the sheet may have been cut out of it like a desk; it is still the sheet's)."""
    _, labels = cv2.connectedComponents((~paper).astype(np.uint8), connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge[edge > 0])


def _at_border(stat: np.ndarray, size: tuple[int, int], margin: int) -> bool:
    """Whether a piece's box (``stat``) comes within ``margin`` of the border of an image of ``size`` (w, h)."""
    x, y, w, h = (int(v) for v in stat[:4])
    return x <= margin or y <= margin or x + w >= size[0] - margin or y + h >= size[1] - margin
