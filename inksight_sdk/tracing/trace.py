"""``trace_mask``: an ink mask to pen strokes in writing order.

thin -> stroke graph (loops kept) -> spurs pruned, junction clusters merged
(judged by the local pen radius) -> edges paired at junctions by direction
continuity -> chained into pen-down paths -> each started at its natural end
and put in writing order -> smoothed, resampled, simplified, with a width
channel from the distance transform.
"""

from __future__ import annotations

import attrs
import numpy as np

from .graph import build_graph
from .junctions import pair_ends
from .order import order_paths
from .paths import chain_paths
from .skeleton import skeletonize_mask
from .smooth import finish_paths

__all__ = ["TracedStroke", "trace_mask", "SCRIPTS"]

SCRIPTS = ("latin", "cjk")


def _float32_points(value: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=np.float32).reshape(-1, 2)


def _float32_channel(value: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=np.float32).reshape(-1)


@attrs.frozen(eq=False)
class TracedStroke:
    """One pen-down: ``points`` ``(n, 2)`` (x, y) at pixel centres of the mask, ``width`` ``(n,)`` in pixels."""

    points: np.ndarray = attrs.field(converter=_float32_points)
    width: np.ndarray = attrs.field(converter=_float32_channel)

    def __attrs_post_init__(self) -> None:
        if len(self.points) != len(self.width):
            raise ValueError(f"{len(self.points)} points but {len(self.width)} widths")


def trace_mask(mask: np.ndarray, *, script: str = "latin", stroke_width: float | None = None) -> list[TracedStroke]:
    """Trace an ink mask (``(h, w)`` bool, True = ink) into strokes in writing order.

    ``script`` is ``"latin"`` or ``"cjk"`` (it only changes the order).
    ``stroke_width`` is the pen width in pixels if known; it is measured from
    the mask otherwise. An empty mask gives no strokes.
    """
    if script not in SCRIPTS:
        raise ValueError(f"script must be one of {', '.join(SCRIPTS)}, got {script!r}")
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (h, w), got shape {mask.shape}")
    mask = np.array(mask, dtype=bool)  # a private, writable copy: thinning works in place
    if not mask.any():
        return []
    skeleton = skeletonize_mask(mask, stroke_width)
    graph = build_graph(skeleton.skeleton, skeleton.distance, skeleton.width)
    graph.simplify()
    paths = chain_paths(graph, pair_ends(graph))
    ordered = order_paths(paths, skeleton.mask, script, skeleton.width)
    finished = finish_paths([(path.points, path.radii, path.closed) for path in ordered])
    return [TracedStroke(points=points, width=width) for points, width in finished]
