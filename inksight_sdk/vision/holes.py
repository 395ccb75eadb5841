"""Punched holes along a sheet's edge: a binder's or a ring book's holes, not writing.

Through a punched hole the photo shows what lies under the sheet: the
next pages' edges, their shadow, the desk. That reads as a thick, shaded
blot, and the ink mask takes its darker crescents for a word; traced, a hole
becomes a few curved strokes beside the margin. What tells holes from
writing is that they come as a set:

- each is a compact, thick blot: at its thickest several pen widths across
  (a letter's stroke is one; even a filled loop or a marker's full stop
  stays under it), about as tall as it is wide, of a size no letter is;
- two or more of them, of about the same size, sit on one line parallel to
  the nearest edge of the sheet (a column near the left or right edge, a
  row near the top or bottom), far apart compared with their size;
- nothing else lies close round them: people write beside the holes, not
  against them.

A filled bullet or a blot of ink in the margin is alone, smaller, or has its
line of writing right beside it. The whole round area of each hole is taken
(the pieces its shading broke off included), so no crescent is left to trace.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["find_holes"]

#: a hole's blot is at least this many pen widths thick at its thickest point ...
_THICK_PENS = 3.0
#: ... at least this many pen widths across (its box's longer side) and at most _MAX_PENS
_MIN_PENS = 7.0
_MAX_PENS = 40.0
#: ... its box at most this elongated
_ROUND = 1.6
#: holes lie within this share of the sheet's width (or height) of its left or right (top or bottom) edge
_EDGE_SHARE = 0.15
#: holes of one set differ in size (box side) by at most this factor ...
_SAME_SIZE = 1.5
#: ... their centres keep within this many of their own sizes of one line parallel to the edge ...
_ALIGNED = 0.75
#: ... and are at least this many of their sizes apart along it
_APART = 3.0
#: within this many of its sizes round a hole at most _CLEAR of the area is other ink
_CLEAR_REACH = 1.0
_CLEAR = 0.02
#: the area taken round each hole: a disc this many times its box's half diagonal
_TAKEN = 1.25


def find_holes(mask: np.ndarray, pen_width: float, sheet: np.ndarray | None = None) -> np.ndarray:
    """The pixels of ``mask`` that belong to punched holes along the sheet's edge (``bool``, the mask's shape).

    ``mask`` is the ink mask at working resolution, ``pen_width`` the pen's
    median width there, ``sheet`` the paper (``None``: the whole image).
    Nothing is found without a pen width or without at least two holes.
    """
    mask = np.asarray(mask, dtype=bool)
    found = np.zeros(mask.shape, dtype=np.uint8)
    if pen_width <= 0 or not mask.any():
        return found.astype(bool)
    count, labels, stats, centres = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    box = _sheet_box(sheet, mask.shape)
    candidates = [k for k in range(1, count) if _placed_and_sized(stats[k], pen_width, centres[k], box)]
    candidates = [k for k in candidates if _thick(labels, stats[k], k, pen_width) and _clear_round(labels, stats[k], k)]
    for axis in (0, 1):  # 0: a column of holes (x alike), 1: a row (y alike)
        for k in _in_sets(candidates, stats, centres, axis, box):
            w, h = (int(v) for v in stats[k][2:4])
            radius = int(round(_TAKEN * 0.5 * float(np.hypot(w, h))))
            cv2.circle(found, (int(round(centres[k][0])), int(round(centres[k][1]))), radius, 1, -1)
    return found.astype(bool) & mask


def _sheet_box(sheet: np.ndarray | None, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The sheet's bounding box (x0, y0, x1, y1), the whole image when there is no sheet."""
    if sheet is None:
        return 0, 0, shape[1], shape[0]
    x, y, w, h = cv2.boundingRect(np.asarray(sheet, dtype=np.uint8))
    if w == 0 or h == 0:
        return 0, 0, shape[1], shape[0]
    return x, y, x + w, y + h


def _placed_and_sized(stats: np.ndarray, pen_width: float, centre: np.ndarray, box: tuple) -> bool:
    """Whether a piece of ink is sized and placed like a hole: compact, roundish, near an edge of the sheet."""
    w, h = float(stats[2]), float(stats[3])
    size = max(w, h)
    if not _MIN_PENS * pen_width <= size <= _MAX_PENS * pen_width or size > _ROUND * min(w, h):
        return False
    x0, y0, x1, y1 = box
    near_side = min(centre[0] - x0, x1 - centre[0]) <= _EDGE_SHARE * (x1 - x0)
    near_end = min(centre[1] - y0, y1 - centre[1]) <= _EDGE_SHARE * (y1 - y0)
    return bool(near_side or near_end)


def _thick(labels: np.ndarray, stats: np.ndarray, k: int, pen_width: float) -> bool:
    """Whether the piece is a blot: several pen widths thick at its thickest point (a stroke is one)."""
    x, y, w, h = (int(v) for v in stats[:4])
    piece = np.pad(labels[y : y + h, x : x + w] == k, 1).astype(np.uint8)
    return 2.0 * float(cv2.distanceTransform(piece, cv2.DIST_L2, 5).max()) >= _THICK_PENS * pen_width


def _clear_round(labels: np.ndarray, stats: np.ndarray, k: int) -> bool:
    """Whether little other ink lies within a hole's size round it (a word's letters would)."""
    x, y, w, h = (int(v) for v in stats[:4])
    reach = int(round(_CLEAR_REACH * max(w, h)))
    window = labels[max(0, y - reach) : y + h + reach, max(0, x - reach) : x + w + reach]
    others = (window > 0) & (window != k)
    return float(others.mean()) <= _CLEAR


def _in_sets(candidates: list[int], stats: np.ndarray, centres: np.ndarray, axis: int, box: tuple) -> set[int]:
    """The candidates that have a partner hole: same size, on one line along the edge, far apart along it."""
    x0, y0, x1, y1 = box
    out: set[int] = set()
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            size_a, size_b = float(stats[a][2:4].max()), float(stats[b][2:4].max())
            size = max(size_a, size_b)
            if size > _SAME_SIZE * min(size_a, size_b):
                continue
            across, along = abs(centres[a][axis] - centres[b][axis]), abs(centres[a][1 - axis] - centres[b][1 - axis])
            if across > _ALIGNED * size or along < _APART * size:
                continue
            # the shared line runs near one edge: both near the same side (column) or end (row)
            lo, hi = (x0, x1) if axis == 0 else (y0, y1)
            line = 0.5 * (centres[a][axis] + centres[b][axis])
            if min(line - lo, hi - line) <= _EDGE_SHARE * (hi - lo):
                out.update((a, b))
    return out
