"""The InkSight ink tokenizer: strokes on the 224-pixel canvas <-> token ids.

This follows the InkSight paper and the official release exactly, so ink
written by our models and ink written by the official Small-p model read the
same way:

* ink lives on the ``CANVAS`` = 224 pixel square of the padded word crop (the
  crop scaled to fit keeping its aspect ratio, centre-padded; the core's
  :func:`~inksight_sdk.geometry.plan_crop` with ``CropSpec(size=224)`` is that
  frame), x to the right, y down;
* each axis takes ``COORD_TOKENS`` = 225 integer values 0..224; a point is an
  ``x`` token (0..224) followed by a ``y + 225`` token (225..449);
* ``BOS_STROKE`` = 450 starts every stroke; the vocabulary has ``VOCAB_SIZE``
  = 451 ids;
* the official model writes its answer as text in which every ink id appears
  as ``<ink_token_N>`` (recognized text, when asked for, comes first).

Before quantization the encoder normalizes the ink the way the paper does:
strokes that carry time are resampled at a uniform rate (``time_step``
seconds; the paper does not publish its rate, 20 ms is our choice), every
stroke is simplified with Ramer-Douglas-Peucker (``rdp_epsilon`` canvas
pixels), coordinates are rounded (half up) and clipped to 0..224, and points
that quantize onto their predecessor are dropped (they add tokens, not shape).

:func:`decode_ink` reads token sequences the way the official detokenizer
reads them, so malformed model output degrades locally instead of failing:
a 450 closes the current stroke (empty strokes are dropped), any other token
is read as ``x`` together with the token after it as ``y + 225``; a pair whose
``x`` or ``y`` falls outside 0..224 is dropped whole (this is also what
happens to a ``y`` token that arrives without its ``x``), an ``x`` at the end
or followed by a 450 is skipped. Unlike the official detokenizer it never
raises: ids outside 0..450 are simply invalid coordinates.

Numpy only; the learned backends (``jax`` and ``onnx`` plugins) share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from .errors import InvalidInkError

__all__ = [
    "CANVAS",
    "COORD_TOKENS",
    "Y_OFFSET",
    "BOS_STROKE",
    "VOCAB_SIZE",
    "DEFAULT_RDP_EPSILON",
    "DEFAULT_TIME_STEP",
    "encode_ink",
    "decode_ink",
    "normalize_stroke",
    "simplify_rdp",
    "resample_by_time",
    "parse_ink_token_string",
    "format_ink_token_string",
    "count_invalid_tokens",
]

CANVAS = 224
"""Side of the square canvas in pixels; coordinates take the values 0..CANVAS."""
COORD_TOKENS = CANVAS + 1
"""Values per axis (225)."""
Y_OFFSET = COORD_TOKENS
"""A ``y`` coordinate is written as ``y + Y_OFFSET`` (225..449)."""
BOS_STROKE = 2 * COORD_TOKENS
"""Begin-of-stroke token (450)."""
VOCAB_SIZE = 2 * COORD_TOKENS + 1
"""Ink vocabulary size (451)."""

DEFAULT_RDP_EPSILON = 1.0
"""Ramer-Douglas-Peucker tolerance in canvas pixels (one quantization step)."""
DEFAULT_TIME_STEP = 0.02
"""Uniform resampling interval in seconds for strokes that carry time."""

_INK_TOKEN_RE = re.compile(r"<ink_token_(\d+)>")
# Markup of the official (mT5 SentencePiece) vocabulary that is not recognized text.
_SENTINEL_RE = re.compile(r"</?extra_id_\d+>|</s>|<pad>|<unk>")


# ----------------------------------------------------------------------------- normalization


def _as_points(stroke: object, index: int) -> np.ndarray:
    arr = np.asarray(stroke, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInkError(f"stroke {index} must have shape (n, 2), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidInkError(f"stroke {index} contains NaN or infinite coordinates")
    return arr


def resample_by_time(points: np.ndarray, t: np.ndarray, time_step: float = DEFAULT_TIME_STEP) -> np.ndarray:
    """The stroke sampled every ``time_step`` seconds (linear in time; both ends kept).

    Repeated time stamps are collapsed to their last point. A stroke whose time
    does not advance, or with fewer than two points, is returned unchanged.
    """
    points = np.asarray(points, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    if len(t) != len(points):
        raise InvalidInkError(f"stroke has {len(points)} points but {len(t)} time values")
    if not np.isfinite(t).all():
        raise InvalidInkError("stroke time contains NaN or infinite values")
    if len(points) < 2 or time_step <= 0:
        return points.copy()
    if np.any(np.diff(t) < 0):
        raise InvalidInkError("stroke time values must not decrease")
    # keep the last sample of every run of equal time stamps
    last = np.append(np.diff(t) > 0, True)
    t, points = t[last], points[last]
    span = t[-1] - t[0]
    if len(t) < 2 or span <= 0:
        return points.copy()
    n = int(np.floor(span / time_step + 1e-9))
    at = t[0] + time_step * np.arange(n + 1)
    if at[-1] < t[-1]:
        at = np.append(at, t[-1])
    return np.column_stack([np.interp(at, t, points[:, 0]), np.interp(at, t, points[:, 1])])


def simplify_rdp(points: np.ndarray, epsilon: float) -> np.ndarray:
    """Indices of the points Ramer-Douglas-Peucker keeps (iterative, both ends always kept).

    The distance is to the segment (not the infinite line), so a stroke that
    doubles back on itself keeps its turning point.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 3 or epsilon < 0:
        return np.arange(len(points))
    return np.flatnonzero(_rdp_keep(points, np.array([len(points)]), epsilon))


def _rdp_keep(points: np.ndarray, lengths: np.ndarray, epsilon: float) -> np.ndarray:
    """Which points Ramer-Douglas-Peucker keeps, for every stroke of a concatenation at once.

    All open intervals, of all strokes, are split in the same pass: one
    pass per level of the recursion instead of a dozen numpy calls per
    interval. Each interval keeps its farthest inner point (the first of
    equals) when it lies more than ``epsilon`` from the interval's chord.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    keep = np.zeros(len(points), dtype=bool)
    used = lengths > 0
    keep[starts[used]] = keep[ends[used] - 1] = True
    lo, hi = starts[lengths >= 3], ends[lengths >= 3] - 1
    while len(lo):
        inner = hi - lo - 1
        owner = np.repeat(np.arange(len(lo)), inner)
        index = np.arange(int(inner.sum())) - np.repeat(np.cumsum(inner) - inner, inner) + lo[owner] + 1
        chord = points[hi] - points[lo]
        rel = points[index] - points[lo][owner]
        seg = chord[owner]
        length2 = np.einsum("ij,ij->i", chord, chord)[owner]
        flat = length2 <= 1e-24
        u = np.clip(np.einsum("ij,ij->i", rel, seg) / np.where(flat, 1.0, length2), 0.0, 1.0)
        off = np.where(flat[:, None], rel, rel - u[:, None] * seg)
        dist = np.hypot(off[:, 0], off[:, 1])
        first = np.cumsum(inner) - inner
        farthest = np.maximum.reduceat(dist, first)
        at_max = np.flatnonzero(dist == farthest[owner])
        interval, pick = np.unique(owner[at_max], return_index=True)  # the first farthest point of each
        split = farthest[interval] > epsilon
        mid = index[at_max[pick]][split]
        keep[mid] = True
        a, b = lo[interval][split], hi[interval][split]
        lo, hi = np.concatenate([a, mid]), np.concatenate([mid, b])
        wide = hi - lo >= 2
        lo, hi = lo[wide], hi[wide]
    return keep


def _normalize_strokes(
    strokes: Sequence[np.ndarray],
    times: Sequence[np.ndarray | None],
    rdp_epsilon: float | None,
    time_step: float | None,
) -> list[np.ndarray]:
    """:func:`normalize_stroke` of every (non-empty, checked) stroke, simplified all at once."""
    resampled = [
        resample_by_time(pts, t, time_step) if t is not None and time_step is not None else pts
        for pts, t in zip(strokes, times)
    ]
    lengths = np.array([len(p) for p in resampled], dtype=np.int64)
    if not len(lengths):
        return []
    pts = np.concatenate(resampled)
    if rdp_epsilon is not None and rdp_epsilon >= 0:
        keep = _rdp_keep(pts, lengths, rdp_epsilon)
        run = np.repeat(np.arange(len(lengths)), lengths)[keep]
        pts, lengths = pts[keep], np.bincount(run, minlength=len(lengths))
    q = np.clip(np.floor(pts + 0.5), 0, CANVAS).astype(np.int32)
    first = np.zeros(len(q), dtype=bool)
    first[np.cumsum(lengths)[lengths > 0] - lengths[lengths > 0]] = True
    moved = first.copy()
    moved[1:] |= np.any(q[1:] != q[:-1], axis=1)
    run = np.repeat(np.arange(len(lengths)), lengths)[moved]
    return np.split(q[moved], np.cumsum(np.bincount(run, minlength=len(lengths)))[:-1])


def normalize_stroke(
    points: np.ndarray,
    t: np.ndarray | None = None,
    *,
    rdp_epsilon: float | None = DEFAULT_RDP_EPSILON,
    time_step: float | None = DEFAULT_TIME_STEP,
) -> np.ndarray:
    """One stroke in canvas pixels -> its quantized points ``(m, 2) int32`` (m >= 1 unless empty).

    Time-resampled (when ``t`` is given and ``time_step`` is not None),
    simplified, rounded half up, clipped to 0..224, consecutive duplicates dropped.
    """
    pts = _as_points(points, 0)
    if len(pts) == 0:
        return np.zeros((0, 2), dtype=np.int32)
    return _normalize_strokes([pts], [t], rdp_epsilon, time_step)[0]


# ----------------------------------------------------------------------------- encode / decode


def encode_ink(
    strokes: Sequence[np.ndarray] | Iterable[np.ndarray],
    times: Sequence[np.ndarray | None] | None = None,
    *,
    rdp_epsilon: float | None = DEFAULT_RDP_EPSILON,
    time_step: float | None = DEFAULT_TIME_STEP,
) -> np.ndarray:
    """Strokes in canvas pixels -> ink token ids (``int32``, values 0..450).

    ``strokes`` are ``(n, 2)`` arrays (x, y) on the 224 canvas, in writing
    order; ``times`` (optional) gives each stroke's time stamps in seconds
    (an entry may be None). Empty strokes are dropped. Points outside the
    canvas are clipped to its border. Raises
    :class:`~inksight_sdk.errors.InvalidInkError` for malformed arrays.
    """
    strokes = list(strokes)
    if times is not None:
        times = list(times)
        if len(times) != len(strokes):
            raise InvalidInkError(f"{len(strokes)} strokes but {len(times)} time arrays")
    kept = [(i, _as_points(stroke, i)) for i, stroke in enumerate(strokes)]
    kept = [(i, pts) for i, pts in kept if len(pts)]
    if not kept:
        return np.zeros(0, dtype=np.int32)
    normalized = _normalize_strokes(
        [pts for _, pts in kept], [None if times is None else times[i] for i, _ in kept], rdp_epsilon, time_step
    )
    out: list[np.ndarray] = []
    for q in normalized:
        body = np.empty(2 * len(q) + 1, dtype=np.int32)
        body[0] = BOS_STROKE
        body[1::2] = q[:, 0]
        body[2::2] = q[:, 1] + Y_OFFSET
        out.append(body)
    return np.concatenate(out)


def _token_list(tokens: object) -> list[int]:
    arr = np.asarray(tokens)
    if arr.size == 0:
        return []
    arr = arr.reshape(-1)
    if arr.dtype.kind == "f":
        arr = np.where(np.isfinite(arr), arr, -1)
    # anything that is not a small integer is an invalid coordinate, never an error
    arr = np.clip(arr.astype(np.float64), -1, 10 * VOCAB_SIZE).astype(np.int64)
    return arr.tolist()


def decode_ink(tokens: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    """Ink token ids -> strokes, ``(n, 2) float32`` arrays in canvas pixels.

    Reads like the official detokenizer (see the module docstring) and never
    raises on a sequence of numbers: malformed parts are dropped.
    """
    toks = _token_list(tokens)
    strokes: list[np.ndarray] = []
    current: list[tuple[int, int]] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        if tok == BOS_STROKE:
            if current:
                strokes.append(np.asarray(current, dtype=np.float32))
            current = []
            i += 1
        elif i + 1 < n and toks[i + 1] != BOS_STROKE:
            x, y = tok, toks[i + 1] - Y_OFFSET
            if 0 <= x <= CANVAS and 0 <= y <= CANVAS:
                current.append((x, y))
            i += 2
        else:  # a dangling x: nothing after it, or a new stroke
            i += 1
    if current:
        strokes.append(np.asarray(current, dtype=np.float32))
    return strokes


def count_invalid_tokens(tokens: Sequence[int] | np.ndarray) -> int:
    """How many tokens :func:`decode_ink` drops (to report malformed model output)."""
    toks = _token_list(tokens)
    dropped, i, n = 0, 0, len(toks)
    while i < n:
        if toks[i] == BOS_STROKE:
            i += 1
        elif i + 1 < n and toks[i + 1] != BOS_STROKE:
            x, y = toks[i], toks[i + 1] - Y_OFFSET
            if not (0 <= x <= CANVAS and 0 <= y <= CANVAS):
                dropped += 2
            i += 2
        else:
            dropped += 1
            i += 1
    return dropped


# ----------------------------------------------------------------------------- official string form


def parse_ink_token_string(text: str) -> tuple[str, np.ndarray]:
    """Split an official model answer into (recognized text, ink token ids).

    Every ``<ink_token_N>`` is collected in order (N as written; ids above
    450 are kept and later dropped by :func:`decode_ink`). The text is what
    remains without the ink tokens and without the mT5 markup (``<extra_id_0>``,
    ``</s>``, ``<pad>``), whitespace collapsed. For the plain derender prompts
    the text is usually empty.
    """
    big = np.iinfo(np.int32).max
    found = _INK_TOKEN_RE.findall(text)
    tokens = np.asarray([min(int(m), big) if len(m) <= 10 else big for m in found], dtype=np.int64)
    tokens = tokens.astype(np.int32)
    rest = _SENTINEL_RE.sub(" ", _INK_TOKEN_RE.sub(" ", text))
    return " ".join(rest.split()), tokens


def format_ink_token_string(tokens: Sequence[int] | np.ndarray, text: str = "") -> str:
    """The official string form: ``text`` then ``<ink_token_N>`` for every id."""
    ink = "".join(f"<ink_token_{int(t)}>" for t in np.asarray(tokens, dtype=np.int64).reshape(-1))
    if text:
        return f"{text} {ink}" if ink else text
    return ink
