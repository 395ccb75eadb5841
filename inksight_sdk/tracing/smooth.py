"""Skeleton staircases to pen-like polylines: smoothing, resampling, simplification, width.

A skeleton moves in whole-pixel steps; a light Gaussian along the arc removes
the staircase without rounding real corners by more than a pixel or so.
Resampling makes point spacing independent of the pixel grid, and
Ramer-Douglas-Peucker with a sub-pixel tolerance then drops the points a
straight run does not need while keeping the geometry faithful.
"""

from __future__ import annotations

import numpy as np

from ..filters import correlate_1d, gaussian_1d, gaussian_kernel, median, median_1d

__all__ = ["smooth_path", "resample_path", "simplify", "simplify_many", "finish_path", "finish_paths", "smooth_paths"]

_SMOOTH_SIGMA_PX = 1.0
_RESAMPLE_STEP_PX = 1.0
_RDP_EPSILON_PX = 0.5


def smooth_path(points: np.ndarray, closed: bool, sigma: float = _SMOOTH_SIGMA_PX) -> np.ndarray:
    """Gaussian smoothing along the path; open paths keep their two end points."""
    if len(points) < 3 or sigma <= 0:
        return points.copy()
    if closed:
        ring = points[:-1] if np.allclose(points[0], points[-1]) else points
        smoothed = gaussian_1d(ring, sigma, mode="wrap")
        return np.concatenate([smoothed, smoothed[:1]])
    smoothed = gaussian_1d(points, sigma, mode="nearest")
    smoothed[0], smoothed[-1] = points[0], points[-1]
    return smoothed


def smooth_paths(paths: list[tuple[np.ndarray, bool]], sigma: float = _SMOOTH_SIGMA_PX) -> list[np.ndarray]:
    """:func:`smooth_path` of several ``(points, closed)`` paths with one filter call (same values).

    Each path is extended the way ``gaussian_filter1d`` extends it (``nearest``,
    or ``wrap`` for a closed ring) by the kernel's radius, the extended paths are
    filtered end to end with the same kernel, and each path's own span is kept.
    """
    radius = int(4.0 * sigma + 0.5)  # gaussian_filter1d's truncate=4.0
    batch = [i for i, (points, _) in enumerate(paths) if len(points) >= 3 and sigma > 0 and points.dtype == np.float64]
    out: list[np.ndarray | None] = [None] * len(paths)
    pieces, spans, rings = [], [], []
    start = 0
    for i in batch:
        points, closed = paths[i]
        core = points[:-1] if closed and np.allclose(points[0], points[-1]) else points
        pieces.append(_extended(core, radius, closed))
        spans.append((start + radius, start + radius + len(core)))
        rings.append(closed)
        start += len(core) + 2 * radius
    if pieces:
        filtered = correlate_1d(np.concatenate(pieces), gaussian_kernel(sigma), mode="nearest")
        for i, (a, b), closed in zip(batch, spans, rings):
            smoothed = filtered[a:b].copy()
            if closed:
                out[i] = np.concatenate([smoothed, smoothed[:1]])
            else:
                points = paths[i][0]
                smoothed[0], smoothed[-1] = points[0], points[-1]
                out[i] = smoothed
    return [o if o is not None else smooth_path(p, c, sigma) for o, (p, c) in zip(out, paths)]


def _extended(core: np.ndarray, radius: int, closed: bool) -> np.ndarray:
    """``np.pad(core, ((radius, radius), (0, 0)), mode="wrap" if closed else "edge")``, by slicing (per path)."""
    if closed and radius > len(core):
        return np.pad(core, ((radius, radius), (0, 0)), mode="wrap")
    if closed:
        left, right = core[len(core) - radius :], core[:radius]
    else:
        left, right = np.repeat(core[:1], radius, axis=0), np.repeat(core[-1:], radius, axis=0)
    return np.concatenate([left, core, right])


def resample_path(
    points: np.ndarray, values: np.ndarray, step: float = _RESAMPLE_STEP_PX
) -> tuple[np.ndarray, np.ndarray]:
    """Points about ``step`` apart along the path (ends kept), with ``values`` interpolated."""
    if len(points) < 2:
        return points.copy(), values.copy()
    step_xy = points[1:] - points[:-1]
    arc = np.empty(len(points))
    arc[0] = 0.0
    np.cumsum(np.sqrt((step_xy * step_xy).sum(axis=1)), out=arc[1:])  # = norm(diff(points), axis=1), cheaper
    total = arc[-1]
    if total <= 0:
        return points[:1].copy(), values[:1].copy()
    n = max(1, int(round(total / step)))
    at = np.linspace(0.0, total, n + 1)
    out = np.empty((len(at), 2))
    out[:, 0] = np.interp(at, arc, points[:, 0])
    out[:, 1] = np.interp(at, arc, points[:, 1])
    return out, np.interp(at, arc, values)


def simplify(points: np.ndarray, epsilon: float = _RDP_EPSILON_PX) -> np.ndarray:
    """Indices kept by Ramer-Douglas-Peucker (iterative, so long strokes cannot overflow the stack)."""
    return simplify_many([points], epsilon)[0]


def simplify_many(paths: list[np.ndarray], epsilon: float = _RDP_EPSILON_PX) -> list[np.ndarray]:
    """:func:`simplify` of several paths at once: the same indices, with a few array operations per level.

    RDP decides each segment on its own points alone, so all open segments of
    all paths are split together, one level at a time (a segment's farthest
    point is the first of its largest distances, as ``argmax`` picks it).
    """
    sizes = [len(p) for p in paths]
    total = sum(sizes)
    if total == 0:
        return [np.arange(0) for _ in paths]
    points = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    keep = np.zeros(total, dtype=bool)
    nonempty = np.asarray(sizes) > 0
    keep[offsets[:-1][nonempty]] = True
    keep[offsets[1:][nonempty] - 1] = True
    open_ = ~keep  # points inside a segment that may still be split
    while True:
        idx = np.flatnonzero(open_)
        if idx.size == 0:
            break
        kept = np.flatnonzero(keep)
        pos = np.searchsorted(kept, idx)
        a, b = kept[pos - 1], kept[pos]
        seg = points[b] - points[a]
        rel = points[idx] - points[a]
        norm = np.hypot(seg[:, 0], seg[:, 1])
        degenerate = norm < 1e-12
        dist = np.abs(seg[:, 0] * rel[:, 1] - seg[:, 1] * rel[:, 0]) / np.where(degenerate, 1.0, norm)
        if degenerate.any():
            dist[degenerate] = np.hypot(rel[degenerate, 0], rel[degenerate, 1])
        starts = np.flatnonzero(np.concatenate([[True], a[1:] != a[:-1]]))
        counts = np.diff(np.append(starts, idx.size))
        group = np.repeat(np.arange(starts.size), counts)
        largest = np.maximum.reduceat(dist, starts)
        at_max = np.flatnonzero(dist == largest[group])
        _, first = np.unique(group[at_max], return_index=True)
        split = largest > epsilon
        keep[idx[at_max[first][split]]] = True
        open_[idx] = split[group]
        open_[keep] = False
    return [np.flatnonzero(keep[offsets[i] : offsets[i + 1]]) for i in range(len(paths))]


def finish_path(points: np.ndarray, radii: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed, resampled and simplified points with the pen width at each.

    The distance transform at a skeleton pixel counts to the centre of the
    first paper pixel, half a pixel beyond the ink's edge on each side, so the
    width is ``2 r - 1``.
    """
    return finish_paths([(points, radii, closed)])[0]


def finish_paths(paths: list[tuple[np.ndarray, np.ndarray, bool]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`finish_path` of several ``(points, radii, closed)`` paths, simplified together (same result)."""
    dense_paths = []
    for (_, radii, closed), smoothed in zip(paths, smooth_paths([(p, c) for p, _, c in paths])):
        dense, dense_r = resample_path(smoothed, radii)
        if len(dense_r) > 2:
            # a running median about two pen widths long ignores where the distance transform does not
            # measure the pen: the taper into a round stroke end and the bulge of a junction
            size = 2 * int(round(2.0 * median(dense_r))) + 1
            dense_r = median_1d(dense_r, size, mode="wrap" if closed else "reflect")
        dense_paths.append((dense, dense_r))
    out = []
    for (dense, dense_r), kept in zip(dense_paths, simplify_many([d for d, _ in dense_paths])):
        width = np.maximum(1.0, 2.0 * dense_r[kept] - 1.0)
        out.append((dense[kept].astype(np.float32), width.astype(np.float32)))
    return out
