"""From an ink mask to a one-pixel skeleton, its distance transform and the pen width.

Thinning is only as good as the mask it reads: extraction leaves specks (which
would become tiny strokes) and pinholes inside thick ink (which would become
fake loops), so both are removed first, at a size relative to the pen width.
The distance transform gives every skeleton pixel the local pen radius, which
the graph stage uses to tell thinning artefacts from real strokes.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from collections.abc import Callable

import attrs
import numpy as np

from ..filters import distance_to_paper, label_any_order, median

__all__ = ["Skeleton", "skeletonize_mask"]

_THIN: Callable[[np.ndarray], np.ndarray] | None = None


def _thinning() -> Callable[[np.ndarray], np.ndarray]:
    """scikit-image's compiled Zhang-Suen thinning, what ``skimage.morphology.skeletonize`` runs on 2-D images.

    ``skimage.morphology`` imports most of scikit-image and ``scipy.spatial``
    (about 0.1 s of every ``inksight convert``), so the compiled function is
    loaded from its extension module alone; any other scikit-image layout
    falls back to the public function (same result).
    """
    global _THIN
    if _THIN is None:
        try:
            name = "skimage.morphology._skeletonize_various_cy"
            spec = importlib.util.find_spec("skimage")
            folder = os.path.join(list(spec.submodule_search_locations or [])[0], "morphology")  # type: ignore[union-attr]
            path = next(
                p
                for p in (
                    os.path.join(folder, "_skeletonize_various_cy" + s) for s in importlib.machinery.EXTENSION_SUFFIXES
                )
                if os.path.exists(p)
            )
            loader = importlib.machinery.ExtensionFileLoader(name, path)
            module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))  # type: ignore[arg-type]
            loader.exec_module(module)
            fast = module._fast_skeletonize

            def thin(image: np.ndarray) -> np.ndarray:
                return np.asarray(fast(np.ascontiguousarray(image, dtype=bool)), dtype=bool)

            _THIN = thin
        except Exception:  # another scikit-image layout: the public function
            from skimage.morphology import skeletonize as public

            _THIN = public
    return _THIN


def skeletonize(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a 2-D bool mask (``skimage.morphology.skeletonize``)."""
    return _thinning()(mask)


@attrs.frozen(eq=False)
class Skeleton:
    """The cleaned mask, its skeleton, the distance to paper (px) and the typical pen width (px)."""

    mask: np.ndarray
    skeleton: np.ndarray
    distance: np.ndarray
    width: float


def skeletonize_mask(mask: np.ndarray, stroke_width: float | None = None) -> Skeleton:
    """Clean ``mask`` (bool, True = ink) and thin it.

    ``stroke_width`` is the pen width in pixels when the caller knows it;
    otherwise it is measured as twice the median distance to paper along the
    skeleton, which is what a round pen of that width leaves.
    """
    mask = np.asarray(mask, dtype=bool)
    if stroke_width:  # the width is known: clean first, and thin only the cleaned mask
        mask = _clean(mask, float(stroke_width))
        distance = distance_to_paper(mask)
        return Skeleton(mask=mask, skeleton=skeletonize(mask), distance=distance, width=float(stroke_width))
    distance = distance_to_paper(mask)
    skeleton = skeletonize(mask)
    width = _median_width(distance, skeleton)
    cleaned = _clean(mask, width)
    if not np.array_equal(cleaned, mask):
        mask = cleaned
        distance = distance_to_paper(mask)
        skeleton = skeletonize(mask)
        width = _median_width(distance, skeleton)
    return Skeleton(mask=mask, skeleton=skeleton, distance=distance, width=width)


def _median_width(distance: np.ndarray, skeleton: np.ndarray) -> float:
    # the distance transform counts to the centre of the first paper pixel, half a pixel beyond the edge
    values = distance[skeleton]
    return max(1.0, 2.0 * median(values) - 1.0) if values.size else 1.0


def _clean(mask: np.ndarray, width: float) -> np.ndarray:
    """Drop specks much smaller than a pen dot and fill pinholes much smaller than a loop's eye."""
    speck = max(2.0, 0.3 * width * width)
    labels, count = label_any_order(mask, connectivity=8)  # sizes only: any numbering
    if count:
        areas = np.bincount(labels.ravel())
        keep = areas >= speck
        keep[0] = False
        mask = keep[labels]
    # a loop's eye is at least a pen wide for a fine pen, but a broad marker's o has an eye of a few pixels:
    # noise inside thick ink does not grow with the pen, so the limit grows with its width, not its square
    pinhole = max(1.0, min(0.25 * width * width, width))
    # 4-connected paper: diagonal gaps in 8-connected ink stay closed
    holes, count = label_any_order(~mask, connectivity=4)
    if count:
        areas = np.bincount(holes.ravel())
        border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
        fill = areas <= pinhole
        fill[0] = False
        fill[border] = False
        mask = mask | fill[holes]
    return mask
