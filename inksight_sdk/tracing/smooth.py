"""Skeleton staircases to pen-like polylines: smoothing, resampling, simplification, width.

A skeleton moves in whole-pixel steps; a light Gaussian along the arc removes
the staircase without rounding real corners by more than a pixel or so.
Resampling makes point spacing independent of the pixel grid, and
Ramer-Douglas-Peucker with a sub-pixel tolerance then drops the points a
straight run does not need while keeping the geometry faithful.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

__all__ = ["smooth_path", "resample_path", "simplify", "finish_path"]

_SMOOTH_SIGMA_PX = 1.0
_RESAMPLE_STEP_PX = 1.0
_RDP_EPSILON_PX = 0.5


def smooth_path(points: np.ndarray, closed: bool, sigma: float = _SMOOTH_SIGMA_PX) -> np.ndarray:
    """Gaussian smoothing along the path; open paths keep their two end points."""
    if len(points) < 3 or sigma <= 0:
        return points.copy()
    if closed:
        ring = points[:-1] if np.allclose(points[0], points[-1]) else points
        smoothed = gaussian_filter1d(ring, sigma, axis=0, mode="wrap")
        return np.concatenate([smoothed, smoothed[:1]])
    smoothed = gaussian_filter1d(points, sigma, axis=0, mode="nearest")
    smoothed[0], smoothed[-1] = points[0], points[-1]
    return smoothed


def resample_path(
    points: np.ndarray, values: np.ndarray, step: float = _RESAMPLE_STEP_PX
) -> tuple[np.ndarray, np.ndarray]:
    """Points about ``step`` apart along the path (ends kept), with ``values`` interpolated."""
    if len(points) < 2:
        return points.copy(), values.copy()
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    total = arc[-1]
    if total <= 0:
        return points[:1].copy(), values[:1].copy()
    n = max(1, int(round(total / step)))
    at = np.linspace(0.0, total, n + 1)
    out = np.column_stack([np.interp(at, arc, points[:, 0]), np.interp(at, arc, points[:, 1])])
    return out, np.interp(at, arc, values)


def simplify(points: np.ndarray, epsilon: float = _RDP_EPSILON_PX) -> np.ndarray:
    """Indices kept by Ramer-Douglas-Peucker (iterative, so long strokes cannot overflow the stack)."""
    n = len(points)
    if n < 3:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        norm = float(np.hypot(seg[0], seg[1]))
        if norm < 1e-12:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > epsilon:
            mid = a + 1 + k
            keep[mid] = True
            stack.extend(((a, mid), (mid, b)))
    return np.flatnonzero(keep)


def finish_path(points: np.ndarray, radii: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed, resampled and simplified points with the pen width at each.

    The distance transform at a skeleton pixel counts to the centre of the
    first paper pixel, half a pixel beyond the ink's edge on each side, so the
    width is ``2 r - 1``.
    """
    smoothed = smooth_path(points, closed)
    dense, dense_r = resample_path(smoothed, radii)
    if len(dense_r) > 2:
        # a running median about two pen widths long ignores where the distance transform does not
        # measure the pen: the taper into a round stroke end and the bulge of a junction
        size = 2 * int(round(2.0 * float(np.median(dense_r)))) + 1
        dense_r = median_filter(dense_r, size=size, mode="wrap" if closed else "reflect")
    kept = simplify(dense)
    width = np.maximum(1.0, 2.0 * dense_r[kept] - 1.0)
    return dense[kept].astype(np.float32), width.astype(np.float32)
