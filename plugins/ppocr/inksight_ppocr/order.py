"""PP-OCR's line quads grouped into lines of text and blocks, in reading order.

PP-OCR's detector often splits a line of handwriting into several pieces
(one per widely spaced word or group) and lists them top to bottom with a
small tolerance, so a piece a little higher comes first. Here, in the frame
of the page's own text direction (the median reading direction of the
quads, so a rotated page is ordered like an upright one):

- pieces whose extents across the line overlap by half the smaller height,
  and that are at most three heights apart along it, are one line, read
  along the direction;
- lines that overlap along the direction and are at most 1.5 median heights
  apart across it are one block (a column, a paragraph);
- blocks are read by their top then left edge; lines in a block top down.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["reading_order"]


def _components(n: int, linked: np.ndarray) -> list[list[int]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(linked, 1))):
        parent[root(int(i))] = root(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _overlap(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Pairwise length of the overlap of intervals ``[lo, hi]`` (negative: the gap between them)."""
    return np.minimum(hi[:, None], hi[None, :]) - np.maximum(lo[:, None], lo[None, :])


def reading_order(quads: Sequence[np.ndarray]) -> list[tuple[int, tuple[int, int]]]:
    """``(index, (block, line))`` for each quad (TL, TR, BR, BL in reading orientation), in reading order."""
    n = len(quads)
    if n == 0:
        return []
    q = np.asarray(quads, np.float64)
    along = (q[:, 1] - q[:, 0]) + (q[:, 2] - q[:, 3])
    total = along.sum(axis=0)
    if np.linalg.norm(total) < 1e-9:
        total = np.array([1.0, 0.0])
    d = total / np.linalg.norm(total)
    normal = np.array([-d[1], d[0]])  # down the page for text read left to right
    u, v = q @ d, q @ normal
    u_lo, u_hi, v_lo, v_hi = u.min(1), u.max(1), v.min(1), v.max(1)
    height = np.maximum(v_hi - v_lo, 1.0)
    same_line = (_overlap(v_lo, v_hi) >= 0.5 * np.minimum(height[:, None], height[None, :])) & (
        -_overlap(u_lo, u_hi) <= 3.0 * np.maximum(height[:, None], height[None, :])
    )
    lines = _components(n, same_line)
    lu_lo = np.array([u_lo[m].min() for m in lines])
    lu_hi = np.array([u_hi[m].max() for m in lines])
    lv_lo = np.array([v_lo[m].min() for m in lines])
    lv_hi = np.array([v_hi[m].max() for m in lines])
    step = 1.5 * float(np.median(height))
    same_block = (_overlap(lu_lo, lu_hi) > 0) & (-_overlap(lv_lo, lv_hi) <= step)
    blocks = sorted(_components(len(lines), same_block), key=lambda b: (lv_lo[b].min(), lu_lo[b].min()))
    out = []
    for b, members in enumerate(blocks):
        for row, line in enumerate(sorted(members, key=lambda m: (lv_lo[m] + lv_hi[m], lu_lo[m]))):
            for index in sorted(lines[line], key=lambda i: u_lo[i]):
                out.append((int(index), (b, row)))
    return out
