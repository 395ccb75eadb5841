"""Small 1-D filters, connected-component labelling and the distance to paper, without SciPy.

Why not ``scipy.ndimage``: importing it costs about 0.3 s (SciPy's array-API
set-up), paid by every ``inksight convert`` run, which is more than the
builtin detector and tracer spend on a typical page. These functions give
the same numbers as their ``scipy.ndimage`` namesakes for the cases the SDK
uses (OpenCV does the labelling; the filters are short numpy convolutions).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "correlate_1d",
    "distance_to_paper",
    "gaussian_1d",
    "gaussian_kernel",
    "label",
    "label_any_order",
    "label_members",
    "median",
    "median_1d",
]

#: scipy.ndimage boundary modes -> numpy.pad modes
_PAD_MODES = {"nearest": "edge", "wrap": "wrap", "reflect": "symmetric", "constant": "constant"}


#: OpenCV's exact distance transform gives values whose last bit depends on where its input and
#: output start in memory (its SIMD code); both are placed at addresses this many bytes aligned
_ALIGN = 64


def _aligned(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """An uninitialised C-contiguous array starting on an ``_ALIGN``-byte boundary."""
    size = shape[0] * shape[1] * np.dtype(dtype).itemsize
    raw = np.empty(size + _ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % _ALIGN
    return raw[start : start + size].view(dtype).reshape(shape)


def distance_to_paper(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance (float32, px) from each ink pixel of a 2-D bool mask to the nearest paper.

    The image's edge counts as paper. ``cv2.distanceTransform`` with the
    precise mask gave values one float32 step apart for the same mask,
    depending on its buffers' alignment: the same word traced in a helper
    process and on the calling thread then had different widths, and a
    page converted twice was not always the same document. Its input and
    output are therefore placed on 64-byte boundaries.
    """
    h, w = mask.shape
    padded = _aligned((h + 2, w + 2), np.uint8)
    padded[...] = 0
    padded[1:-1, 1:-1] = mask
    distance = cv2.distanceTransform(
        padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE, dst=_aligned((h + 2, w + 2), np.float32)
    )
    return distance[1:-1, 1:-1]


def label(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Label the True components of a 2-D mask: ``(labels, count)``, background 0.

    Components are numbered in raster order of their first pixel, as
    ``scipy.ndimage.label`` numbers them (``connectivity`` 8 is its 3x3
    structure, 4 its default), so code that walks labels in order behaves
    the same.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    count, labels = cv2.connectedComponents(
        np.ascontiguousarray(mask, dtype=np.uint8), connectivity=connectivity, ltype=cv2.CV_32S
    )
    count -= 1
    if count > 1:
        # a component's first pixel starts a run of its label along a row: look among run starts only
        starts = np.empty(labels.shape, dtype=bool)
        starts[:, 0] = True
        np.not_equal(labels[:, 1:], labels[:, :-1], out=starts[:, 1:])
        starts &= labels > 0
        found, first = np.unique(labels[starts], return_index=True)  # run starts come in raster order
        in_order = found[np.argsort(first, kind="stable")]
        if not np.array_equal(in_order, np.arange(1, count + 1)):
            rank = np.zeros(count + 1, dtype=np.int32)
            rank[in_order] = np.arange(1, count + 1, dtype=np.int32)
            labels = rank[labels]
    return labels, count


def label_any_order(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """:func:`label`'s components under OpenCV's own numbering, for callers to whom the order is nothing.

    Which pixels belong together is the same; putting the labels in raster
    order costs a few array passes, which adds up over a page's word crops.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    count, labels = cv2.connectedComponents(
        np.ascontiguousarray(mask, dtype=np.uint8), connectivity=connectivity, ltype=cv2.CV_32S
    )
    return labels, count - 1


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of an array without NaN, without ``np.median``'s per-call overhead.

    The tracer takes the median pen radius of every path (thousands of short
    arrays a page), where ``np.median``'s Python-level set-up costs more than
    the work. The same partition and the same mean of the two middle values
    (in the array's float type; integers as float64) give the same number.
    """
    flat = np.asarray(values).ravel()
    n = flat.size
    if n == 0:
        return float(np.median(flat))  # nan, with numpy's warning
    half = n // 2
    if n % 2:
        return float(np.partition(flat, half)[half])
    part = np.partition(flat, (half - 1, half))
    lo, hi = part[half - 1], part[half]
    if np.issubdtype(flat.dtype, np.floating):
        return float((lo + hi) / 2)
    return (float(lo) + float(hi)) / 2.0


def label_members(labels: np.ndarray, count: int) -> list[np.ndarray]:
    """The flat pixel indices of each label ``1..count``, each in raster order."""
    flat = labels.ravel()
    ink = np.flatnonzero(flat)
    ordered = ink[np.argsort(flat[ink], kind="stable")]
    sizes = np.bincount(flat[ink], minlength=count + 1)[1:]
    return np.split(ordered, np.cumsum(sizes)[:-1]) if count else []


def correlate_1d(values: np.ndarray, kernel: np.ndarray, mode: str) -> np.ndarray:
    """Correlate ``values`` (``(n,)`` or ``(n, k)``) with an odd-length ``kernel`` along axis 0."""
    values = np.asarray(values, dtype=np.float64)
    radius = len(kernel) // 2
    pad = ((radius, radius),) + ((0, 0),) * (values.ndim - 1)
    padded = np.pad(values, pad, mode=_PAD_MODES[mode])
    flipped = kernel[::-1]  # np.convolve flips its kernel; flipping first makes it a correlation
    if values.ndim == 1:
        return np.convolve(padded, flipped, mode="valid")
    columns = padded.reshape(len(padded), -1)
    out = np.column_stack([np.convolve(columns[:, j], flipped, mode="valid") for j in range(columns.shape[1])])
    return out.reshape(values.shape)


def gaussian_kernel(sigma: float) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter1d``'s weights: radius ``int(4 sigma + 0.5)``, summing to 1."""
    radius = int(4.0 * sigma + 0.5)
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 / (sigma * sigma) * x**2)
    return kernel / kernel.sum()


def gaussian_1d(values: np.ndarray, sigma: float, mode: str = "reflect") -> np.ndarray:
    """Gaussian smoothing along axis 0, as ``scipy.ndimage.gaussian_filter1d(values, sigma, axis=0, mode=mode)``."""
    return correlate_1d(values, gaussian_kernel(sigma), mode)


def median_1d(values: np.ndarray, size: int, mode: str = "reflect") -> np.ndarray:
    """Running median of a 1-D array over an odd ``size``, as ``scipy.ndimage.median_filter``.

    Called for every traced stroke, so it avoids ``np.pad``, ``sliding_window_view``
    and ``np.median``, whose Python-level overhead is most of the cost on arrays this short.
    """
    if size % 2 != 1:
        raise ValueError(f"size must be odd, got {size}")
    values = np.ascontiguousarray(values, dtype=np.float64)
    half = size // 2
    if half == 0 or len(values) == 0:
        return values.copy()
    padded = _pad_1d(values, half, mode)
    step = padded.strides[0]
    windows = np.lib.stride_tricks.as_strided(padded, (len(values), size), (step, step), writeable=False)
    return np.partition(windows, half, axis=1)[:, half]


def _pad_1d(values: np.ndarray, half: int, mode: str) -> np.ndarray:
    """``np.pad(values, half, mode=...)`` for scipy's ``mode``; plain slicing when ``half`` fits the array."""
    n = len(values)
    if half > n:
        return np.pad(values, half, mode=_PAD_MODES[mode])
    if mode == "reflect":
        left, right = values[:half][::-1], values[::-1][:half]
    elif mode == "wrap":
        left, right = values[n - half :], values[:half]
    elif mode == "nearest":
        left, right = np.repeat(values[:1], half), np.repeat(values[-1:], half)
    elif mode == "constant":
        left = right = np.zeros(half)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return np.concatenate([left, values, right])
