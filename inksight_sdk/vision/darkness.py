"""Darkness against the paper: how much each pixel darkens its paper, in the channel that darkens most.

Dividing the image by an estimate of the paper without ink removes shadows,
uneven light and the paper's tint; taking the strongest darkening over the
three channels (``1 - min_c I_c / B_c``) makes blue, violet and red inks as
visible as black, each in the channel that absorbs them.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["relative_darkness"]


def relative_darkness(image: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` over ``paper`` (same shape, uint8; 255 where they match) and its darkness (0..255 uint8)."""
    normalized = cv2.divide(image, paper, scale=255)
    if normalized.ndim == 2:
        return normalized, 255 - normalized
    r, g, b = cv2.split(normalized)
    return normalized, 255 - cv2.min(cv2.min(r, g), b)
