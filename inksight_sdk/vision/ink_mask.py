"""Photo-robust ink extraction: which pixels of a page photo are handwriting.

The steps, all at a *working resolution* (a 12 MP phone photo is reduced by
a whole factor to at most ``max_pixels`` first, so every later step costs
about one adaptive threshold):

0. **Polarity** (:mod:`.polarity`, whole pages): a blackboard or white ink on
   dark paper is turned over (``255 - image``) so that ink is darker than its
   ground for every later step; :attr:`InkMask.polarity` says so.
1. **Background**: a max filter on a downsampled copy, blurred and scaled back
   up, is the paper without ink; dividing by it removes shadows, uneven light
   and the paper's tint. Within a printed fill (a form's shaded or dark band,
   :mod:`.fills`) the paper is the fill's own colour.
2. **Darkness**: per pixel, the strongest relative darkening over the three
   channels (``1 - min_c I_c / B_c``), so blue, violet and red inks are as
   visible as black, each in the channel that absorbs them.
3. **Paper region** (:mod:`.paper`): the table or scanner lid around the sheet
   is excluded (whole pages; a word crop lies on the sheet).
4. **Thresholds** from the page's own statistics: a low one from the paper's
   noise and a high one from the ink's contrast; a component is ink when it
   holds high pixels (hysteresis), which drops paper texture, specks and
   faint show-through from the back of the sheet.
5. **Printed lines** (:mod:`.rules`): ruling, margins and form lines are
   removed, handwriting crossing them and hand-drawn lines are kept.
   **Objects** (:mod:`.objects`): a string, a cable or a pencil lying on the
   page (a long band much wider than the pen) is taken out too; writing
   crossing it stays. Bands are looked for once before the lines as well,
   so that a string does not lengthen a line it lies along. So are punched
   holes along the sheet's edge (:mod:`.holes`).
6. **Footprint** (on request, for tracing): the low threshold that keeps a
   faint stroke in one piece also takes in the blurred edge of every stroke,
   a pixel or more on each side in a soft or compressed photo; that closes
   the eye of an ``e`` and joins letters that nearly touch, so a tracer would
   follow two strokes as one. The pen's own footprint is where the ink is at
   least half as dark as the darkest ink around it (full width at half
   maximum, whatever the blur). A piece of the footprint that is both much
   fainter and much thinner than the pen is dropped: the end of a ruling line
   that a letter's stroke touches (hysteresis keeps it, being joined to the
   ink; the footprint cuts it from the letter), never a stroke of the same pen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs
import cv2
import numpy as np

from ..filters import distance_to_paper, label_any_order, label_members
from ..filters import median as median_of
from .darkness import relative_darkness
from .fills import Fills, find_fills
from .holes import find_holes
from .objects import bridge_cut_strokes, find_objects
from .paper import paper_region, refine_fill_edge, refine_holes
from .polarity import page_polarity
from .rules import remove_printed_lines

__all__ = ["LAYERS", "InkMask", "extract_ink", "working_factor"]

#: the masks :func:`extract_ink` explains itself with (``explain=True``), in drawing order: what was
#: taken for the sheet, the printed structure removed from it, things lying on it, and the ink that is left
LAYERS = ("sheet", "structure", "objects", "ink")

#: the background window in working pixels; widened when the pen turns out to be broad
_BASE_WINDOW = 48
#: with a fine pen the window narrows to this many pen widths (never below _MIN_WINDOW pixels)
_NARROW_PENS = 2.5
_MIN_WINDOW = 16
#: the window that bridges a printed fill (a shaded band a few letters tall), in base windows
_WIDE = 8
#: the working image is reduced by this much for the background estimate
_CELLS_PER_WINDOW = 6
#: the band along the sheet's outline where its edge may still lie: a cell and a half inside it (pixels)
_EDGE_BAND = 3 * (_BASE_WINDOW // _CELLS_PER_WINDOW) + 1
#: thresholds never go below these darkness levels (0..255): ink is at least this much darker than paper
_MIN_LOW = 18
_MIN_HIGH = 40
#: fewer candidate ink pixels than this (after subsampling) means a blank page
_MIN_INK_SAMPLES = 8
#: the footprint keeps ink at least this share as dark as the darkest ink within a pen width (half maximum)
_FOOTPRINT_SHARE = 0.5
#: a footprint piece below this share of the ink's median darkness and this share of the pen width is no stroke
_HAIRLINE_DARKNESS = 0.45
_HAIRLINE_WIDTH = 0.5
#: a piece of ink with this share of its pixels near removed printed lines is what is left of them
_REMNANT_SHARE = 0.7
#: ... and that runs at least this many pen widths along it (a dot on the line is no remnant)
_REMNANT_PENS = 4
#: ... and at most this many across (a form line's own remnants, with the stub of a crossing stroke; small letters
#: sitting on the line stand higher: print_forms' handwriting covered 0.885 -> 0.901)
_REMNANT_THICK = 2.0
#: a straight stub standing on a removed line (a header's column divider) is print too: at least this many pen
#: widths long (an ``l`` or a ``1`` on a rule is half that), at most _STUB_THICK pen widths thick, and within
#: _STUB_SLANT of the page's rows or columns (its box's added thickness over its length)
_STUB_PENS = 15
_STUB_THICK = 1.5
_STUB_SLANT = 0.05
#: a piece of ink with this share of its pixels along the sheet's outline is the sheet's edge, not writing
_SHEET_EDGE_SHARE = 0.5
#: ... and a run of ink this many pen widths long within that band is the edge itself
_EDGE_RUN_PENS = 10
#: ... unless at least this share of its pixels lie where a hole's redrawn edge gave the sheet back (exact there)
_REDRAWN_RUN_SHARE = 0.5
#: ... and a streak at most this many pen widths across, wholly near the outline, is what the cut leaves of it
_EDGE_STREAK_PENS = 2.5
#: a piece lying mostly in the band is the edge when it is this many times as long as wide
_EDGE_ELONGATION = 2.5
#: a dash of a printed line: at least this many pen widths long, at most this many (plus 2 px) thick, this many
#: times as long as thick; extended by this many of its lengths either way, it runs along removed line pixels
#: (within a pixel of its course) for at least this many of its lengths
_DASH_PENS = 3.0
_DASH_THICK = 1.0
_DASH_ELONGATION = 4.0
_DASH_REACH = 4.0
_DASH_COVER = 2.0
#: a piece of ink wholly within this many pixels (or pen widths, if more) of the image's border, touching it and
#: _EDGE_RUN_PENS long, is what the photo shows beyond the sheet
_SLIVER_PX = 3
_SLIVER_PENS = 1.5
#: ... unless it runs across the band: at least this many pen widths long, its depth into the sheet spreading
#: over more than this share of its length (an upright letter under a strip of tape; the logbook's "i" and "l")
_ACROSS_PENS = 3
_ACROSS_DEPTH = 0.5
#: a side column or row of a word crop this full of ink is the sheet's edge, not writing
_EDGE_BAND_FILL = 0.9


def _frozen_array(value: np.ndarray) -> np.ndarray:
    value = np.asarray(value)
    value.setflags(write=False)
    return value


@attrs.frozen(eq=False)
class InkMask:
    """The handwriting of an image at working resolution.

    ``mask`` is ``(h, w) bool`` (True = ink); ``scale`` maps original pixels to
    working pixels (``scale = 1 / k`` for a whole ``k >= 1``; working pixel
    ``j`` is the mean of original pixels ``j * k .. j * k + k - 1``, so its
    centre is at original ``(j + 0.5) / scale - 0.5``);
    ``stroke_width`` is the median pen width in working pixels (0 when there is
    no ink); ``ink_color`` the median RGB colour of the ink in the original
    image (``None`` when there is no ink); ``contrast`` the median darkness of
    the ink against its paper, 0..1. ``layers`` (only when asked for with
    ``explain=True``) holds the masks behind the decision, at working
    resolution: ``sheet`` (what was taken for the paper or board), ``structure``
    (printed lines removed), ``objects`` (a string, a cable, a blob lying on the
    page, :mod:`.objects`), ``ink`` (the result); see :data:`LAYERS`.
    ``polarity`` is ``light`` when the ink is lighter than its ground (chalk on
    a board: the mask was found on the image turned over), else ``dark``.
    ``lines`` holds the printed lines taken out of the ink (see :mod:`.rules`), at
    working resolution: a letter standing on one had its bottom cut level
    with the line (``None``: none taken out).
    """

    mask: np.ndarray = attrs.field(converter=_frozen_array)
    scale: float
    stroke_width: float = 0.0
    ink_color: tuple[int, int, int] | None = None
    contrast: float = 0.0
    layers: Mapping[str, np.ndarray] = attrs.field(factory=dict)
    polarity: str = "dark"
    lines: np.ndarray | None = attrs.field(default=None, converter=attrs.converters.optional(_frozen_array))

    @property
    def empty(self) -> bool:
        return not bool(self.mask.any())


def working_factor(height: int, width: int, max_pixels: int) -> int:
    """The whole factor ``k >= 1`` that brings ``height x width`` down to at most ``max_pixels``.

    A whole factor makes each working pixel the mean of ``k x k`` original
    pixels: OpenCV's fast path, and exact to map back (``scale = 1 / k``).
    """
    return max(1, math.ceil(math.sqrt(height * width / max_pixels)))


def extract_ink(
    image: np.ndarray,
    *,
    max_pixels: int = 4_000_000,
    whole_page: bool = True,
    footprint: bool = False,
    explain: bool = False,
) -> InkMask:
    """Find the handwriting in ``image`` (``(H, W, 3)`` RGB or ``(H, W)`` gray, uint8).

    The result is at working resolution: at most ``max_pixels`` pixels (the
    image is reduced, never enlarged). A blank or black page, or an image too
    small to hold a stroke, gives an empty mask. Pass ``whole_page=False`` for
    a crop of a page (a word crop): a line as dark and as coloured as the ink
    that crosses the whole crop is then an underline, not a printed form line,
    and no table around the sheet is looked for; faint or coloured rules are
    removed either way. Pass ``footprint=True`` to get the pen's footprint
    instead of everything the ink darkens (step 6 of the module docstring;
    ``stroke_width`` is then measured on it): what a tracer should thin.
    Pass ``explain=True`` to get :attr:`InkMask.layers` too (``--debug-dir``).
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"extract_ink needs an (H, W, 3) or (H, W) uint8 image, got {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    factor = working_factor(height, width, max_pixels)
    scale = 1.0 / factor
    size = (width // factor, height // factor)
    if min(size) < 3:
        empty = np.zeros((max(1, size[1]), max(1, size[0])), dtype=bool)
        return InkMask(mask=empty, scale=scale, layers=_layers(explain, ~empty, empty, empty, empty))
    original = image
    if factor > 1:  # the last few rows and columns that do not fill a k x k cell are dropped
        original = cv2.resize(image[: size[1] * factor, : size[0] * factor], size, interpolation=cv2.INTER_AREA)
    # a word crop is handed over dark on light by the pipeline (DetectedWord.polarity); a page is judged here
    polarity = page_polarity(original) if whole_page else "dark"
    work = cv2.bitwise_not(original) if polarity == "light" else original
    sheet, cut, redrawn = _sheet(work) if whole_page else (None, None, None)
    window = _BASE_WINDOW
    done = _threshold(work, window, sheet)
    if done.width * 3 > _BASE_WINDOW:
        # a broad pen (marker, or a large word crop): the window must hold paper beside each stroke
        window = int(done.width * 4)
        done = _threshold(work, window, sheet)
    elif 0 < _NARROW_PENS * done.width <= _BASE_WINDOW / 2:
        # a fine pen (the window can at least halve): a few pen widths still hold paper beside each stroke,
        # and the narrow window follows a shadow's edge or a vignette that the wide one takes for ink
        window = max(_MIN_WINDOW, int(_NARROW_PENS * done.width))
        done = _threshold(work, window, sheet)
    fills = None
    if whole_page and done.width > 0:
        # a printed band far wider than the window: its own tone is the paper within it (fills.py)
        fills = find_fills(work, _background(work, _WIDE * _BASE_WINDOW, sheet), done.width, done.low, sheet)
        if fills is not None:
            if sheet is not None:  # a dark band may have been cut out of the sheet like a desk
                sheet = sheet | fills.region
            done = _threshold(work, window, sheet, fills)
    darkness, width = done.darkness, done.width
    # things lying on the page (a string, a cable, a blob) are no writing: out before the words are looked for,
    # and before the printed lines are (a string lying along an underline to the page's edge would make it a
    # line across the sheet)
    objects = np.zeros(done.mask.shape, bool)
    colour = work if work.ndim == 3 else None
    if whole_page:
        objects = find_objects(done.mask, width, colour, printed_lines=True)
    mask = _without_printed_lines(done, whole_page, objects)
    lying = objects
    if whole_page:
        lying = objects | find_objects(mask, width, colour)
        objects = lying | find_holes(mask, width, sheet)
    lines_gone = done.mask & ~mask & ~objects
    mask = mask & ~objects
    if lying.any():  # strokes crossing a string or a cable go on under it
        bridged = bridge_cut_strokes(mask, lying, width)
        mask |= bridged
        objects &= ~bridged
    if whole_page:
        # remnants of printed lines only: an object's rims are its own (objects.py), and the part of a letter
        # that a sagging string runs beside is writing
        mask = _without_line_leftovers(mask, lines_gone, done.width)
    structure = done.mask & ~mask & ~objects if explain else mask
    if explain and fills is not None:
        structure = structure | (fills.region & ~mask)
    if not whole_page:
        mask = _without_edge_bands(mask)
    else:
        if sheet is not None:
            mask = _without_sheet_edge(mask, sheet, width, cut, redrawn)
        mask = _without_border_slivers(mask, width)
    if footprint and mask.any():
        mask = _footprint(mask, darkness, width)
        width = stroke_width(mask)
    sheet = np.ones(mask.shape, dtype=bool) if done.paper is None else done.paper
    layers = _layers(explain, sheet, structure, objects, mask)
    if not mask.any():
        return InkMask(mask=mask, scale=scale, layers=layers, polarity=polarity, lines=_lines(lines_gone))
    ys, xs = np.nonzero(mask)
    pick = slice(None, None, max(1, len(ys) // 20_000))
    pixels = original[ys[pick], xs[pick]]
    color = np.median(pixels, axis=0) if pixels.ndim == 2 else np.repeat(np.median(pixels), 3)
    return InkMask(
        mask=mask,
        scale=scale,
        stroke_width=width,
        ink_color=(int(color[0]), int(color[1]), int(color[2])),
        contrast=median_of(darkness[ys[pick], xs[pick]]) / 255.0,
        layers=layers,
        polarity=polarity,
        lines=_lines(lines_gone),
    )


def _lines(lines_gone: np.ndarray) -> np.ndarray | None:
    """:attr:`InkMask.lines`: the printed lines taken out, ``None`` when there are none."""
    return lines_gone if lines_gone.any() else None


def _layers(
    explain: bool, sheet: np.ndarray, structure: np.ndarray, objects: np.ndarray, ink: np.ndarray
) -> dict[str, np.ndarray]:
    """The :data:`LAYERS` masks (read-only), or nothing when no explanation was asked for."""
    if not explain:
        return {}
    return {name: _frozen_array(layer) for name, layer in zip(LAYERS, (sheet, structure, objects, ink))}


@attrs.frozen(eq=False)
class _Pass:
    """One thresholding of a working image for one background window, before printed lines are removed."""

    mask: np.ndarray
    darkness: np.ndarray
    normalized: np.ndarray
    strong: np.ndarray | None
    low: int
    high: int
    width: float
    paper: np.ndarray | None


def _sheet(work: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The sheet (:mod:`.paper`) at working resolution, ``None`` when it is the whole image; the digital
    fill around a cut-out, where the sheet's outline is exact (``None``: no fill); and what the holes' edges,
    redrawn at full resolution, gave back to the sheet, where their outline is exact too (``None``: nothing).

    Found once, on cells of a fixed size (the base window's), whatever
    window the thresholds use after: a narrow window's cells are too fine for
    the median to erase the writing.
    """
    height, width = work.shape[:2]
    factor = _BASE_WINDOW // _CELLS_PER_WINDOW
    small = cv2.resize(work, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    found = paper_region(small, margin=_CELLS_PER_WINDOW // 2)
    if found is None:
        return None, None, None
    paper, fill = found
    sheet = cv2.resize(paper.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
    # the median's reach and the cell the outline was shrunk by: how far short of its edge the sheet stops
    reach = (_CELLS_PER_WINDOW // 2 + 2) * factor
    coarse = sheet
    sheet = refine_holes(sheet, work, factor)
    redrawn = sheet & ~coarse
    sheet, cut = refine_fill_edge(sheet, work, fill, factor, reach)
    return sheet, cut, redrawn if redrawn.any() else None


def _threshold(work: np.ndarray, window: int, paper: np.ndarray | None = None, fills: Fills | None = None) -> _Pass:
    """Hysteresis ink mask, darkness image and pen width of a working-resolution image, for one window.

    ``paper`` is the sheet (``None``: all of the image): nothing outside it is ink. Within ``fills``
    (:func:`.fills.find_fills`) the paper is the fill's own colour.
    """
    background = _background(work, window, paper)
    if fills is not None:
        background[fills.region] = fills.colour[fills.region]
    normalized, darkness = relative_darkness(work, background)
    if paper is not None:
        darkness[~paper] = 0
    thresholds = _thresholds(darkness, paper)
    if thresholds is None:
        return _Pass(np.zeros(darkness.shape, dtype=bool), darkness, normalized, None, 0, 0, 0.0, paper)
    low, high = thresholds
    strong = darkness >= high
    count, labels, stats, _ = cv2.connectedComponentsWithStats((darkness >= low).astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[labels[strong]] = True
    keep[0] = False
    width = stroke_width(keep[labels])
    keep &= stats[:, cv2.CC_STAT_AREA] >= max(3.0, 0.3 * width * width)
    return _Pass(keep[labels], darkness, normalized, strong, low, high, width, paper)


def _without_printed_lines(done: _Pass, whole_page: bool, objects: np.ndarray) -> np.ndarray:
    """The pass's mask less ``objects``, with ruling, margins and form lines removed (see :mod:`.rules`)."""
    mask = done.mask & ~objects if objects.any() else done.mask
    if done.strong is None:
        return mask
    cleaned = remove_printed_lines(
        mask, done.darkness, done.normalized, high=done.high, stroke_width=done.width, whole_page=whole_page
    )
    if cleaned is not mask:
        # what a removed rule leaves between crossing strokes is a speck now: same test again
        mask = _hysteresis(cleaned, done.strong, max(3.0, 0.3 * done.width * done.width))
    return mask


def _footprint(mask: np.ndarray, darkness: np.ndarray, width: float) -> np.ndarray:
    """The pixels of ``mask`` at least half as dark as the darkest ink within about a pen width.

    Relative to the local peak rather than one level for the image, so a
    faint stroke keeps its footprint beside a dark one and light falling off
    across a page changes nothing.
    """
    size = 2 * max(1, int(round(width))) + 1
    peak = cv2.dilate(darkness, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    footprint = mask & (darkness.astype(np.float32) >= _FOOTPRINT_SHARE * peak.astype(np.float32))
    return _without_hairlines(footprint, darkness, width)


def _without_hairlines(mask: np.ndarray, darkness: np.ndarray, width: float) -> np.ndarray:
    """``mask`` without pieces much fainter and much thinner than the pen (rule ends touching a letter).

    Thickness is twice a piece's largest distance to the paper; darkness its
    median, against the median of all the ink. A stroke of the same pen is
    as wide as the pen and, once the blurred edge is gone, about as dark.
    """
    labels, count = label_any_order(mask, connectivity=8)  # each piece judged alone: any numbering
    if count < 2:  # one piece (or none) is the ink itself
        return mask
    ink_darkness = median_of(darkness[mask])
    flat_distance, flat_darkness = distance_to_paper(mask).ravel(), darkness.ravel()
    hairline = np.zeros(count + 1, dtype=bool)
    for k, piece in enumerate(label_members(labels, count), start=1):
        hairline[k] = (
            2.0 * float(flat_distance[piece].max()) <= _HAIRLINE_WIDTH * width
            and median_of(flat_darkness[piece]) < _HAIRLINE_DARKNESS * ink_darkness
        )
    return mask & ~hairline[labels] if hairline.any() else mask


def _without_line_leftovers(mask: np.ndarray, lines: np.ndarray, width: float) -> np.ndarray:
    """``mask`` without the pieces that removed printed lines (``lines``) leave behind.

    Each piece of the ink is judged on its own, once labelled: a rule's
    remnant between crossings (:func:`_rule_remnants`), a short printed stub
    standing on a removed line (:func:`_stubs`), a dash of a faded line on
    its course (:func:`_line_dashes`).
    """
    if not lines.any() or not mask.any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    reach = 2 * max(1, int(round(width))) + 1
    near = cv2.dilate(lines.astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(bool)
    drop = _rule_remnants(labels, stats, near, width) | _stubs(labels, stats, near, width)
    drop |= _line_dashes(labels, stats, lines, width)
    drop[0] = False
    return mask & ~drop[labels] if drop.any() else mask


def _rule_remnants(labels: np.ndarray, stats: np.ndarray, near: np.ndarray, width: float) -> np.ndarray:
    """Which pieces are the bits of removed printed lines that were kept where other lines cross them (``near``:
    within a pen width or two of a removed line).

    Where a grid line or a column line crosses a removed rule, the rule's
    pixels are kept as a crossing stroke, and the pieces left between crossings
    would be traced as short strokes along the rule. A piece lying mostly on a
    removed line is such a remnant; a letter touching a rule reaches well off it.
    """
    on_line = np.bincount(labels[near], minlength=len(stats))
    # a dot on the line (a full stop, an i's dot) is round; a remnant runs along the line
    long = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= _REMNANT_PENS * max(width, 1.0)
    # ... and is thin across: a small word written on a form line lies within the reach too, but its letters
    # stand up off it
    thin = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) <= _REMNANT_THICK * max(width, 1.0)
    return long & thin & (on_line >= _REMNANT_SHARE * np.maximum(stats[:, cv2.CC_STAT_AREA], 1))


def _line_dashes(labels: np.ndarray, stats: np.ndarray, lines: np.ndarray, width: float) -> np.ndarray:
    """Which pieces are straight dashes lying on the continuation of a removed printed line (``lines``).

    A thin printed line in a phone photo is thresholded into dashes where it
    fades; the collinear ones are put together and removed with the line,
    but a dash beyond its ends or across a gap too wide to bridge stays and
    is traced. Such a dash is as thin as the line, straight, and lies on the
    line's own course within a pixel: extended either way, it runs along the
    removed line's pixels for several of its lengths.
    """
    pen = max(width, 1.0)
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    short_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    shaped = (
        (long_side >= _DASH_PENS * pen)
        & (short_side <= _DASH_THICK * pen + 2)
        & (long_side >= _DASH_ELONGATION * short_side)
    )
    shaped[0] = False
    dash = np.zeros(len(stats), dtype=bool)
    for k in np.flatnonzero(shaped):
        x, y, w, h = (int(v) for v in stats[k, :4])
        along = max(w, h)
        piece = labels[y : y + h, x : x + w] == k
        horizontal = w >= h
        view, removed = (piece, lines) if horizontal else (piece.T, lines.T)
        u0, v0 = (x, y) if horizontal else (y, x)
        cols = np.flatnonzero(view.any(axis=0))
        centre = (view[:, cols] * np.arange(view.shape[0])[:, None]).sum(axis=0) / view[:, cols].sum(axis=0)
        slope, offset = np.polyfit(cols.astype(np.float64), centre, 1) if len(cols) > 1 else (0.0, float(centre[0]))
        reach = int(_DASH_REACH * along)
        span = np.arange(max(0, u0 - reach), min(removed.shape[1], u0 + along + reach))
        rows = np.rint(v0 + offset + slope * (span - u0)).astype(np.int64)
        inside = (rows >= 1) & (rows < removed.shape[0] - 1)
        span, rows = span[inside], rows[inside]
        on_line = removed[rows, span] | removed[rows - 1, span] | removed[rows + 1, span]
        dash[k] = np.count_nonzero(on_line) >= _DASH_COVER * along
    return dash


def _stubs(labels: np.ndarray, stats: np.ndarray, near: np.ndarray, width: float) -> np.ndarray:
    """Which pieces are straight printed stubs standing on a removed printed line (``near``: within a pen width
    or two of one).

    A form's header divides its strip with short column lines that end on
    the header's removed border; too short to be judged as lines of the
    sheet, they stand alone once the border is gone. A stub is long, as thin
    as a line and level or upright, and it touches the removed line only at
    one of its ends. Handwriting on a rule is a letter (shorter, or not that
    straight and thin); an underline or a hand-drawn line crossing a rule
    touches it along the way, not at an end.
    """
    pen = max(width, 1.0)
    w, h = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64), stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    long, thin = np.maximum(w, h), np.minimum(w, h)
    # its box: the pen's width across, plus what a slight slant adds over its length
    shaped = (long >= _STUB_PENS * pen) & (thin <= _STUB_THICK * pen + _STUB_SLANT * long)
    shaped[0] = False
    stub = np.zeros(len(stats), dtype=bool)
    for k in np.flatnonzero(shaped):
        x, y, bw, bh = (int(v) for v in stats[k][:4])
        piece = labels[y : y + bh, x : x + bw] == k
        touching = np.nonzero(piece & near[y : y + bh, x : x + bw])
        if len(touching[0]) == 0:
            continue
        along = touching[0] if bh >= bw else touching[1]  # positions along the stub's length
        end = 2.0 * pen
        stub[k] = bool(along.max() <= end or along.min() >= max(bh, bw) - 1 - end)
    return stub


def _without_sheet_edge(
    mask: np.ndarray, sheet: np.ndarray, width: float, cut: np.ndarray | None, redrawn: np.ndarray | None = None
) -> np.ndarray:
    """``mask`` without what runs along the sheet's edge.

    The sheet is found on coarse cells, so its outline wanders a few pixels
    either side of the paper's true edge: the shadow line along the edge, or a
    sliver of the desk, stays inside it and passes for ink. Such a line runs
    along the outline, and where writing reaches the edge it joins the lines
    of writing into one piece: its run within the band along the outline is
    cut out, and pieces lying mostly in that band are dropped. Writing near
    the edge only crosses the band here and there, and a letter standing
    across the band (:func:`_across_outline`) stays. Against a digital fill
    (``cut``: its pixels) the outline is exact: the short pieces the cut
    leaves of the letters along it stay. So is a hole's edge where it was
    redrawn at full resolution (``redrawn``: the sheet it gave back, the
    line written under a strip of tape): a run lying mostly there is the top
    of a letter standing just under the object, not its edge.
    """
    reach = _EDGE_BAND
    inner = cv2.erode(sheet.astype(np.uint8), np.ones((reach, reach), np.uint8), borderType=cv2.BORDER_REPLICATE)
    band = sheet & ~inner.astype(bool)
    if not (band & mask).any():
        return mask
    count, runs, stats, _ = cv2.connectedComponentsWithStats((band & mask).astype(np.uint8), connectivity=8)
    long = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= _EDGE_RUN_PENS * max(width, 1.0)
    long[0] = False
    if long.any() and redrawn is not None:
        given_back = np.bincount(runs[redrawn & band & mask], minlength=count)
        long &= given_back < _REDRAWN_RUN_SHARE * stats[:, cv2.CC_STAT_AREA]
    if long.any():
        mask = mask & ~long[runs]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    # what the cut leaves of the edge: thin streaks lying wholly within three times the band's width
    wider = np.ones((2 * reach, 2 * reach), np.uint8)
    wide = sheet & ~cv2.erode(inner, wider, borderType=cv2.BORDER_REPLICATE).astype(bool)
    if cut is not None:  # along an exact cut, what is in the bands is what the cut left of letters
        off_cut = ~cv2.dilate(cut.astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)).astype(bool)
        band, wide = band & off_cut, wide & off_cut
    # counted over the bands' pixels only: they are a thin frame of a large page
    on_band = np.bincount(labels[band], minlength=count)
    on_wide = np.bincount(labels[wide], minlength=count)
    size = np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    short_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    thin = short_side <= _EDGE_STREAK_PENS * max(width, 1.0)
    # a letter at the edge of a scanned sheet is as much in the band as a line along it, but not as elongated
    elongated = long_side >= _EDGE_ELONGATION * np.maximum(short_side, 1)
    edge = ((on_band >= _SHEET_EDGE_SHARE * size) & elongated) | ((on_band > 0) & (on_wide >= size) & thin)
    edge[0] = False
    if edge.any():
        edge &= ~_across_outline(labels, stats, edge, sheet, width)
    return mask & ~edge[labels] if edge.any() else mask


def _without_border_slivers(mask: np.ndarray, width: float) -> np.ndarray:
    """``mask`` without thin pieces lying along the image's own border: what the photo shows beyond the sheet.

    A photo a little rotated or in perspective shows a wedge of the desk (or
    the scanner's lid) along a side, a few pixels wide: too thin for the
    sheet's cells, it is ink from end to end. It hugs the border over many
    pen widths; a letter the border cuts through runs into the image.
    """
    height, width_px = mask.shape
    reach = max(_SLIVER_PX, int(math.ceil(_SLIVER_PENS * width)))
    if min(height, width_px) <= 4 * reach:
        return mask
    frame = np.ones(mask.shape, dtype=bool)
    frame[reach:-reach, reach:-reach] = False
    if not (mask & frame).any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    inside = np.bincount(labels[frame & mask], minlength=count)
    touches = (x == 0) | (y == 0) | (x + w == width_px) | (y + h == height)
    long = np.maximum(w, h) >= _EDGE_RUN_PENS * max(width, 1.0)
    sliver = touches & long & (inside == area)
    sliver[0] = False
    return mask & ~sliver[labels] if sliver.any() else mask


def _across_outline(
    labels: np.ndarray, stats: np.ndarray, candidates: np.ndarray, sheet: np.ndarray, width: float
) -> np.ndarray:
    """Which ``candidates`` (pieces of ``labels``) cross the band along the sheet's outline instead of lying along it.

    A line along the edge, or what a cut leaves of it, keeps about the same
    distance to the outline over its length; an upright letter under a strip
    of tape (an i, an l) stands across the band, its far end several pen widths
    deeper than its near one. Specks are too short to say which way they run.
    """
    across = np.zeros(candidates.shape, dtype=bool)
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    # depths measured around each piece only: it lies in the bands, within a cell and a half and twice that
    # again of the outline (see _without_sheet_edge)
    pad = 2 * _EDGE_BAND
    height, width_px = sheet.shape
    for k in np.flatnonzero(candidates & (long_side >= _ACROSS_PENS * max(width, 1.0))):
        x, y, w, h = (int(v) for v in stats[k, :4])
        top, left = max(0, y - pad), max(0, x - pad)
        around = sheet[top : min(height, y + h + pad), left : min(width_px, x + w + pad)]
        depth = cv2.distanceTransform(around.astype(np.uint8), cv2.DIST_L2, 3)
        piece = labels[top : top + around.shape[0], left : left + around.shape[1]] == k
        lo, hi = np.percentile(depth[piece], (5, 95))
        across[k] = hi - lo > _ACROSS_DEPTH * long_side[k]
    return across


def _without_edge_bands(mask: np.ndarray) -> np.ndarray:
    """A word crop's mask without bands along its sides that are ink from end to end.

    A word crop lies on the sheet with a margin around the word, so a column
    (or row) at its side that is dark over nearly its whole length is the
    sheet's edge or what lies beyond it (a scanner lid, a table) where a word
    sits near the edge; writing never fills a crop's side.
    """
    out = mask
    # full[i]: line i (a column for axis 0, a row for axis 1) is nearly all ink
    for axis in (0, 1):
        full = mask.mean(axis=axis) >= _EDGE_BAND_FILL
        if full.all():  # all ink: nothing beside a word to tell apart
            continue
        first, last = int(np.argmin(full)), int(np.argmin(full[::-1]))  # full lines at each end
        for band in (slice(0, first), slice(len(full) - last, len(full))):
            if band.start == band.stop:
                continue
            if out is mask:
                out = mask.copy()
            if axis == 0:
                out[:, band] = False
            else:
                out[band, :] = False
    return out


def _background(work: np.ndarray, window: int, paper: np.ndarray | None) -> np.ndarray:
    """The paper without ink, same size as ``work``.

    Closing (max then min filter) over ``window`` pixels on a copy reduced by
    ``window / 6``, then a box blur of the same size so the estimate has no seams.
    A word crop lies on the sheet and gets no ``paper`` region: its few cells
    cannot show a desk, and a median over them does not erase the dense middle
    of a word, which would pass for a desk and lose its ink.
    """
    height, width = work.shape[:2]
    factor = max(1, window // _CELLS_PER_WINDOW)
    small_size = (max(1, width // factor), max(1, height // factor))
    small = cv2.resize(work, small_size, interpolation=cv2.INTER_AREA)
    paper_small = None
    if paper is not None:
        paper_small = cv2.resize(paper.astype(np.uint8), small_size, interpolation=cv2.INTER_NEAREST).astype(bool)
    if paper_small is not None and paper_small.any():
        # what lies beyond the sheet takes the sheet's colour, so a white fill around a yellowed cut-out (or
        # a lit desk) does not raise the paper's estimate along the sheet's edge and make its border ink
        small = small.copy()
        small[~paper_small] = np.median(small[paper_small], axis=0).astype(small.dtype)
    k = _CELLS_PER_WINDOW + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    # a closing (max then min filter) removes the ink and follows the light: a max filter alone
    # overestimates the paper by the shadow's slope over the window, which then reads as ink
    small = cv2.blur(cv2.erode(cv2.dilate(small, kernel), kernel), (k, k))
    background = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    np.maximum(background, 1, out=background)
    return background


def _thresholds(darkness: np.ndarray, paper: np.ndarray | None) -> tuple[int, int] | None:
    """(low, high) darkness thresholds from the paper's noise and the ink's contrast; None: no ink."""
    step = max(1, int(math.sqrt(darkness.size / 250_000)))
    sample = darkness[::step, ::step]
    sample = sample[paper[::step, ::step]] if paper is not None else sample.ravel()
    if sample.size == 0:
        return None
    median, sigma = _paper_level(sample)
    ink = sample[sample > median + 6 * sigma + 10]
    if ink.size < _MIN_INK_SAMPLES:
        return None
    level = float(np.percentile(ink, 90))
    low = max(median + 4 * sigma + 6, 0.25 * level, _MIN_LOW)
    high = max(low + 8, 0.5 * level, _MIN_HIGH)
    return int(low), int(high)


def _paper_level(sample: np.ndarray) -> tuple[float, float]:
    """The paper's darkness level and noise (sigma) from a sample of darkness values.

    The median and MAD of all pixels serve while ink is a small share of the
    image; in a small crop of dense writing (a CJK character fills a fifth of
    its box) the ink drags both up until no pixel stands out. The paper's
    level is then the histogram's mode and its noise comes from the side of
    the mode that ink never reaches (paper darker than its own level is
    noise, ink is only ever darker still): the lower of the two estimates wins.
    """
    histogram = np.bincount(sample.astype(np.int64).ravel(), minlength=256)[:256]
    median = _histogram_median(np.arange(256, dtype=np.float64), histogram)
    # |v - median| for every level v, weighted by the level's count: the MAD without touching the pixels again
    deviation = np.abs(np.arange(256, dtype=np.float64) - median)
    order = np.argsort(deviation, kind="stable")
    sigma = 1.4826 * _histogram_median(deviation[order], histogram[order]) + 1.0
    mode = int(np.argmax(np.convolve(histogram.astype(np.float64), np.ones(5) / 5.0, mode="same")))
    below_count = int(histogram[: mode + 1].sum())
    if mode < median and below_count >= 0.1 * sample.size:
        # mode - v for v <= mode, ascending: levels mode, mode - 1, ..., 0
        lower_sigma = 1.4826 * _histogram_median(np.arange(mode + 1, dtype=np.float64), histogram[mode::-1]) + 1.0
        if lower_sigma < sigma:
            return float(mode), lower_sigma
    return median, sigma


def _histogram_median(values: np.ndarray, counts: np.ndarray) -> float:
    """``np.median`` of a multiset given as ascending ``values`` with ``counts`` (same float result)."""
    total = int(counts.sum())
    cumulative = np.cumsum(counts)
    lo = float(values[int(np.searchsorted(cumulative, (total - 1) // 2, side="right"))])
    hi = float(values[int(np.searchsorted(cumulative, total // 2, side="right"))])
    return (lo + hi) / 2.0  # what np.mean of the two gives, without building an array


def _hysteresis(candidate: np.ndarray, strong: np.ndarray, min_area: float) -> np.ndarray:
    """Components of ``candidate`` that hold a ``strong`` pixel and at least ``min_area`` pixels."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidate.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[labels[strong]] = True
    keep &= stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]


def stroke_width(mask: np.ndarray) -> float:
    """Median pen width (pixels): twice the median distance to paper on the strokes' ridges."""
    if not mask.any():
        return 0.0
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    ridge = mask & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    return 2.0 * median_of(distance[ridge])
