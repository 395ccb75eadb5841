"""The stroke graph: skeleton pixels turned into nodes (ends, junctions) and edges (pixel paths).

Thinning a pen stroke of width ``w`` leaves artefacts of about that size:
short spurs at corners and blobby stroke ends, and a crossing of two strokes
split into two junctions joined by a stub. Both are judged against the local
pen radius (the distance transform at the junction), so the same rules hold
for a fine pen on a big photo and a marker on a small crop. Loops are
ordinary edges whose two ends meet at one node, so ``o``, ``e`` and ``l`` keep
their eyes.
"""

from __future__ import annotations

import attrs
import cv2
import numpy as np

from ..filters import label, label_members

__all__ = ["Edge", "Node", "StrokeGraph", "build_graph"]

# a spur (junction to free end) shorter than the junction radius plus this many pen widths is a thinning artefact
_SPUR_WIDTHS = 0.6
# two junctions closer than the sum of their radii plus this many pen widths are one crossing
_MERGE_WIDTHS = 0.5
# a loop shorter than this many pen widths cannot enclose paper: it is a thinning artefact
_MIN_LOOP_WIDTHS = 2.0


@attrs.define(eq=False)
class Node:
    """A free end or a junction of the skeleton; ``ends`` lists ``(edge, side)`` touching it."""

    centre: np.ndarray
    radius: float
    ends: list[tuple[int, int]] = attrs.field(factory=list)

    @property
    def degree(self) -> int:
        return len(self.ends)


@attrs.define(eq=False)
class Edge:
    """A skeleton path from node ``u`` (side 0) to node ``v`` (side 1), node centres included."""

    u: int
    v: int
    points: np.ndarray
    radii: np.ndarray
    #: the points the length was last measured on, and that length: simplifying a graph asks for the
    #: lengths of all its edges on every round, and an edge's points are replaced, never changed in place
    _measured: tuple[np.ndarray, float] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def length(self) -> float:
        points = self.points
        if self._measured is not None and self._measured[0] is points:
            return self._measured[1]
        if len(points) < 2:
            return 0.0
        step = points[1:] - points[:-1]
        length = float(np.sqrt((step * step).sum(axis=1)).sum())  # = norm(diff(points), axis=1).sum(), cheaper
        self._measured = (points, length)
        return length

    def node(self, side: int) -> int:
        return self.u if side == 0 else self.v

    def oriented(self, side: int) -> tuple[np.ndarray, np.ndarray]:
        """Points and radii running away from the node at ``side``."""
        return (self.points, self.radii) if side == 0 else (self.points[::-1], self.radii[::-1])


@attrs.define(eq=False)
class StrokeGraph:
    """Nodes and edges of one skeleton; removed edges and nodes are ``None`` so ids stay stable."""

    nodes: list[Node | None]
    edges: list[Edge | None]
    width: float

    def live_edges(self) -> list[int]:
        return [i for i, e in enumerate(self.edges) if e is not None]

    def live_nodes(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n is not None]

    def edge(self, i: int) -> Edge:
        e = self.edges[i]
        assert e is not None
        return e

    def node(self, i: int) -> Node:
        n = self.nodes[i]
        assert n is not None
        return n

    def add_edge(self, u: int, v: int, points: np.ndarray, radii: np.ndarray) -> int:
        self.edges.append(Edge(u, v, points, radii))
        i = len(self.edges) - 1
        self.node(u).ends.append((i, 0))
        self.node(v).ends.append((i, 1))
        return i

    def remove_edge(self, i: int) -> None:
        e = self.edge(i)
        for n in {e.u, e.v}:
            node = self.node(n)
            node.ends = [end for end in node.ends if end[0] != i]
        self.edges[i] = None

    def simplify(self) -> None:
        """Prune spurs, merge junction clusters and drop artefact loops until nothing changes."""
        for _ in range(20):
            changed = self._drop_small_loops()
            changed |= self._prune_spurs()
            changed |= self._merge_junctions()
            changed |= self._dissolve_pass_through()
            if not changed:
                break

    def _drop_small_loops(self) -> bool:
        changed = False
        for i in self.live_edges():
            e = self.edge(i)
            if e.u == e.v and e.length < _MIN_LOOP_WIDTHS * self.width and self.node(e.u).degree > 2:
                self.remove_edge(i)
                changed = True
        return changed

    def _prune_spurs(self) -> bool:
        changed = False
        for n in self.live_nodes():
            node = self.nodes[n]
            while node is not None and node.degree >= 3:
                spurs = []
                for i, side in node.ends:
                    e = self.edge(i)
                    other = e.node(1 - side)
                    if other != n and self.node(other).degree == 1:
                        spurs.append((e.length, i, other))
                if not spurs:
                    break
                length, i, tip = min(spurs)
                if length >= node.radius + _SPUR_WIDTHS * self.width:
                    break
                self.remove_edge(i)
                self.nodes[tip] = None
                changed = True
        return changed

    def _merge_junctions(self) -> bool:
        changed = False
        for i in sorted(self.live_edges(), key=lambda k: self.edge(k).length):
            e = self.edges[i]
            if e is None or e.u == e.v:
                continue
            u, v = self.node(e.u), self.node(e.v)
            if u.degree < 3 or v.degree < 3:
                continue
            if e.length >= u.radius + v.radius + _MERGE_WIDTHS * self.width:
                continue
            middle = len(e.points) // 2
            centre, radius = e.points[middle], max(u.radius, v.radius, float(e.radii[middle]))
            keep, gone = e.u, e.v
            self.remove_edge(i)
            for j, side in list(self.node(gone).ends):
                moved = self.edge(j)
                if side == 0:
                    moved.u = keep
                else:
                    moved.v = keep
                u.ends.append((j, side))
            self.nodes[gone] = None
            u.centre, u.radius = centre.copy(), radius
            for j, side in u.ends:
                moved = self.edge(j)
                index = 0 if side == 0 else -1
                points, radii = moved.points.copy(), moved.radii.copy()
                points[index], radii[index] = centre, radius
                moved.points, moved.radii = points, radii
            changed = True
        return changed

    def _dissolve_pass_through(self) -> bool:
        """Join the two edges of a node left with degree two (a junction whose spur was pruned)."""
        changed = False
        for n in self.live_nodes():
            node = self.node(n)
            if node.degree != 2 or node.ends[0][0] == node.ends[1][0]:
                continue
            (a, sa), (b, sb) = node.ends
            ea, eb = self.edge(a), self.edge(b)
            pa, ra = ea.oriented(sa)
            pb, rb = eb.oriented(sb)
            start, end = ea.node(1 - sa), eb.node(1 - sb)
            points = np.concatenate([pa[::-1], pb[1:]])
            radii = np.concatenate([ra[::-1], rb[1:]])
            self.remove_edge(a)
            self.remove_edge(b)
            self.nodes[n] = None
            self.add_edge(start, end, points, radii)
            changed = True
        return changed


def build_graph(skeleton: np.ndarray, distance: np.ndarray, width: float) -> StrokeGraph:
    """Walk the skeleton into a graph; isolated pixels become single-node, edgeless dots."""
    wide = skeleton.shape[1]
    padded = np.pad(skeleton, 1).astype(np.uint8)
    pw = wide + 2
    degree = cv2.filter2D(
        padded, -1, np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8), borderType=cv2.BORDER_CONSTANT
    )
    degree = degree * padded
    flat_sk = padded.ravel()
    flat_deg = degree.ravel()
    radius_flat = np.pad(distance.astype(np.float32), 1).ravel()
    offsets = (-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1)

    node_of = np.full(flat_sk.shape, -1, dtype=np.int64)
    nodes: list[Node | None] = []
    junction_labels, count = label((degree >= 3) & (padded > 0), connectivity=8)
    members = label_members(junction_labels, count)
    ends_idx = np.flatnonzero((flat_deg <= 1) & (flat_sk > 0))
    for idx in members:
        node_of[idx] = len(nodes)
        xy = np.column_stack([idx % pw - 1, idx // pw - 1]).astype(np.float64)
        nodes.append(Node(centre=xy.mean(axis=0), radius=float(radius_flat[idx].max())))
    # a free end is one pixel: its centre and radius are the pixel's own (what the mean and max above give)
    node_of[ends_idx] = np.arange(len(nodes), len(nodes) + len(ends_idx))
    end_radii = radius_flat[ends_idx].tolist()
    for k, radius in zip(ends_idx.tolist(), end_radii):
        nodes.append(Node(centre=np.array([k % pw - 1, k // pw - 1], dtype=np.float64), radius=radius))

    graph = StrokeGraph(nodes=nodes, edges=[], width=width)
    sk = flat_sk.tobytes()  # read-only; indexing bytes gives ints, faster to build than a list
    owner = node_of.tolist()
    visited = bytearray(len(sk))
    direct: set[tuple[int, int]] = set()

    def xy_of(path: list[int]) -> np.ndarray:
        arr = np.asarray(path)
        return np.column_stack([arr % pw - 1, arr // pw - 1]).astype(np.float64)

    def emit(u: int, v: int, path: list[int]) -> None:
        # the node centres around the path's pixels, filled into one array (an edge per stroke piece)
        node_u, node_v = graph.node(u), graph.node(v)
        pts, radii = np.empty((len(path) + 2, 2)), np.empty(len(path) + 2)
        pts[0], pts[-1] = node_u.centre, node_v.centre
        radii[0], radii[-1] = node_u.radius, node_v.radius
        if path:
            arr = np.asarray(path)
            pts[1:-1, 0], pts[1:-1, 1] = arr % pw - 1, arr // pw - 1
            radii[1:-1] = radius_flat[arr]
        graph.add_edge(u, v, pts, radii)

    def walk(start_node: int, prev: int, cur: int) -> None:
        path = [cur]
        visited[cur] = 1
        while True:
            nxt = -1
            for o in offsets:
                q = cur + o
                if not sk[q] or q == prev:
                    continue
                if owner[q] >= 0:
                    if len(path) == 1 and owner[q] == start_node and q != prev:
                        # the first pixel also touches another pixel of the junction it left
                        continue
                    emit(start_node, owner[q], path)
                    return
                if not visited[q]:
                    nxt = q
            if nxt < 0:  # dead end inside a loop already walked: close on the start node
                emit(start_node, start_node, path)
                return
            visited[nxt] = 1
            path.append(nxt)
            prev, cur = cur, nxt

    for n, node in enumerate(nodes):
        assert node is not None
        pixels = members[n] if n < len(members) else [int(ends_idx[n - len(members)])]
        for p in (int(k) for k in pixels):
            for o in offsets:
                q = p + o
                if not sk[q] or owner[q] == n:
                    continue
                if owner[q] >= 0:
                    key = (min(n, owner[q]), max(n, owner[q]))
                    if key not in direct:
                        direct.add(key)
                        emit(key[0], key[1], [])
                elif not visited[q]:
                    walk(n, p, q)

    # rings without any end or junction (an 'o' written alone): anchor a node on their first pixel
    for start in np.flatnonzero((flat_sk > 0) & (node_of < 0)).tolist():
        if visited[start]:
            continue
        n = len(graph.nodes)
        graph.nodes.append(Node(centre=xy_of([start])[0], radius=float(radius_flat[start])))
        owner[start] = n
        visited[start] = 1
        for o in offsets:
            q = start + o
            if sk[q] and not visited[q]:
                walk(n, start, q)
                break
    return graph
