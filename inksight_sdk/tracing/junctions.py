"""Which edges continue into which at a junction: pairing by direction continuity.

A pen keeps its direction through a crossing, so at an ``X`` the two most
nearly opposite edges belong to one stroke and the other two to another, and
the bar of a ``T`` runs straight through while its stem ends there. Edges
left over once the straight pairs are taken meet at a cusp (the two arms of a
``k``, the point of a ``v``): one stroke turns there, so they are paired too
unless the turn folds the pen straight back. Where strokes cross so close
together that their crossings merge into one junction (two bars of 書
through its upright), each bar's halves are about as straight a pair as one
bar's half and the other's: there the pair whose ends also lie on one line
wins.
"""

from __future__ import annotations

import numpy as np

from .graph import StrokeGraph

__all__ = ["End", "end_direction", "pair_ends"]

End = tuple[int, int]  # (edge id, side): side 0 = the edge's start node, 1 = its end node

# a pair deviating less than this from a straight line is a stroke running through the junction
_STRAIGHT_DEG = 50.0
# in a cluster of more than four ends (strokes crossing close together), an end a pen width off the line of another
# costs this many degrees of deviation: two close parallel bars through one upright each run straight on
_OFFSET_DEG = 30.0
# leftover ends turning sharper than this (a hairpin) are not joined
_CUSP_DEG = 165.0


def end_direction(graph: StrokeGraph, end: End) -> np.ndarray:
    """Unit vector pointing away from the node along the edge, measured outside the junction blob.

    Inside the junction's disk the skeleton bends towards the centre whatever
    the strokes do, so the tangent is read between the disk's rim and about
    two pen widths further out (or the whole edge when it is shorter).
    """
    return _end_geometry(graph, end)[0]


def _end_geometry(graph: StrokeGraph, end: End) -> tuple[np.ndarray, np.ndarray]:
    """The end's direction (:func:`end_direction`) and its anchor, where the edge leaves its node's disk.

    Both read the same arc, so one pass gives the two (every junction of every word asks for both).
    """
    edge = graph.edge(end[0])
    points, _ = edge.oriented(end[1])
    node = graph.node(edge.node(end[1]))
    step = points[1:] - points[:-1]
    arc = np.zeros(len(points))
    np.cumsum(np.sqrt((step * step).sum(axis=1)), out=arc[1:])
    total = float(arc[-1])
    near = min(node.radius, 0.4 * total)
    xs, ys = points[:, 0], points[:, 1]
    # one place at a time: np.interp given several can pick another of two equal arc values (a repeated point)
    anchor = np.array([np.interp(near, arc, xs), np.interp(near, arc, ys)])
    if total <= 0:
        return np.zeros(2), anchor
    far = min(near + 2.0 * graph.width, total)
    d = np.array([np.interp(far, arc, xs), np.interp(far, arc, ys)]) - anchor
    norm = _length(d)
    if norm < 1e-9:
        d = points[-1] - points[0]
        norm = _length(d)
    return (d / norm if norm > 1e-9 else np.zeros(2)), anchor


def _length(vector: np.ndarray) -> float:
    """``float(np.linalg.norm(vector))`` of a 2-vector (the same sum of squares), without its overhead."""
    return float(np.sqrt(np.dot(vector, vector)))


def _offset(pa: np.ndarray, da: np.ndarray, pb: np.ndarray, width: float) -> float:
    """Degrees charged for ``pb`` lying off the line through ``pa`` along ``da`` (_OFFSET_DEG a pen width off)."""
    rel = pb - pa
    return _OFFSET_DEG * abs(float(da[0] * rel[1] - da[1] * rel[0])) / max(width, 1e-9)


def _deviation(a: np.ndarray, b: np.ndarray) -> float:
    """Degrees by which continuing from direction ``-a`` into ``b`` turns (0 = straight on)."""
    cos = min(1.0, max(-1.0, -float(np.dot(a, b))))
    return float(np.degrees(np.arccos(cos)))


def pair_ends(graph: StrokeGraph) -> dict[End, End]:
    """Pair edge ends at every node; the mapping is symmetric and leaves stroke ends unpaired."""
    pairs: dict[End, End] = {}
    for n in graph.live_nodes():
        ends = list(graph.node(n).ends)
        if len(ends) < 2:
            continue
        if len(ends) == 2:
            pairs[ends[0]], pairs[ends[1]] = ends[1], ends[0]
            continue
        directions, anchors = zip(*(_end_geometry(graph, e) for e in ends))
        candidates = sorted(
            (
                _deviation(directions[i], directions[j])
                + (_offset(anchors[i], directions[i], anchors[j], graph.width) if len(ends) > 4 else 0.0),
                i,
                j,
            )
            for i in range(len(ends))
            for j in range(i + 1, len(ends))
        )
        taken: set[int] = set()
        for limit in (_STRAIGHT_DEG, _CUSP_DEG):
            for deviation, i, j in candidates:
                if deviation > limit or i in taken or j in taken:
                    continue
                taken.update((i, j))
                pairs[ends[i]], pairs[ends[j]] = ends[j], ends[i]
    return pairs
