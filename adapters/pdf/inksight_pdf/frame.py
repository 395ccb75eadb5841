"""Where page pixels sit on a PDF page: the exact map between the two.

The page source renders the page's crop box (fitted to the media box as
poppler does: :meth:`PageFrame.of`) turned by ``/Rotate``, at ``dpi``; page pixel centres sit on
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

__all__ = ["PageFrame", "pixels_for", "as_poppler_reads"]


def pixels_for(points: float, dpi: float) -> int:
    """Pixels poppler's pdftoppm (Debian's poppler 22.12) makes of ``points`` at ``dpi``: ``ceil(points * dpi / 72)``.

    Its source reads ``points * (dpi / 72.0)``, but the binary behaves as if
    it multiplied first: a 60 pt side at 150 dpi is 125 pixels, where
    ``60 * (150 / 72.0)`` is a hair over 125 and would round up to 126
    (measured with ``pdftoppm -r 150``; so were 20, 24 and 120 pt sides at
    75-300 dpi, and the lexer's inexact sums of ``as_poppler_reads``).
    """
    return max(1, math.ceil(points * dpi / 72.0))


def as_poppler_reads(value: float) -> float:
    """A number written in a PDF as poppler's lexer reads it: integer part, then each decimal digit added
    times a scale that is divided by ten each step. That sum is not always the nearest double (22.15625 comes
    out a few units in the last place high), and it decides the rendered page's size in whole pixels.
    """
    text = np.format_float_positional(value, unique=True, trim="-")  # the shortest decimal: what was written
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    result, scale = float(int(whole or "0")), 0.1
    for digit in fraction:
        result += scale * int(digit)
        scale *= 0.1
    return -result if negative else result


def _box(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, y0, x1, y1 = (as_poppler_reads(float(v)) for v in value)
    except (TypeError, ValueError, OverflowError):
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
        """From a page's (inherited) ``/MediaBox``, ``/CropBox`` and ``/Rotate``, as poppler 22 reads them.

        A crop box wider (or taller) than the media box takes the media box's
        sides in that direction, and is then clipped to the media box; it may
        end up empty (a one-pixel page). A missing, broken or all-zero crop
        box means the media box, and a broken media box US Letter.
        """
        mbox = _box(media)
        if mbox is None or mbox[2] - mbox[0] <= 0 or mbox[3] - mbox[1] <= 0:
            mbox = (0.0, 0.0, 612.0, 792.0)
        cbox = _box(crop) if crop is not None else None
        if cbox is None or cbox == (0.0, 0.0, 0.0, 0.0):
            return cls(box=mbox, rotate=normal_rotation(rotate), dpi=float(dpi))
        x0, y0, x1, y1 = cbox
        if x1 - x0 > mbox[2] - mbox[0]:
            x0, x1 = mbox[0], mbox[2]
        if y1 - y0 > mbox[3] - mbox[1]:
            y0, y1 = mbox[1], mbox[3]
        clipped = (
            min(max(x0, mbox[0]), mbox[2]),
            min(max(y0, mbox[1]), mbox[3]),
            min(max(x1, mbox[0]), mbox[2]),
            min(max(y1, mbox[1]), mbox[3]),
        )
        return cls(box=clipped, rotate=normal_rotation(rotate), dpi=float(dpi))

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
