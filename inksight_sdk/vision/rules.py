"""Printed lines off, handwriting on: ruling, margins and form lines removed from an ink mask.

What tells a printed rule from a hand-drawn line or an underline:

* it is long and thin: found as runs of a few dozen pixels in a slightly
  thickened copy of the mask (so a rule tilted a few degrees in a photo still
  forms runs), horizontal for ruling and vertical for margins; the pieces of
  a rule that fades in places are put back together by collinearity;
* it spans much of the sheet, and it is much fainter than the ink (a pale
  blue rule under a ballpoint) or of another colour (a red margin);
* it is straight to the pixel, or, on a sheet curling toward the camera,
  bent gently and once along its length (a hand's line wanders).

A line as dark as the ink is kept unless one piece of it crosses (nearly)
the whole sheet, so underlines, strike-throughs and hand-drawn fill lines
survive. A table's or a frame's upright lines are often shorter than that:
a long straight line that ends on removed printed lines at both ends (a
cell's side between its top and bottom borders) is printed too; once the
upright lines are out, the horizontal ones are looked at again for the same
(a table's row, broken into short pieces at every column it crosses). Where
handwriting crosses a removed rule, the pixels are kept when they are
clearly darker than the rule or continue a stroke that runs across it, so a
letter is not cut in two.
"""

from __future__ import annotations

import attrs
import cv2
import numpy as np

from ..filters import median as median_of

__all__ = ["remove_printed_lines"]

#: a line covering this share of the sheet is printed whatever its colour (a form line) ...
_SHEET_SPAN = 0.9
#: ... when it is also longer than any letter: this many pen widths (an ``l`` spans a one-line image)
_FORM_LINE_PENS = 40
#: one straight piece this long (share of the sheet, and _FORM_LINE_PENS pen widths) whose centre wanders
#: less than this (pixels, or pen widths) from a straight line is ruled, whatever its darkness
_RULED_SPAN = 0.25
_RULED_WOBBLE_PX = 1.0
_RULED_WOBBLE = 0.3
#: ... measured from a gentle bow when the line sags at most this share of its length (a bowed page)
_BOW_SHARE = 0.02
#: ... or collinear pieces, each that straight, covering this share of such a span (a faint line in a photo fades)
_PIECES_COVER = 0.5
#: ... and either this long with another such line beside it (a table's borders), or not drawn with the pen: a
#: width this far from the pen's (share of it)
_TABLE_SPAN = 0.5
_OTHER_WIDTH = 0.35
#: a line (or collinear pieces) fainter than the ink and spanning this share of the sheet is printed
_FAINT_SPAN = 0.35
#: a line of another colour than the ink spanning this share of the sheet is printed
_COLOURED_SPAN = 0.6
#: pieces shorter than this share of the sheet are measured only when fainter than this share of the ink
_LONG_PIECE = 0.25
_FAINT_PIECE = 0.65
#: chroma (share of optical density per channel) differing by more than this is another colour
_COLOUR_DIFFERENCE = 0.1
#: a line at most this thick (pixels) is judged by its darkest row: one strong row and one or two weak (its
#: anti-aliased edges)
_TWO_ROWS = 3.5
#: a piece thicker than the pen's line is a heavy rule when its columns from the 10th to the 90th percentile keep
#: within this share of its median thickness, it spans this share of the page, and the page is this many pen
#: widths long
_SOLID_SPREAD = 0.25
_HEAVY_SPAN = 0.5
_HEAVY_PAGE_PENS = 150
#: a line whose median darkness is below this share of the ink's is fainter than handwriting
_FAINT_RATIO = 0.45
#: a piece ends on a removed line across it when that line's pixels run at least this many pen widths (plus 2 px)
#: off the piece's centre line, within three times as far along it from the piece's end (a faint line's corner
#: may have a gap)
_FRAME_REACH = 2.0
#: ... and it is at least _FORM_LINE_PENS pen widths long, or this many when it is thinner than the pen and paler
#: than the ink (a table's header cell between two faint rows; a letter's stem between rules is neither)
_SHORT_SIDE_PENS = 8.0
#: ... and its pieces, broken where it fades, leave gaps of at most this many pen widths, or of this many where a
#: removed line crosses it (both pieces end on it)
_FRAME_GAP = 2.0
_FRAME_CROSSING = 8.0
#: on a page with a table, ruled lines whose ends lie within this many pen widths (at least 3 px) of another's
_ALIGNED_PENS = 1.5
#: a gap of at most this many pixels along a line, where a removed line crosses it, is bridged when looking for runs
_BRIDGE = 7


@attrs.frozen
class _Ink:
    """How the handwriting looks (chroma, median darkness, pen width), and whether the image is a whole sheet."""

    chroma: np.ndarray = attrs.field(eq=False)
    darkness: float
    width: float
    sheet: bool


@attrs.frozen
class _Line:
    """A long thin horizontal component: its box, centre line ``y = slope * x + offset``, and looks."""

    index: int
    x: int
    y: int
    w: int
    h: int
    slope: float
    offset: float
    thickness: float
    darkness: float
    chroma: np.ndarray = attrs.field(eq=False)
    wobble: float = 0.0  # RMS distance of the centre line's points from the fitted straight line or gentle bow (px)
    core: float = 0.0  # what "darker than the line" means: its median darkness, or a thin line's darkest row
    starts_on: bool = False  # it starts on a removed printed line across it (a table's or a frame's side) ...
    ends_on: bool = False  # ... and ends on one

    def y_at(self, x: float) -> float:
        return self.slope * x + self.offset


def remove_printed_lines(
    mask: np.ndarray,
    darkness: np.ndarray,
    normalized: np.ndarray,
    *,
    high: int,
    stroke_width: float,
    whole_page: bool = True,
) -> np.ndarray:
    """``mask`` (bool ink mask) without printed horizontal and vertical lines (a new array if any).

    ``darkness`` (uint8, 0 = paper) and ``normalized`` (the image divided by
    its background, 255 = paper) describe each pixel; ``high`` is the
    darkness that is surely ink and ``stroke_width`` the pen width, in pixels.
    ``whole_page`` False (a word crop): a line like the ink is kept even when it
    crosses the whole image, since an underline fills a word crop.
    """
    strong = mask & (darkness >= high)
    if not strong.any():
        return mask
    ink = _Ink(
        chroma=_chroma(normalized[strong]),
        darkness=median_of(darkness[strong]),
        width=max(stroke_width, 1.0),
        sheet=whole_page,
    )
    horizontal = _remove(mask, darkness, normalized, ink)
    # vertical lines: the same on transposed views (no copies of the page, only of each line's box); the
    # horizontal ones removed are what a table's or a frame's sides end on
    removed = (mask & ~horizontal).T if horizontal is not mask else None
    vertical = _remove(horizontal.T, darkness.T, np.swapaxes(normalized, 0, 1), ink, removed)
    if vertical.base is horizontal:
        return horizontal
    out = vertical.T
    if not whole_page:
        return out
    # and horizontal lines once more, now ending on the upright ones removed: a table's rows are broken into
    # short pieces at every column it crosses, each too short to measure on its own (a register's header rule
    # across one page of a two-page spread); then upright ones once more, ending on those rows (the header's
    # cell sides, between its top border and that rule)
    rows = _remove(out, darkness, normalized, ink, horizontal & ~out, framed_only=True)
    if rows is out:
        return out
    sides = _remove(rows.T, darkness.T, np.swapaxes(normalized, 0, 1), ink, (out & ~rows).T, framed_only=True)
    return rows if sides.base is rows else sides.T


def _chroma(normalized_pixels: np.ndarray) -> np.ndarray:
    """Each channel's share of the optical density (black ink: a third each; blue ink: mostly red).

    Optical density, not darkness, so a thin stroke and a thick one of the
    same ink have the same chroma.
    """
    transmitted = np.asarray(normalized_pixels, dtype=np.float64).reshape(len(normalized_pixels), -1)
    density = -np.log(np.maximum(transmitted, 8.0) / 255.0).sum(axis=0)
    return density / max(float(density.sum()), 1e-9)


def _remove(
    mask: np.ndarray,
    darkness: np.ndarray,
    normalized: np.ndarray,
    ink: _Ink,
    removed: np.ndarray | None = None,
    *,
    framed_only: bool = False,
) -> np.ndarray:
    """Remove horizontal printed lines (the caller transposes for vertical ones).

    ``removed``: the pixels of printed lines already removed across these (vertical ones, in this frame), or
    ``None``. ``framed_only``: remove only the lines running from one removed line to another (a table's rows,
    looked for again once its columns are out).
    """
    width = mask.shape[1]
    run = int(np.clip(0.05 * width, 20, 80))
    if width < run:
        return mask
    # thickened by two pixels up and down, a rule tilted by up to ~4 degrees still forms long runs;
    # OpenCV works on the contiguous (possibly transposed) copy, the stats are swapped back
    transposed = not mask.flags.c_contiguous
    m = np.ascontiguousarray(mask.T if transposed else mask).astype(np.uint8)
    along, across = ((run, 1), (1, 5)) if transposed else ((1, run), (5, 1))
    # a table's or a frame's sides are looked for on whole pages only
    frames = removed if ink.sheet else None
    if frames is not None:
        # a line crossing a removed one lost a row or two there: bridged for finding runs (a table's side is
        # broken at every row's border), only where the removed line was
        crossings = np.ascontiguousarray(frames.T if transposed else frames).astype(np.uint8)
        crossings = cv2.dilate(crossings, np.ones((3, 3), np.uint8))
        gap = (_BRIDGE, 1) if transposed else (1, _BRIDGE)
        m = m | (cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones(gap, np.uint8)) & crossings)
    thick = cv2.dilate(m, np.ones(across, np.uint8))
    opened = cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones(along, np.uint8))
    if not cv2.countNonZero(opened):  # no run that long (most word crops, one way or both): nothing to measure
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if transposed:
        labels = labels.T
        stats = stats[:, [1, 0, 3, 2, 4]]
    # most pieces are bits of handwriting: only long ones (a form line) or faint ones (ruling) are worth measuring
    inside = (labels > 0) & mask
    pieces = labels[inside]
    mean_darkness = np.bincount(pieces, weights=darkness[inside], minlength=count) / np.maximum(
        np.bincount(pieces, minlength=count), 1
    )
    worth = (stats[:, cv2.CC_STAT_WIDTH] >= _LONG_PIECE * width) | (mean_darkness < _FAINT_PIECE * ink.darkness)
    # pieces starting or ending on a removed line across them may be a table's or a frame's sides
    on = np.zeros((count, 2), dtype=bool)
    if frames is not None:
        for index in range(1, count):
            on[index] = _ends_on_lines(stats[index], labels, index, frames, ink)
    lines = [
        attrs.evolve(line, starts_on=bool(on[index, 0]), ends_on=bool(on[index, 1]))
        for index in np.nonzero((worth | on.any(axis=1))[1:])[0] + 1
        if (line := _measure(int(index), stats[index], labels, mask, darkness, normalized, ink)) is not None
    ]
    out = mask
    groups = _collinear_groups(lines, width, ink)
    # a table has several long ruled lines each way, as dark as print; one long straight line alone is the
    # writer's (a divider), and faint ruling beside it does not make it a table's
    ruled = [_ruled(group, width, ink) for group in groups]
    table = (
        sum(
            piece is not None and piece.w >= _TABLE_SPAN * width and piece.darkness >= _FAINT_RATIO * ink.darkness
            for piece in ruled
        )
        >= 2
    )
    aligned = _aligned_ends(groups, ruled, ink) if table else [False] * len(groups)
    for group, in_line in zip(groups, aligned):
        if not (_framed(group, ink) if framed_only else _is_printed(group, width, ink, table, in_line)):
            continue
        if out is mask:
            out = mask.copy()
        for line in group:
            # the rule's box with room above and below to see strokes leave it
            context = int(np.ceil(line.thickness + ink.width)) + 4
            top, bottom, x, w = max(0, line.y - context), line.y + line.h + context, line.x, line.w
            band = (labels[top:bottom, x : x + w] == line.index) & mask[top:bottom, x : x + w]
            region = out[top:bottom, x : x + w]
            crossed = None if removed is None else removed[top:bottom, x : x + w]
            region &= ~_rule_pixels(band, region, darkness[top:bottom, x : x + w], line, ink, crossed)
    return out


def _measure(
    index: int,
    stat: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    darkness: np.ndarray,
    normalized: np.ndarray,
    ink: _Ink,
) -> _Line | None:
    """Fit a centre line to a long component; ``None`` when it is a blob of text rather than a line.

    Only the component's *thin* columns (at most 1.5 times its median
    thickness) are measured: a letter touching or crossing the rule thickens
    it locally and must not bend its line or lend it the ink's darkness.
    """
    x, y, w, h = (int(v) for v in stat[:4])
    band = (labels[y : y + h, x : x + w] == index) & mask[y : y + h, x : x + w]
    counts = band.sum(axis=0)
    if np.count_nonzero(counts) < 2:
        return None
    thickness = median_of(counts[counts > 0])
    if thickness > 2.0 * ink.width + 2 and not _heavy_rule(counts, thickness, w, mask.shape[1], ink):
        return None
    thin = (counts > 0) & (counts <= 1.5 * thickness)
    columns = np.nonzero(thin)[0]
    centres = (band[:, thin] * np.arange(h)[:, None]).sum(axis=0) / counts[thin]
    if np.ptp(columns) > 0:
        slope, offset = np.polyfit(columns + x, centres + y, 1)
    else:
        slope, offset = 0.0, float(centres.mean() + y)
    wobble = float(np.sqrt(np.mean((centres + y - (slope * (columns + x) + offset)) ** 2)))
    if len(columns) >= 3 and np.ptp(columns) > 0:
        # a page bowed before the camera bends a printed line gently, once, along its length
        bow = np.polyfit(columns, centres, 2)
        sag = abs(bow[0]) * (np.ptp(columns) / 2) ** 2
        if sag <= _BOW_SHARE * np.ptp(columns):
            wobble = min(wobble, float(np.sqrt(np.mean((centres - np.polyval(bow, columns)) ** 2))))
    rule = band & thin[None, :]
    median = median_of(darkness[y : y + h, x : x + w][rule])
    # a thin line is often one strong row and one or two weak ones: its median darkness is the weak rows',
    # and the strong row would pass for a stroke lying on it; so a thin line is judged by its darkest row
    core = median
    if thickness <= _TWO_ROWS:
        core = median_of(np.where(rule, darkness[y : y + h, x : x + w], 0).max(axis=0)[thin])
    return _Line(
        index=index,
        x=x,
        y=y,
        w=w,
        h=h,
        slope=float(slope),
        offset=float(offset),
        thickness=thickness,
        darkness=median,
        chroma=_chroma(normalized[y : y + h, x : x + w][rule]),
        wobble=wobble,
        core=core,
    )


def _ends_on_lines(stat: np.ndarray, labels: np.ndarray, index: int, removed: np.ndarray, ink: _Ink) -> list[bool]:
    """Whether the piece ``index`` ends on a removed line across it (``removed``), at its start and at its end.

    At an end, the removed line's pixels must run a few pen widths off the
    piece's centre (to one side at a frame's corner, to both at a T); a faint
    line's corner may have a small gap.
    """
    x, y, w, h = (int(v) for v in stat[:4])
    reach = int(np.ceil(_FRAME_REACH * ink.width)) + 2
    on = []
    for end in (x, x + w - 1):
        ends = labels[y : y + h, max(x, end - 2) : min(x + w, end + 3)] == index
        rows = np.flatnonzero(ends.any(axis=1))
        if rows.size == 0:
            on.append(False)
            continue
        centre = y + int(rows.mean())
        window = removed[
            max(0, centre - 2 * reach) : centre + 2 * reach + 1, max(0, end - 3 * reach) : end + 3 * reach + 1
        ]
        on.append(np.count_nonzero(window.any(axis=1)) >= reach)
    return on


def _framed(group: list[_Line], ink: _Ink) -> bool:
    """A table's or a frame's side: straight, long, from a removed line across it to another.

    Its pieces may be broken where other removed lines cross it (both sides of
    a short gap end on that line) or where a faint line fades for a pen width
    or two. Across a longer gap (a book's gutter between the same rule on two
    pages) each run of pieces must be such a side on its own: long, and
    running from one removed line to another; a letter's stems on rules one
    below another are each short. A letter's stroke may end on a rule, but
    is neither that long nor that straight from one rule to another.
    """
    pieces = sorted(group, key=lambda line: line.x)
    straight = max(_RULED_WOBBLE_PX, _RULED_WOBBLE * ink.width)
    if any(line.wobble > straight for line in pieces):
        return False
    # the runs of pieces joined across short gaps: each must be a side on its own
    runs = [[pieces[0]]]
    for before, after in zip(pieces, pieces[1:]):
        gap = after.x - (before.x + before.w)
        crossing = before.ends_on and after.starts_on and gap <= _FRAME_CROSSING * ink.width
        if gap > _FRAME_GAP * ink.width and not crossing:
            runs.append([])
        runs[-1].append(after)
    # a letter's stem between two rules is the pen's width and the ink's darkness: a short side must be neither
    least = (_SHORT_SIDE_PENS if all(_unlike_the_pen(line, ink) for line in pieces) else _FORM_LINE_PENS) * ink.width
    return all(run[0].starts_on and run[-1].ends_on and run[-1].x + run[-1].w - run[0].x >= least for run in runs)


def _heavy_rule(counts: np.ndarray, thickness: float, length: int, side: int, ink: _Ink) -> bool:
    """Whether a piece thicker than the pen's line is a heavy printed rule: long across a page, solid throughout.

    ``thickness`` is the piece's median count of pixels across, ``length`` its length and ``side`` the
    page's along it.

    A line of writing is as long and as thick, but its ink comes and goes
    from letter to letter; a heavy rule (a table's double border, thick and
    thin lines run together) keeps one thickness from end to end. Only on a
    whole page, and across most of it: in a character's small image a long
    stroke (the bar of a 舌, a lone 一) is as solid, and as long for its image.
    """
    if not ink.sheet or side < _HEAVY_PAGE_PENS * ink.width or length < _HEAVY_SPAN * side:
        return False
    filled = counts[counts > 0]
    if filled.size < 0.95 * counts.size:
        return False
    low, high = np.percentile(filled, [10, 90])
    return bool(low >= (1 - _SOLID_SPREAD) * thickness and high <= (1 + _SOLID_SPREAD) * thickness)


def _collinear_groups(lines: list[_Line], width: int, ink: _Ink) -> list[list[_Line]]:
    """Pieces of one rule (broken where it fades) lie on one straight line and look alike: group them.

    Two pieces that are each ruled (long and straighter than a hand) may
    differ more in colour: a shadow's edge breaks a rule in two, and the
    part in deep shadow, measured through camera noise and JPEG on a few
    levels of light, reads bluer or redder than the part in the light.
    """
    parent = list(range(len(lines)))
    ruled = [_is_ruled(line, width, ink) for line in lines]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(lines):
        for j in range(i + 1, len(lines)):
            # the longer piece's line (the better fit) must pass through the shorter one's centre,
            # and the two must look alike (a baseline stroke in line with a rule is not part of it)
            long, short = (a, lines[j]) if a.w >= lines[j].w else (lines[j], a)
            centre = short.x + short.w / 2
            if (
                abs(long.y_at(centre) - short.y_at(centre)) <= max(2.0, long.thickness, short.thickness)
                and float(np.abs(long.chroma - short.chroma).max())
                <= (_COLOUR_DIFFERENCE if ruled[i] and ruled[j] else _COLOUR_DIFFERENCE / 2)
                and 0.7 <= long.darkness / max(short.darkness, 1.0) <= 1.4
            ):
                parent[root(i)] = root(j)
    groups: dict[int, list[_Line]] = {}
    for i, line in enumerate(lines):
        groups.setdefault(root(i), []).append(line)
    return list(groups.values())


def _ruled(group: list[_Line], width: int, ink: _Ink) -> _Line | None:
    """The group's longest piece that is long and straighter than any hand holds a pen over that length (or a
    writer along a ruler); ``None`` when there is none.

    Any piece will do: where two fields share a row, the writing on one field line merges into its piece,
    which then wanders, while the other piece shows the row's line as ruled.
    """
    ruled = [line for line in group if _is_ruled(line, width, ink)]
    return max(ruled, key=lambda line: line.w) if ruled else None


def _ruled_in_pieces(group: list[_Line], width: int, ink: _Ink) -> _Line | None:
    """A faint ruled line thresholded into collinear pieces, none long enough alone: the longest piece, standing
    for the whole (its span); ``None`` unless the pieces as straight as a ruled one, thinner than the pen and
    paler than the ink cover at least _PIECES_COVER of a span as long as a ruled line's.

    A phone photo's thin table row fades in and out along its length; each piece is straight to the pixel.
    Where a letter touches the row (a cell's label hangs just under its top border), its piece is thicker
    and as dark as the ink; the other pieces still show the row.
    """
    if len(group) < 2 or not ink.sheet:
        return None
    start, end = min(line.x for line in group), max(line.x + line.w for line in group)
    span = end - start
    straight = max(_RULED_WOBBLE_PX, _RULED_WOBBLE * ink.width)
    if span < _RULED_SPAN * width or span < _FORM_LINE_PENS * ink.width:
        return None
    # a printed row's pieces, not a hand's bars that happen to line up
    printed = [line for line in group if line.wobble <= straight and _unlike_the_pen(line, ink)]
    if len(printed) < 2 or sum(line.w for line in printed) < _PIECES_COVER * span:
        return None
    longest = max(printed, key=lambda line: line.w)
    return attrs.evolve(longest, x=start, w=span)


def _unlike_the_pen(line: _Line, ink: _Ink) -> bool:
    """A piece thinner than the pen's line (by _OTHER_WIDTH of it) and paler than the ink (below _FAINT_PIECE of
    its darkness): a thin printed line's, not a stroke of the pen."""
    return line.thickness < (1.0 - _OTHER_WIDTH) * ink.width and line.darkness < _FAINT_PIECE * ink.darkness


def _is_ruled(line: _Line, width: int, ink: _Ink) -> bool:
    """One piece, on a whole page, long and straighter than any hand holds a pen over that length."""
    return (
        ink.sheet
        and line.w >= _RULED_SPAN * width
        and line.w >= _FORM_LINE_PENS * ink.width
        and line.wobble <= max(_RULED_WOBBLE_PX, _RULED_WOBBLE * ink.width)
    )


def _aligned_ends(groups: list[list[_Line]], ruled: list[_Line | None], ink: _Ink) -> list[bool]:
    """For each group: ruled (``ruled``: its ruled piece, if any), and starting or ending where another ruled line
    does (within a pen width or two).

    A form's field lines end on its right margin, or on a column's edge when
    two fields share a row, to the pixel; a line the writer draws along a
    ruler starts and ends where the hand stops.
    """
    ends = [(min(line.x for line in g), max(line.x + line.w for line in g)) for g in groups]
    tolerance = max(3.0, _ALIGNED_PENS * ink.width)
    out = []
    for k, (start, end) in enumerate(ends):
        out.append(
            ruled[k] is not None
            and any(
                ruled[j] is not None
                and j != k
                and (abs(start - other[0]) <= tolerance or abs(end - other[1]) <= tolerance)
                for j, other in enumerate(ends)
            )
        )
    return out


def _is_printed(group: list[_Line], width: int, ink: _Ink, table: bool = False, aligned: bool = False) -> bool:
    """Printed: a line across the sheet, or a long line (maybe in pieces) fainter than or unlike the ink.

    Across the sheet means one piece, or pieces covering nearly all of it (a
    margin line cut where the ruling crossing it was removed), and longer
    than a letter: in a one-line image (a text-line scan) a tall ``l`` also
    crosses the sheet from top to bottom.
    """
    span = (max(line.x + line.w for line in group) - min(line.x for line in group)) / width
    covered = sum(line.w for line in group)
    if ink.sheet and covered >= _SHEET_SPAN * width and covered >= _FORM_LINE_PENS * ink.width:
        return True
    # ruled by a machine: long, and straighter than any hand holds a pen over that length (a table border,
    # a form line); a hand-drawn divider across the page wanders by a pen width or more. A line drawn by the
    # writer along a ruler (or with a tablet's pen) is as straight: it is told by being drawn with the pen
    # (the pen's width; its colour varies with the pressure) and by standing alone, where a table's borders
    # come several to a side, each across half the sheet (``table``); on such a page, a shorter ruled line
    # starting or ending where another does is a field line (``aligned``)
    if _framed(group, ink):
        return True
    piece = _ruled(group, width, ink)
    if piece is None and table:  # a table's faint row, thresholded into pieces
        piece = _ruled_in_pieces(group, width, ink)
    if piece is not None and (
        (table and (piece.w >= _TABLE_SPAN * width or aligned))
        or abs(piece.thickness - ink.width) > _OTHER_WIDTH * ink.width
    ):
        return True
    # judged by most of its length: a letter crossing the rule may add a short, dark piece
    lengths = np.array([line.w for line in group], dtype=np.float64)
    order = np.argsort([line.darkness for line in group])
    middle = order[np.searchsorted(np.cumsum(lengths[order]), lengths.sum() / 2)]
    darkness = group[middle].darkness
    chroma = np.average([line.chroma for line in group], axis=0, weights=lengths)
    faint = darkness < _FAINT_RATIO * ink.darkness
    other_colour = float(np.abs(chroma - ink.chroma).max()) > _COLOUR_DIFFERENCE
    return bool((span >= _FAINT_SPAN and faint) or (span >= _COLOURED_SPAN and other_colour))


def _rule_pixels(
    band: np.ndarray,
    region: np.ndarray,
    darkness: np.ndarray,
    line: _Line,
    ink: _Ink,
    crossed: np.ndarray | None = None,
) -> np.ndarray:
    """The pixels of the rule in ``band`` that belong to no handwriting stroke (line frame: the rule runs along x).

    ``crossed``: printed lines removed across this one. Where two printed
    lines cross, their inks add up: the crossing is darker than either, but it
    is no stroke of the pen.
    """
    band, region = np.ascontiguousarray(band), np.ascontiguousarray(region)
    # the rule with its anti-aliased fringe, a pixel above and below
    rule = cv2.dilate(band.astype(np.uint8), np.ones((3, 1), np.uint8)).astype(bool) & region
    darker = darkness >= max(1.4 * line.core, 0.6 * ink.darkness)
    if crossed is not None and crossed.any():
        # the removed line stops on either side of this one: bridge the gap its crossing left
        gap = 2 * int(np.ceil(line.thickness)) + 7
        darker &= ~cv2.dilate(np.ascontiguousarray(crossed).astype(np.uint8), np.ones((gap, 1), np.uint8)).astype(bool)
    # strokes leaving the rule above or below: ink outside the rule with some vertical extent
    reach = max(1, int(round(ink.width / 2)))
    outside = (region & ~rule).astype(np.uint8)
    leaving = cv2.erode(outside, np.ones((2 * reach + 1, 1), np.uint8))
    span = int(np.ceil(line.thickness)) + reach + 2
    crossing = cv2.dilate(leaving, np.ones((2 * span + 1, 1), np.uint8)).astype(bool)
    return rule & ~darker & ~crossing
