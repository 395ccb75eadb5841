"""Things lying on the page that are not writing: a string, a cable, a pencil, tape, a clip, a finger.

An object darkens the paper like ink, so the ink mask holds it; traced, a
string becomes a few very long strokes, and, being joined to every word it
touches, it welds the words around it into one block. What tells it from
writing is its shape against the pen's:

- a **band** (a string, a cable, a pencil, the edge of tape): much wider than
  the pen, of a nearly constant width, and long: many times as long as it is
  wide. No pen stroke is that wide; a broad marker word is as wide but short
  and turns at every letter. A band of another colour than the pen's may
  bend more and be shorter (a cord waving across a character's small image);
- a **blob** (a fingertip, a clip, a moth under tape): far thicker than any
  stroke;
- a **thread** (a register's binding thread in its gutter): a band only two
  pen widths across, of its own colour, found among the ink's own pieces
  once the printed lines are out (:func:`_thin_bands`).

Bands and blobs are found on the mask's *opening* with a disk wider than the pen (the
pixels covered by a disk that fits wholly inside the ink): the pen's strokes
vanish from it, except for short thick spots where strokes cross or a loop
fills, and what remains is the thick things. Each remaining piece is measured
(its width from the distance to the paper along its middle, its length as its
area over that width, how straight its middle line runs over a few of its
widths) and kept as an object when it is a long, even, gently bending band
or a blob. A blob much wider than the ink extraction's background window
never reaches the mask (the paper estimate follows it), only its rim does.

Writing that crosses an object stays out of it: a pen stroke is too thin to
hold the disk, so only the pixels under the object itself (and a rim that its
highlight cuts off along it) are taken, and the stroke's two halves stay ink
on either side. Under the object, pixels nearer the pen's colour than the
object's stay ink too, when the two colours differ (a red string over blue
writing). A cord of the pen's own colour takes the writing under it; a
stroke crossing it is bridged (:func:`bridge_cut_strokes`): its two cut
ends, on either side, point at each other across the object.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..filters import distance_to_paper
from ..filters import median as median_of
from ..tracing.skeleton import skeletonize  # the compiled thinning, without importing all of scikit-image

__all__ = ["along_rows_or_columns", "bridge_cut_strokes", "find_objects"]

#: the opening's disk is this many pen widths across: wider than any stroke of the pen, halo included
_DISK_PENS = 1.35
#: a band is at least this many times as long as it is wide ...
_BAND_ELONGATION = 6.0
#: ... and at least this many pen widths long (a fat full stop or a filled loop is no band)
_BAND_PENS = 25.0
#: ... or this many for a band of another colour than the pen's (a cord across a character's small image)
_BAND_PENS_COLOURED = 12.0
#: ... and at least this share of its middle keeps within _BAND_WIDTH_SPREAD of its median width (a marker word
#: swells and thins at every turn; a string or a pencil keeps its width, except where writing crosses it)
_BAND_EVEN = 0.6
_BAND_WIDTH_SPREAD = 0.3
#: ... and it is nearly straight over a few of its own widths: this share of its middle line lies where the
#: line's local spread across its direction is at most _BAND_BEND of its spread along it (letters turn)
_BAND_STRAIGHT = 0.8
_BAND_BEND = 0.1
#: ... or this share for a band of another colour than the pen's (at least _COLOUR_APART from it)
_BAND_STRAIGHT_COLOURED = 0.6
#: the local straightness is measured within this many of the band's own widths
_BAND_REACH = 2.0
#: the writing within this many of a band's widths of it ...
_NEIGHBOUR_WIDTHS = 10.0
#: ... has at most this share of its pixels where a disk this many band widths across fits (it is thinner)
_NEIGHBOUR_BROAD = 0.25
_NEIGHBOUR_DISK = 0.75
#: a band that keeps within this many of its widths of one straight line, at most _LINE_SLANT degrees off the
#: page's rows or columns, is a printed line (a table border), not an object
_LINE_SAG = 1.5
_LINE_SLANT = 3.0
#: on a mask still holding printed lines, a band with this share of its middle line on straight runs along rows or
#: columns, each at least this many of its widths long, is printed structure (a table's heavy border)
_RUN_SHARE = 0.8
_RUN_WIDTHS = 6.0
#: a thin band (a thread, too narrow for the opening) is at least this many pen widths across, and its rotated box
#: this many times as long as wide
_THIN_PENS = 1.8
_THIN_ASPECT = 6.0
#: ... and its middle line at most this many times as long as that box (a thread's twist adds a few spurs; a word
#: joined up in a flat line runs up and down its letters)
_THIN_ONCE = 1.2
#: a blob is at least this many pen widths across at its thickest (a broad marker is 5-7 fine pens wide)
_BLOB_PENS = 10.0
#: the object reaches this many pen widths beyond its opening: the soft edge that the disk does not cover
_EDGE_PENS = 0.3
#: a piece of ink beside an object with this share of its pixels within _RIM_REACH of the object's widths
#: of it, at least _SLIVER_PENS pen widths and _SLIVER_WIDTHS object widths long, is a rim of the object
#: cut off by its highlight, not writing
_SLIVER_SHARE = 0.8
_RIM_REACH = 0.75
_SLIVER_PENS = 4.0
_SLIVER_WIDTHS = 3.0
#: the pen's and the object's colours (CIELAB, 8-bit units) are told apart when this far from each other ...
_COLOUR_APART = 20.0
#: ... and a pixel of the object is writing when it is this much nearer the pen's colour than the object's
_PEN_NEARER = 0.6
#: ... and its piece reaches this many pen widths from its edge somewhere (a cord's dark streaks are thinner)
_STREAK_DEPTH = 0.3
#: a stroke cut by an object points this way: from its pixels within this many pen widths of the cut to the cut
_CUT_REACH = 2.0
#: two cuts are one stroke crossing the object when each points at the other within this many degrees, they are
#: at most this many of the object's widths (plus two pen widths) apart, and this share of the way between them
#: lies on the object
_CUT_TURN = 30.0
_CUT_SPAN = 4.0
_CUT_UNDER = 0.8


def find_objects(
    mask: np.ndarray, pen_width: float, colour: np.ndarray | None = None, *, printed_lines: bool = False
) -> np.ndarray:
    """The pixels of ``mask`` that belong to an object on the page (a ``bool`` array of the mask's shape).

    ``mask`` is the ink mask at working resolution (``True`` = ink),
    ``pen_width`` the pen's median width in the same pixels (the ink mask's
    ``stroke_width``). ``colour`` is the working image itself (``(h, w, 3)``
    RGB uint8, the mask's size; not divided by its paper, which pulls a
    dark cord's shaded pixels apart from its own colour): with it, writing
    lying on an object of another colour than the pen's stays ink. Nothing
    is found when there is no pen width to compare with. Remove the result
    from the ink mask before words are looked for.

    ``printed_lines=True`` says the mask still holds the page's printed
    lines: then only bands are looked for, and not those running along the
    page's rows and columns (a table's heavy borders meeting at a corner).
    """
    mask = np.asarray(mask, dtype=bool)
    found = np.zeros(mask.shape, dtype=bool)
    if pen_width <= 0 or not mask.any():
        return found
    radius = max(2, int(round(0.5 * _DISK_PENS * pen_width)))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    thick = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disk)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thick, connectivity=8)
    objects = np.zeros(count, dtype=bool)
    widths = np.zeros(count)
    # a band is _BAND_PENS pen widths long and at least two pixels wide; a blob is far bigger: most pieces of
    # the opening (a loop filled in, strokes crossing) are too small to measure
    least = 2.0 * min(_BAND_PENS, _BAND_PENS_COLOURED) * pen_width
    candidates = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= least) + 1
    # once the printed lines are out, threads too narrow for the disk are looked for among the ink's own pieces
    # (only where the disk is wider than such a band can be: the disk is never under five pixels, so for a fine pen)
    thin_fits = _THIN_PENS * pen_width <= 2 * radius + 1
    long_pieces = None if printed_lines or not thin_fits else _long_pieces(mask, pen_width, radius)
    # the page in CIELAB, once: for the candidates' colours and for the writing lying on what is found
    looked_at = len(candidates) + (0 if long_pieces is None else len(long_pieces[2]))
    coloured = colour is not None and np.asarray(colour).ndim == 3 and looked_at > 0
    lab = cv2.cvtColor(np.asarray(colour), cv2.COLOR_RGB2LAB) if coloured else None
    pen = None if lab is None else _pen_lab(lab, mask & ~thick.astype(bool))
    for k in candidates:
        # a band of its own colour may bend more and be shorter: a cord's waves across a character's small image
        straight, pens = _BAND_STRAIGHT, _BAND_PENS
        if pen is not None and _apart(lab, labels, stats[k], k, pen):
            straight, pens = _BAND_STRAIGHT_COLOURED, _BAND_PENS_COLOURED
        objects[k], widths[k] = _is_object(stats[k], labels, k, mask, pen_width, printed_lines, straight, pens)
    thin, thin_width = np.zeros(mask.shape, dtype=bool), 0.0
    if long_pieces is not None and pen is not None:
        thin, thin_width = _thin_bands(long_pieces, lab, pen, pen_width, radius)
    if objects.any():
        # the writing around each candidate, without any candidate (a string cut in two by a word is two)
        widest = max(float(widths[objects].max()), thin_width)
        writing = mask & ~_grown(objects[labels] | thin, _RIM_REACH * widest)
        for k in np.flatnonzero(objects):
            objects[k] = _wider_than_its_neighbours(writing, stats[k], widths[k])
    body = objects[labels] | thin
    if not body.any():
        return found
    widest = max(float(widths[objects].max(initial=0.0)), thin_width)
    found = _grown(body, _EDGE_PENS * pen_width) & mask
    found |= _slivers(mask & ~found, body, widest, pen_width)
    if lab is None:
        return found
    return found & ~_pen_coloured(lab, mask & ~found, found, pen_width)


def _pen_coloured(lab: np.ndarray, ink: np.ndarray, found: np.ndarray, pen_width: float) -> np.ndarray:
    """The pixels of ``found`` nearer in colour to the pen than to the object: writing on it.

    The pen's colour is the median (CIELAB) of the middle of the strokes off
    the objects, the objects' the median of their pixels. An object of about
    the pen's own colour (a blue cord under blue ink) gives nothing back: its
    shading spans the pen's colour. Nor do the dark streaks of a shaded cord
    near the pen's colour (a blue cord under darker blue ink): no piece of
    them is as broad as the pen.
    """
    lab = lab.astype(np.float32)  # ``lab``: the page in CIELAB (uint8)
    pen = _pen_lab(lab, ink)
    if pen is None:
        return np.zeros(found.shape, dtype=bool)
    thing = np.median(lab[found], axis=0)
    if float(np.linalg.norm(pen - thing)) < _COLOUR_APART:
        return np.zeros(found.shape, dtype=bool)
    to_pen = np.linalg.norm(lab - pen, axis=2)
    to_thing = np.linalg.norm(lab - thing, axis=2)
    nearer = found & (to_pen < _PEN_NEARER * to_thing)
    # writing is about as broad as the pen somewhere; the dark streaks of a shaded cord are thin lines
    count, labels = cv2.connectedComponents(nearer.astype(np.uint8), connectivity=8)
    depth = cv2.distanceTransform(nearer.astype(np.uint8), cv2.DIST_L2, 3)
    broad = np.zeros(count, dtype=bool)
    broad[np.unique(labels[depth >= _STREAK_DEPTH * pen_width])] = True
    broad[0] = False
    return nearer & broad[labels]


def _grown(mask: np.ndarray, reach: float) -> np.ndarray:
    size = 2 * max(1, int(round(reach))) + 1
    return cv2.dilate(mask.astype(np.uint8), np.ones((size, size), np.uint8)).astype(bool)


def _slivers(rest: np.ndarray, body: np.ndarray, width: float, pen_width: float) -> np.ndarray:
    """The pieces of ``rest`` that lie along the object: its rims, cut off by a highlight or a shadow line.

    Writing that crosses the object reaches well beyond it (and joins the
    rest of its word), and what the object cuts off a letter is short; a rim
    lies wholly beside the object, for several of the object's widths.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(rest.shape, dtype=bool)
    near = np.bincount(labels[_grown(body, _RIM_REACH * width)], minlength=count)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    long = extent >= max(_SLIVER_PENS * pen_width, _SLIVER_WIDTHS * width)
    rim = long & (near >= _SLIVER_SHARE * stats[:, cv2.CC_STAT_AREA])
    rim[0] = False
    return rim[labels]


def _wider_than_its_neighbours(writing: np.ndarray, stats: np.ndarray, width: float) -> bool:
    """Whether the ``writing`` around a candidate band (``stats``: its box) is much thinner than the band.

    The pen's median width can be far below the writing's own (specks of
    chalk dust or paper texture are many and thin), and then a line drawn
    with the pen (an underline, a rule drawn by hand) is as wide as a string
    against it. Around a string the writing is the pen's: hardly any of it
    holds a disk most of the string's width across; around a hand-drawn
    line, the letters beside it are as broad as the line.
    """
    x, y, w, h = (int(v) for v in stats[:4])
    reach = int(round(_NEIGHBOUR_WIDTHS * width))
    others = writing[max(0, y - reach) : y + h + reach, max(0, x - reach) : x + w + reach]
    if not others.any():
        return True
    size = max(3, int(round(_NEIGHBOUR_DISK * width)) | 1)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    broad = cv2.morphologyEx(others.astype(np.uint8), cv2.MORPH_OPEN, disk)
    return float(broad.sum()) <= _NEIGHBOUR_BROAD * float(others.sum())


def _pen_lab(lab: np.ndarray, strokes: np.ndarray) -> np.ndarray | None:
    """The pen's colour (CIELAB, 8-bit): the median of the middle of its strokes, ``None`` without any."""
    middle = strokes & (cv2.distanceTransform(strokes.astype(np.uint8), cv2.DIST_L2, 3) >= 2)
    return np.median(lab[middle].astype(np.float32), axis=0) if middle.any() else None


def _apart(lab: np.ndarray, labels: np.ndarray, stat: np.ndarray, k: int, pen: np.ndarray) -> bool:
    """Whether piece ``k``'s median colour lies at least _COLOUR_APART from the pen's."""
    x, y, w, h = (int(v) for v in stat[:4])
    pixels = lab[y : y + h, x : x + w][labels[y : y + h, x : x + w] == k].astype(np.float32)
    return float(np.linalg.norm(np.median(pixels, axis=0) - pen)) >= _COLOUR_APART


def _is_object(
    stats: np.ndarray,
    labels: np.ndarray,
    k: int,
    mask: np.ndarray,
    pen_width: float,
    printed_lines: bool = False,
    straight: float = _BAND_STRAIGHT,
    pens: float = _BAND_PENS,
) -> tuple[bool, float]:
    """Whether piece ``k`` of the opening is a long even band or a thick blob, and its median width.

    The widths are twice the distance to the paper along the piece's middle
    (its ridge), measured in the piece's box grown by half its shorter side:
    no point of the piece lies further than that from the paper (a disk
    that wide would have been kept whole by the opening).
    """
    x, y, w, h, area = (int(v) for v in stats[:5])
    pad = min(w, h) // 2 + 2
    top, left = max(0, y - pad), max(0, x - pad)
    distance = distance_to_paper(mask[top : y + h + pad, left : x + w + pad])  # the page's edge is paper
    piece = labels[y : y + h, x : x + w] == k
    box = (slice(y - top, y - top + h), slice(x - left, x - left + w))  # the piece's box within the distance map
    widths = _ridge_widths(distance)[box][piece]
    widths = widths[widths > 0]
    if widths.size == 0:
        return False, 0.0
    width = median_of(widths)
    if float(widths.max()) >= _BLOB_PENS * pen_width:
        return not printed_lines, width
    if not _long_even_band(widths, width, area, pen_width, pens):
        return False, width
    if printed_lines and along_rows_or_columns(piece, width):
        return False, width
    return _straight_share(piece, width) >= straight and not _printed_line(piece, width), width


def _long_pieces(mask: np.ndarray, pen_width: float, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ink's connected pieces (labels, stats), and those that may be a thread: at least _BAND_PENS pen widths
    across one way, and holding no more ink than a band narrower than the disk running along two sides of their
    box."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    longest = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    narrow = stats[1:, cv2.CC_STAT_AREA] <= 2.0 * (2 * radius + 1) * longest
    return labels, stats, np.flatnonzero((longest >= _BAND_PENS * pen_width) & narrow) + 1


def _thin_bands(
    long_pieces: tuple[np.ndarray, np.ndarray, np.ndarray],
    lab: np.ndarray,
    pen: np.ndarray,
    pen_width: float,
    radius: int,
) -> tuple[np.ndarray, float]:
    """The pieces of the ink that are thin bands of their own colour (a thread), and the widest one's width.

    Too narrow for the opening's disk (a binding thread two pen widths
    across, twisted, so that the disk fits it only here and there), a
    thread is told from writing by its colour (at least _COLOUR_APART from
    the pen's) and by all of it at once: one piece, at least _THIN_PENS pen
    widths across and never as wide as the disk, long and thin as a band
    in its rotated box (_THIN_ASPECT), its middle line running once along
    that box (_THIN_ONCE), even and straight like a band of another colour.
    A word in a bold face is as wide and as straight in places, but a short
    box; a word in another pen than the print's (a form filled in in blue)
    may be as long and flat, but its middle line climbs every letter.
    """
    labels, stats, candidates = long_pieces
    found = np.zeros(labels.shape, dtype=bool)
    widest = 0.0
    for k in candidates:
        if not _apart(lab, labels, stats[k], k, pen):
            continue
        x, y, w, h, area = (int(v) for v in stats[k, :5])
        top, left = max(0, y - 2), max(0, x - 2)
        piece = labels[top : y + h + 2, left : x + w + 2] == k
        widths = _ridge_widths(distance_to_paper(piece))[piece]
        widths = widths[widths > 0]
        if widths.size == 0:
            continue
        width = median_of(widths)
        ys, xs = np.nonzero(piece)
        (short, long) = sorted(cv2.minAreaRect(np.column_stack([xs, ys]).astype(np.float32))[1])
        if (
            _THIN_PENS * pen_width <= width <= 2 * radius + 1
            and _long_even_band(widths, width, area, pen_width)
            and long >= _THIN_ASPECT * max(short, 1.0)
            and np.count_nonzero(skeletonize(piece)) <= _THIN_ONCE * long
            and _straight_share(piece, width) >= _BAND_STRAIGHT_COLOURED
        ):
            found[top : y + h + 2, left : x + w + 2] |= piece
            widest = max(widest, width)
    return found, widest


def _ridge_widths(distance: np.ndarray) -> np.ndarray:
    """Twice the distance to the paper where it peaks (a band's middle line), 0 elsewhere."""
    return np.where(distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)), 2.0 * distance, 0.0)


def _long_even_band(widths: np.ndarray, width: float, area: int, pen_width: float, pens: float = _BAND_PENS) -> bool:
    """Whether a piece of ``area`` pixels whose middle is ``widths`` wide (median ``width``) is a band: long for
    its width and the pen's, and most of its middle within _BAND_WIDTH_SPREAD of that width."""
    elongated = area / max(width, 1.0) >= max(_BAND_ELONGATION * width, pens * pen_width)
    return elongated and float(np.mean(np.abs(widths - width) <= _BAND_WIDTH_SPREAD * width)) >= _BAND_EVEN


def along_rows_or_columns(piece: np.ndarray, width: float) -> bool:
    """Whether most of the piece's middle line runs straight along the page's rows or columns (printed lines)."""
    line = cv2.dilate(skeletonize(piece).astype(np.uint8), np.ones((3, 3), np.uint8))
    run = max(3, int(round(_RUN_WIDTHS * width)))
    rows = cv2.morphologyEx(line, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
    columns = cv2.morphologyEx(line, cv2.MORPH_OPEN, np.ones((run, 1), np.uint8))
    return float(np.count_nonzero((rows | columns) & line)) >= _RUN_SHARE * float(np.count_nonzero(line))


def _printed_line(piece: np.ndarray, width: float) -> bool:
    """Whether the piece is a straight line along the page's rows or columns: a table border, a form line.

    Printed structure is :mod:`.rules`' to remove (or to keep, where writing
    runs along it); a thing lying on the page sags, or lies at a slant.
    """
    ys, xs = np.nonzero(piece)
    vx, vy, x0, y0 = cv2.fitLine(np.column_stack([xs, ys]).astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    across = np.abs((xs - x0) * vy - (ys - y0) * vx)
    slant = math.degrees(math.atan2(min(abs(vx), abs(vy)), max(abs(vx), abs(vy))))
    return float(across.max()) <= _LINE_SAG * width and slant <= _LINE_SLANT


def _straight_share(piece: np.ndarray, width: float) -> float:
    """The share of the piece's middle line that runs nearly straight within a few of the piece's widths.

    From the middle line's pixels in a window around each of them (box
    sums of their coordinates and products): the smaller principal spread
    over the larger. A string or a pencil bends gently; a marker's letters
    turn round within a couple of widths.
    """
    line = skeletonize(piece)
    ys, xs = np.nonzero(line)
    if len(ys) < 3:
        return 0.0
    reach = max(3, int(round(_BAND_REACH * width)))
    size = (2 * reach + 1, 2 * reach + 1)
    grid_y, grid_x = np.mgrid[0 : piece.shape[0], 0 : piece.shape[1]].astype(np.float32)
    grid_x -= float(xs.mean())  # centred: the products stay small in float32
    grid_y -= float(ys.mean())
    on = line.astype(np.float32)

    def local(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, normalize=False, borderType=cv2.BORDER_CONSTANT)[ys, xs]

    n = np.maximum(local(on), 1.0)
    mx, my = local(on * grid_x) / n, local(on * grid_y) / n
    cxx = local(on * grid_x * grid_x) / n - mx * mx
    cyy = local(on * grid_y * grid_y) / n - my * my
    cxy = local(on * grid_x * grid_y) / n - mx * my
    half_trace, root = 0.5 * (cxx + cyy), np.sqrt(np.maximum(0.25 * (cxx - cyy) ** 2 + cxy * cxy, 0.0))
    along, across = half_trace + root, np.maximum(half_trace - root, 0.0)
    return float(np.mean(across <= _BAND_BEND * np.maximum(along, 1e-6)))


def bridge_cut_strokes(mask: np.ndarray, objects: np.ndarray, pen_width: float) -> np.ndarray:
    """The pixels of ``objects`` under strokes that cross them: the way between two cut ends that face each other.

    ``mask`` is the ink without the objects. Where an object lies across a
    stroke, the stroke's two halves end on either side of it, each pointing
    (from its last couple of pen widths) at the other; the straight way
    between those ends, a pen wide, is given back to the ink. Each end joins
    at most one other, the pair turning least. A stroke running along a cord
    of its own colour stays under it: nothing points across.
    """
    bridged = np.zeros(mask.shape, dtype=bool)
    if pen_width <= 0 or not objects.any() or not mask.any():
        return bridged
    cuts = _cuts(mask, objects, pen_width)
    if len(cuts) < 2:
        return bridged
    span = _CUT_SPAN * 2.0 * float(distance_to_paper(objects).max()) + 2.0 * pen_width
    turn = math.cos(math.radians(_CUT_TURN))
    pairs = []
    for i, (a, a_way) in enumerate(cuts):
        for j in range(i + 1, len(cuts)):
            b, b_way = cuts[j]
            between = b - a
            length = float(np.hypot(*between))
            if not 1.0 <= length <= span:
                continue
            ahead = between / length
            facing = min(float(a_way @ ahead), float(-b_way @ ahead))
            if facing < turn:
                continue
            t = np.linspace(0.0, 1.0, max(3, int(length)))
            xs, ys = np.rint(a[0] + t * between[0]).astype(int), np.rint(a[1] + t * between[1]).astype(int)
            if objects[ys, xs].mean() >= _CUT_UNDER:
                pairs.append((-facing, i, j))
    used: set[int] = set()
    canvas = np.zeros(mask.shape, dtype=np.uint8)
    for _, i, j in sorted(pairs):
        if i in used or j in used:
            continue
        used |= {i, j}
        a, b = (tuple(int(v) for v in np.rint(cuts[k][0])) for k in (i, j))
        cv2.line(canvas, a, b, 1, max(1, int(round(pen_width))))
    return canvas.astype(bool) & objects


def _cuts(mask: np.ndarray, objects: np.ndarray, pen_width: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where strokes end on an object: each cut's centre (x, y) and the unit direction the stroke runs into it."""
    touching = (_grown(objects, 1) & mask).astype(np.uint8)
    _, _, _, centres = cv2.connectedComponentsWithStats(touching, connectivity=8)
    reach = int(math.ceil(_CUT_REACH * pen_width))
    cuts = []
    for cx, cy in centres[1:]:
        x0, y0 = max(0, int(cx) - reach - 1), max(0, int(cy) - reach - 1)
        window = (slice(y0, int(cy) + reach + 2), slice(x0, int(cx) + reach + 2))
        ys, xs = np.nonzero(mask[window])
        near = np.hypot(xs + x0 - cx, ys + y0 - cy) <= reach
        if np.count_nonzero(near) < 3:
            continue
        way = np.array([cx - (xs[near] + x0).mean(), cy - (ys[near] + y0).mean()])
        size = float(np.hypot(*way))
        if size >= 0.5:
            cuts.append((np.array([cx, cy]), way / size))
    return cuts
