"""Writing order: where each stroke starts, and which stroke comes first.

Direction follows what pen recordings show almost without exception: a
stroke that runs mostly sideways starts at its left end, one that runs mostly
up or down starts at its top (Latin letters and CJK strokes alike: 横 left to
right, 竖/撇/捺 from the top). A closed ring starts at its top, a little
right of it (one o'clock), and runs counter-clockwise, like an ``o``; a
bowl with a tail (a, b, d, p, e) starts where its letter does and turns the
way that letter's bowl does; an o or a bowl the pen left just open (its start
tucked against its own later ink) turns the same way. A closed bowl with a
tall stem on its right (a d) is two strokes: the bowl, then the stem from its
top down over the bowl's right side.

Order is by script. Latin: lines top to bottom, words left to right, pieces
of connected ink left to right within a word (a long flat joined-up word is
no underline: only a straight one is drawn after its line; a stem lifted before
the bowls that overshoot it on the left comes first; a flat bar met in its
middle comes after what meets it), and small marks
(dots, accents, detached bars: tiny, or clear of the rows the letters' bodies
cross, where a small letter stands) right after the ink they sit on — after
the letter for a writer who prints, after the word for one who joins. CJK:
vertical columns of characters (Japanese or Chinese written top to bottom)
right to left, each top to bottom, or rows top to bottom, characters left to
right, as the ink is laid out; strokes top to bottom and left to right
within a character.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from ..filters import label, median
from .cjk import cjk_strokes, order_cjk
from .paths import Path

__all__ = ["orient", "order_paths"]

# a closed ring starts where it reaches furthest up and this much to the right (tan 30 degrees: one o'clock),
# where pens start an o (the o's of the Wacom note, a tuning recording, start between one and two o'clock)
_RING_START_LEAN = 0.577
# an open path whose ends lie closer than this share of its extent, and that encloses at least _RING_FILL of its
# box, is an o the pen did not quite close (an ellipse fills 0.79 of its box; a narrow hairpin or a hook less)
_RING_GAP = 0.35
_RING_FILL = 0.5
# a stem (one path, at most _STEM_NARROW times as wide as tall) comes before the piece after it when it stands in
# that piece's left _STEM_SPAN
_STEM_NARROW = 0.35
_STEM_SPAN = 0.35
# an open path starts at an end lying within _TUCK_GAP pen widths (and _RING_GAP of the bowl so closed) of its own
# ink at least _TUCK_AWAY pen widths further on, when that bowl turns like an o and the path leaves it on its right
_TUCK_GAP = 2.0
_TUCK_AWAY = 4.0
# a mark whose extent is below this share of the line height is a dot, accent or bar added after its letter
_MARK_SHARE = 0.3
# a piece no bigger than this many pen widths is a dot, wherever it lies
_DOT_WIDTHS = 1.5
# the core rows of a line hold at least this share of the ink of its densest row; a small piece crossing
# less than _CORE_CROSSING of them is a mark above or below the letters, one crossing more is a small letter
_CORE_SHARE = 0.5
_CORE_CROSSING = 0.5
# a gap wider than this share of the line height (and than a few pen widths) separates words
_WORD_GAP_SHARE = 0.35
# a bar is flat: its ink spans at most this share of the distance between its ends up and down
_BAR_FLAT = 1.0
# ... and a crooked one (running more than _BAR_STRAIGHT times the distance between its ends) reaches at most
# _BAR_REACH line heights across: a longer one is the foot of a joined-up word running on through its letters
_BAR_STRAIGHT = 1.3
_BAR_REACH = 1.25
# a d's stem rises at least this many pen widths above its bowl (the top of a small s closing its lower hook less)
_STEM_RISE = 4.0
# a piece this many line heights long and flatter than _RULE_SLOPE is an underline, drawn after its line
_RULE_LENGTH = 2.0
_RULE_SLOPE = 0.3
# ... and straight: its paths together at most _RULE_INK times as long as its diagonal, or one of its paths
# spanning _RULE_SPAN of its width at most _RULE_STRAIGHT times as long as the distance between its ends
_RULE_INK = 1.5
_RULE_SPAN = 0.6
_RULE_STRAIGHT = 1.15
# a band of ink rows thinner than this share of a typical line is a mark above or below a line, not a line
_THIN_BAND_SHARE = 0.45
# a CJK character is about as wide as it is tall: ink no wider than this many heights is one character
_CHAR_WIDTH = 1.15
# a line of CJK text (a column or a row) is at least this many times as long as thick, and such lines hold this
# share of the paths (a character is about square: two of them in a line, with a gap, are about twice as long
# as thick; a tall character like 章 is 1.7, and needs a second such column beside it to pass for one);
# each of at least two of its characters is at least _COLUMN_CHARACTER times as long as the line is thick
_COLUMN_SHAPE = 1.5
_COLUMN_SHARE = 0.6
_COLUMN_CHARACTER = 0.5


@attrs.frozen(eq=False)
class _Piece:
    """One connected piece of ink and its paths."""

    paths: list[Path]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def extent(self) -> float:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])

    @property
    def centre(self) -> tuple[float, float]:
        return 0.5 * (self.box[0] + self.box[2]), 0.5 * (self.box[1] + self.box[3])


def orient(path: Path) -> Path:
    """Start the path at its natural end (see the module docstring)."""
    pts, radii = path.points, path.radii
    if len(pts) < 2:
        return path
    if path.closed:
        ring, ring_r = pts[:-1], radii[:-1]
        if _shoelace(ring) > 0:  # clockwise on screen (y down): reverse to counter-clockwise
            ring, ring_r = ring[::-1], ring_r[::-1]
        # the point furthest towards the ring's start direction (up, leaning right)
        top = int(np.argmin(ring[:, 1] - _RING_START_LEAN * ring[:, 0]))
        ring, ring_r = np.roll(ring, -top, axis=0), np.roll(ring_r, -top)
        return Path(points=np.concatenate([ring, ring[:1]]), radii=np.concatenate([ring_r, ring_r[:1]]), closed=True)
    if (path.start_loop is None) != (path.end_loop is None):
        return _bowl_and_tail(path if path.start_loop is not None else path.reversed())
    if _nearly_ring(pts):  # an o left open: counter-clockwise like a closed one
        return path.reversed() if _shoelace(pts) > 0 else path
    for candidate in (path, path.reversed()):
        if _starts_tucked_bowl(candidate):
            return candidate
    d = pts[-1] - pts[0]
    if abs(d[0]) >= abs(d[1]):
        backwards = d[0] < 0
    else:
        backwards = d[1] < 0
    return path.reversed() if backwards else path


def _nearly_ring(points: np.ndarray) -> bool:
    """An open path round as an o whose ends nearly meet (the pen lifted just short of closing it)."""
    span = points.max(axis=0) - points.min(axis=0)  # np.ptp's numbers, without its overhead (every path)
    gap = points[-1] - points[0]
    return float(np.sqrt(np.dot(gap, gap))) <= _RING_GAP * float(span.max()) and abs(
        0.5 * _shoelace(points)
    ) >= _RING_FILL * float(span[0] * span[1])


def _starts_tucked_bowl(path: Path) -> bool:
    """Whether an open path starts a bowl the pen left open, its start tucked against its own ink.

    A d, a, g, q or e written in one stroke starts at the top of its bowl (the
    middle of an e), turns counter-clockwise round it and leaves it on its
    right, up a stem, down a tail or on to the next letter. When the bowl is
    left open, that start lies against the path's own later ink, inside the
    letter, where no other stroke of it ends. A b or 6 from the same end turns
    the other way round or leaves on the left: those start at their free end.
    """
    pts = path.points
    width = 2.0 * median(path.radii)
    later = np.flatnonzero(_arc(pts) >= _TUCK_AWAY * width)
    if not len(later):
        return False
    gaps = _lengths(pts[later] - pts[0])
    k = int(later[int(np.argmin(gaps))])
    bowl = pts[: k + 1]
    gap = float(gaps.min())
    if gap > _TUCK_GAP * width or gap > _RING_GAP * float(np.ptp(bowl, axis=0).max()) or k >= len(pts) - 1:
        return False  # the hook of an s lies as close, but closes no bowl round it
    return _shoelace(bowl) < 0 and float(pts[-1][0]) > float(bowl[:, 0].mean())


def _lengths(vectors: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(vectors, axis=-1)`` (the same sum of squares and root), without its per-call overhead."""
    return np.sqrt((vectors * vectors).sum(axis=-1))


def _arc(points: np.ndarray) -> np.ndarray:
    """Arc length at each point of a polyline, from 0 at its first."""
    arc = np.zeros(len(points))
    if len(points) > 1:
        np.cumsum(_lengths(points[1:] - points[:-1]), out=arc[1:])
    return arc


def _bowl_and_tail(path: Path) -> Path:
    """A loop closing at a junction plus a tail to a free end (``path`` given loop first).

    Stems are drawn downwards and lines run left to right: a tail that rises
    steeply well above the loop is an ascender drawn down into its bowl (b, d, 6);
    a stem on the left of the bowl comes first (b, p: down it and back up
    before the bowl, which the skeleton shows as one pass); a tail ending on
    the left of the loop without hanging below it is a lead-in (an r or a
    t-bar joined to an a or o; its foot stands on the baseline with the
    bowl's bottom, within a pen width). Otherwise the bowl comes first and the tail
    runs on from it (a, g, q, e, 9). The loop turns counter-clockwise like an
    o, except a bowl hanging on the right of a stem (b, p, D, P): that one
    turns clockwise.
    """
    assert path.start_loop is not None
    pts, radii, k = path.points, path.radii, path.start_loop
    loop, tail_end = pts[: k + 1], pts[-1]
    top, bottom, centre_x = float(loop[:, 1].min()), float(loop[:, 1].max()), float(loop[:, 0].mean())
    end_x, end_y = float(tail_end[0]), float(tail_end[1])
    rise = tail_end - pts[k]
    stem = abs(float(rise[1])) > abs(float(rise[0])) and not top <= end_y <= bottom
    ascender = stem and end_y < top - 0.5 * (bottom - top)
    lead_in = end_x < centre_x and end_y <= bottom + 2.0 * median(radii)
    stem_on_left = stem and end_x < centre_x
    tail_first = ascender or lead_in or stem_on_left
    # the loop as given here is run backwards when the tail comes first: turn it the other way now
    if (_shoelace(loop) > 0) != (stem_on_left != tail_first):
        loop_r = radii[: k + 1]
        path = Path(
            points=np.concatenate([loop[::-1], pts[k + 1 :]]),
            radii=np.concatenate([loop_r[::-1], radii[k + 1 :]]),
            closed=False,
            start_loop=k,
            end_loop=None,
        )
    return path.reversed() if tail_first else path


def _shoelace(ring: np.ndarray) -> float:
    """Twice the signed area of a ring of points: positive when it turns clockwise on screen (y down)."""
    x, y = ring[:, 0], ring[:, 1]
    # each point's successor, the first after the last (np.roll(_, -1))
    x_next, y_next = np.concatenate((x[1:], x[:1])), np.concatenate((y[1:], y[:1]))
    return float(np.sum(x * y_next - x_next * y))


def order_paths(paths: Sequence[Path], mask: np.ndarray, script: str, width: float) -> list[Path]:
    """Oriented paths in writing order; ``mask`` tells which paths share a connected piece of ink."""
    if not paths:
        return []
    if script == "cjk":
        return _order_cjk(_pieces(cjk_strokes(paths, width), mask), width)
    return _order_latin(_pieces([orient(q) for p in paths for q in _bowl_then_stem(p)], mask), mask, width)


def _bowl_then_stem(path: Path) -> list[Path]:
    """A closed bowl with a tall stem rising from its right (a d) as two strokes: the bowl, then the stem.

    Pens write such a d bowl first, then the stem from its top down (or up
    from the bowl and back down over itself); one path can give either the
    bowl first or the stem its direction, not both. A stem rising less (the
    top of a small s whose lower hook closes on it) and other bowls with a
    tail stay one path (see :func:`_bowl_and_tail`).
    """
    if (path.start_loop is None) == (path.end_loop is None):
        return [path]
    given = path if path.start_loop is not None else path.reversed()
    k = given.start_loop
    assert k is not None
    loop, tail = given.points[: k + 1], given.points[k:]
    top, bottom = float(loop[:, 1].min()), float(loop[:, 1].max())
    rise = tail[-1] - tail[0]
    upright = abs(float(rise[1])) > abs(float(rise[0]))
    width = 2.0 * median(given.radii)
    tall = float(tail[-1][1]) < top - max(0.5 * (bottom - top), _STEM_RISE * width)
    if not (upright and tall and float(tail[-1][0]) > float(loop[:, 0].mean())) or len(tail) < 2:
        return [path]
    return _split_bowl_and_stem(given.points, given.radii, k)


def _split_bowl_and_stem(points: np.ndarray, radii: np.ndarray, k: int) -> list[Path]:
    """The bowl ``points[: k + 1]`` counter-clockwise from the junction, then the stem from its top down.

    The bowl's right side is the stem's foot: the pen runs over it twice, up
    to close the bowl and down with the stem. It goes with the stem, which
    the pen draws last and whole, so the bowl ends where its right side starts.
    """
    loop, loop_r = points[: k + 1], radii[: k + 1]
    if _shoelace(loop) > 0:
        loop, loop_r = loop[::-1], loop_r[::-1]
    width = 2.0 * median(radii)
    junction = loop[-1]
    m = len(loop) - 1
    while m > 1 and abs(float(loop[m - 1][0] - junction[0])) <= width and loop[m - 1][1] >= loop[m][1] - 0.5:
        m -= 1
    stem = np.concatenate([points[k:][::-1], loop[m:-1][::-1]])
    stem_r = np.concatenate([radii[k:][::-1], loop_r[m:-1][::-1]])
    return [
        Path(points=loop[: m + 1], radii=loop_r[: m + 1], closed=False),
        Path(points=stem, radii=stem_r, closed=False),
    ]


def _pieces(paths: list[Path], mask: np.ndarray) -> list[_Piece]:
    if not paths:
        return []
    labels, _ = label(mask, connectivity=8)
    h, w = mask.shape
    grouped: dict[int, list[Path]] = {}
    # the label under every point of every path, looked up at once and then cut per path
    points = np.concatenate([p.points for p in paths])
    cols = np.clip(np.rint(points[:, 0]).astype(int), 0, w - 1)
    rows = np.clip(np.rint(points[:, 1]).astype(int), 0, h - 1)
    under = np.split(labels[rows, cols], np.cumsum([len(p.points) for p in paths])[:-1])
    for p, found in zip(paths, under):
        found = found[found > 0]
        key = int(np.bincount(found).argmax()) if found.size else -len(grouped) - 1
        grouped.setdefault(key, []).append(p)
    pieces = []
    for group in grouped.values():
        pts = np.concatenate([p.points for p in group])
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        pieces.append(_Piece(paths=group, box=(float(x0), float(y0), float(x1), float(y1))))
    return pieces


def _within_piece(piece: _Piece, width: float, line_height: float = np.inf) -> list[Path]:
    """Paths left to right, bars last: a t-bar or T-top is drawn after the stroke that meets it.

    ``line_height`` bounds how far a crooked bar reaches (see :func:`_is_bar`); without it, it does not.
    """
    paths = sorted(piece.paths, key=lambda p: float(p.points[:, 0].min()))
    bars = [p for p in paths if _is_bar(p, [q for q in paths if q is not p], width, line_height)]
    return [p for p in paths if not any(p is b for b in bars)] + bars


def _is_bar(path: Path, others: list[Path], width: float, line_height: float = np.inf) -> bool:
    """A flat open path, ends level, whose middle another path of the same piece meets or crosses.

    A t-bar, the top of a T, a line the pen ran along the foot of several
    letters: drawn after the strokes that meet it. Flat: a bowl whose ends lie
    level but which rises well above them (the top bowl of a B, on the lower
    one) is no bar, and is written where it stands. A crooked one (a t-bar the
    pen ran on into the next letter) is a bar within about a letter's reach;
    further, it is the foot of a joined-up word, written with its letters.
    """
    if path.closed or len(path.points) < 2 or not others:
        return False
    dx, dy = np.abs(path.points[-1] - path.points[0])
    if dx < 2.0 * dy or float(np.ptp(path.points[:, 1])) > _BAR_FLAT * dx:
        return False
    arc = _arc(path.points)
    if arc[-1] > _BAR_STRAIGHT * float(np.hypot(dx, dy)) and dx > _BAR_REACH * line_height:
        return False
    middle = path.points[(arc > 1.5 * width) & (arc < arc[-1] - 1.5 * width)]
    if not len(middle):
        return False
    for other in others:
        # the root of the least squared distance: the least distance, one root instead of one per pair
        if float(np.sqrt((np.square(middle[:, None, :] - other.points[None, ::2, :])).sum(axis=2).min())) <= width:
            return True
    return False


def _order_latin(pieces: list[_Piece], mask: np.ndarray, width: float) -> list[Path]:
    bands = _line_bands(mask)
    lines: dict[int, list[_Piece]] = {}
    for piece in pieces:
        cy = piece.centre[1]
        nearest = int(np.argmin([0.0 if a <= cy <= b else min(abs(cy - a), abs(cy - b)) for a, b in bands]))
        lines.setdefault(nearest, []).append(piece)
    out: list[Path] = []
    for index in sorted(lines):
        a, b = bands[index]
        line_height = max(b - a, 2.0 * width)
        rules = [p for p in lines[index] if _is_rule(p, line_height)]
        text = [p for p in lines[index] if not _is_rule(p, line_height)]
        core = _core_rows(mask[int(a) : int(b) + 1], a)
        for word in _words(text, line_height, width):
            out.extend(_order_word(word, line_height, width, core))
        for rule in sorted(rules, key=lambda p: (p.box[1], p.box[0])):
            out.extend(_within_piece(rule, width))
    return out


def _is_rule(piece: _Piece, line_height: float) -> bool:
    """An underline, strike-through or printed line: long, flat, and straight.

    A joined-up word is as long and flat as an underline, but its pen goes up
    and down through every letter: its ink is far longer than the piece is
    wide, and no straight path runs along it. A rule that letters touch has
    more ink than its length, but keeps one straight path across most of it.
    """
    x0, y0, x1, y1 = piece.box
    if x1 - x0 < _RULE_LENGTH * line_height or y1 - y0 > _RULE_SLOPE * (x1 - x0):
        return False
    ink = sum(float(np.linalg.norm(np.diff(p.points, axis=0), axis=1).sum()) for p in piece.paths)
    if ink <= _RULE_INK * np.hypot(x1 - x0, y1 - y0):
        return True
    for p in piece.paths:
        if len(p.points) < 2:
            continue
        chord = float(np.linalg.norm(p.points[-1] - p.points[0]))
        length = float(np.linalg.norm(np.diff(p.points, axis=0), axis=1).sum())
        if chord >= _RULE_SPAN * (x1 - x0) and length <= _RULE_STRAIGHT * chord:
            return True
    return False


def _line_bands(mask: np.ndarray) -> list[tuple[float, float]]:
    """Row ranges of text lines: runs of inked rows, thin runs (dots, accents, underlines) joined to a neighbour."""
    rows = mask.any(axis=1)
    if not rows.any():
        return [(0.0, float(mask.shape[0]))]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], rows.astype(np.int8), [0]])))
    runs = [(float(a), float(b - 1)) for a, b in zip(edges[::2], edges[1::2])]
    typical = float(np.median([b - a for a, b in runs]))
    tall = [r for r in runs if r[1] - r[0] >= _THIN_BAND_SHARE * typical]
    if not tall:
        return [(runs[0][0], runs[-1][1])]
    bands = [list(r) for r in tall]
    for a, b in runs:
        if b - a >= _THIN_BAND_SHARE * typical:
            continue
        gaps = [max(band[0] - b, a - band[1], 0.0) for band in bands]
        k = int(np.argmin(gaps))
        bands[k][0], bands[k][1] = min(bands[k][0], a), max(bands[k][1], b)
    return [(a, b) for a, b in bands]


def _words(pieces: list[_Piece], line_height: float, width: float) -> list[list[_Piece]]:
    """Split a line's pieces into words at wide horizontal gaps."""
    pieces = sorted(pieces, key=lambda p: p.box[0])
    gap = max(_WORD_GAP_SHARE * line_height, 3.0 * width)
    words: list[list[_Piece]] = []
    right = -np.inf
    for piece in pieces:
        if not words or piece.box[0] - right > gap:
            words.append([])
            right = -np.inf
        words[-1].append(piece)
        right = max(right, piece.box[2])
    return words


def _core_rows(band: np.ndarray, top: float) -> tuple[float, float]:
    """The rows of a line's letter bodies (its x-height band): the densest run of inked rows.

    Every letter crosses these rows; dots, accents and the ends of ascenders
    and descenders lie mostly outside them. Rows holding at least half the ink
    of the densest row, the run around that row.
    """
    counts = band.sum(axis=1).astype(np.float64)
    if not len(counts) or counts.max() <= 0:
        return top, top + len(counts)
    peak = int(np.argmax(counts))
    dense = counts >= _CORE_SHARE * counts[peak]
    lo, hi = peak, peak
    while lo > 0 and dense[lo - 1]:
        lo -= 1
    while hi < len(dense) - 1 and dense[hi + 1]:
        hi += 1
    return top + lo, top + hi


def _is_mark(piece: _Piece, line_height: float, width: float, core: tuple[float, float]) -> bool:
    """A dot, accent or detached bar: small, and a dot's size or clear of the letter bodies' rows.

    A small letter (n, o, a of a tall line with ascenders and descenders) is
    as small as an accent but stands across the core rows; a mark is either
    tiny (a dot, a full stop) or lies mostly above or below them.
    """
    if piece.extent >= _MARK_SHARE * line_height:
        return False
    if piece.extent <= _DOT_WIDTHS * width:
        return True
    inside = min(piece.box[3], core[1]) - max(piece.box[1], core[0])
    return inside < _CORE_CROSSING * (core[1] - core[0])


def _order_word(pieces: list[_Piece], line_height: float, width: float, core: tuple[float, float]) -> list[Path]:
    """Bodies left to right; each mark right after the body it sits over."""
    marks = [p for p in pieces if _is_mark(p, line_height, width, core)]
    body = [p for p in pieces if not any(p is m for m in marks)]
    if not body:
        body, marks = pieces, []
    body = _stems_first(sorted(body, key=lambda p: p.box[0]))
    after: dict[int, list[_Piece]] = {i: [] for i in range(len(body))}
    for mark in marks:
        cx = mark.centre[0]
        distance = [0.0 if b.box[0] <= cx <= b.box[2] else min(abs(cx - b.box[0]), abs(cx - b.box[2])) for b in body]
        after[int(np.argmin(distance))].append(mark)
    out: list[Path] = []
    for i, piece in enumerate(body):
        out.extend(_within_piece(piece, width, line_height))
        for mark in sorted(after[i], key=lambda p: p.box[0]):
            out.extend(_within_piece(mark, width))
    return out


def _stems_first(body: list[_Piece]) -> list[_Piece]:
    """A lifted stem before the ink hanging on its right that reaches a little left of it (B, D, P, R, h, k).

    Pens draw the upright of such a letter first, then its bowls or arms from
    it; the bowls often overshoot the stem to its left, which would put them
    first in left-to-right order.
    """
    out = list(body)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        x0, _, x1, _ = a.box
        if _is_stem(b) and a.box[0] < b.box[0] and b.box[2] <= x0 + _STEM_SPAN * (x1 - x0):
            out[i], out[i + 1] = b, a
    return out


def _is_stem(piece: _Piece) -> bool:
    """A tall narrow upright piece drawn as one path."""
    x0, y0, x1, y1 = piece.box
    return len(piece.paths) == 1 and x1 - x0 <= _STEM_NARROW * (y1 - y0)


def _order_cjk(pieces: list[_Piece], width: float) -> list[Path]:
    """Vertical columns right to left, each top to bottom; else rows top to bottom, characters left to right.

    Whether the characters stand in columns or in rows is read from the ink
    (see :func:`_lines`), not assumed: the same crop may hold Chinese written
    across or Japanese written down.
    """
    columns = _lines(pieces, 0)
    if columns is not None:
        out: list[Path] = []
        for column in columns[::-1]:
            for character in _line_characters(column, 1):
                out.extend(order_cjk([p for piece in character for p in piece.paths], width))
        return out
    rows = _lines(pieces, 1)
    return [p for row in rows or [pieces] for p in _order_cjk_row(row, width)]


def _gap_groups(pieces: list[_Piece], axis: int) -> list[list[_Piece]]:
    """Pieces grouped where their extents along ``axis`` (0: x, 1: y) leave a gap, in increasing order."""
    groups: list[list[_Piece]] = []
    reach = -np.inf
    for piece in sorted(pieces, key=lambda p: p.box[axis]):
        if groups and piece.box[axis] <= reach:
            groups[-1].append(piece)
            reach = max(reach, piece.box[axis + 2])
        else:
            groups.append([piece])
            reach = piece.box[axis + 2]
    return groups


def _lines(pieces: list[_Piece], across: int) -> list[list[_Piece]] | None:
    """Lines of characters, in increasing x (``across`` 0: columns) or y (1: rows), when the ink is laid out so.

    Japanese and Chinese written top to bottom stand in columns read right to
    left, written across in rows read top to bottom. Ink falls into lines
    where gaps across them part it into at least two groups, each much longer
    than thick, that gaps along them cut into at least two characters (groups
    of a character's size and shape, :func:`_character_sized`): a long
    narrow part of one character (the 亻 of 仙, a stroke of 川, a bar of 二)
    has no such gap, a speck beside a character is no character, and a line
    of characters gives groups across it about as long as thick. Most of the
    ink must stand in such lines, so one odd group does not turn the reading;
    and lines stand further apart than their characters do (two lines of
    letters stacked also fall into tall groups, but their lines are further
    apart than their letters).
    """
    along = 1 - across
    groups = _gap_groups(pieces, across)
    if len(groups) < 2:
        return None
    long, character_gaps = [], []
    for group in groups:
        box = _union_box(group)
        thick, length = box[across + 2] - box[across], box[along + 2] - box[along]
        characters = [_union_box(c) for c in _line_characters(group, along)] if length >= _COLUMN_SHAPE * thick else []
        long.append(sum(_character_sized(c, along, thick) for c in characters) >= 2)
        if long[-1]:
            character_gaps += [b[along] - a[along + 2] for a, b in zip(characters[:-1], characters[1:])]
    weight = [sum(len(p.paths) for p in g) for g in groups]
    if sum(w for w, t in zip(weight, long) if t) < _COLUMN_SHARE * sum(weight) or sum(long) < 2:
        return None
    boxes = [_union_box(g) for g in groups]
    line_gaps = [b[across] - a[across + 2] for a, b in zip(boxes[:-1], boxes[1:])]
    if float(np.median(line_gaps)) <= float(np.median(character_gaps)):
        return None
    return groups


def _character_sized(box: tuple[float, float, float, float], along: int, thick: float) -> bool:
    """Whether a group of a line looks like a character of it: long enough along it, and not a sliver.

    At least ``_COLUMN_CHARACTER`` times as long as the line is thick, and at
    least half as thick as it is long (a speck or the edge of a neighbour cut
    off by the crop is neither).
    """
    across = 1 - along
    length, width = box[along + 2] - box[along], box[across + 2] - box[across]
    return length >= _COLUMN_CHARACTER * thick and width >= 0.5 * length


def _line_characters(line: list[_Piece], along: int) -> list[list[_Piece]]:
    """A line's characters in order along it: groups cut by gaps, rejoined while no longer than the line is thick.

    The parts of one character (二, the 亠 over 口 of 亭, the 亻 beside 山 of 仙)
    leave gaps too; consecutive groups that together are still no longer than
    ``_CHAR_WIDTH`` times the line's thickness are one character.
    """
    across = 1 - along
    box = _union_box(line)
    limit = _CHAR_WIDTH * max(box[across + 2] - box[across], 1.0)
    characters: list[list[_Piece]] = []
    for group in _gap_groups(line, along):
        if characters:
            joined = characters[-1] + group
            joined_box = _union_box(joined)
            if joined_box[along + 2] - joined_box[along] <= limit:
                characters[-1] = joined
                continue
        characters.append(group)
    return characters


def _order_cjk_row(pieces: list[_Piece], width: float) -> list[Path]:
    """Characters (pieces overlapping in x) left to right; strokes top to bottom, left to right inside."""
    pieces = sorted(pieces, key=lambda p: p.box[0])
    characters: list[list[_Piece]] = []
    right = -np.inf
    for piece in pieces:
        overlap = right - piece.box[0]
        if not characters or overlap < 0.3 * (piece.box[2] - piece.box[0]):
            characters.append([])
            right = -np.inf
        characters[-1].append(piece)
        right = max(right, piece.box[2])
    if len(characters) == 3:
        boxes = [_union_box(c) for c in characters]
        height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
        heights = [b[3] - b[1] for b in boxes]
        if boxes[2][2] - boxes[0][0] <= _CHAR_WIDTH * height and heights[1] > 1.5 * max(heights[0], heights[2]):
            characters = [characters[1], characters[0], characters[2]]  # 小: one character, the centre first
    out: list[Path] = []
    for character in characters:
        out.extend(order_cjk([p for piece in character for p in piece.paths], width))
    return out


def _union_box(pieces: list[_Piece]) -> tuple[float, float, float, float]:
    return (
        min(p.box[0] for p in pieces),
        min(p.box[1] for p in pieces),
        max(p.box[2] for p in pieces),
        max(p.box[3] for p in pieces),
    )
