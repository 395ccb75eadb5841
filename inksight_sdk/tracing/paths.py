"""Pen-down paths: chains of edges linked through their junction pairings.

Each chain starts at an unpaired edge end (a free end, or the stem of a
``T``) and follows the pairing from edge to edge until it reaches another
unpaired end; chains whose ends are all paired are closed loops. The result
is geometry only: which end the pen starts from, and in what order the paths
are written, is decided by :mod:`.order`.
"""

from __future__ import annotations

import attrs
import numpy as np

from .graph import StrokeGraph
from .junctions import End

__all__ = ["Path", "chain_paths"]


@attrs.frozen(eq=False)
class Path:
    """A traced path: points (x, y), pen radii along them, and whether it closes on itself.

    ``start_loop`` / ``end_loop``: when the path starts (ends) at a junction it
    also passes through elsewhere, the index of that other passage, so that
    ``points[:start_loop + 1]`` (``points[end_loop:]``) is the loop it closes
    (the bowl of an ``a``, ``g`` or ``e``); otherwise ``None``.
    """

    points: np.ndarray
    radii: np.ndarray
    closed: bool
    start_loop: int | None = None
    end_loop: int | None = None

    def reversed(self) -> Path:
        n = len(self.points) - 1
        return Path(
            points=self.points[::-1],
            radii=self.radii[::-1],
            closed=self.closed,
            start_loop=None if self.end_loop is None else n - self.end_loop,
            end_loop=None if self.start_loop is None else n - self.start_loop,
        )


def chain_paths(graph: StrokeGraph, pairs: dict[End, End]) -> list[Path]:
    """Every live edge in exactly one path; isolated skeleton pixels become one-point paths."""
    used: set[int] = set()
    paths: list[Path] = []

    def follow(first: End) -> Path:
        pieces: list[tuple[np.ndarray, np.ndarray]] = []
        edge, side = first
        closed = False
        joints = [graph.edge(edge).node(side)]  # node at the start of each piece, then the final node
        while True:
            used.add(edge)
            pieces.append(graph.edge(edge).oriented(side))
            joints.append(graph.edge(edge).node(1 - side))
            exit_end = (edge, 1 - side)
            nxt = pairs.get(exit_end)
            if nxt is None:
                break
            if nxt[0] in used:
                closed = nxt == first
                break
            edge, side = nxt
        points = np.concatenate([pieces[0][0]] + [p[1:] for p, _ in pieces[1:]])
        radii = np.concatenate([pieces[0][1]] + [r[1:] for _, r in pieces[1:]])
        if closed:
            return Path(points=points, radii=radii, closed=True)
        at = np.cumsum([0] + [len(p) - 1 for p, _ in pieces])  # point index of each joint
        inner = joints[1:-1]
        start_loop = next((int(at[k + 1]) for k, n in enumerate(inner) if n == joints[0]), None)
        end_loop = next((int(at[k + 1]) for k in range(len(inner) - 1, -1, -1) if inner[k] == joints[-1]), None)
        return Path(points=points, radii=radii, closed=False, start_loop=start_loop, end_loop=end_loop)

    for i in graph.live_edges():
        for side in (0, 1):
            if i not in used and (i, side) not in pairs:
                paths.append(follow((i, side)))
    for i in graph.live_edges():
        if i not in used:
            paths.append(follow((i, 0)))
    for n in graph.live_nodes():
        node = graph.node(n)
        if node.degree == 0:
            paths.append(Path(points=node.centre[None].copy(), radii=np.array([node.radius]), closed=False))
    return paths
