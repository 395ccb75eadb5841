"""Scores that compare traced strokes with the pen's true strokes.

Both stroke lists are first resampled every pixel along their arcs so that a
score measures ink length, not how densely a tracer happens to emit points.
Geometry is a tolerance match (a traced point counts when it lies within
``tolerance`` of true ink, and vice versa); the temporal scores use the
position of each resampled point in the concatenated sequence as its time,
which is what "writing order" means for ink without timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import kendalltau

__all__ = ["InkScores", "compare_by_line", "compare_ink", "resample", "text_lines"]

# Kendall tau is O(n log n) but holds several arrays of n; an evenly spaced
# subsample of this many matched points keeps large pages cheap without
# changing the score beyond its third decimal.
_MAX_ORDER_POINTS = 20_000


@attrs.frozen
class InkScores:
    """How well ``pred`` reproduces ``true``.

    ``precision``/``recall``/``f1``: share of traced / true ink within the
    tolerance of the other. ``order``: Kendall tau between true writing time and
    traced time over matched points (1 = written in the same order, 0 = no
    relation). ``direction``: share of true strokes at least three tolerances
    long that the trace runs the same way (a missed stroke counts as wrong; NaN
    when no stroke is that long). ``pen_lifts``: traced strokes ÷ true strokes.
    ``local_order``: of the pairs of consecutive true strokes whose centres lie
    within three stroke sizes of each other, the share the trace writes in the
    same order (see :func:`local_order`; NaN without such a pair).
    """

    precision: float
    recall: float
    f1: float
    order: float
    direction: float
    pen_lifts: float
    local_order: float

    def as_dict(self) -> dict[str, float]:
        return attrs.asdict(self)


def resample(stroke: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Points every ``step`` pixels along a polyline, both ends included.

    A stroke with a single point (a dot) stays a single point.
    """
    pts = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 2:
        return pts.copy()
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    total = arc[-1]
    if total == 0.0:
        return pts[:1].copy()
    n = int(np.floor(total / step))
    at = np.append(np.arange(n + 1) * step, total) if total - n * step > 1e-9 else np.arange(n + 1) * step
    return np.column_stack([np.interp(at, arc, pts[:, 0]), np.interp(at, arc, pts[:, 1])])


def _concatenate(strokes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resampled points of all strokes, their stroke index and arc position (px)."""
    parts = [resample(s) for s in strokes]
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0)
    points = np.concatenate(parts)
    stroke = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])
    arc = np.concatenate([np.arange(len(p), dtype=np.float64) for p in parts])
    return points, stroke, arc


def _nearest(tree_points: np.ndarray, query: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """For each query point: whether it lies within tolerance, and its nearest tree point."""
    if len(tree_points) == 0 or len(query) == 0:
        return np.zeros(len(query), dtype=bool), np.zeros(len(query), dtype=np.int64)
    dist, index = cKDTree(tree_points).query(query, k=1, distance_upper_bound=tolerance)
    return np.isfinite(dist), index


def _order(true_time: np.ndarray, pred_time: np.ndarray) -> float:
    """Kendall tau (tau-b: many traced points may share one nearest true point); 0 without evidence."""
    if len(true_time) < 2:
        return 0.0
    if len(true_time) > _MAX_ORDER_POINTS:
        keep = np.linspace(0, len(true_time) - 1, _MAX_ORDER_POINTS).astype(np.int64)
        true_time, pred_time = true_time[keep], pred_time[keep]
    tau = kendalltau(true_time, pred_time).statistic
    return float(tau) if np.isfinite(tau) else 0.0


def _direction(
    true_stroke: np.ndarray,
    matched_stroke: np.ndarray,
    matched_arc: np.ndarray,
    pred_time: np.ndarray,
    min_length: float,
) -> float:
    """Share of long true strokes whose matched traced points run forward in traced time.

    Pearson correlation of true arc position against traced time is positive
    when most of the stroke is traversed the right way, even if the tracer
    split it or drew it as part of a longer stroke.
    """
    # points are one pixel apart, so a stroke's length is its point count minus one
    lengths = np.bincount(true_stroke) - 1 if len(true_stroke) else np.zeros(0)
    eligible = np.flatnonzero(lengths >= min_length)
    if len(eligible) == 0:
        return float("nan")
    same = 0
    for s in eligible:
        mine = matched_stroke == s
        if np.count_nonzero(mine) < 2:
            continue
        arc, time = matched_arc[mine], pred_time[mine].astype(np.float64)
        if np.ptp(arc) == 0 or np.ptp(time) == 0:
            continue
        if np.corrcoef(arc, time)[0, 1] > 0:
            same += 1
    return same / len(eligible)


# Two consecutive true strokes are "close" when their centres lie within this
# many stroke sizes of each other (the issue-13 definition of local order).
_LOCAL_SIZES = 3.0


def _stroke_size(points: np.ndarray, floor: float) -> float:
    """The larger side of a stroke's bounding box, at least ``floor`` (a dot has some size)."""
    return max(float(np.ptp(points[:, 0])), float(np.ptp(points[:, 1])), floor) if len(points) else floor


def _local_order(
    true: Sequence[np.ndarray], matched_stroke: np.ndarray, pred_time: np.ndarray, tolerance: float
) -> float:
    """Share of close consecutive true-stroke pairs whose traced times run forward.

    Whole-page Kendall tau is dominated by the order of lines and words; a
    reader of ink also needs the *next* stroke to come next: the cross of a
    t after its stem, the second stroke of a kana after the first. A true
    stroke's traced time is the median position of the traced points matched
    to it. A pair scores 1 when the later stroke's time is greater, 0.5 on a
    tie (both drawn as one traced run), 0 when reversed or when either stroke
    was not traced at all (missing ink cannot be in order).
    """
    kept = [i for i, s in enumerate(true) if len(resample(np.asarray(s, dtype=np.float64)))]
    if len(kept) < 2:
        return float("nan")
    times: dict[int, float] = {}
    for k in np.unique(matched_stroke):
        times[int(k)] = float(np.median(pred_time[matched_stroke == k]))
    score, pairs = 0.0, 0
    for a, b in zip(range(len(kept) - 1), range(1, len(kept))):
        pa = np.asarray(true[kept[a]], dtype=np.float64).reshape(-1, 2)
        pb = np.asarray(true[kept[b]], dtype=np.float64).reshape(-1, 2)
        size = 0.5 * (_stroke_size(pa, tolerance) + _stroke_size(pb, tolerance))
        centre_a = 0.5 * (pa.min(axis=0) + pa.max(axis=0))
        centre_b = 0.5 * (pb.min(axis=0) + pb.max(axis=0))
        if np.linalg.norm(centre_b - centre_a) > _LOCAL_SIZES * size:
            continue
        pairs += 1
        if a in times and b in times:
            score += 1.0 if times[b] > times[a] else 0.5 if times[b] == times[a] else 0.0
    return score / pairs if pairs else float("nan")


def compare_ink(true: Sequence[np.ndarray], pred: Sequence[np.ndarray], tolerance: float) -> InkScores:
    """Score traced strokes ``pred`` against the pen's strokes ``true``.

    Both are strokes in writing order, each an ``(n, 2)`` array of image pixels
    ``(x, y)``. ``tolerance`` is in pixels (the benchmarks use 1.5 pen widths).
    """
    if tolerance <= 0:
        raise ValueError(f"tolerance must be positive, got {tolerance}")
    t_pts, t_stroke, t_arc = _concatenate(true)
    p_pts, _, _ = _concatenate(pred)

    p_hit, p_nearest = _nearest(t_pts, p_pts, tolerance)
    t_hit, _ = _nearest(p_pts, t_pts, tolerance)
    precision = float(p_hit.mean()) if len(p_pts) else 0.0
    recall = float(t_hit.mean()) if len(t_pts) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0

    pred_time = np.flatnonzero(p_hit)  # index of each matched point in the traced sequence
    true_index = p_nearest[p_hit]  # index of its nearest true point = true writing time
    order = _order(true_index, pred_time)
    direction = _direction(t_stroke, t_stroke[true_index], t_arc[true_index], pred_time, 3 * tolerance)
    local = _local_order(true, t_stroke[true_index], pred_time, tolerance)
    n_true = sum(1 for s in true if len(s))
    n_pred = sum(1 for s in pred if len(s))
    pen_lifts = n_pred / n_true if n_true else float("nan")
    return InkScores(precision, recall, f1, order, direction, pen_lifts, local)


def text_lines(strokes: Sequence[np.ndarray], gap: float) -> list[list[int]]:
    """Indices of the true strokes of each text line, top line first.

    Strokes are grouped by the vertical centre of their points: sorted by it,
    a new line starts where two consecutive centres are more than ``gap``
    pixels apart (the benchmarks use about half the line spacing; a slight
    rotation of the page moves centres far less). Delayed strokes (dots,
    bars, an underline) stay with their line.
    """
    centres = [(float(np.median(s[:, 1])), i) for i, s in enumerate(strokes) if len(s)]
    centres.sort()
    lines: list[list[int]] = []
    last = -np.inf
    for y, i in centres:
        if y - last > gap:
            lines.append([])
        lines[-1].append(i)
        last = y
    # a lone stroke between lines (an underline, a flourish) joins the nearer line
    centre = {i: y for y, i in centres}

    def middle(line: list[int]) -> float:
        return float(np.mean([centre[i] for i in line]))

    while len(lines) > 1 and min(len(line) for line in lines) < 3:
        small = lines.pop(min(range(len(lines)), key=lambda j: len(lines[j])))
        nearest = min(range(len(lines)), key=lambda j: abs(middle(lines[j]) - middle(small)))
        lines[nearest] += small
    return [sorted(line) for line in lines]


def compare_by_line(
    true: Sequence[np.ndarray], pred: Sequence[np.ndarray], tolerance: float, lines: Sequence[Sequence[int]]
) -> list[InkScores]:
    """:func:`compare_ink` per text line: the true strokes of each line against the output over that line.

    ``lines`` are groups of indices into ``true`` (e.g. from :func:`text_lines`).
    Each traced point goes to the line of its nearest true point, and each
    traced stroke is cut into its runs over each line, keeping its time order.
    Whole-page order also scores the order *between* lines, which a writer
    may not follow (a title added last); per line it scores writing order
    within the line only.
    """
    owner = np.full(len(true), -1)
    for k, line in enumerate(lines):
        owner[list(line)] = k
    t_pts, t_stroke, _ = _concatenate(true)
    kept = np.array([i for i, s in enumerate(true) if len(resample(s))], dtype=np.int64)
    if len(kept):
        t_stroke = kept[t_stroke]  # index into ``true`` (empty strokes leave no points)
    per_line: list[list[np.ndarray]] = [[] for _ in lines]
    if len(t_pts):
        tree = cKDTree(t_pts)
        for stroke in pred:
            points = resample(np.asarray(stroke, dtype=np.float64))
            if not len(points):
                continue
            _, nearest = tree.query(points)
            line_of = owner[t_stroke[nearest]]
            cuts = np.flatnonzero(np.diff(line_of)) + 1
            for run, k in zip(np.split(points, cuts), line_of[np.r_[0, cuts]]):
                if k >= 0 and len(run) >= 2:
                    per_line[k].append(run)
    return [compare_ink([true[i] for i in line], per_line[k], tolerance) for k, line in enumerate(lines)]
