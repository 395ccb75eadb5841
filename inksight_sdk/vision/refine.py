"""Refine a detector's word quads to the ink they hold (``--refine-words``).

OCR engines are made for print: their word boxes clip the ascenders,
descenders and long final strokes of handwriting, and pad short words with
paper. A derenderer given such a quad loses the clipped ink and may trace the
neighbour's. This step moves each quad's sides to the ink of its word:

1. The page's ink mask (:func:`~inksight_sdk.vision.ink_mask.extract_ink`,
   printed ruling removed) is split into connected pieces.
2. Each piece belongs to the quad that holds most of its pixels, so a piece
   cut by two quads goes to one of them, never to both.
3. A quad grows to take in the whole of each piece it owns, within a reach of
   ``reach`` quad heights on every side (in the quad's own frame, so a
   rotated word stays rotated). A piece that does not fit within that reach
   (an underline across the page, a margin rule, a joined-up line of several
   words) is not followed: each quad keeps only its part of it.
4. The quad then shrinks to the ink it holds plus a pixel and a quarter of a
   pen width. A quad with no ink in it, or without an area (which the
   pipeline reports), is left as the detector gave it.
"""

from __future__ import annotations

import attrs
import cv2
import numpy as np

from ..geometry import apply_affine, invert_affine, quad_frame
from ..stages import Layout
from .ink_mask import InkMask, extract_ink

__all__ = ["RefineReport", "refine_layout"]

#: how far (in quad heights) a quad may grow on each side to take in the rest of a word's ink
DEFAULT_REACH = 1.0


@attrs.frozen
class RefineReport:
    """What refining did to a page's quads: counts of quads ``grown``, ``shrunk`` only, and ``unchanged``
    (no ink of their own)."""

    grown: int = 0
    shrunk: int = 0
    unchanged: int = 0


@attrs.frozen
class _Frame:
    """A quad in working pixels: its affine frame (quad -> ``[0, w] x [0, h]``) and the pixels around it."""

    matrix: np.ndarray
    width: float
    height: float
    reach: float
    ys: np.ndarray
    xs: np.ndarray
    uv: np.ndarray
    labels: np.ndarray

    def inside(self, margin: float) -> np.ndarray:
        u, v = self.uv[:, 0], self.uv[:, 1]
        return (u >= -margin) & (u <= self.width + margin) & (v >= -margin) & (v <= self.height + margin)


def refine_layout(
    image: np.ndarray, layout: Layout, *, ink: InkMask | None = None, reach: float = DEFAULT_REACH
) -> tuple[Layout, RefineReport]:
    """``layout`` with each word's quad fitted to its ink (module docstring), and a count of what changed.

    ``image`` is the page the quads are in (RGB or gray uint8); pass ``ink``
    when the page's ink mask is already at hand.
    """
    if not layout.words:
        return layout, RefineReport()
    ink = ink if ink is not None else extract_ink(image)
    if ink.empty:
        return layout, RefineReport(unchanged=len(layout.words))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.mask.astype(np.uint8), connectivity=8)
    shift = (ink.scale - 1) / 2  # original pixel centres -> working pixel centres: x * scale + shift
    frames = [_frame(np.asarray(w.quad, np.float64) * ink.scale + shift, labels, reach) for w in layout.words]
    owner, whole = _owners(frames, stats[:, cv2.CC_STAT_AREA])
    pad = 1.0 + 0.25 * ink.stroke_width  # beyond the outermost ink pixel's centre: its edge and a little paper
    words, grown, shrunk = [], 0, 0
    for index, (word, frame) in enumerate(zip(layout.words, frames)):
        box = None if frame is None else _ink_box(frame, index, owner, whole)
        if box is None:
            words.append(word)
            continue
        u0, v0, u1, v1 = box
        u0, v0, u1, v1 = u0 - pad, v0 - pad, u1 + pad, v1 + pad
        if u0 < 0 or v0 < 0 or u1 > frame.width or v1 > frame.height:
            grown += 1
        else:
            shrunk += 1
        corners = np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]], np.float64)
        working = apply_affine(invert_affine(frame.matrix), corners)
        quad = (working - shift) / ink.scale
        words.append(attrs.evolve(word, quad=quad))
    report = RefineReport(grown=grown, shrunk=shrunk, unchanged=len(words) - grown - shrunk)
    return attrs.evolve(layout, words=words), report


def _frame(quad: np.ndarray, labels: np.ndarray, reach: float) -> _Frame | None:
    """The quad's frame and the ink pixels within ``reach`` quad heights of it (working pixels); None for a
    quad without an area."""
    x, y = quad[:, 0], quad[:, 1]
    if 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) < 1e-3:
        return None
    matrix, width, height = quad_frame(quad)
    grow = max(2.0, reach * height)
    outline = np.array([[-grow, -grow], [width + grow, -grow], [width + grow, height + grow], [-grow, height + grow]])
    around = apply_affine(invert_affine(matrix), outline)
    rows, cols = labels.shape
    x0, y0 = np.clip(np.floor(around.min(axis=0)).astype(int), 0, [cols - 1, rows - 1])
    x1, y1 = np.clip(np.ceil(around.max(axis=0)).astype(int), 0, [cols - 1, rows - 1])
    window = labels[y0 : y1 + 1, x0 : x1 + 1]
    ys, xs = np.nonzero(window)
    ys, xs = ys + y0, xs + x0
    uv = apply_affine(matrix, np.column_stack([xs, ys]))
    return _Frame(matrix, width, height, grow, ys, xs, uv, labels[ys, xs])


def _owners(frames: list[_Frame | None], areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ink piece, the quad it belongs to (-1: none), and whether that quad can follow it whole.

    A piece belongs to the quad holding most of its pixels. A piece outside
    every quad (the dot of an ``i``, an accent, a detached cross-bar) belongs
    to the nearest quad whose reach holds all of it. A quad can follow a
    piece whole when all of the piece lies within the quad's reach.
    """
    count = len(areas)
    best = np.zeros(count, np.int64)
    owner = np.full(count, -1, np.int64)
    for index, frame in enumerate(frames):
        if frame is None:
            continue
        held = np.bincount(frame.labels[frame.inside(0.0)], minlength=count)
        better = held > best
        best[better] = held[better]
        owner[better] = index
    whole = np.zeros(count, bool)
    nearest = np.full(count, np.inf)
    stray = owner < 0
    for index, frame in enumerate(frames):
        if frame is None:
            continue
        reached = frame.inside(frame.reach)
        labels, within = np.unique(frame.labels[reached], return_counts=True)
        fits = within == areas[labels]
        whole[labels] |= (owner[labels] == index) & fits
        # strays within reach: how far (pixels) the nearest pixel lies outside the quad
        u, v = frame.uv[reached, 0], frame.uv[reached, 1]
        outside = np.maximum.reduce([-u, u - frame.width, -v, v - frame.height, np.zeros_like(u)])
        gap = np.full(count, np.inf)
        np.minimum.at(gap, frame.labels[reached], outside)
        closer = stray[labels] & fits & (gap[labels] < nearest[labels])
        nearest[labels[closer]] = gap[labels[closer]]
        owner[labels[closer]] = index
        whole[labels[closer]] = True
    return owner, whole


def _ink_box(frame: _Frame, index: int, owner: np.ndarray, whole: np.ndarray) -> tuple[float, ...] | None:
    """The extent, in the quad's frame, of the ink that is this quad's; None when it holds none.

    That is the pieces it owns and can follow whole, and inside the quad the
    parts of pieces that no quad can follow whole.
    """
    followed = whole[frame.labels]
    take = (followed & (owner[frame.labels] == index)) | (~followed & frame.inside(0.0))
    if not take.any():
        return None
    uv = frame.uv[take]
    u0, v0 = uv.min(axis=0)
    u1, v1 = uv.max(axis=0)
    return float(u0), float(v0), float(u1), float(v1)
