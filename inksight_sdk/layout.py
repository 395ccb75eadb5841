"""Layout merging: put derendered words back together as one page of ink.

Three jobs, each a pure function over page-pixel data:

1. :func:`reading_order` sorts words into blocks, lines and words the way the
   page is read (left to right, right to left, or vertical columns right to
   left), grouping words into lines itself when the detector did not;
2. :func:`remove_duplicate_strokes` drops strokes a crop picked up from a
   neighbouring word and strokes two overlapping crops both produced;
3. :func:`assign_time` gives the page one monotonic time axis, so the
   document replays as if written in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from .ink import Stroke, WordInk

__all__ = ["reading_order", "remove_duplicate_strokes", "assign_time", "TimingModel"]


def _centre(quad: np.ndarray) -> np.ndarray:
    return np.asarray(quad, dtype=np.float64).mean(axis=0)


def _axes(words: Sequence[WordInk], direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along a line (reading direction) and across lines.

    The line direction is the median direction of the words' top edges, so a
    page photographed at an angle still reads along its own lines.
    """
    if not words:
        return np.array([1.0, 0.0]), np.array([0.0, 1.0])
    vectors = np.array([np.asarray(w.quad, np.float64)[1] - np.asarray(w.quad, np.float64)[0] for w in words])
    angles = np.arctan2(vectors[:, 1], vectors[:, 0])
    angle = float(np.median(angles)) if len(angles) else 0.0
    along = np.array([np.cos(angle), np.sin(angle)])
    if direction == "ttb":
        # vertical writing: quads are upright boxes; lines are columns going down
        return np.array([0.0, 1.0]), np.array([-1.0, 0.0])
    across = np.array([-along[1], along[0]])  # points "down" the page for ltr/rtl
    if direction == "rtl":
        along = -along
    return along, across


def _extent(quad: np.ndarray, axis: np.ndarray) -> tuple[float, float]:
    proj = np.asarray(quad, np.float64) @ axis
    return float(proj.min()), float(proj.max())


def _group_lines(words: list[WordInk], across: np.ndarray) -> list[list[WordInk]]:
    """Greedy line grouping: a word joins the line it overlaps most across the text."""
    order = sorted(words, key=lambda w: float(_centre(w.quad) @ across))
    lines: list[tuple[float, float, list[WordInk]]] = []
    for word in order:
        lo, hi = _extent(word.quad, across)
        best, best_overlap = None, 0.0
        for i, (llo, lhi, _) in enumerate(lines):
            overlap = min(hi, lhi) - max(lo, llo)
            need = 0.5 * min(hi - lo, lhi - llo)
            if overlap > need and overlap > best_overlap:
                best, best_overlap = i, overlap
        if best is None:
            lines.append((lo, hi, [word]))
        else:
            llo, lhi, members = lines[best]
            members.append(word)
            lines[best] = (min(lo, llo), max(hi, lhi), members)
    return [members for _, _, members in lines]


def reading_order(
    words: Sequence[WordInk],
    direction: str = "ltr",
    blocks: Sequence[int | None] | None = None,
    lines: Sequence[int | None] | None = None,
) -> list[WordInk]:
    """Sort words into reading order and renumber their ``block`` and ``line``.

    ``blocks``/``lines`` are the detector's grouping per word (``None`` where
    unknown). Blocks are read in the detector's numbering (its reading order,
    e.g. columns); lines inside a block top to bottom (columns right to left
    for ``ttb``), by geometry; words along the line in the reading direction.
    """
    words = list(words)
    if not words:
        return []
    along, across = _axes(words, direction)
    block_ids = list(blocks) if blocks is not None else [None] * len(words)
    line_ids = list(lines) if lines is not None else [None] * len(words)

    grouped: dict[int | None, list[int]] = {}
    for i, b in enumerate(block_ids):
        grouped.setdefault(b, []).append(i)

    def block_key(item: tuple[int | None, list[int]]) -> tuple[int, float, float]:
        # the detector's block numbers are its reading order; ungrouped words come last
        block, indices = item
        pts = np.concatenate([np.asarray(words[i].quad, np.float64) for i in indices])
        return (block if block is not None else 1 << 30, float((pts @ across).min()), float((pts @ along).min()))

    ordered: list[WordInk] = []
    for block_index, (_, indices) in enumerate(sorted(grouped.items(), key=block_key)):
        known: dict[int, list[WordInk]] = {}
        unknown: list[WordInk] = []
        for i in indices:
            if line_ids[i] is None:
                unknown.append(words[i])
            else:
                known.setdefault(int(line_ids[i]), []).append(words[i])  # type: ignore[arg-type]
        line_groups = list(known.values()) + _group_lines(unknown, across)
        line_groups.sort(key=lambda ws: float(np.mean([_centre(w.quad) @ across for w in ws])))
        for line_index, members in enumerate(line_groups):
            members.sort(key=lambda w: float(_centre(w.quad) @ along))
            ordered.extend(attrs.evolve(w, block=block_index, line=line_index) for w in members)
    return ordered


def _inside(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Which points lie inside a convex quad (either winding)."""
    q = np.asarray(quad, np.float64)
    p = np.asarray(points, np.float64)
    px, py = p[:, 0], p[:, 1]
    all_pos = all_neg = None
    for k in range(4):
        a, b = q[k], q[(k + 1) % 4]
        side = (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
        all_pos = side >= 0 if all_pos is None else all_pos & (side >= 0)
        all_neg = side <= 0 if all_neg is None else all_neg & (side <= 0)
    return all_pos | all_neg  # type: ignore[operator]


def _shares_inside(strokes: list[np.ndarray], quad: np.ndarray) -> list[float]:
    """Each stroke's share of points inside ``quad`` (0 for an empty stroke), with one :func:`_inside` call."""
    sizes = np.array([len(p) for p in strokes])
    if not sizes.any():
        return [0.0] * len(strokes)
    inside = _inside(np.concatenate([p for p in strokes if len(p)]), quad)
    starts = np.concatenate([[0], np.cumsum(sizes[sizes > 0])[:-1]])
    counts = np.add.reduceat(inside.astype(np.int64), starts)
    shares = iter((counts / sizes[sizes > 0]).tolist())
    return [next(shares) if n else 0.0 for n in sizes]


def _word_height(word: WordInk) -> float:
    q = np.asarray(word.quad, np.float64)
    return float(0.5 * (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])))


def _resampled(stroke: Stroke, step: float) -> np.ndarray:
    pts = stroke.points.astype(np.float64)
    if len(pts) < 2:
        return pts
    d = pts[1:] - pts[:-1]
    s = np.empty(len(pts))
    s[0] = 0.0
    np.cumsum(np.sqrt((d * d).sum(axis=1)), out=s[1:])  # = norm(diff(pts), axis=1), cheaper
    if s[-1] <= 0:
        return pts[:1]
    ts = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    out = np.empty((len(ts), 2))
    out[:, 0] = np.interp(ts, s, pts[:, 0])
    out[:, 1] = np.interp(ts, s, pts[:, 1])
    return out


def _share_within(points: np.ndarray, others: np.ndarray, tolerance: float) -> float:
    """Share of ``points`` closer than ``tolerance`` to some point of ``others`` (brute force on the near ones).

    What a k-d tree query with ``distance_upper_bound=tolerance`` answers, without importing ``scipy.spatial``
    (a tenth of a second of every ``inksight convert``); only the points of ``others`` within the
    tolerance of ``points``' box are compared.
    """
    lo = points.min(axis=0) - tolerance
    hi = points.max(axis=0) + tolerance
    x, y = others[:, 0], others[:, 1]
    near = others[(x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1])]
    if len(near) == 0:
        return 0.0
    limit = tolerance * tolerance
    within = np.zeros(len(points), dtype=bool)
    step = max(1, 2_000_000 // len(near))
    for start in range(0, len(points), step):
        chunk = points[start : start + step]
        dx = chunk[:, 0, None] - near[None, :, 0]
        dy = chunk[:, 1, None] - near[None, :, 1]
        within[start : start + step] = (dx * dx + dy * dy).min(axis=1) < limit
    return float(np.mean(within))


def remove_duplicate_strokes(words: Sequence[WordInk], tolerance: float | None = None) -> list[WordInk]:
    """Drop strokes that belong to another word or that another crop also produced.

    A stroke of word A whose points lie mostly inside B's quad and mostly
    outside A's was picked up from the neighbour B; it is dropped from A when B
    has ink there (otherwise it is kept: better a stroke in the wrong word than
    a lost one). A stroke that lies (nearly) entirely within ``tolerance`` of a
    stroke of another word is a duplicate from overlapping crops; the copy in
    the word whose quad contains it less is dropped.
    """
    words = list(words)
    if len(words) < 2:
        return words
    heights = [_word_height(w) for w in words]
    step = 1.0
    samples: list[list[np.ndarray]] = [[_resampled(s, step) for s in w.strokes] for w in words]
    keep: list[list[bool]] = [[True] * len(w.strokes) for w in words]
    # A page has hundreds of words: compare a stroke only with the words whose boxes come within reach.
    quad_lo = np.array([np.asarray(w.quad, np.float64).min(axis=0) for w in words])
    quad_hi = np.array([np.asarray(w.quad, np.float64).max(axis=0) for w in words])

    def near(pts: np.ndarray, lo: np.ndarray, hi: np.ndarray, reach: float, exclude: int) -> np.ndarray:
        hit = np.all(lo <= pts.max(axis=0) + reach, axis=1) & np.all(hi >= pts.min(axis=0) - reach, axis=1)
        hit[exclude] = False
        return np.nonzero(hit)[0]

    # the share of each stroke inside its own word's quad (used by both steps)
    own_shares = [_shares_inside(samples[a], w.quad) for a, w in enumerate(words)]

    # 1. strokes picked up from a neighbouring word
    for a in range(len(words)):
        for k, pts in enumerate(samples[a]):
            if len(pts) == 0:
                continue
            in_own = own_shares[a][k]
            if in_own >= 0.5:
                continue
            for b in near(pts, quad_lo, quad_hi, 0.0, a):
                if words[b].strokes and _inside(pts, words[b].quad).mean() > 0.5:
                    keep[a][k] = False
                    break

    # 2. duplicates from overlapping crops
    kept_points: list[np.ndarray | None] = []
    ink_lo = np.full((len(words), 2), np.inf)
    ink_hi = np.full((len(words), 2), -np.inf)
    for b in range(len(words)):
        kept_pts = [p for p, ok in zip(samples[b], keep[b]) if ok and len(p)]
        if kept_pts:
            points = np.concatenate(kept_pts)
            ink_lo[b], ink_hi[b] = points.min(axis=0), points.max(axis=0)
        kept_points.append(points if kept_pts else None)
    for a in range(len(words)):
        tol_a = tolerance if tolerance is not None else max(2.0, 0.08 * heights[a])
        for k, pts in enumerate(samples[a]):
            if not keep[a][k] or len(pts) == 0:
                continue
            own_share = own_shares[a][k]
            for b in near(pts, ink_lo, ink_hi, tol_a, a):
                if _share_within(pts, kept_points[b], tol_a) < 0.9:  # type: ignore[arg-type]
                    continue
                other_share = _inside(pts, words[b].quad).mean()
                # keep the copy in the word that contains it more; ties keep the earlier word
                if other_share > own_share or (other_share == own_share and b < a):
                    keep[a][k] = False
                    break
    return [attrs.evolve(w, strokes=tuple(s for s, ok in zip(w.strokes, keep[i]) if ok)) for i, w in enumerate(words)]


@attrs.frozen
class TimingModel:
    """How fast synthetic time runs when a derenderer gives no timestamps.

    Pen speed is in word heights per second (people write a few x-heights a
    second); pauses are in seconds.
    """

    speed_heights_per_s: float = 6.0
    stroke_pause: float = 0.12
    word_pause: float = 0.35
    line_pause: float = 0.8


def assign_time(words: Sequence[WordInk], model: TimingModel = TimingModel(), start: float = 0.0) -> list[WordInk]:
    """Give every stroke a time channel on one monotonic axis, in the given order.

    Existing time channels keep their internal rhythm and are shifted so that
    each stroke starts after the previous one ended.
    """
    clock = start
    previous_line: tuple[int, int] | None = None
    out = []
    for word in words:
        key = (word.block, word.line)
        if previous_line is not None:
            clock += model.line_pause if key != previous_line else model.word_pause
        previous_line = key
        speed = max(1.0, _word_height(word)) * model.speed_heights_per_s
        strokes = []
        for i, stroke in enumerate(word.strokes):
            if i:
                clock += model.stroke_pause
            if stroke.t is not None and len(stroke.t):
                t = stroke.t - stroke.t[0] + clock
            else:
                pts = stroke.points.astype(np.float64)
                seg = np.linalg.norm(np.diff(pts, axis=0), axis=1) if len(pts) > 1 else np.zeros(0)
                t = clock + np.concatenate([[0.0], np.cumsum(seg)]) / speed
            if len(t):
                clock = float(t[-1])
            strokes.append(stroke.with_time(t))
        out.append(attrs.evolve(word, strokes=tuple(strokes)))
    return out
