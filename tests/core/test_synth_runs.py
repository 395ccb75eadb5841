"""Many strokes at once (inksight_sdk.synth.runs): exactly what stroke-by-stroke code computes, faster."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from inksight_sdk.synth.runs import cumsum_runs, gaussian_runs, interp_runs, resample_runs, split_runs, steps_within
from inksight_sdk.synth.style import pen_timing


def _resample_one(points: np.ndarray, step: float) -> np.ndarray:
    """The stroke-by-stroke arc-length resampling vary used before resample_runs, as the reference."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 2:
        return pts.copy()
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    if s[-1] <= 1e-9:
        return pts[:1].copy()
    target = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    return np.column_stack([np.interp(target, s, pts[:, 0]), np.interp(target, s, pts[:, 1])])


def _random_runs(rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Walks of 0-30 points, with empty, single-point and two-point runs among them."""
    lengths = rng.integers(0, 30, size=int(rng.integers(1, 12)))
    lengths[rng.random(len(lengths)) < 0.3] = rng.integers(0, 3)
    runs = [np.cumsum(rng.normal(size=(int(n), 2)), axis=0) for n in lengths]
    return runs, lengths


def _concat(runs: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(runs) if runs else np.zeros((0, 2))


@pytest.mark.parametrize("mode", ["reflect", "nearest"])
def test_gaussian_runs_is_the_per_run_filter_bit_for_bit(mode):
    rng = np.random.default_rng(0)
    for _ in range(150):
        runs, lengths = _random_runs(rng)
        sigma = float(rng.uniform(0.4, 4.5))  # radii up to 18: longer than many runs (repeated reflection)
        got = split_runs(gaussian_runs(_concat(runs), lengths, sigma, mode), lengths)
        for run, mine in zip(runs, got):
            if len(run):
                assert np.array_equal(gaussian_filter1d(run, sigma, axis=0, mode=mode), mine)


def test_resample_runs_is_the_per_stroke_resampling_bit_for_bit():
    rng = np.random.default_rng(1)
    for _ in range(150):
        runs, lengths = _random_runs(rng)
        runs.append(np.zeros((3, 2)))  # a run of no length: its first point
        lengths = np.append(lengths, 3)
        step = float(rng.uniform(0.05, 2.0))
        points, new_lengths = resample_runs(_concat(runs), lengths, step)
        for run, mine in zip(runs, split_runs(points, new_lengths)):
            assert np.array_equal(_resample_one(run, step), mine)


def test_interp_runs_is_np_interp_per_run_bit_for_bit():
    rng = np.random.default_rng(2)
    for _ in range(150):
        knots = [np.sort(np.round(rng.uniform(0, 5, size=int(rng.integers(1, 12))), 1)) for _ in range(5)]  # repeats
        values = [rng.normal(size=(len(k), 2)) for k in knots]
        queries = [np.concatenate([rng.uniform(-1, 6, size=6), k[: int(rng.integers(0, len(k) + 1))]]) for k in knots]
        got = interp_runs(
            np.concatenate(queries),
            np.array([len(q) for q in queries]),
            np.concatenate(knots),
            np.concatenate(values),
            np.array([len(k) for k in knots]),
        )
        expected = [
            np.column_stack([np.interp(q, k, v[:, 0]), np.interp(q, k, v[:, 1])])
            for q, k, v in zip(queries, knots, values)
        ]
        assert np.array_equal(got, np.concatenate(expected))


def test_cumsum_and_steps_stay_inside_each_run():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 5.0])
    assert cumsum_runs(values, np.array([3, 0, 2, 1])).tolist() == [1.0, 3.0, 6.0, 10.0, 30.0, 5.0]
    points = np.array([[0.0, 0], [1, 0], [3, 0], [10, 10], [10, 12]])
    steps, counts = steps_within(points, np.array([3, 0, 2]))
    assert steps.tolist() == [[1, 0], [2, 0], [0, 2]]
    assert counts.tolist() == [2, 0, 1]


def test_pen_timing_handles_empty_and_single_point_strokes():
    rng = np.random.default_rng(3)
    strokes = [np.zeros((0, 2)), np.array([[0.0, 0.0]]), np.array([[0.0, 0], [0.5, 0], [0.5, 0.5]]), np.zeros((0, 2))]
    times, pressures = pen_timing(strokes, rng)
    assert [len(t) for t in times] == [0, 1, 3, 0]
    assert [len(p) for p in pressures] == [0, 1, 3, 0]
    flat = np.concatenate(times)
    assert np.all(np.diff(flat) > 0)  # a pause before the second stroke, then the pen moves
    assert np.all((np.concatenate(pressures) >= 0.1) & (np.concatenate(pressures) <= 1.0))
