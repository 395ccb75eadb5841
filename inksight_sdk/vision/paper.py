"""Where the sheet (or board) is in a photo, so that nothing around it makes ink.

A phone photo of a page shows the desk around it; a scan shows the black lid,
the book's cover and binding, or the white fill a line was cut out onto; two
pages lie side by side. Once the image is divided by its local background,
all of these would look like ink (wood grain, the cover's marbling, the edge
of the fill). The sheet is found on a copy reduced to cells of a few pixels,
median-filtered so the handwriting and thin printed lines vanish:

1. **Flat fill**: cells without any grain (all their pixels alike) that form a
   large region are a digital background (a line cut out onto white), never
   the sheet, as long as something else has grain. A fill has one colour, so
   its edge is then redrawn pixel by pixel (:func:`refine_fill_edge`): the
   letters a cut runs through are kept up to the cut.
2. **The sheet's colour**: the lighter half of the cells in the middle of the
   image (the sheet is what the photo is of; a board has been turned over
   before this, :mod:`.polarity`, so it is light here too).
3. **Sheet cells**: close to that colour in chromaticity (``(r, g, b) / (r +
   g + b)``), and not much darker (a shadow scales the paper's three channels
   alike and keeps its chromaticity; a desk, a cover or a lid differs in
   chromaticity or is far darker). Light falling off across a sheet and warm
   light tint the whole photo alike and change nothing. A heavy shadow is
   lit by the room's or the sky's light instead of the lamp's and takes its
   tint (bluish, the deeper the more): darker cells off the sheet's colour
   count when their chromaticity follows one tint in proportion to their
   depth, they meet the sheet along a soft edge (colour and brightness
   changing a little from cell to cell) and the sheet lies along enough of
   their outline; a desk, a cover or a book's other pages meet it along a
   sharp edge.
4. **The sheet** is the connected piece of sheet cells, parted where the
   brightness steps sharply (a lit patch of desk, a scanner bed of nearly the
   sheet's colour), that reaches furthest into the middle, with any other piece at least a sixth as large (the second
   page of an open book beyond a dark gutter); a piece that runs along the
   image's whole border (a grey scanner bed around a book) is left out. Small
   holes (a dark logo, dense writing) are filled; large ones (a taped object,
   the strip of a book's cover between the pages and the scanner bed) are not,
   but their thin outgrowths (writing beside the object) are, and their edges are
   redrawn at full resolution (:func:`refine_holes`). A band of cells
   unlike paper along the image's border, too thin for the median to keep (a
   cover's edge), and what lies beyond it are left out too.

A word crop, which is all paper, is left alone.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["paper_region", "refine_fill_edge", "refine_holes"]

#: the sheet's brightness is at least this (largest channel, 0..255) ...
_MIN_PAPER_LEVEL = 40
#: ... and a sheet cell at least this share of the sheet's brightness (a heavy shadow still counts)
_SHADOW = 0.15
#: a sheet cell's chromaticity (r, g, b) / (r + g + b) differs from the sheet's by at most this much
_HUE_DISTANCE = 0.025
#: ... plus this much per unit of darkening (1 - its brightness / the sheet's): a shadow is lit by the room's
#: or the sky's light instead of the lamp's, so the deeper it is the more it takes that light's tint (bluish)
_SHADOW_TINT = 0.1
#: ... for cells darker than the sheet by at least this share (what is as bright as the sheet is no shadow)
_SHADOW_DEPTH = 0.1
#: ... and joined to the sheet across a soft edge: between a cell's neighbours the chromaticity changes by at
#: most this much, the brightness by at most this share of the sheet's
_SOFT_HUE = 0.012
_SOFT_LIGHT = 0.1
#: ... with at least this share of what lies around it (within two cells, the image's border aside) on the
#: sheet, or a soft edge against the sheet at least as long as the shadow is wide (a third of the page in
#: shadow, the sheet's own border on its far side); and at least this share of the image (a smaller shadow
#: within the sheet is filled as a hole)
_SHADOW_ON_SHEET = 0.5
_MIN_SHADOW = 0.01
#: an image of fewer cells than this (about 300 x 300 pixels) is all sheet
_MIN_CELLS = 1600
#: the middle of the image, where the sheet's colour is read: this share of each side
_MIDDLE = 0.5
#: a brightness step between a cell's neighbours of this share of the sheet's brightness is an edge (the
#: sheet's border against a cover or a desk): such cells, half one and half the other, do not vote on a hole
#: ... when its darker side is below this share of the sheet's brightness
_DARK_SIDE = 0.6
_STEP = 0.15
#: cells whose pixels vary less than this (standard deviation, 0..255) are flat ...
_FLAT = 0.6
#: ... and a flat region this large (share of the cells) and this different in colour from the rest
#: (CIELAB distance) is a digital fill
_FILL_SHARE = 0.02
_FILL_DIFFERENCE = 12.0
#: ... and holds no marks: holes of more than this share of its area make it a (clean) page
_FILL_HOLES = 0.005
#: a hole in the sheet up to this share of the image is filled (dense writing, a logo); a larger one (the
#: cover's edge between a scanner bed and the pages, a taped object) stays outside the sheet
_SMALL_HOLE = 0.02
#: ... or when at least this share of its raw cells look like the sheet, at least this bright (paper between
#: strokes: a hole of dense writing)
_WRITING_HOLE = 0.25
_PAPER_BETWEEN = 0.6
#: another page is at least this share of the sheet's main piece, and at least this share as bright
_OTHER_PAGE = 0.15
_OTHER_PAGE_LEVEL = 0.7
#: a band of cells unlike paper at least this share of the image's side long, within this share of the side
#: from the image's border, is the edge of a cover or a desk: it and what lies beyond it are no sheet
_BORDER_BAND_RUN = 0.25
_BORDER_BAND_NEAR = 0.05
#: ... with paper within this many cells inside it (a shadow reaching the border is no band) ...
_BORDER_BAND_INSIDE = 3
#: ... and at least this many cells long (a line's image is all writing at this scale)
_BORDER_BAND_MIN_CELLS = 20
#: a hole in the sheet keeps only what a square this many cells from its centre to its side fits in: thinner
#: outgrowths are a line of writing beside the object, merged into it by the median filter
_HOLE_OUTGROWTH = 2
#: a cell is marked (writing, a printed line) when darker than this share of the median around it
_MARK_DARKER = 0.85
#: a darker piece beyond sharp steps is the sheet in a shadow when its cells are marked at least this share
#: as often as the sheet's, and it lies within this many cells of the sheet (a penumbra too steep to pass for
#: soft) along at least this many times the square root of its area (its whole edge across the page)
_SHADOW_MARKS = 0.25
_SHADOW_GAP = 4
_SHADOW_EDGE = 1.0
#: a hole's edge is redrawn from the paper within this many cells around it
_HOLE_RING = 2
#: below this share of the image, what is outside the sheet is noise, not a background
_MIN_OUTSIDE_SHARE = 0.002
#: a pixel of a digital fill differs from the fill's colour by at most this much in every channel (JPEG's
#: ripples), and the fill's edge is blurred over this many pixels beyond it
_FILL_PIXEL = 12
_FILL_HALO = 2


def paper_region(small: np.ndarray, margin: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(sheet, fill)`` masks at the resolution of ``small``, or ``None`` when the image is all sheet.

    ``small`` is the working image reduced to cells of a few pixels (RGB or
    gray, uint8); ``margin`` is the median filter's reach in cells, enough to
    erase handwriting. An all-False sheet means nothing looks like a sheet (a
    black image). ``fill`` is the digital fill around a cut-out (all False
    where there is none), whose exact edge :func:`refine_fill_edge` redraws.
    """
    if min(small.shape[:2]) <= 2 * margin or small.shape[0] * small.shape[1] < _MIN_CELLS:
        # too few cells for the median to erase the handwriting (a word crop a few cells high, a character
        # filling its small image): the ink itself would pass for a background and cut the paper in two; an
        # image this small shows no desk
        return None
    rgb = np.ascontiguousarray(small if small.ndim == 3 else cv2.cvtColor(small, cv2.COLOR_GRAY2RGB))
    smooth = cv2.medianBlur(rgb, 2 * margin + 1)
    lightness = smooth.max(axis=2).astype(np.float32)
    # chromaticity: a shadow scales all three channels alike and leaves it as it is (CIELAB's a*b* shrink)
    hue = _chromaticity(smooth)
    height, width = lightness.shape
    middle = np.zeros((height, width), dtype=bool)
    dy, dx = int(height * (1 - _MIDDLE) / 2), int(width * (1 - _MIDDLE) / 2)
    middle[dy : height - dy, dx : width - dx] = True
    fill = _flat_fill(rgb, smooth)
    reference = middle & ~fill
    if not reference.any():
        reference = ~fill if (~fill).any() else np.ones_like(fill)
    level = float(np.median(lightness[reference]))
    lighter = reference & (lightness >= level)
    paper_level = float(np.median(lightness[lighter]))
    if paper_level < _MIN_PAPER_LEVEL:
        return np.zeros((height, width), dtype=bool), np.zeros((height, width), dtype=bool)
    paper_hue = np.median(hue[lighter], axis=0)
    sheet = (np.linalg.norm(hue - paper_hue, axis=2) <= _HUE_DISTANCE) & (lightness >= _SHADOW * paper_level)
    # a sharp step down to something much darker than the sheet parts it from what lies beyond (a scan's
    # dark border of nearly the paper's colour); a line of dense writing darkens the cells less
    marks = rgb.max(axis=2).astype(np.float32) < _MARK_DARKER * lightness  # writing and printed lines
    darker_side = cv2.erode(lightness, np.ones((3, 3), np.uint8))
    steps = _steps(lightness, paper_level) & (darker_side < _DARK_SIDE * paper_level)
    sheet &= ~fill & ~steps
    shadowed = _shadowed(sheet, hue - paper_hue, lightness, paper_level) & ~steps
    # the plateau of a deep shadow is as flat as a digital fill, but the sheet runs into it softly
    fill &= ~shadowed
    sheet |= shadowed
    chosen = _pieces(sheet, middle, lightness, marks)
    if chosen.mean() > 1.0 - _MIN_OUTSIDE_SHARE:
        return None
    raw_hue = _chromaticity(rgb)
    # paper between the marks is as bright as the sheet around it: near a shadow, as the shadow's brightest
    # cell nearby (and tinted as deep), so a line of dense writing in the shadow is filled like one in the light
    level = np.full(lightness.shape, paper_level, dtype=np.float32)
    if shadowed.any():
        reach = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
        near = cv2.dilate(shadowed.astype(np.uint8), reach).astype(bool)
        brightest = cv2.dilate(np.where(shadowed, lightness, 0.0).astype(np.float32), reach)
        level[near] = np.minimum(brightest, paper_level)[near]
    tint = _HUE_DISTANCE + _SHADOW_TINT * np.clip(1.0 - level / paper_level, 0.0, 1.0)
    paper_like = (np.linalg.norm(raw_hue - paper_hue, axis=2) <= tint) & (rgb.max(axis=2) >= _PAPER_BETWEEN * level)
    paper_like &= ~fill
    filled = _holes_filled(chosen, paper_like, steps)
    beyond = _beyond_border_bands(paper_like) & filled.astype(bool)
    if beyond.mean() >= _MIN_OUTSIDE_SHARE:  # (less is a scan's own dark border, mostly left out already)
        filled &= ~beyond
    if filled.mean() > 1.0 - _MIN_OUTSIDE_SHARE:
        return None
    # shrunk by a cell along its outline, so the sheet's own edge (a shadow line, the fill's border) makes no
    # ink; holes (an object on the page) keep their size, so the writing around them stays on the sheet
    outline, _ = cv2.findContours(filled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    whole = np.zeros_like(filled)
    cv2.drawContours(whole, outline, -1, 1, thickness=cv2.FILLED)
    # a hole's thin outgrowths are writing beside the object, merged into it by the median: the sheet's again
    hole = whole.astype(bool) & ~filled.astype(bool)
    size = 2 * _HOLE_OUTGROWTH + 1
    kept = cv2.morphologyEx(hole.astype(np.uint8), cv2.MORPH_OPEN, np.ones((size, size), np.uint8)).astype(bool)
    filled = filled.astype(bool) | (hole & ~kept)
    return cv2.erode(whole, np.ones((3, 3), np.uint8)).astype(bool) & filled, fill


def _shadowed(sheet: np.ndarray, offset: np.ndarray, lightness: np.ndarray, paper_level: float) -> np.ndarray:
    """Cells of a shadow on the sheet that the strict colour test leaves out: tinted as deep as they are dark.

    ``offset`` is each cell's chromaticity minus the sheet's. A shadow mixes
    the lamp's light with the room's in proportion to its depth, so its
    chromaticity moves along one line: its offset is its darkening times one
    tint, read from its deepest cells. It lies on the sheet and its edge is
    soft (colour and brightness change a little from cell to cell), with the
    sheet all along that edge. A desk, a cover or the edges of a book's other
    pages meet the sheet along a sharp edge, or are off the shadow's line.
    """
    darkening = np.clip(1.0 - lightness / paper_level, 0.0, 1.0)
    distance = np.linalg.norm(offset, axis=2)
    tinted = (distance <= _HUE_DISTANCE + _SHADOW_TINT * darkening) & (lightness >= _SHADOW * paper_level)
    tinted &= darkening >= _SHADOW_DEPTH
    padded = np.pad(offset, ((1, 1), (1, 1), (0, 0)), mode="edge")
    across = np.linalg.norm(padded[1:-1, 2:] - padded[1:-1, :-2], axis=2)
    down = np.linalg.norm(padded[2:, 1:-1] - padded[:-2, 1:-1], axis=2)
    soft = (np.maximum(across, down) <= _SOFT_HUE) & ~_steps(lightness, paper_level, _SOFT_LIGHT)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (tinted & soft & ~sheet).astype(np.uint8), connectivity=4
    )
    shadowed = np.zeros(sheet.shape, dtype=bool)
    for k in np.nonzero(stats[:, cv2.CC_STAT_AREA] >= _MIN_SHADOW * sheet.size)[0]:
        if k == 0:
            continue
        piece = _on_tint_line(labels == k, offset, darkening)
        if piece.sum() >= _MIN_SHADOW * sheet.size and _soft_contact(piece, sheet):
            shadowed |= piece
    return shadowed


def _on_tint_line(piece: np.ndarray, offset: np.ndarray, darkening: np.ndarray) -> np.ndarray:
    """The largest connected part of ``piece`` whose chromaticity follows the tint of its deepest half."""
    depth = darkening[piece]
    deep = piece & (darkening >= np.median(depth))
    tint = np.median(offset[deep] / darkening[deep][:, None], axis=0)
    fits = piece & (np.linalg.norm(offset - darkening[:, :, None] * tint, axis=2) <= _HUE_DISTANCE)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fits.astype(np.uint8), connectivity=4)
    if count <= 1:
        return fits
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def _soft_contact(piece: np.ndarray, sheet: np.ndarray) -> bool:
    """Whether ``sheet`` lies along enough of ``piece``'s outline (the image's border aside) to hold it.

    The outline is that of the piece with its holes filled (the writing in a
    shadow), except holes holding a sheet as large as a shadow: a desk all
    round a sheet meets it on the inside of its outline, along a sharp edge.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~piece).astype(np.uint8), connectivity=4)
    height, width = piece.shape
    x, y, w, h = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    inside = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    holds_sheet = np.bincount(labels[sheet], minlength=count) >= _MIN_SHADOW * sheet.size
    enclosed = inside & ~holds_sheet
    enclosed[0] = False  # label 0: the piece itself
    filled = enclosed[labels] | piece
    ring = cv2.dilate(filled.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~filled
    contact = float(sheet[ring].sum())  # the soft edge, counted twice: the ring is two cells wide
    return contact >= _SHADOW_ON_SHEET * ring.sum() or contact >= 2.0 * math.sqrt(float(piece.sum()))


def _holes_filled(chosen: np.ndarray, paper_like: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``chosen`` with the holes that are writing filled; an object or a cover's edge stays out.

    A hole is writing when it is small (a logo, a dark blot) or when paper
    shows between its marks: many of its raw cells still look like the sheet,
    which tape, a cover or a desk showing through do not (the cells on the
    hole's sharp edges, half sheet and half not, are not counted).
    """
    holes = (~chosen).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    height, width = chosen.shape
    x, y, w, h = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    inside = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    areas = stats[:, cv2.CC_STAT_AREA]
    flat = labels.ravel()
    between = np.bincount(flat, weights=(paper_like & ~steps).ravel().astype(np.float64), minlength=count)
    smooth = np.bincount(flat, weights=(~steps).ravel().astype(np.float64), minlength=count)
    # paper between the marks makes a hole writing even at the image's edge (a line image filled with words)
    writing = (inside & (areas <= _SMALL_HOLE * chosen.size)) | (between >= _WRITING_HOLE * np.maximum(smooth, 1))
    writing[0] = False
    return (chosen | writing[labels]).astype(np.uint8)


def _beyond_border_bands(paper_like: np.ndarray) -> np.ndarray:
    """Thin bands of cells unlike paper along the image's border, and what lies between them and it.

    The visible edge of a book's cover between its pages and the scanner
    bed is a few cells thin: the median filter erases it as it erases the
    writing, and the bed beyond it, of nearly the sheet's colour, joins the
    sheet. Every cell of such a band is unlike paper over a quarter of the
    image's side, and paper lies just inside it; a line of writing shows
    paper between its marks, a thin printed rule darkens its cells too
    little, and a shadow reaching the border is no band (no paper just
    inside it).
    """
    drop = np.zeros(paper_like.shape, dtype=bool)
    for turns in range(4):  # each side in turn as the top
        paper = np.rot90(paper_like, turns)
        height, width = paper.shape
        near = int(math.ceil(_BORDER_BAND_NEAR * height))
        run = int(_BORDER_BAND_RUN * width)
        if run < _BORDER_BAND_MIN_CELLS or near >= height:
            continue  # a line's or a word's image: its writing fills whole rows of cells
        band = cv2.morphologyEx((~paper[:near]).astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
        band = band.astype(bool)
        # the innermost band cell of each column, and the sheet's paper within a few cells inside it
        inner = np.where(band.any(axis=0), near - 1 - np.argmax(band[::-1], axis=0), -1)
        columns = np.arange(width)
        below = np.zeros(width, dtype=bool)
        for step in range(1, _BORDER_BAND_INSIDE + 1):
            below |= paper[np.minimum(inner + step, height - 1), columns]
        edge = np.where((inner >= 0) & below, inner, -1)
        drop |= np.rot90(np.arange(height)[:, None] <= edge[None, :], -turns)
    return drop


def _steps(lightness: np.ndarray, paper_level: float, step: float = _STEP) -> np.ndarray:
    """Cells on a sharp step in brightness: the sheet's edge against what lies beyond, never a soft shadow."""
    padded = np.pad(lightness, 1, mode="edge")
    across = np.abs(padded[1:-1, 2:] - padded[1:-1, :-2])
    down = np.abs(padded[2:, 1:-1] - padded[:-2, 1:-1])
    return np.maximum(across, down) > step * paper_level


def _flat_fill(rgb: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Large regions of cells without grain (a digital background), when the rest is of another colour.

    A clean scan's white paper is as flat as a fill: it is the fill's colour
    that tells them apart, the cut-out's paper being yellowed or grey beside
    it. A fill lies around the cut-out, reaching the image's border, and
    holds nothing: a clean digital page (on a photographed desk, say) is flat
    too, but its writing makes holes in it.
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(gray, (3, 3))
    spread = np.sqrt(np.maximum(cv2.blur(gray * gray, (3, 3)) - mean * mean, 0.0))
    flat = (spread < _FLAT).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    height, width = flat.shape
    x, y, w, h = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    border = (x == 0) | (y == 0) | (x + w == width) | (y + h == height)
    large = border & (stats[:, cv2.CC_STAT_AREA] >= _FILL_SHARE * flat.size)
    large[0] = False
    for k in np.nonzero(large)[0]:
        piece = (labels == k).astype(np.uint8)
        outline, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        whole = np.zeros_like(piece)
        cv2.drawContours(whole, outline, -1, 1, thickness=cv2.FILLED)
        if int(whole.sum()) - int(piece.sum()) > _FILL_HOLES * int(piece.sum()):
            large[k] = False  # marks inside it: a page, not a fill
    fill = large[labels]
    if not fill.any() or fill.mean() > 0.98:  # a blank, perfectly clean image: nothing else to be the sheet
        return np.zeros(fill.shape, dtype=bool)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    rest = np.median(lab[~fill], axis=0)
    if float(np.linalg.norm(np.median(lab[fill], axis=0) - rest)) < _FILL_DIFFERENCE:
        return np.zeros(fill.shape, dtype=bool)  # the flat part is the paper itself
    return fill


def _marked_contact(piece: np.ndarray, sheet: np.ndarray, near_sheet: np.ndarray, marks: np.ndarray) -> bool:
    """Whether ``piece`` meets ``sheet`` across a narrow band and the page's marks go on in it.

    Within ``_SHADOW_GAP`` cells of the sheet (``near_sheet``) along at least
    ``_SHADOW_EDGE`` times the square root of its area, with its cells marked
    at least ``_SHADOW_MARKS`` as often as the sheet's (``marks``: writing and
    printed lines). A scanner bed or a desk of the sheet's colour holds no marks.
    """
    if not piece.any() or not sheet.any():
        return False
    if marks[piece].mean() < _SHADOW_MARKS * marks[sheet].mean():
        return False
    return int(np.count_nonzero(near_sheet & piece)) >= _SHADOW_EDGE * math.sqrt(float(piece.sum()))


def _near(cells: np.ndarray) -> np.ndarray:
    """The cells within ``_SHADOW_GAP`` of ``cells``."""
    gap = np.ones((2 * _SHADOW_GAP + 1,) * 2, np.uint8)
    return cv2.dilate(cells.astype(np.uint8), gap).astype(bool)


def _chromaticity(rgb: np.ndarray) -> np.ndarray:
    """``(r, g, b) / (r + g + b)`` per pixel (float32): a shadow scales the channels alike and leaves it as it is."""
    values = rgb.astype(np.float32)
    return values / np.maximum(values.sum(axis=2, keepdims=True), 1.0)


def _pieces(sheet: np.ndarray, middle: np.ndarray, lightness: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """The connected piece of ``sheet`` with most cells in the middle, and the other large, as bright pieces.

    A darker piece is kept too when it is the sheet in a shadow with a sharp edge (cast by something close
    to the page): it meets the main piece along a long edge, a few cells of steps apart, and the marks of
    the page (``marks``: cells darker than the median around them, writing and printed lines) go on in it
    nearly as densely. A scanner bed or a desk of the sheet's colour beyond the sheet's edge holds none.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(sheet.astype(np.uint8), connectivity=4)
    if count <= 1:
        return sheet
    central = np.bincount(labels[middle], minlength=count)
    central[0] = 0
    main = int(np.argmax(central)) if central.max() > 0 else 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    areas = stats[:, cv2.CC_STAT_AREA]
    height, width = sheet.shape
    x, y, w, h = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    # a frame around everything (the scanner bed round a book): touches all four sides, little in the middle
    frame = (x == 0) & (y == 0) & (x + w == width) & (y + h == height) & (central < 0.5 * areas)
    level = np.bincount(labels.ravel(), weights=lightness.ravel().astype(np.float64), minlength=count)
    level /= np.maximum(areas, 1)
    large = (areas >= _OTHER_PAGE * areas[main]) & ~frame
    keep = large & (level >= _OTHER_PAGE_LEVEL * level[main])
    penumbra = np.zeros(sheet.shape, dtype=bool)  # the steps between the sheet and its shadow are sheet too
    main_piece = labels == main
    near_main = _near(main_piece)
    for k in np.flatnonzero(large & ~keep):
        if k == 0 or k == main:
            continue
        piece = labels == k
        if _marked_contact(piece, main_piece, near_main, marks):
            keep[k] = True
            penumbra |= near_main & _near(piece) & (labels == 0)
    keep[0] = False
    keep[main] = True
    return keep[labels] | penumbra


def refine_holes(sheet: np.ndarray, image: np.ndarray, cell: int) -> np.ndarray:
    """``sheet`` with the edges of its holes (a taped object) redrawn at the resolution of ``image``.

    The median over cells that finds the sheet takes the writing beside an
    object into the object's hole, up to a few cells deep (the line written
    just under a strip of tape). Within a hole, what is the object is broad
    and unlike paper: the pixels unlike the paper around the hole, opened
    with a disk of about a cell (``cell`` pixels: strokes of a pen are
    thinner, and vanish), and a pixel round that for its soft edge. The rest
    of the hole (paper and the writing on it) is the sheet's again. Only
    holes are redrawn; the sheet's outer border is left as found.
    """
    holes = ~sheet
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=8)
    height, width = sheet.shape
    x, y, w, h = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    enclosed = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    enclosed[0] = False
    if not enclosed.any():
        return sheet
    rgb = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    out = sheet.copy()
    ring = np.ones((2 * _HOLE_RING * cell + 1,) * 2, np.uint8)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (cell | 1, cell | 1))
    for k in np.flatnonzero(enclosed):
        pad = _HOLE_RING * cell + cell
        top, left = max(0, int(y[k]) - pad), max(0, int(x[k]) - pad)
        box = (slice(top, int(y[k] + h[k]) + pad), slice(left, int(x[k] + w[k]) + pad))
        hole = labels[box] == k
        around = cv2.dilate(hole.astype(np.uint8), ring).astype(bool) & sheet[box]
        if not around.any():
            continue
        paper_like = _like_paper_around(rgb[box], around)
        thing = cv2.morphologyEx((hole & ~paper_like).astype(np.uint8), cv2.MORPH_OPEN, disk)
        thing = cv2.dilate(thing, np.ones((3, 3), np.uint8)).astype(bool)
        out[box] |= hole & ~thing
    return out


def _like_paper_around(rgb: np.ndarray, around: np.ndarray) -> np.ndarray:
    """Pixels of ``rgb`` like the paper of the sheet's pixels ``around``: their brighter half (the writing is
    darker) gives the paper's chromaticity and brightness."""
    hue, lightness = _chromaticity(rgb), rgb.max(axis=2).astype(np.float32)
    bright = around & (lightness >= np.median(lightness[around]))
    paper_hue = np.median(hue[bright], axis=0)
    paper_level = float(np.median(lightness[bright]))
    return (np.linalg.norm(hue - paper_hue, axis=2) <= _HUE_DISTANCE) & (lightness >= _PAPER_BETWEEN * paper_level)


def refine_fill_edge(
    sheet: np.ndarray, image: np.ndarray, fill: np.ndarray, cell: int, reach: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """``sheet`` grown to the exact edge of a digital fill (``fill``: its cells), at the resolution of ``image``.

    The cells along a cut-out's edge hold both the fill and the paper. Where
    a line of writing runs along the cut, the median takes them for neither,
    and the sheet stops a line's height short of the edge, losing the
    writing there. A fill has one colour, so its edge can be found pixel by
    pixel. Within ``reach`` pixels of the fill and of the sheet, what is
    like the sheet's paper is the sheet, and so are the strokes that paper
    and fill close round (a disk of about a cell, ``cell`` pixels); the
    fill (its pixels of its colour joined to its cells), the blur of its
    edge and anything broad unlike paper (a scan's dark border the cut-out
    kept) are not. Also returned: the fill's pixels and the blur of its
    edge, where the sheet's outline is exact (``None`` without a fill).
    """
    if not fill.any() or not sheet.any():
        return sheet, None
    height, width = sheet.shape
    fill_cells = cv2.resize(fill.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
    band = np.ones((2 * reach + 1,) * 2, np.uint8)
    by_fill = cv2.dilate(fill_cells.astype(np.uint8), band).astype(bool)
    near = by_fill & ~sheet & ~fill_cells & cv2.dilate(sheet.astype(np.uint8), band).astype(bool)
    around = sheet & cv2.dilate(near.astype(np.uint8), band).astype(bool)  # the sheet's paper along the cut
    if not near.any() or not around.any():
        return sheet, None
    rgb = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    colour = np.median(rgb[fill_cells], axis=0).astype(np.int16)
    # within _FILL_PIXEL of the fill's colour in every channel (OpenCV's range test: a whole image's worth)
    like = cv2.inRange(rgb, np.clip(colour - _FILL_PIXEL, 0, 255), np.clip(colour + _FILL_PIXEL, 0, 255))
    count, labels = cv2.connectedComponents(like, connectivity=8)
    joined = np.zeros(count, dtype=bool)
    joined[labels[fill_cells & (like > 0)]] = True  # paper as light elsewhere on the sheet is no fill
    joined[0] = False
    exact = joined[labels] & by_fill  # (bright paper beyond a washed-out margin may join it)
    edge = cv2.dilate(exact.astype(np.uint8), np.ones((2 * _FILL_HALO + 1,) * 2, np.uint8)).astype(bool)
    rows, cols = np.nonzero(near | around)
    box = (slice(int(rows.min()), int(rows.max()) + 1), slice(int(cols.min()), int(cols.max()) + 1))
    paper = (_like_paper_around(rgb[box], around[box]) & near[box]) | sheet[box] | exact[box]
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (cell | 1, cell | 1))
    closed = cv2.morphologyEx(paper.astype(np.uint8), cv2.MORPH_CLOSE, disk).astype(bool)
    out = sheet.copy()
    out[box] |= closed & near[box] & ~edge[box]
    return out, edge
