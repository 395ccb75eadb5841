"""Glyph ink in a shared unit frame, and joining touching segments into strokes.

Every ink source (Hershey fonts, hanzi-writer-data) describes a character as
a :class:`Glyph`: strokes in writing order and direction, in *em units* with
x to the right, y down, the baseline at ``y = 0`` and the cap line at
``y = -1`` (so a capital letter is one unit tall), plus an advance width.
:func:`layout_word` puts glyphs side by side and returns a :class:`WordInk`
style record of strokes in the same frame with, for every point, the index of
the character it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

__all__ = ["Glyph", "SourceWord", "join_touching", "layout_word", "polyline_distance"]


@attrs.frozen(eq=False)
class Glyph:
    """One character: ``strokes`` (``(n, 2) float64``, em units, writing order), ``advance`` (em)."""

    char: str
    strokes: tuple[np.ndarray, ...]
    advance: float
    left: float = 0.0
    """x of the glyph's left side bearing in its own strokes' frame."""
    connected: bool = False
    """True for joined-up scripts (cursive): glyphs touch their neighbours."""


@attrs.frozen(eq=False)
class SourceWord:
    """A word's ink before variation: strokes in em units, in writing order.

    ``char_index`` holds, per stroke, the character index of every point;
    ``char_bounds`` the x extent ``(left, right)`` of each character cell.
    """

    text: str
    strokes: list[np.ndarray]
    char_index: list[np.ndarray]
    char_bounds: np.ndarray
    script: str = "latin"
    raw_segments: int = 0
    """How many separate segments the source had before joining (pen lifts + 1 per segment)."""


def polyline_distance(point: np.ndarray, line: np.ndarray) -> tuple[float, int, float]:
    """Distance from ``point`` to the polyline ``line``; also the segment index and parameter of the nearest point."""
    if len(line) == 1:
        return float(np.linalg.norm(point - line[0])), 0, 0.0
    a, b = line[:-1], line[1:]
    ab = b - a
    denom = np.maximum((ab**2).sum(axis=1), 1e-12)
    u = np.clip(((point - a) * ab).sum(axis=1) / denom, 0.0, 1.0)
    proj = a + ab * u[:, None]
    d = np.linalg.norm(proj - point, axis=1)
    i = int(np.argmin(d))
    return float(d[i]), i, float(u[i])


def _retrace_tail(line: np.ndarray, seg: int, u: float) -> np.ndarray:
    """The path from the end of ``line`` back to its point at segment ``seg``, parameter ``u``."""
    target = line[seg] + (line[seg + 1] - line[seg]) * u
    back = line[seg + 1 :][::-1]
    return np.vstack([back[1:], target[None]]) if len(back) > 1 else target[None]


def join_touching(
    strokes: Sequence[np.ndarray],
    owners: Sequence[np.ndarray] | None = None,
    *,
    touch: float = 0.05,
    retrace: float = 0.04,
    max_retrace: float = 0.45,
    extend: float = 0.0,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Join consecutive segments that touch into one stroke (realistic pen lifts).

    Segment ``b`` continues segment ``a`` when ``b`` starts where ``a`` ends
    (within ``touch``), or when ``b`` starts on ``a``'s own trace within
    ``max_retrace`` of arc length from its end (within ``retrace``): a hand
    writing an ``m`` or an ``n`` goes back up the stem it just drew instead of
    lifting the pen, so the joined stroke retraces that part of ``a``; or,
    with ``extend`` > 0, when ``b`` starts at most ``extend`` beyond ``a``'s
    end straight ahead (within about 35 degrees of ``a``'s final direction),
    the way the second stem of a cursive ``u`` continues its up-stroke. Units
    are those of the points (em for glyph ink). ``owners`` are per-point
    labels carried along (character indices); retraced points take ``a``'s.
    """
    if owners is None:
        owners = [np.zeros(len(s), dtype=np.int32) for s in strokes]
    out: list[np.ndarray] = []
    out_owner: list[np.ndarray] = []
    for stroke, owner in zip(strokes, owners):
        stroke = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        owner = np.asarray(owner, dtype=np.int32).reshape(-1)
        if len(stroke) == 0:
            continue
        if out:
            prev, prev_owner = out[-1], out_owner[-1]
            gap = float(np.linalg.norm(stroke[0] - prev[-1]))
            if gap <= touch:
                out[-1] = np.vstack([prev, stroke[1:] if gap < 1e-9 else stroke])
                out_owner[-1] = np.concatenate([prev_owner, owner[1:] if gap < 1e-9 else owner])
                continue
            if extend > 0 and gap <= extend and len(prev) > 1:
                heading = prev[-1] - prev[-2]
                jump = stroke[0] - prev[-1]
                cos = float(heading @ jump) / max(float(np.linalg.norm(heading) * np.linalg.norm(jump)), 1e-12)
                if cos > 0.82:
                    out[-1] = np.vstack([prev, stroke])
                    out_owner[-1] = np.concatenate([prev_owner, owner])
                    continue
            if len(prev) > 1:
                # only look at the tail of the previous stroke (the last max_retrace of arc length)
                seglen = np.linalg.norm(np.diff(prev, axis=0), axis=1)
                from_end = np.concatenate([np.cumsum(seglen[::-1])[::-1], [0.0]])
                first = int(np.searchsorted(-from_end, -max_retrace, side="left"))
                first = max(0, min(first - 1, len(prev) - 2))
                tail = prev[first:]
                d, seg, u = polyline_distance(stroke[0], tail)
                if d <= retrace:
                    back = _retrace_tail(tail, seg, u)
                    out[-1] = np.vstack([prev, back, stroke])
                    back_owner = np.full(len(back), prev_owner[-1], dtype=np.int32)
                    out_owner[-1] = np.concatenate([prev_owner, back_owner, owner])
                    continue
        out.append(stroke)
        out_owner.append(owner)
    return out, out_owner


def _is_delayed(stroke: np.ndarray, others: Sequence[np.ndarray], size: float, touch: float) -> bool:
    """A small mark that touches no other stroke of its glyph at either end: an i-dot, a t-bar, an accent."""
    extent = float(np.ptp(stroke, axis=0).max()) if len(stroke) > 1 else 0.0
    if extent > size:
        return False
    for other in others:
        if other is stroke or len(other) == 0:
            continue
        for end in (stroke[0], stroke[-1]):
            if polyline_distance(end, other)[0] <= touch:
                return False
        for end in (other[0], other[-1]):
            if polyline_distance(end, stroke)[0] <= touch:
                return False
    return True


def layout_word(
    glyphs: Sequence[Glyph],
    text: str,
    *,
    script: str = "latin",
    join: bool = True,
    delay_marks: bool = True,
    touch: float = 0.05,
) -> SourceWord:
    """Put glyphs side by side and join touching segments into strokes.

    With ``delay_marks`` (joined-up scripts only), small detached marks of a
    glyph (i and j dots, t bars, the second stroke of a cursive x) move after
    the word's other strokes, which is how people write them, and lets the
    letters around them join.
    """
    strokes: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    delayed: list[tuple[np.ndarray, np.ndarray]] = []
    bounds = []
    x = 0.0
    raw = 0
    for index, glyph in enumerate(glyphs):
        shift = np.array([x - glyph.left, 0.0])
        bounds.append((x, x + glyph.advance))
        for stroke in glyph.strokes:
            if len(stroke) == 0:
                continue
            raw += 1
            placed = np.asarray(stroke, dtype=np.float64) + shift
            label = np.full(len(placed), index, dtype=np.int32)
            if delay_marks and glyph.connected and _is_delayed(stroke, glyph.strokes, 0.42, touch):
                delayed.append((placed, label))
            else:
                strokes.append(placed)
                owners.append(label)
        x += glyph.advance
    if join:
        connected = any(g.connected for g in glyphs)
        strokes, owners = join_touching(strokes, owners, touch=touch, extend=0.2 if connected else 0.0)
    for placed, label in delayed:
        strokes.append(placed)
        owners.append(label)
    return SourceWord(
        text=text,
        strokes=strokes,
        char_index=owners,
        char_bounds=np.asarray(bounds, dtype=np.float64).reshape(-1, 2),
        script=script,
        raw_segments=raw,
    )
