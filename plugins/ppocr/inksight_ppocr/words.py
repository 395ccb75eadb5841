"""A PP-OCR line (quad, text, character positions) cut into word quads.

PP-OCR finds text *lines*; inksight derenders *words*. A line is cut where
its text says (spaces for Latin; every Chinese or Japanese character, with a
run of Latin or digits inside it kept whole) and the cut is put where the
ink says:

1. The line is rectified along its quad (the crop the recognizer read, in
   reading orientation) and its ink, binarized by Otsu, is projected onto
   the line's axis. Columns without ink inside the ink's extent are *gaps*;
   ink past a gap beyond the first or last character the recognizer read
   (a neighbouring word's edge inside the box) is left out.
2. Each cut has an *expected* position: halfway between the last character
   of one word and the first of the next, at the CTC columns where the
   recognizer emitted them (or, without those, characters spread evenly
   over the ink).
3. A Latin line with as many clearly wide gaps (each at least 1.5 times any
   other) as it has spaces, each within two characters of its space, is
   cut at those gaps.
   Otherwise each cut takes the gap nearest its expected position (within a
   character, wider gaps preferred); a cut without a gap goes to the
   emptiest column within half a character of its expected position.
4. Each word's quad spans its own ink, along the line and across it (the
   middle band's ink, widened over a descender's hook or an ascender's flag
   that touches it, plus a pixel or two), in the line's frame, mapped back
   through the rectification, so a rotated line gives rotated word quads.
"""

from __future__ import annotations

import unicodedata

import attrs
import cv2
import numpy as np

__all__ = ["LineRead", "WordPiece", "split_line", "tokens", "script_of"]

#: how many times wider than every other gap the gaps must be to cut at them without the recognizer's positions
_CLEAR_GAP = 1.5
#: how far (in characters) a clearly wide gap may lie from where the recognizer put the space
_NEAR = 2.0
#: Otsu classes closer than this (grey levels) hold no ink worth measuring: cut by the positions alone
_MIN_CONTRAST = 24.0


@attrs.frozen(eq=False)
class LineRead:
    """One recognized line.

    ``quad``: corners TL, TR, BR, BL in reading orientation, in the read
    image's continuous pixel coordinates. ``positions``: for each character
    of ``text``, its CTC column (NaN for spaces), and ``columns`` the number
    of CTC columns across the line; None when the recognizer gave none.
    ``char_confidence``: per character of ``text``, or None.
    """

    quad: np.ndarray
    text: str
    confidence: float
    positions: np.ndarray | None = None
    columns: float = 0.0
    char_confidence: np.ndarray | None = None


@attrs.frozen(eq=False)
class WordPiece:
    quad: np.ndarray
    text: str
    confidence: float
    script: str | None


def _is_split_cjk(ch: str) -> bool:
    """Han and kana: each character is a word of its own."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF
        or 0x31F0 <= code <= 0x31FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def script_of(text: str) -> str | None:
    """``cjk`` for Han, kana or hangul; ``latin`` for Latin letters or digits; None for anything else."""
    if any(_is_split_cjk(ch) or _is_hangul(ch) for ch in text):
        return "cjk"
    if any((ch.isascii() and ch.isalnum()) or "LATIN" in unicodedata.name(ch, "") for ch in text):
        return "latin"
    return None


def tokens(text: str) -> list[tuple[int, int, bool]]:
    """Words of a line as ``(start, end, spaced)`` character ranges; ``spaced``: whitespace precedes it.

    Han and kana characters are words of their own; other characters run
    together up to a space or a CJK character; punctuation sticks to the
    word before it (``我，`` ``hello,``).
    """
    out: list[list] = []  # [start, end, spaced, starts with a CJK character]
    spaced = False
    for i, ch in enumerate(text):
        if ch.isspace():
            spaced = True
            continue
        cjk = _is_split_cjk(ch)
        joins = bool(out) and not spaced and not cjk
        if joins and out[-1][3] and not unicodedata.category(ch).startswith("P"):
            joins = False  # "年2024": the digits start a word of their own
        if joins:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1, spaced and bool(out), cjk])
        spaced = False
    return [(s, e, sp) for s, e, sp, _ in out]


def _rectify(gray: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line's crop in reading orientation (as the recognizer saw it) and the map from crop to image."""
    q = np.asarray(quad, np.float32)
    width = max(1, int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))))
    height = max(1, int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    forward = cv2.getPerspectiveTransform(q, target)
    crop = cv2.warpPerspective(gray, forward, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return crop, np.linalg.inv(forward)


def _ink(crop: np.ndarray) -> np.ndarray | None:
    """The crop's ink (Otsu, the smaller class: dark pen on paper, chalk on a board); None without contrast."""
    blur = cv2.GaussianBlur(crop, (3, 3), 0)
    threshold, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = blur <= threshold
    if dark.all() or not dark.any():
        return None
    if abs(float(blur[dark].mean()) - float(blur[~dark].mean())) < _MIN_CONTRAST:
        return None
    return dark if dark.mean() <= 0.5 else ~dark


def _band(height: int) -> tuple[int, int]:
    """The line's middle rows (70% of its height): where its words' ink is, without the neighbours' tails."""
    top = int(0.15 * height)
    return top, max(top + 1, int(np.ceil(0.85 * height)))


def _counts(ink: np.ndarray, axis: int, noise: int) -> np.ndarray:
    counts = ink.sum(axis=axis).astype(np.float64)
    counts[counts <= noise] = 0.0  # a speck or a stray stroke end is not ink of a word
    return counts


def _gaps(counts: np.ndarray, lo: int, hi: int) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of empty columns strictly between ink columns ``lo`` and ``hi``."""
    empty = counts[lo:hi] == 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], empty.astype(np.int8), [0]])))
    return [(lo + int(s), lo + int(e)) for s, e in zip(edges[::2], edges[1::2])]


def _centres(line: LineRead, width: int, lo: float, hi: float) -> np.ndarray:
    """Each character's position along the crop: the recognizer's CTC column, or spread evenly over the ink."""
    n = len(line.text)
    if line.positions is not None and line.columns > 0 and len(line.positions) == n:
        x = (np.asarray(line.positions, np.float64) + 0.5) / line.columns * width
        if np.isfinite(x).any():
            return x
    return lo + (np.arange(n) + 0.5) * (hi - lo) / max(1, n)


def _emptiest(counts: np.ndarray | None, centre: float, reach: float, lo: int, hi: int) -> int:
    """The column edge near ``centre`` (within ``reach``) with the least ink, nearest first on ties."""
    a, b = max(lo + 1, int(np.floor(centre - reach))), min(hi - 1, int(np.ceil(centre + reach)))
    if counts is None or b <= a:
        return int(np.clip(round(centre), lo + 1, max(lo + 1, hi - 1)))
    cols = np.arange(a, b + 1)
    ink = counts[np.clip(cols - 1, 0, len(counts) - 1)] + counts[np.clip(cols, 0, len(counts) - 1)]
    return int(cols[np.lexsort((np.abs(cols - centre), ink))[0]])


def _cuts(
    words: list[tuple[int, int, bool]], x: np.ndarray, counts: np.ndarray | None, lo: int, hi: int
) -> list[tuple[float, float]]:
    """``(left, right)`` column edges of each cut between consecutive words (left == right: no gap)."""
    known = np.isfinite(x)
    step = float(np.median(np.diff(x[known]))) if known.sum() >= 2 else (hi - lo) / max(1, len(x))
    char = max(1.0, abs(step))
    expected = []
    for (_, end, _), (start, _, _) in zip(words, words[1:]):
        left = x[:end][np.isfinite(x[:end])]
        right = x[start:][np.isfinite(x[start:])]
        expected.append(0.5 * (float(left[-1]) + float(right[0])) if len(left) and len(right) else float(x[end]))
    gaps = _gaps(counts, lo, hi) if counts is not None else []
    if all(spaced for _, _, spaced in words[1:]) and len(gaps) >= len(expected) > 0:
        by_width = sorted(gaps, key=lambda g: g[0] - g[1])
        chosen = sorted(by_width[: len(expected)])
        rest = by_width[len(expected)] if len(by_width) > len(expected) else None
        clear = rest is None or min(e - s for s, e in chosen) >= _CLEAR_GAP * (rest[1] - rest[0])
        near = all(abs(0.5 * (s + e) - at) <= _NEAR * char + 0.5 * (e - s) for at, (s, e) in zip(expected, chosen))
        if clear and near:
            return [(float(s), float(e)) for s, e in chosen]
    cuts: list[tuple[float, float]] = []
    previous = float(lo)
    for centre in expected:
        near = [
            (abs(0.5 * (s + e) - centre) - (e - s), s, e)
            for s, e in gaps
            if s > previous and abs(0.5 * (s + e) - centre) <= char + 0.5 * (e - s)
        ]
        if near:
            _, s, e = min(near)
            cuts.append((float(s), float(e)))
        else:
            at = float(_emptiest(counts, max(centre, previous + 1), 0.5 * char, int(previous), hi))
            cuts.append((at, at))
        previous = cuts[-1][1]
    return cuts


def _text_extent(counts: np.ndarray, x: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """The ink extent less pieces past a gap beyond the first and last characters (a neighbour's ink in the box)."""
    known = x[np.isfinite(x)]
    char = float(np.median(np.diff(known))) if len(known) >= 2 else (hi - lo) / max(1, len(x))
    for start, end in _gaps(counts, lo, hi):
        if start <= known[0] - char:
            lo = end
        elif end >= known[-1] + 0.25 * char:  # CTC emits a character near its right end: later ink is not it
            hi = start
            break
    return lo, hi


def _grow(counts: np.ndarray, first: int, end: int, floor: float, ceiling: float) -> tuple[float, float]:
    """``[first, end)`` widened over the ink next to it (a descender's hook, an ascender's flag), within limits."""
    while first - 1 >= floor and counts[first - 1] > 0:
        first -= 1
    while end < ceiling and end < len(counts) and counts[end] > 0:
        end += 1
    return float(first), float(end)


def _rows(ink: np.ndarray, x0: float, x1: float) -> tuple[float, float]:
    """The rows a word's ink fills between columns ``x0`` and ``x1``: its band ink, grown up and down."""
    height = ink.shape[0]
    rows = _counts(ink[:, int(x0) : max(int(x0) + 1, int(np.ceil(x1)))], 1, 0)
    top, bottom = _band(height)
    inked = np.flatnonzero(rows[top:bottom])
    if not len(inked):
        return 0.0, float(height)
    return _grow(rows, top + int(inked[0]), top + int(inked[-1]) + 1, 0, height)


def _span_quad(inverse: np.ndarray, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float64)
    return cv2.perspectiveTransform(corners, inverse)[0]


def split_line(gray: np.ndarray, line: LineRead, *, words: bool = True) -> list[WordPiece]:
    """Word pieces of ``line`` (``words=False``: the whole line as one piece, trimmed to its ink)."""
    text = line.text
    found = tokens(text) if words else [(len(text) - len(text.lstrip()), len(text.rstrip()), False)]
    found = [t for t in found if t[1] > t[0]]
    if not found:
        return []
    crop, inverse = _rectify(gray, line.quad)
    height, width = crop.shape
    ink = _ink(crop) if width >= 2 and height >= 2 else None
    noise = int(0.02 * height)
    counts = _counts(ink[slice(*_band(height))], 0, noise) if ink is not None else None
    whole = _counts(ink, 0, noise) if ink is not None else None
    inked = np.flatnonzero(counts) if counts is not None else np.array([], int)
    lo, hi = (int(inked[0]), int(inked[-1]) + 1) if len(inked) else (0, width)
    x = _centres(line, width, lo, hi)
    if counts is not None and len(inked) and line.positions is not None:
        lo, hi = _text_extent(counts, x, lo, hi)
        inked = inked[(inked >= lo) & (inked < hi)]
    cuts = _cuts(found, x, counts if len(inked) else None, lo, hi) if len(found) > 1 else []
    margin = max(1.0, 0.03 * height)
    reach = 0.25 * height  # how far past the middle band's ink a hook or a tail may reach (j, y, f)
    pieces = []
    for k, (start, end, _) in enumerate(found):
        left = cuts[k - 1][1] if k else float(lo)
        right = cuts[k][0] if k < len(cuts) else float(hi)
        floor = 0.5 * sum(cuts[k - 1]) if k else max(0.0, lo - reach)
        ceiling = 0.5 * sum(cuts[k]) if k < len(cuts) else min(float(width), hi + reach)
        y0, y1 = 0.0, float(height)
        if ink is not None and whole is not None:
            own = inked[(inked >= left) & (inked < right)]
            if len(own):
                left, right = _grow(whole, int(own[0]), int(own[-1]) + 1, floor, ceiling)
                top, bottom = _rows(ink, left, right)
                y0, y1 = max(0.0, top - margin), min(float(height), bottom + margin)
        x0, x1 = max(floor, left - margin), min(ceiling, right + margin)
        if x1 - x0 < 1.0:
            x0, x1 = floor, max(ceiling, floor + 1.0)
        if line.char_confidence is not None and len(line.char_confidence) == len(text):
            confidence = float(np.mean(line.char_confidence[start:end]))
        else:
            confidence = float(line.confidence)
        piece = text[start:end]
        pieces.append(WordPiece(_span_quad(inverse, x0, x1, y0, y1), piece, confidence, script_of(piece)))
    return pieces
