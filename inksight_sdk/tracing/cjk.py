"""CJK strokes: paths cut at corners, re-joined where a canonical stroke turns, in canonical order.

A skeleton cannot tell the three strokes of 口 from one ring, nor 横 running
into 丿 at a corner from one bent stroke. CJK strokes are nearly straight
and turn at a corner only in a few canonical ways, so every path is cut at
its corners, each piece is oriented on its own (横 and 提 left to right,
the rest from the top: 丿 from its top right even when it is fairly flat, ㇏
from its top left), and pieces are joined again only where the canonical turn
fits: a horizontal running into a down stroke at its right end (横折, 横撇,
横钩), or a short hook at the end of a longer stroke (竖钩, 弯钩).

Order: components as whole units before the next one, found by cutting the
strokes where their boxes leave a gap: one above the other top to bottom
(宀 over 子), side by side left to right (亻 before 中), recursively, with a
tall centre before two short sides (小). Inside a component that no gap
cuts: top to bottom and left to right by start point, under three
constraints: a stroke standing clear to the left comes before (not one
hanging from the middle of the other, like the 丿 of 木 from its 丨); a
horizontal comes before the vertical it crosses (十, 干, 耒) unless that
vertical hangs from a frame drawn earlier (the 冂 of 册, whose bar comes
last); a frame (a 横折 like the 𠃌 of 勹 or 門, crossed by nothing) comes
before what lies inside it, even a part sticking out left of where it
starts (the 田 of 甸). A bottom-left enclosure (辶, 廴: a narrow left
column joined to a base running under the rest, its far end free) comes
after what it encloses, even where the column reaches as high as the rest
and no gap cuts it off (邀, and the 𠃊 of 匚); a base that closes a frame
(口 of 因) stays last by the top-to-bottom rule. A free dot above a bar,
right of where a stroke from above crosses the bar, comes last (戈, 犬). A
丿 hanging from the start of a short bar or frame comes after it, even when
it stands left of it (厂, 尸, 尺, 阝), unless the frame closes a box with it (月,
the 丨 of 門).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..filters import gaussian_1d
from .paths import Path

__all__ = ["cjk_strokes", "order_cjk"]

# turning by more than this within about two pen widths is a corner between strokes
_CORNER_DEG = 40.0
# a piece shorter than this many pen widths at a corner is a hook of its neighbour
_HOOK_WIDTHS = 4.5
# strokes whose boxes overlap by less than this share of the character still stand apart (components)
_CUT_OVERLAP = 0.05
# a vertical whose top end meets the end of another stroke is part of a frame (冂 in 册), drawn before a bar across it
_FRAME_WIDTHS = 1.0
# a frame's corner is its rightmost point after leaning its side up to this slope (8.5 degrees) upright: the side of
# a character photographed a few degrees askew leans right, and its bottom would be the rightmost point
_FRAME_LEAN = 0.15
# a straight line with less than this share of the ink on its wrong side cuts two components (槤)
_INK_CUT_SHARE = 0.08
# start points closer in height than this share of the character are on one level: left to right
_SLACK = 0.08
# a stroke between lower left and upper right steeper than this (35 degrees) is a 撇 drawn from the top right;
# flatter, a 提 or a rising 横 drawn from the left (hanzi-writer-data, even code points: 30-40 degrees is 73% 撇)
_PIE_SLOPE = 0.7


def cjk_strokes(paths: Sequence[Path], width: float) -> list[Path]:
    """Cut paths at corners, merge hooks, orient, and re-join canonical turns."""
    pieces: list[Path] = []
    for path in paths:
        pieces.extend(_merge_hooks(_cut_at_corners(path, width), width))
    oriented = [_orient(p) for p in pieces]
    return _join_turns(oriented, width)


def _turning(points: np.ndarray, span: float) -> np.ndarray:
    """Turning angle (degrees) at each point between the chords ``span`` px behind and ahead."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    back = np.searchsorted(arc, arc - span, side="left")
    ahead = np.minimum(np.searchsorted(arc, arc + span, side="left"), len(points) - 1)
    u = points - points[back]
    v = points[ahead] - points
    nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
    valid = (nu > 0.5 * span) & (nv > 0.5 * span)
    cos = np.einsum("ij,ij->i", u, v) / np.maximum(nu * nv, 1e-9)
    angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    angle[~valid] = 0.0
    return angle


def _cut_at_corners(path: Path, width: float) -> list[Path]:
    pts, radii = path.points, path.radii
    if len(pts) < 5:
        return [path]
    closed = path.closed
    smooth = gaussian_1d(pts, max(1.0, 0.5 * width), mode="wrap" if closed else "nearest")
    span = 1.5 * width
    angle = _turning(
        np.concatenate([smooth[-len(smooth) // 2 :], smooth, smooth[: len(smooth) // 2]]) if closed else smooth, span
    )
    if closed:
        angle = angle[len(smooth) // 2 : len(smooth) // 2 + len(smooth)]
    cuts: list[int] = []
    order = np.argsort(-angle)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    for i in order:
        if angle[i] < _CORNER_DEG:
            break
        if all(abs(arc[i] - arc[j]) > 2.0 * width for j in cuts):
            cuts.append(int(i))
    if not cuts:
        return [path]
    cuts.sort()
    if closed:
        ring, ring_r = pts[:-1], radii[:-1]
        start = cuts[0]
        ring, ring_r = np.roll(ring, -start, axis=0), np.roll(ring_r, -start)
        ring, ring_r = np.concatenate([ring, ring[:1]]), np.concatenate([ring_r, ring_r[:1]])
        bounds = [c - start for c in cuts] + [len(ring) - 1]
    else:
        ring, ring_r = pts, radii
        bounds = [0] + cuts + [len(pts) - 1]
    return [
        Path(points=ring[a : b + 1], radii=ring_r[a : b + 1], closed=False)
        for a, b in zip(bounds[:-1], bounds[1:])
        if b > a
    ]


def _length(p: Path) -> float:
    return float(np.linalg.norm(np.diff(p.points, axis=0), axis=1).sum()) if len(p.points) > 1 else 0.0


def _merge_hooks(pieces: list[Path], width: float) -> list[Path]:
    """Fold a short end piece of a cut path into its neighbour: a hook belongs to the stroke it ends."""
    if len(pieces) < 2:
        return pieces
    pieces = list(pieces)
    for end in (-1, 0):
        if len(pieces) >= 2 and _length(pieces[end]) < _HOOK_WIDTHS * width < _length(pieces[end - 1 if end else 1]):
            if end == -1:
                a, b = pieces[-2], pieces[-1]
                pieces[-2:] = [
                    Path(np.concatenate([a.points, b.points[1:]]), np.concatenate([a.radii, b.radii[1:]]), False)
                ]
            else:
                a, b = pieces[0], pieces[1]
                pieces[:2] = [
                    Path(np.concatenate([a.points, b.points[1:]]), np.concatenate([a.radii, b.radii[1:]]), False)
                ]
    return pieces


def _main_direction(p: Path) -> np.ndarray:
    return p.points[-1] - p.points[0]


def _orient(p: Path) -> Path:
    if len(p.points) < 2 or p.closed:
        return p
    dx, dy = _main_direction(p)
    steep = abs(dy) > (_PIE_SLOPE if dx * dy < 0 else 1.0) * abs(dx)
    backwards = dy < 0 if steep else dx < 0
    return Path(points=p.points[::-1], radii=p.radii[::-1], closed=False) if backwards else p


def _is_horizontal(p: Path) -> bool:
    dx, dy = _main_direction(p)
    return abs(dx) >= abs(dy)


def _is_level(p: Path) -> bool:
    """A 横 proper: nearly level (a rising 提 is not, and comes after the stroke it crosses, as in 扌)."""
    dx, dy = _main_direction(p)
    return abs(dy) < 0.3 * abs(dx)


def _join_turns(pieces: list[Path], width: float) -> list[Path]:
    """Join a horizontal to the down stroke starting where it ends (横折, 横撇, 横钩).

    Only the last piece of a joined stroke decides whether it runs on: a 横撇
    is as wide as it is tall, but it ends going down, and the 竖钩 starting at
    its end (子) is the next stroke.
    """
    pieces = list(pieces)
    tails = list(pieces)  # the last piece joined into each stroke
    joined = True
    while joined:
        joined = False
        for i, a in enumerate(pieces):
            tail = tails[i]
            if len(tail.points) < 2 or not _is_horizontal(tail) or _main_direction(tail)[0] <= 0:
                continue
            for j, b in enumerate(pieces):
                if j == i or len(b.points) < 2 or _is_horizontal(b):
                    continue
                if np.linalg.norm(b.points[0] - a.points[-1]) > 0.75 * width:
                    continue
                pieces[i] = Path(
                    np.concatenate([a.points, b.points[1:]]), np.concatenate([a.radii, b.radii[1:]]), False
                )
                tails[i] = tails[j]
                del pieces[j], tails[j]
                joined = True
                break
            if joined:
                break
    return pieces


def _box(p: Path) -> tuple[float, float, float, float]:
    lo, hi = p.points.min(axis=0), p.points.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def order_cjk(strokes: Sequence[Path], width: float) -> list[Path]:
    """Canonical order of the strokes of one character (see the module docstring)."""
    if len(strokes) < 2:
        return list(strokes)
    boxes = [_box(s) for s in strokes]
    size = max(max(b[2] for b in boxes) - min(b[0] for b in boxes), max(b[3] for b in boxes) - min(b[1] for b in boxes))
    order = _components_first(list(range(len(strokes))), strokes, boxes, width, size)
    return [strokes[k] for k in order]


def _cut(idx: list[int], boxes: list[tuple[float, float, float, float]], axis: int, overlap: float) -> list[list[int]]:
    """Groups of strokes separated by a gap across ``axis`` (0: side by side, 1: one above the other)."""
    lo, hi = axis, axis + 2
    ranked = sorted(idx, key=lambda k: boxes[k][lo])
    groups: list[list[int]] = []
    reach = -np.inf
    for k in ranked:
        if groups and boxes[k][lo] < reach - overlap:
            groups[-1].append(k)
        else:
            groups.append([k])
        reach = max(reach, boxes[k][hi]) if len(groups[-1]) > 1 else boxes[k][hi]
    return groups


def _components_first(
    idx: list[int], strokes: Sequence[Path], boxes: list[tuple[float, float, float, float]], width: float, size: float
) -> list[int]:
    """Components as whole units, left to right or top to bottom, strokes inside each by the rules."""
    if len(idx) < 2:
        return idx
    overlap = _CUT_OVERLAP * size
    rows = _cut(idx, boxes, 1, overlap)
    cols = _join_roofed(_cut(idx, boxes, 0, overlap), strokes, width)
    enclosure = _column_and_base(idx, strokes, boxes, width)
    if enclosure is not None:
        inner, left, base = enclosure  # 辶 of 邀, 匚: what the base encloses, the left column, the base
        groups = [inner, left, [base]]
    elif len(rows) > 1:
        groups = rows
        wrap = _wrapping_base(rows, strokes, boxes, width, size)
        if wrap is not None:
            inner, left, base = wrap  # 辶, 廴: what the base encloses, then the base's left column, then the base
            groups = [inner, left, [base]]
    elif len(cols) > 1:
        groups = cols
        if len(groups) == 3:
            heights = [max(boxes[k][3] for k in g) - min(boxes[k][1] for k in g) for g in groups]
            if heights[1] > 1.5 * max(heights[0], heights[2]):
                groups = [groups[1], groups[0], groups[2]]  # 小: the centre before the sides
    else:
        split = _ink_cut(idx, strokes, boxes, width)
        if split is None:
            return [idx[k] for k in _by_rules([strokes[k] for k in idx], [boxes[k] for k in idx], width, size)]
        groups = split
    out: list[int] = []
    for g in groups:
        out.extend(_components_first(g, strokes, boxes, width, size))
    return out


def _join_roofed(groups: list[list[int]], strokes: Sequence[Path], width: float) -> list[list[int]]:
    """Side-by-side groups stay one where a 丿 on the left hangs from a roof on the right (尺, 尸: roof first)."""
    out = [groups[0]]
    for g in groups[1:]:
        if any(_under_roof(p, r, strokes, width) for p in out[-1] for r in g):
            out[-1] = out[-1] + g
        else:
            out.append(g)
    return out


def _ink_cut(
    idx: list[int], strokes: Sequence[Path], boxes: list[tuple[float, float, float, float]], width: float
) -> list[list[int]] | None:
    """Two components whose boxes overlap but whose ink a straight line still separates.

    The 丿 of 木 in 槤 or the 提 of 金 in 鋌 reach under the right-hand part,
    so no gap between boxes cuts the character, yet nearly all the ink of
    each stroke lies on one side of a vertical line (or a horizontal one,
    top over bottom). Each stroke goes to the side holding most of its ink;
    the cut is taken where the ink on the wrong sides is least, whichever
    way the line runs (王 over the 日 of 琨 leaves more), if that is
    under ``_INK_CUT_SHARE`` of all the ink and both sides hold a fair share,
    and no frame is parted from what lies inside it (the 田 of 甸 sticks out
    left of its 𠃌).
    """
    paths = [strokes[k] for k in idx]
    parts = [p.points for p in paths]
    if not any(len(pts) > 1 for pts in parts):
        return None
    length = np.concatenate([np.linalg.norm(np.diff(pts, axis=0), axis=1) for pts in parts])
    owner = np.zeros((len(length), len(idx)))  # segment -> stroke, one-hot
    owner[np.arange(len(length)), np.repeat(np.arange(len(idx)), [max(len(pts) - 1, 0) for pts in parts])] = 1.0
    whole, total = length @ owner, float(length.sum())
    held: list[tuple[int, int]] | None = None
    lines = []  # (ink on the wrong sides, which strokes come first) for every line on both axes
    for axis in (1, 0):
        mid = np.concatenate([0.5 * (pts[1:, axis] + pts[:-1, axis]) for pts in parts])
        lo, hi = float(mid.min()), float(mid.max())
        at = np.linspace(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo), 25)
        before = ((mid[None, :] < at[:, None]) * length) @ owner  # ink of each stroke before each line
        first = before > 0.5 * whole
        wrong = np.where(first, whole - before, before).sum(axis=1)
        lines += list(zip(wrong, first))
    for wrong, first in sorted(lines, key=lambda line: line[0]):  # stable: top over bottom first on a tie
        if wrong > _INK_CUT_SHARE * total:
            break
        if not 0.15 <= (first * whole).sum() / total <= 0.85 or not 2 <= first.sum() <= len(idx) - 2:
            continue  # a lone stroke is no component (the left 丨 of the 冂 of 册)
        if held is None:  # only when a cut is in sight
            inside = _inside_frames(paths, [boxes[k] for k in idx], width)
            held = [(f, k) for f in range(len(paths)) for k in inside[f]]
        if any(first[f] != first[k] for f, k in held):
            continue
        return [[k for n, k in enumerate(idx) if first[n]], [k for n, k in enumerate(idx) if not first[n]]]
    return None


def _wrapping_base(
    rows: list[list[int]],
    strokes: Sequence[Path],
    boxes: list[tuple[float, float, float, float]],
    width: float,
    size: float,
) -> tuple[list[int], list[int], int] | None:
    """A bottom-left enclosure (辶, 廴): a narrow left column of at most two strokes joined to a base under the rest."""
    if len(rows[-1]) != 1:
        return None
    base = rows[-1][0]
    upper = [k for g in rows[:-1] for k in g]
    x0 = min(boxes[k][0] for k in upper + [base])
    x1 = max(boxes[k][2] for k in upper + [base])
    span = x1 - x0
    if boxes[base][2] - boxes[base][0] < 0.6 * span or boxes[base][0] > x0 + 0.15 * span:
        return None
    cols = _cut(upper, boxes, 0, _CUT_OVERLAP * size)
    if len(cols) < 2 or len(cols[0]) > 2:
        return None
    left = cols[0]
    if max(boxes[k][2] for k in left) - x0 > 0.35 * span:
        return None
    start, end = strokes[base].points[0], strokes[base].points[-1]
    if not any(min(np.linalg.norm(strokes[k].points[[0, -1]] - start, axis=1)) <= 0.25 * span for k in left):
        return None
    if any(min(np.linalg.norm(strokes[k].points[[0, -1]] - end, axis=1)) <= 2.0 * width for k in upper):
        return None  # the base closes a frame (口 in 因): not an enclosure from the bottom left
    return [k for g in cols[1:] for k in g], left, base


def _column_and_base(
    idx: list[int],
    strokes: Sequence[Path],
    boxes: list[tuple[float, float, float, float]],
    width: float,
) -> tuple[list[int], list[int], int] | None:
    """A bottom-left enclosure that no gap cuts off (辶 of 邀, 𠃊 of 匚): a left column, then a base under the rest.

    The column reaches as high as what it encloses, so it is found as the
    strokes in the left third; the base is a long horizontal at the bottom
    starting where the column's lowest end lies on it, its far end free.
    """
    x0 = min(boxes[k][0] for k in idx)
    span = max(boxes[k][2] for k in idx) - x0
    bottom = max(boxes[k][3] for k in idx)
    for base in idx:
        b = boxes[base]
        if b[2] - b[0] < 0.6 * span or b[3] < bottom - width or not _is_level(strokes[base]):
            continue
        left = [k for k in idx if k != base and boxes[k][2] - x0 <= 0.35 * span]
        inner = [k for k in idx if k != base and k not in left]
        if not left or len(left) > 3 or len(inner) < 2 or not _free_column(left, inner, strokes, width):
            continue
        if b[2] < max(boxes[k][2] for k in inner) - 0.1 * span:
            continue  # what it would enclose reaches past its end (the 提 of 纟 run into the 皿 of 蕴)
        start, end = strokes[base].points[0], strokes[base].points[-1]
        foot = max((strokes[k].points[e] for k in left for e in (0, -1)), key=lambda p: float(p[1]))
        if start[0] > foot[0] + width or np.min(np.linalg.norm(strokes[base].points - foot, axis=1)) > 1.5 * width:
            continue  # the column does not end on the start of the base (亻 beside the 工 of 佐)
        if any(min(np.linalg.norm(strokes[k].points[[0, -1]] - end, axis=1)) <= 2.0 * width for k in inner + left):
            continue  # the base closes a frame (口 in 因): not an enclosure from the bottom left
        if any(_is_frame(strokes[k], width) and _touch(strokes[k], strokes[base], width) for k in inner):
            continue  # a 𠃌 standing on the base: the column, frame and base are a box (且), drawn in turn
        return inner, left, base
    return None


def _free_column(left: list[int], inner: list[int], strokes: Sequence[Path], width: float) -> bool:
    """Whether a left column is one of 辶, 廴 or 匚: crossed by nothing (the 十 of 走, 王, 土) and its top free.

    A column stroke's top may only be where a bar starts (the top of 匚); one
    hanging from the end of another stroke (the 丨 of 丘 from its 丿) is a
    stroke in turn, not part of an enclosure.
    """
    if any(_crosses(strokes[a], strokes[b], width) for a in left for b in left if a < b):
        return False
    for k in left:
        top = min(strokes[k].points[[0, -1]], key=lambda p: float(p[1]))
        for j in inner:
            p = strokes[j].points
            if np.min(np.linalg.norm(p - top, axis=1)) <= 1.5 * width and not (
                _is_level(strokes[j]) and np.linalg.norm(p[0] - top) <= 1.5 * width
            ):
                return False
    return True


def _by_rules(
    strokes: Sequence[Path], boxes: list[tuple[float, float, float, float]], width: float, size: float
) -> list[int]:
    slack = max(width, _SLACK * size)

    ends = [(s.points[0], s.points[-1]) for s in strokes]
    framed = [
        any(
            j != i and min(np.linalg.norm(strokes[i].points[0] - e) for e in ends[j]) <= _FRAME_WIDTHS * width
            for j in range(len(strokes))
        )
        for i in range(len(strokes))
    ]

    n = len(strokes)
    starts = [s.points[0] for s in strokes]
    after: list[set[int]] = [set() for _ in range(n)]  # after[j]: strokes that must come before j
    inside = _inside_frames(strokes, boxes, width)
    for j in range(n):
        after[j] |= {f for f in range(n) if j in inside[f]}
    roofs = {(p, r) for p in range(n) for r in range(n) if p != r and _under_roof(p, r, strokes, width)}
    for p, r in roofs:
        after[p].add(r)
    late = {k for k in range(n) if _is_late_dot(k, strokes, width, size)}
    for k in late:
        after[k] |= set(range(n)) - late
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a, b = boxes[i], boxes[j]
            if i in inside[j] or j in inside[i] or (i, j) in roofs or (j, i) in roofs:
                continue  # under the top of a frame (the 田 of 甸, left of where its 𠃌 starts): inside, not beside
            if (
                a[2] < b[0] + slack
                and b[2] - a[0] > 0
                and not (a[3] < b[1] + slack or b[3] < a[1] + slack)
                and not _hangs_from(strokes[i], strokes[j], width)
            ):
                after[j].add(i)  # a stands clear to the left of b (not hanging from it: the 丿 of 木)
            elif (
                i < j
                and _is_level(strokes[i]) != _is_level(strokes[j])
                and not framed[j if _is_level(strokes[i]) else i]
                and _crosses(strokes[i], strokes[j], width)
            ):
                bar, stem = (i, j) if _is_level(strokes[i]) else (j, i)
                after[stem].add(bar)  # 十: the bar before the stroke it crosses, unless that one hangs from a frame
    left = set(range(n))
    out: list[int] = []
    while left:
        ready = [k for k in left if not (after[k] & left)] or list(left)
        top = min(float(starts[k][1]) for k in ready)
        k = min((k for k in ready if starts[k][1] <= top + slack), key=lambda k: float(starts[k][0]))
        out.append(k)
        left.discard(k)
    return out


def _under_roof(p: int, r: int, strokes: Sequence[Path], width: float) -> bool:
    """Whether stroke ``p`` hangs from the start of a bar or short frame ``r``, which comes first (厂, 尸, 尺, 阝).

    The roof is written first where it is short: a frame whose side runs as
    far down as the stroke from its start (口, 月) closes a box and follows
    that stroke. A straight 丨 with bars starting on it is the first stroke of
    a box as well (the 丨 of 門 before the 𠃍 on its top); a 丿 sweeping left
    is not (the 一 of 尸 starts on it).
    """
    pie, roof = strokes[p], strokes[r]
    top, low = pie.points[0], pie.points[-1]
    if _is_level(pie) or low[1] <= top[1] or low[0] > top[0] + width:
        return False
    if not (_is_level(roof) or _is_frame(roof, width)) or np.linalg.norm(roof.points[0] - top) > 1.5 * width:
        return False
    if min(_length(roof), _length(pie)) < _HOOK_WIDTHS * width or _box(roof)[3] >= top[1] + 0.5 * (low[1] - top[1]):
        return False  # a stub left between two junctions, or a frame as tall as the stroke
    if low[0] < top[0] - 0.2 * (low[1] - top[1]):
        return True
    return not any(k not in (p, r) and _hangs_from(s, pie, width) for k, s in enumerate(strokes))


def _is_late_dot(k: int, strokes: Sequence[Path], width: float, size: float) -> bool:
    """A free dot above a bar, right of where a stroke from above crosses it, comes last (戈, 犬, 戊).

    A dot above a bar's middle with nothing crossing there comes first (主,
    文), and so does one with a partner left of the crossing (the 丷 of 米, 羊).
    """
    dot = strokes[k]
    if _length(dot) > 0.25 * size or any(j != k and _touch(dot, s, width) for j, s in enumerate(strokes)):
        return False
    cx = float(dot.points[:, 0].mean())
    for b, bar in enumerate(strokes):
        if b == k or not _is_level(bar) or _box(dot)[3] > _box(bar)[1] + width or cx > _box(bar)[2] + 2 * width:
            continue
        for s, stem in enumerate(strokes):
            x = None if s in (k, b) or _is_level(stem) else _crossing(stem, bar, width)
            if x is not None and x[0] < _box(dot)[0] and _box(stem)[1] < x[1] - 2 * width:
                return not any(
                    _box(p)[3] <= _box(bar)[1] + width and _box(p)[2] < x[0]
                    for j, p in enumerate(strokes)
                    if j not in (k, b, s)
                )
    return False


def _hangs_from(a: Path, b: Path, width: float) -> bool:
    """Whether ``a`` starts on the middle of ``b`` (the 丿 and 丶 of 木 from the crossing on its 丨)."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(b.points, axis=0), axis=1))])
    middle = b.points[(arc > 1.5 * width) & (arc < arc[-1] - 1.5 * width)]
    return bool(len(middle) and np.min(np.linalg.norm(middle - a.points[0], axis=1)) <= width)


def _is_frame(p: Path, width: float) -> bool:
    """A 横折 (𠃍, 𠃌, the 𠃌 of 勹 and 門): a run to the right from its start, then down well below it."""
    pts = p.points
    x0, y0, x1, y1 = _box(p)
    if x1 - x0 < 3 * width or y1 - y0 < 3 * width:
        return False
    k = int(np.argmax(pts[:, 0] - _FRAME_LEAN * pts[:, 1]))  # the corner, even where the side leans right
    run, drop = pts[k] - pts[0], pts[-1, 1] - pts[k, 1]
    return bool(run[0] >= 0.6 * (x1 - x0) and abs(run[1]) <= max(width, 0.25 * (y1 - y0)) and drop >= 0.5 * (y1 - y0))


def _inside_frames(
    strokes: Sequence[Path], boxes: list[tuple[float, float, float, float]], width: float
) -> list[set[int]]:
    """For each stroke, the strokes inside it if it is a frame (outside before inside: 勹 before 田 in 甸).

    A frame is crossed by no other stroke (a bar of 木 run into the next
    stroke is). Inside: below its top run, above its bottom, left of its right
    side, and reaching under the run, or touching a stroke that does while
    lying within the same bounds (the left post of the 田 of 甸 sticks out
    left of where the 𠃌 starts).
    """
    n = len(strokes)
    out: list[set[int]] = [set() for _ in range(n)]
    for f in range(n):
        if not _is_frame(strokes[f], width) or any(
            k != f and _crosses(strokes[f], strokes[k], width) for k in range(n)
        ):
            continue
        fx, fy = strokes[f].points[0]
        bottom, right = boxes[f][3] + width, boxes[f][2] + width
        within = [
            k
            for k in range(n)
            if k != f and boxes[k][1] >= fy + 0.5 * width and boxes[k][3] <= bottom and boxes[k][2] <= right
        ]
        direct = {k for k in within if boxes[k][2] > fx + width}
        out[f] = direct | {k for k in within if any(_touch(strokes[k], strokes[d], width) for d in direct)}
    return out


def _touch(a: Path, b: Path, width: float) -> bool:
    """Whether an end of one stroke lies on the other."""
    for p, q in ((a, b), (b, a)):
        if np.min(np.linalg.norm(q.points[None, :, :] - p.points[[0, -1], None, :], axis=2)) <= width:
            return True
    return False


def _crosses(a: Path, b: Path, width: float) -> bool:
    """Whether ``b`` passes through the interior of ``a`` and vice versa (an X, not a touch at an end)."""
    return _crossing(a, b, width) is not None


def _crossing(a: Path, b: Path, width: float) -> np.ndarray | None:
    """Where ``a`` and ``b`` cross, each through the interior of the other; None where they do not."""
    d = np.linalg.norm(a.points[:, None, :] - b.points[None, :, :], axis=2)
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    if d[i, j] > width:
        return None
    margin = 1.5 * width

    def inside(p: Path, k: int) -> bool:
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p.points, axis=0), axis=1))])
        return margin < arc[k] < arc[-1] - margin

    return a.points[i] if inside(a, int(i)) and inside(b, int(j)) else None
