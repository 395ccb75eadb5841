"""Where page pixels sit on a PDF page: the exact map between the two.

The page source renders the page's crop box (clipped to the media box, as
poppler does) turned by ``/Rotate``, at ``dpi``; page pixel centres sit on
integers (pixel column ``j`` covers ``[j - 0.5, j + 0.5)``). A point ``(x, y)``
in page pixels is therefore ``((x + 0.5) * 72 / dpi, (y + 0.5) * 72 / dpi)``
points from the top-left corner of the page *as displayed*, and this module
turns that into default user space (PDF units, y up) and back. The exporter
writes ``/InkList`` with :meth:`PageFrame.to_user` and the reader maps it back
with :meth:`PageFrame.to_pixels`, so a round trip is exact up to the decimals
written.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

__all__ = ["PageFrame", "pixels_for"]


def pixels_for(points: float, dpi: float) -> int:
    """Pixels poppler's pdftoppm makes of ``points`` at ``dpi`` (it rounds up)."""
    return max(1, math.ceil(points * dpi / 72.0))


def _box(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def normal_rotation(value: Any) -> int:
    """``/Rotate`` as 0, 90, 180 or 270; anything else (not a multiple of 90) counts as 0, as in poppler."""
    try:
        turn = int(value) % 360
    except (TypeError, ValueError, OverflowError):
        return 0
    return turn if turn % 90 == 0 else 0


@attrs.frozen
class PageFrame:
    """The visible box of a page in user space, its clockwise display rotation, and the render DPI."""

    box: tuple[float, float, float, float]
    rotate: int
    dpi: float

    @classmethod
    def of(cls, media: Any, crop: Any, rotate: Any, dpi: float) -> PageFrame:
        """From a page's (inherited) ``/MediaBox``, ``/CropBox`` and ``/Rotate``.

        The crop box is clipped to the media box; a missing, broken or empty
        crop box means the media box (and a broken media box US Letter), as
        poppler decides.
        """
        mbox = _box(media)
        if mbox is None or mbox[2] - mbox[0] <= 0 or mbox[3] - mbox[1] <= 0:
            mbox = (0.0, 0.0, 612.0, 792.0)
        cbox = _box(crop) if crop is not None else None
        if cbox is not None:
            cbox = (max(cbox[0], mbox[0]), max(cbox[1], mbox[1]), min(cbox[2], mbox[2]), min(cbox[3], mbox[3]))
            if cbox[2] - cbox[0] <= 0 or cbox[3] - cbox[1] <= 0:
                cbox = None
        return cls(box=cbox or mbox, rotate=normal_rotation(rotate), dpi=float(dpi))

    @property
    def size_points(self) -> tuple[float, float]:
        """Width and height of the page as displayed (rotation applied), in points."""
        x0, y0, x1, y1 = self.box
        w, h = x1 - x0, y1 - y0
        return (h, w) if self.rotate in (90, 270) else (w, h)

    @property
    def size_pixels(self) -> tuple[int, int]:
        """Width and height of the rendered page in pixels, as pdftoppm makes it."""
        w, h = self.size_points
        return pixels_for(w, self.dpi), pixels_for(h, self.dpi)

    def to_user(self) -> np.ndarray:
        """3x3 affine matrix from page pixels (centres on integers) to user space."""
        s = 72.0 / self.dpi
        x0, y0, x1, y1 = self.box
        # (X, Y) = s * (x + 0.5, y + 0.5): points from the displayed top-left corner, y down
        displayed = np.array([[s, 0.0, 0.5 * s], [0.0, s, 0.5 * s], [0.0, 0.0, 1.0]])
        turn = {
            0: [[1, 0, x0], [0, -1, y1]],  # X right from x0, Y down from y1
            90: [[0, 1, x0], [1, 0, y0]],  # the left edge is on top: X up from y0, Y right from x0
            180: [[-1, 0, x1], [0, 1, y0]],
            270: [[0, -1, x1], [-1, 0, y1]],  # the right edge is on top: X down from y1, Y left from x1
        }[self.rotate]
        return np.vstack([np.asarray(turn, np.float64), [0.0, 0.0, 1.0]]) @ displayed

    def to_pixels(self) -> np.ndarray:
        """3x3 affine matrix from user space to page pixels (the inverse of :meth:`to_user`)."""
        return np.linalg.inv(self.to_user())

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(n, 2)`` points mapped by a 3x3 affine matrix, in float64."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return pts @ matrix[:2, :2].T + matrix[:2, 2]
