"""Many polylines at once: a word's strokes concatenated, with the length of each.

Varying a word stroke by stroke spends its time in numpy's per-call
overhead (a word has 10-40 strokes, each handled by a dozen small calls).
These helpers do the same work on the concatenation of all strokes in a
few calls, and give exactly (bit for bit) what the per-stroke code gives:
:func:`gaussian_runs` is ``scipy.ndimage.gaussian_filter1d`` on each run,
:func:`resample_runs` is :func:`~inksight_sdk.synth.style.resample_polyline`
on each run (``tests/core/test_synth_runs.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d
from scipy.ndimage._filters import _gaussian_kernel1d

__all__ = ["starts_of", "split_runs", "steps_within", "cumsum_runs", "gaussian_runs", "resample_runs"]


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


def resample_runs(points: np.ndarray, lengths: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Each run resampled every ``step`` of arc length (ends kept), concatenated, and the new lengths.

    As :func:`~inksight_sdk.synth.style.resample_polyline`: a run of one
    point, or of no length, becomes its first point; otherwise
    ``max(2, ceil(length / step) + 1)`` points evenly along it.
    """
    points = np.asarray(points, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    d, seg_counts = steps_within(points, lengths)
    arc = cumsum_runs(np.sqrt(np.add.reduce(d * d, axis=1)), seg_counts)
    out: list[np.ndarray] = []
    for start, n_pts, seg_start, n_seg in zip(starts_of(lengths), lengths, starts_of(seg_counts), seg_counts):
        pts = points[start : start + n_pts]
        if n_pts < 2:
            out.append(pts.copy())
            continue
        s = np.concatenate([[0.0], arc[seg_start : seg_start + n_seg]])
        total = s[-1]
        if total <= 1e-9:
            out.append(pts[:1].copy())
            continue
        n = max(2, int(np.ceil(total / step)) + 1)
        target = np.linspace(0.0, total, n)
        out.append(np.column_stack([np.interp(target, s, pts[:, 0]), np.interp(target, s, pts[:, 1])]))
    new_lengths = np.array([len(p) for p in out], dtype=np.int64)
    return (np.concatenate(out) if out else np.zeros((0, 2))), new_lengths
