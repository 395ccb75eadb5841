"""Word crops and their exact inverse: page pixels <-> crop pixels.

A word quad (TL, TR, BR, BL, possibly rotated) is mapped by one affine matrix
onto an upright crop. The same matrix, inverted, brings the derenderer's
strokes back to page pixels, so the round trip is exact up to float
rounding. Coordinates put pixel centres on integers: pixel column ``i``, row
``j`` is the point ``(i, j)`` in both frames.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from PIL import Image

from .stages import CropSpec

__all__ = ["CropTransform", "plan_crop", "crop_word", "apply_affine", "invert_affine", "quad_frame"]


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map ``(n, 2)`` points by a 2x3 affine matrix (float64 result)."""
    m = np.asarray(matrix, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return pts @ m[:, :2].T + m[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    inv = np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]]))
    return inv[:2]


def quad_frame(quad: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The affine map taking a quad to the upright rectangle ``[0, w] x [0, h]``.

    ``w`` and ``h`` are the mean lengths of opposite sides; the matrix is the
    least-squares fit of the four corners, which is exact for rectangles and
    parallelograms and the closest affine map for a general quad.
    """
    q = np.asarray(quad, dtype=np.float64)
    w = max(1.0, 0.5 * float(np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])))
    h = max(1.0, 0.5 * float(np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    design = np.hstack([q, np.ones((4, 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return solution.T, w, h


@attrs.frozen(eq=False)
class CropTransform:
    """Where a crop came from: ``matrix`` maps page pixels to crop pixels."""

    matrix: np.ndarray
    width: int
    height: int

    @property
    def inverse(self) -> np.ndarray:
        return invert_affine(self.matrix)

    @property
    def scale(self) -> float:
        """Linear scale from page to crop pixels (mean of the two axes)."""
        return float(math.sqrt(abs(np.linalg.det(np.asarray(self.matrix)[:, :2]))))

    def to_page(self, points: np.ndarray) -> np.ndarray:
        return apply_affine(self.inverse, points)

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        return apply_affine(self.matrix, points)


def plan_crop(quad: np.ndarray, spec: CropSpec) -> CropTransform:
    """Decide the crop's size and the page->crop matrix for one word."""
    frame, w, h = quad_frame(quad)
    margin = float(spec.margin)
    box_w, box_h = w + 2 * margin, h + 2 * margin
    if spec.size is not None:
        scale = spec.size / max(box_w, box_h)
        out_w = out_h = int(spec.size)
        # centre-pad: the box lands in the middle of the square canvas
        offset = np.array([(spec.size - box_w * scale) / 2, (spec.size - box_h * scale) / 2])
    else:
        scale = min(spec.scale, spec.max_side / max(box_w, box_h))
        out_w = max(1, int(math.ceil(box_w * scale)))
        out_h = max(1, int(math.ceil(box_h * scale)))
        offset = np.array([(out_w - box_w * scale) / 2, (out_h - box_h * scale) / 2])
    shift = margin * scale + offset
    to_canvas = np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]], [0.0, 0.0, 1.0]])
    matrix = (to_canvas @ np.vstack([frame, [0.0, 0.0, 1.0]]))[:2]
    return CropTransform(matrix=matrix, width=out_w, height=out_h)


def crop_mask(mask: np.ndarray, transform: CropTransform, page_shape: tuple[int, int]) -> np.ndarray:
    """The part of a page mask (``(h, w)`` bool or 0/1 uint8, at any resolution covering the page) under a crop.

    Nearest-neighbour, so the mask stays a mask; what lies outside the page is False.
    """
    import cv2

    mask = np.asarray(mask)
    if mask.dtype != np.uint8:
        mask = mask.astype(np.uint8)
    sx, sy = mask.shape[1] / page_shape[1], mask.shape[0] / page_shape[0]
    # crop pixel -> page pixel (centres) -> mask pixel (centres)
    to_mask = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
    matrix = (to_mask @ np.vstack([transform.inverse, [0.0, 0.0, 1.0]]))[:2]
    warped = cv2.warpAffine(
        mask,
        matrix,
        (transform.width, transform.height),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return warped.astype(bool)


def crop_word(image: np.ndarray, transform: CropTransform, fill: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Resample the page ``image`` into the crop described by ``transform``.

    Only the page region under the crop is converted (a 12 MP page is never
    copied per word), and a strong downscale first box-reduces that region by
    an integer factor so thin strokes do not alias away.
    """
    corners = np.array([[0, 0], [transform.width, 0], [transform.width, transform.height], [0, transform.height]])
    page_pts = transform.to_page(corners - 0.5)
    h, w = image.shape[:2]
    x0 = int(np.clip(np.floor(page_pts[:, 0].min()) - 2, 0, w))
    y0 = int(np.clip(np.floor(page_pts[:, 1].min()) - 2, 0, h))
    x1 = int(np.clip(np.ceil(page_pts[:, 0].max()) + 3, 0, w))
    y1 = int(np.clip(np.ceil(page_pts[:, 1].max()) + 3, 0, h))
    if x1 <= x0 or y1 <= y0:
        return np.full((transform.height, transform.width, 3), fill, dtype=np.uint8)
    region = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    # crop pixel -> region pixel: undo the page offset of the region
    inv = transform.inverse.copy()
    inv[:, 2] -= (x0, y0)
    factor = int(1.0 / transform.scale) if transform.scale < 0.5 else 1
    if factor > 1:
        region = region.reduce(factor)
        # region pixel p maps to reduced pixel (p - (factor - 1) / 2) / factor
        inv = inv / factor
        inv[:, 2] -= (factor - 1) / (2 * factor)
    a, b, c = inv[0]
    d, e, f = inv[1]
    # PIL evaluates the matrix at output pixel centres (i + 0.5) in a frame whose
    # pixel centres sit at +0.5; shift ours (centres on integers) accordingly
    coeffs = (a, b, c - 0.5 * (a + b) + 0.5, d, e, f - 0.5 * (d + e) + 0.5)
    out = region.transform(
        (transform.width, transform.height),
        Image.Transform.AFFINE,
        coeffs,
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )
    return np.asarray(out)
