"""Many polylines at once: a word's strokes concatenated, with the length of each.

Varying a word stroke by stroke spends its time in numpy's per-call
overhead (a word has 10-40 strokes, each handled by a dozen small calls).
These helpers do the same work on the concatenation of all strokes in a
few calls, and give exactly (bit for bit) what the per-stroke code gives:
:func:`gaussian_runs` is ``scipy.ndimage.gaussian_filter1d`` on each run,
:func:`resample_runs` is ``np.interp`` along each run's arc length, as
``vary`` resampled stroke by stroke before (``tests/core/test_synth_runs.py``
keeps that code as the reference).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d
from scipy.ndimage._filters import _gaussian_kernel1d

__all__ = [
    "starts_of",
    "split_runs",
    "steps_within",
    "cumsum_runs",
    "gaussian_runs",
    "interp_runs",
    "resample_runs",
]


def starts_of(lengths: np.ndarray) -> np.ndarray:
    """Index of each run's first row in the concatenation."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def split_runs(values: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """The concatenation back into one array per run."""
    return np.split(values, np.cumsum(lengths)[:-1])


def _extension(n: np.ndarray, offset: np.ndarray, mode: str) -> np.ndarray:
    """Index inside a run of ``n`` rows of position ``offset`` (which may lie outside it), as scipy extends lines."""
    if mode == "nearest":
        return np.clip(offset, 0, n - 1)
    if mode == "reflect":  # d c b a | a b c d | d c b a, repeated for short runs
        m = np.mod(offset, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    raise ValueError(f"unsupported mode {mode!r}")


def gaussian_runs(values: np.ndarray, lengths: np.ndarray, sigma: float, mode: str) -> np.ndarray:
    """``gaussian_filter1d(run, sigma, axis=0, mode=mode)`` of every run of ``values``, concatenated.

    Each run is padded with its own extension (``mode`` "reflect" or
    "nearest") by the filter's radius, the padded runs are filtered in one
    call, and the pads are dropped: every output is the same sum over the
    same samples as the per-run filter computes.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    lengths = lengths[lengths > 0]  # an empty run has no rows to filter
    if len(values) == 0:
        return values.copy()
    radius = int(4.0 * float(sigma) + 0.5)
    weights = _gaussian_kernel1d(float(sigma), 0, radius)[::-1]
    padded_len = lengths + 2 * radius
    run = np.repeat(np.arange(len(lengths)), padded_len)
    local = np.arange(int(padded_len.sum())) - np.repeat(starts_of(padded_len), padded_len) - radius
    source = starts_of(lengths)[run] + _extension(lengths[run], local, mode)
    filtered = correlate1d(values[source], weights, axis=0, mode="nearest")
    inside = (local >= 0) & (local < lengths[run])
    return filtered[inside]


def cumsum_runs(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``np.cumsum`` of every run of 1-D ``values``, concatenated (a row-wise cumsum: the same sums in order)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(values) == 0:
        return np.zeros(0, dtype=np.float64)
    table = np.zeros((len(lengths), int(lengths.max())), dtype=np.float64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    cols = np.arange(len(values)) - np.repeat(starts_of(lengths), lengths)
    table[rows, cols] = values
    return np.cumsum(table, axis=1)[rows, cols]


def steps_within(points: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The differences between consecutive points of each run (``np.diff`` per run) and their lengths."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(points) < 2:
        return np.zeros((0,) + points.shape[1:]), np.maximum(lengths - 1, 0)
    last = np.zeros(len(points), dtype=bool)
    last[(starts_of(lengths) + lengths - 1)[lengths > 0]] = True
    return np.diff(points, axis=0)[~last[:-1]], np.maximum(lengths - 1, 0)


def interp_runs(x: np.ndarray, x_lengths: np.ndarray, xp: np.ndarray, fp: np.ndarray, xp_lengths: np.ndarray):
    """``np.interp(x_r, xp_r, fp_r)`` for every run ``r`` (each ``xp_r`` non-decreasing), concatenated.

    ``fp`` may have columns (each interpolated alike). The knot of each
    ``x`` is found by sorting knots and queries together by (run, value),
    knots first among equals; the value is then numpy's own formula
    (``slope * (x - xp[j]) + fp[j]``, ``fp[j]`` on a knot or past the
    last), so the result is numpy's to the bit.
    """
    x_lengths, xp_lengths = np.asarray(x_lengths, dtype=np.int64), np.asarray(xp_lengths, dtype=np.int64)
    x_run = np.repeat(np.arange(len(x_lengths)), x_lengths)
    xp_run = np.repeat(np.arange(len(xp_lengths)), xp_lengths)
    values = np.concatenate([xp, x])
    is_query = np.concatenate([np.zeros(len(xp), dtype=np.int8), np.ones(len(x), dtype=np.int8)])
    order = np.lexsort((is_query, values, np.concatenate([xp_run, x_run])))
    knots_before = np.cumsum(1 - is_query[order])  # knots at or before each position, over all runs
    sorted_queries = order[is_query[order] == 1] - len(xp)
    j = np.empty(len(x), dtype=np.int64)
    j[sorted_queries] = knots_before[is_query[order] == 1]
    first = starts_of(xp_lengths)
    j = j - 1  # the last knot <= x, as a global index; before the run's first knot: that knot
    last = (first + xp_lengths - 1)[x_run]
    below = j < first[x_run]
    j = np.clip(j, first[x_run], last)
    nxt = np.minimum(j + 1, last)
    fp2 = fp if fp.ndim == 2 else fp[:, None]
    exact = below | (j == last) | (xp[j] == x)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (fp2[nxt] - fp2[j]) / (xp[nxt] - xp[j])[:, None]
        out = slope * (x - xp[j])[:, None] + fp2[j]
    out = np.where(exact[:, None], fp2[j], out)
    return out if fp.ndim == 2 else out[:, 0]


def resample_runs(points: np.ndarray, lengths: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Each run resampled every ``step`` of arc length (ends kept), concatenated, and the new lengths.

    A run of one point, or of no length, becomes its first point; otherwise
    ``max(2, ceil(length / step) + 1)`` points evenly along it (``np.linspace``'s
    values: ``k * (length / (n - 1))``, the last one ``length``).
    """
    points = np.asarray(points, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    d, seg_counts = steps_within(points, lengths)
    arc = np.zeros(len(points))
    firsts = starts_of(lengths)
    not_first = np.ones(len(points), dtype=bool)
    not_first[firsts[lengths > 0]] = False
    arc[not_first] = cumsum_runs(np.sqrt(np.add.reduce(d * d, axis=1)), seg_counts)
    total = np.where(lengths > 0, arc[np.maximum(firsts + lengths - 1, 0)] if len(arc) else 0.0, 0.0)
    moving = (lengths >= 2) & (total > 1e-9)
    count = np.where(moving, np.maximum(2, np.ceil(total / step).astype(np.int64) + 1), np.minimum(lengths, 1))
    count = np.where(lengths < 2, lengths, count)
    out = np.empty((int(count.sum()), 2))
    out_run = np.repeat(np.arange(len(lengths)), count)
    local = np.arange(len(out)) - np.repeat(starts_of(count), count)
    still = ~moving[out_run]  # a point, or a run of no length: its first point(s) as they are
    out[still] = points[firsts[out_run[still]] + local[still]]
    runs = np.flatnonzero(moving)
    if len(runs):
        query = ~still
        spacing = total[runs] / (count[runs] - 1)
        at = local[query] * np.repeat(spacing, count[runs])
        ends = np.cumsum(count[runs]) - 1
        at[ends] = total[runs]
        keep = np.repeat(moving, lengths)
        out[query] = interp_runs(at, count[runs], arc[keep], points[keep], lengths[runs])
    return out, count
