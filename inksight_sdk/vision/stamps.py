"""Rubber stamps and seals: a ring or frame of regular shape around printed text, in ink of its own.

A stamp is not the writer's ink, yet a tracer would follow its ring and its
letters like any other stroke. Two things set it apart from what a hand draws:

- **its ink is its own**: a stamp pad's colour (red, violet, a blue unlike the
  pen's), or, pressed in the pen's own hue, translucent and lighter than the
  pen's line. So the page's ink is split into *layers*: each hue apart from
  the handwriting's, and the ink clearly lighter than the pen's core (with a
  pen width around the core's strokes left out, so a stroke's soft edge is
  not taken for it; the core is the clearly dark ink, so a pale stamp's few
  darker grains do not cut its ring away). A stamp over handwriting is whole
  in its own layer.
- **its outline is regular**: in its layer, the stamp's ink groups into one
  piece several letter heights across whose outline is an ellipse or a
  rectangle, the ink running along most of that outline (a stamp pressed
  unevenly, or crossed by a pen stroke, still covers most of it; one cut by
  the page's edge is fitted by its ring and judged on the part shown). Faint
  handwriting in the light layer groups into lines and blocks whose outline
  the ink does not follow. Where letters are big (a character's own image,
  a seal over one character) a pale stamp alone in its layer may be as
  small as a letter.

Found stamps come back as the mask of their ink (ring or frame and text) at
working resolution: the layout takes it out of the handwriting and gives
each stamp one word of ``kind="stamp"``; a signature written across a stamp
in the pen's ink stays whole.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

__all__ = ["find_stamps"]

#: a stamp is at least this many letter heights across (both ways), or this many pen widths where letters are
#: big (a character's image: its one letter is as big as the seal over it), and at most this share of the page side
_MIN_SIZE = 3.0
_MIN_PENS = 5.0
_MAX_PAGE_SHARE = 0.75
#: a stamp smaller than _MIN_SIZE letters holds at least this share of its layer's ink
_ALONE = 0.5
#: ... or at least this many times the ink of any other group of its layer (a coloured pen's words that a
#: colour cast moves into the stamp's hue are smaller pieces)
_DOMINANT = 1.5
#: a stamp is round or boxy: its rotated box at most this many times as long as wide
_MAX_ASPECT = 3.0
#: at least this share of a stamp's ink lies well inside its outline (its text), or its text covers this share
#: of the inside that the pen's strokes leave bare (a character written over a seal hides most of its text; what
#: shows is a few of its letters)
_INNER_SHARE = 0.1
_FREE_SHARE = 0.015
#: coloured ink: chroma (max - min channel, 0..255) at least this
_MIN_CHROMA = 45.0
#: a stamp's text too faint for the ink mask still shows its hue at this chroma against its paper, the
#: brightest colour within this many pen widths
_TINT_CHROMA = 30.0
_PAPER_PENS = 3.0
#: the hues are looked at in this many bins, each taking the ink within this many degrees of its centre
_HUE_BINS = 12
_HUE_REACH = 25.0
#: a hue holding more than this share of the page's ink is the writing's
_WRITING_SHARE = 0.5
#: on a page whose ink is itself coloured, a stamp's hue differs from it by at least this (degrees)
_MIN_HUE_APART = 35.0
#: light ink: lighter than the page's ink split (Otsu on lightness) by at least this (0..255 L)
_LIGHTER = 25.0
#: a halo is left out round the ink darker than that split by at least this (the pen's core)
_DARKER = 20.0
#: a stamp's ink groups within this share of a letter height, and across this many pen widths within the halo
#: of the pen's strokes: a stroke crossing a stamp cuts its layer by the stroke and the halo left out round it
_GROUP_REACH = 0.5
_BRIDGE_PENS = 4.0
#: a group joined so (or one in one piece showing less than _OUTLINE_COVER) runs along at least this share of
#: its outline, its ink or the halo ...
_JOINED_COVER = 0.85
#: ... and its own ink along at least this share (a seal over one character is mostly under its strokes)
_HIDDEN_OWN = 0.45
#: the ink runs along at least this share of the group's fitted outline (ellipse or rectangle) ...
_OUTLINE_COVER = 0.6
#: ... within this many pen widths of it, and the outline holds this share of the group's hull
_OUTLINE_REACH = 1.5
_OUTLINE_FIT = 0.85
#: the ring's ellipse is refitted this many times, each without the edge points more than a reach off it
_RING_ROUNDS = 3
#: at least this share of an outline lies on the page (a stamp cut by the page's edge is mostly there)
_SHOWN = 0.6


def find_stamps(mask: np.ndarray, colour: np.ndarray, letter_height: float, pen_width: float) -> np.ndarray:
    """The ink of every stamp on the page (``bool``, the mask's shape); all false when there is none.

    ``mask`` is the page's ink at working resolution, ``colour`` the page as
    ``(h, w, 3)`` RGB at the same resolution, ``letter_height`` and
    ``pen_width`` the text's sizes there.
    """
    found = np.zeros(mask.shape, bool)
    if not mask.any() or letter_height <= 0:
        return found
    smallest = min(_MIN_SIZE * letter_height, _MIN_PENS * pen_width)
    layers, halo = _layers(mask, colour, smallest, pen_width)
    for layer in layers:
        least = smallest if layer.pale else _MIN_SIZE * letter_height
        found |= _stamps_in(layer.ink, layer.hue, halo, colour, letter_height, pen_width, least)
    if not found.any():
        return found
    # the stamp's paler, greyer pixels (its edges, its thin spots) fall outside its colour's layer: the ink
    # within a pen width of it is the stamp's too (a stroke crossing it loses that much)
    reach = 2 * max(1, int(round(pen_width))) + 1
    return mask & cv2.dilate(found.astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(bool)


class _Layer(NamedTuple):
    """Ink where a stamp would stand apart (``uint8`` 0/1), whether most of it is lighter than the split, and
    its hue (degrees; None for the light layer, which has none of its own)."""

    ink: np.ndarray
    pale: bool
    hue: float | None


def _layers(mask: np.ndarray, colour: np.ndarray, smallest: float, pen_width: float) -> tuple[list[_Layer], np.ndarray]:
    """The page's ink split where a stamp would stand apart: other hues than the writing's, lighter ink.

    Also returned: the halo round the pen's dark core (``bool``, the mask's
    shape), left out of the layers where their ink is light.
    """
    pixels = colour[mask]
    p = pixels.astype(np.float64)
    chroma = p.max(axis=1) - p.min(axis=1)
    hue = _hue_degrees(pixels.reshape(-1, 1, 3)).reshape(-1)
    coloured = chroma >= _MIN_CHROMA
    ys, xs = np.nonzero(mask)
    lightness = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_RGB2LAB).reshape(-1, 3)[:, 0]
    split, _ = cv2.threshold(lightness.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    core = lightness < split - _DARKER  # the pen's core; a translucent stamp's darkest grains are not in it
    dark = _layer(mask.shape, ys[core], xs[core])
    reach = 2 * max(1, int(round(pen_width))) + 1
    halo_mask = cv2.dilate(dark, np.ones((reach, reach), np.uint8)).astype(bool)
    halo = halo_mask[ys, xs]
    least = _MIN_SIZE * smallest  # ink enough for the smallest ring
    layers = []
    counts, edges = np.histogram(hue[coloured], bins=_HUE_BINS, range=(0.0, 360.0))
    for b in np.flatnonzero(counts >= least):
        centre = 0.5 * (edges[b] + edges[b + 1])
        near = coloured & (_angle(hue, centre) <= _HUE_REACH)
        if np.count_nonzero(near) > _WRITING_SHARE * len(pixels):
            continue  # most of the page's ink: the writing itself
        rest_hue, rest_chroma = _hue_of(hue[~near], chroma[~near])
        if rest_chroma >= _MIN_CHROMA and _angle(np.array([rest_hue]), centre)[0] < _MIN_HUE_APART:
            continue  # the writing's own hue
        near &= ~(halo & (lightness >= split))  # a dark stroke's soft edge, tinted by warm light, is not a stamp
        if np.count_nonzero(near) < least:
            continue
        pale = bool(np.median(lightness[near]) >= split)
        layers.append(_Layer(_layer(mask.shape, ys[near], xs[near]), pale, float(centre)))
    light = (lightness >= split + _LIGHTER) & ~halo
    if np.count_nonzero(light) >= least:
        layers.append(_Layer(_layer(mask.shape, ys[light], xs[light]), True, None))
    return layers, halo_mask


def _stamps_in(
    layer: np.ndarray,
    hue: float | None,
    halo: np.ndarray,
    colour: np.ndarray,
    letter_height: float,
    pen_width: float,
    smallest: float,
) -> np.ndarray:
    """The ink of each group of ``layer`` at least ``smallest`` across that follows a regular outline.

    A group less than three letters across is a stamp only when it is pale
    (``smallest`` is three letters otherwise) and holds most of its layer:
    a character in a coloured pen is as big as a small seal and may be boxed
    (回), but its ink is the page's dark ink; a cell of a pale printed table
    is boxed text too, but one of many.

    A pen stroke crossing a stamp cuts its layer (the stroke and the
    ``halo`` left out round it), so within the halo the ink groups across
    ``_BRIDGE_PENS`` pen widths. A group so joined must run along nearly all
    of its outline, the halo counting as hidden ink, and along a good part
    of it with its own ink (:func:`_follows_outline`): a flourish in pale ink joined to the letters inside
    its loop is a ring round text, but an open one, while a stamp's ring is
    missing only where the writing covers it; and a character in a coloured
    pen has the halo all along its strokes.

    A stamp holds text; a hole or a ring drawn round a word does not hold
    any of the ring's colour. Where the layer has a ``hue`` of its own (the
    light layer has none), what shows that hue at all in ``colour`` (the
    page, :func:`_tinted`; off the pen's halo) counts as text: a stamp's
    small letters are often too faint for the ink mask.
    """
    found = np.zeros(layer.shape, bool)
    total = np.count_nonzero(layer)
    reach = max(3, int(round(_GROUP_REACH * letter_height)) | 1)
    grouped = cv2.dilate(layer, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    _, pieces = cv2.connectedComponents(grouped, connectivity=8)
    bridge = max(3, int(round(_BRIDGE_PENS * pen_width)) | 1)
    grouped |= cv2.dilate(layer, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (bridge, bridge))) & halo
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    side = _MAX_PAGE_SHARE * max(layer.shape)
    inks = np.bincount(labels[layer > 0], minlength=count)  # each group's own ink
    inks[0] = 0
    runner_up = int(np.sort(inks)[-2]) if count > 2 else 0  # the second most: a group dwarfs all others past it
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k, :4])
        if min(w, h) < smallest:
            continue
        box = (slice(y, y + h), slice(x, x + w))  # the group's own box: a page has many groups
        here = layer[box] > 0
        ink = (labels[box] == k) & here
        ys, xs = np.nonzero(ink)
        points = np.column_stack([xs, ys]).astype(np.float32)
        if len(points) < 5 or max(np.ptp(xs), np.ptp(ys)) > side:
            continue  # (its ink, not its group: the group reaches half a letter beyond it)
        (short, long) = sorted(cv2.minAreaRect(points)[1])
        if short < smallest or long > _MAX_ASPECT * short:
            continue  # a strip (a column's edge, a fold) is no stamp
        alone = len(points) >= _ALONE * total or len(points) >= _DOMINANT * max(runner_up, 1)
        if short < _MIN_SIZE * letter_height and not alone:
            continue
        page = (-x, -y, layer.shape[1] - x, layer.shape[0] - y)  # the page's edges in the box's frame
        joined = len(np.unique(pieces[box][ink])) > 1
        if not _follows_outline(ink, points, pen_width, page, halo[box], joined):
            continue
        inside = np.zeros(ink.shape, np.uint8)  # the ring or frame, and the text it holds
        cv2.fillConvexPoly(inside, cv2.convexHull(points).astype(np.int32), 1)
        depth = 2 * int(round(_OUTLINE_REACH * max(pen_width, 1.0))) + 3
        core = cv2.erode(inside, np.ones((depth, depth), np.uint8)).astype(bool)
        free = np.count_nonzero(core & ~halo[box])  # the inside not hidden by the pen's strokes
        needed = min(_INNER_SHARE * len(points), _FREE_SHARE * free)
        text = np.count_nonzero(core & here)
        if text < needed and hue is not None:
            text = np.count_nonzero(core & (here | (_tinted(colour, box, hue, pen_width) & ~halo[box])))
        if text >= needed:  # it holds text; a hole does not
            found[box] |= (inside > 0) & here
    return found


def _follows_outline(
    ink: np.ndarray,
    points: np.ndarray,
    pen_width: float,
    page: tuple[int, int, int, int],
    hidden: np.ndarray,
    joined: bool,
) -> bool:
    """Whether the ink runs along most of an ellipse or rectangle fitted to it.

    ``hidden`` is where the pen's strokes would hide a stamp's ink (the box's
    shape). A group in one piece that runs along ``_OUTLINE_COVER`` of the
    outline with its own ink follows it. Otherwise, and always for a group
    ``joined`` across the pen's strokes, its own ink must run along
    ``_HIDDEN_OWN`` of it and, with what is hidden, along ``_JOINED_COVER``:
    a seal the size of the one character written over it shows little of its
    ring, while a character in a coloured pen, its own layer with the halo
    all along its strokes, shows its own ink along less of any box round it.

    The ellipse is fitted to the group's hull; for a group at the page's edge
    also to its outer ring alone (:func:`_ring_ellipse`), since a stamp cut
    by the edge has a hull cut straight across. (Anywhere else, a ring fitted
    to the ink's own edge would fit a word's blob as well.) Only the part of
    an outline on the page (``page``: its left, top, right and bottom edges in
    the box's frame) is looked at.
    """
    hull = cv2.convexHull(points)
    hull_area = cv2.contourArea(hull)
    if hull_area <= 0:
        return False
    near = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    reach = _OUTLINE_REACH * max(pen_width, 1.0)
    outlines = []
    if len(hull) >= 5:
        ellipse = cv2.fitEllipse(hull)
        (major, minor) = ellipse[1]
        if major > 0 and minor > 0 and math.pi * major * minor / 4 >= _OUTLINE_FIT * hull_area:
            outlines.append(_ellipse_points(ellipse))
    left, top, right, bottom = page
    cut = left == 0 or top == 0 or right == ink.shape[1] or bottom == ink.shape[0]
    ring = _ring_ellipse(ink, page, reach) if cut else None
    if ring is not None and _OUTLINE_FIT <= _clipped_area(ring, page) / hull_area <= 1 / _OUTLINE_FIT:
        outlines.append(_ellipse_points(ring))  # the ring round the group, neither a part of it nor much beyond
    rect = cv2.minAreaRect(hull)
    (rw, rh) = rect[1]
    if rw * rh > 0 and hull_area >= _OUTLINE_FIT * rw * rh:
        corners = cv2.boxPoints(rect)
        outlines.append(np.concatenate([np.linspace(corners[i], corners[(i + 1) % 4], 90) for i in range(4)]))
    for outline in outlines:
        own = _coverage(near, outline, reach, page)
        if own >= _OUTLINE_COVER and not joined:
            return True
        if own >= _HIDDEN_OWN and _coverage(near | hidden, outline, reach, page) >= _JOINED_COVER:
            return True
    return False


def _ring_ellipse(
    ink: np.ndarray, page: tuple[int, int, int, int], reach: float
) -> tuple[tuple[float, float], tuple[float, float], float] | None:
    """An ellipse through the outer edge of the ink, refitted without the points far off it; None if none fits.

    The edge is the outer contour of the ink closed over its gaps, less the
    points along the page's edge (where a cut stamp's ring is missing).
    """
    size = max(3, int(round(2 * reach)) | 1)
    closed = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    edge = np.concatenate(contours).reshape(-1, 2).astype(np.float64)
    left, top, right, bottom = page
    on_page = (edge[:, 0] > left + 1) & (edge[:, 0] < right - 2) & (edge[:, 1] > top + 1) & (edge[:, 1] < bottom - 2)
    edge = edge[on_page]
    for _ in range(_RING_ROUNDS):
        if len(edge) < 5:
            return None
        ellipse = cv2.fitEllipse(edge.astype(np.float32))
        off = _off_ellipse(edge, ellipse)
        if off is None:
            return None
        edge = edge[off <= reach]
    return ellipse


def _off_ellipse(points: np.ndarray, ellipse: tuple) -> np.ndarray | None:
    """About how far each point lies from the ellipse (along its ray from the centre); None for a flat one."""
    (cx, cy), (major, minor), angle = ellipse
    if major <= 0 or minor <= 0:
        return None
    a = math.radians(angle)
    dx, dy = points[:, 0] - cx, points[:, 1] - cy
    u, v = dx * math.cos(a) + dy * math.sin(a), -dx * math.sin(a) + dy * math.cos(a)
    scaled = np.hypot(u / (0.5 * major), v / (0.5 * minor))
    return np.abs(1.0 - 1.0 / np.maximum(scaled, 1e-9)) * np.hypot(u, v)


def _ellipse_points(ellipse: tuple) -> np.ndarray:
    """360 points around ``ellipse`` (OpenCV's centre, full axes, angle in degrees)."""
    (cx, cy), (major, minor), angle = ellipse
    t = np.linspace(0, 2 * math.pi, 360, endpoint=False)
    a = math.radians(angle)
    u, v = 0.5 * major * np.cos(t), 0.5 * minor * np.sin(t)
    return np.column_stack([cx + u * math.cos(a) - v * math.sin(a), cy + u * math.sin(a) + v * math.cos(a)])


def _clipped_area(ellipse: tuple, page: tuple[int, int, int, int]) -> float:
    """The area of ``ellipse`` on the page."""
    left, top, right, bottom = page
    sheet = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32)
    area, _ = cv2.intersectConvexConvex(_ellipse_points(ellipse).astype(np.float32), sheet)
    return float(area)


def _coverage(near: np.ndarray, outline: np.ndarray, reach: float, page: tuple[int, int, int, int]) -> float:
    """Share of the points along ``outline`` on the page with ink within ``reach`` (looking inward and outward).

    Points off the page are not counted (an outline with less than
    ``_SHOWN`` of it on the page scores 0); points beyond the box count as bare.
    """
    left, top, right, bottom = page
    shown = (outline[:, 0] >= left) & (outline[:, 0] < right) & (outline[:, 1] >= top) & (outline[:, 1] < bottom)
    if shown.mean() < _SHOWN:
        return 0.0
    height, width = near.shape
    direction = outline - outline.mean(axis=0)  # from the whole outline's centre, on the page or not
    direction /= np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
    outline, direction = outline[shown], direction[shown]
    steps = np.arange(-reach, reach + 1.0)
    xs = np.round(outline[:, :1] + steps * direction[:, :1]).astype(int)
    ys = np.round(outline[:, 1:] + steps * direction[:, 1:]).astype(int)
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    hit = near[ys.clip(0, height - 1), xs.clip(0, width - 1)] & inside
    return float(hit.any(axis=1).mean())


def _tinted(colour: np.ndarray, box: tuple[slice, slice], hue: float, pen_width: float) -> np.ndarray:
    """Where the page shows ``hue`` at all within ``box`` (``bool``): a stamp's small text, too faint for the mask.

    Each pixel is divided by its paper (the brightest colour within a few pen
    widths), so what is left is the tint of what lies on the paper: tinted
    paper, or paper under warm light, has none.
    """
    reach = int(round(_PAPER_PENS * max(pen_width, 1.0)))
    rows, cols = box
    top, left = max(0, rows.start - reach), max(0, cols.start - reach)
    around = colour[top : rows.stop + reach, left : cols.stop + reach]
    paper = cv2.dilate(around, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(np.float32)
    inner = (slice(rows.start - top, rows.stop - top), slice(cols.start - left, cols.stop - left))
    tint = np.clip(around[inner].astype(np.float32) / np.maximum(paper[inner], 1.0), 0.0, 1.0)
    chroma = 255.0 * (tint.max(axis=2) - tint.min(axis=2))
    hues = _hue_degrees(np.rint(255.0 * tint).astype(np.uint8))
    return (chroma >= _TINT_CHROMA) & (_angle(hues, hue) <= _HUE_REACH)


def _hue_degrees(rgb: np.ndarray) -> np.ndarray:
    """The hue of each pixel of an ``(h, w, 3)`` RGB uint8 array, in degrees."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)[..., 0] * (360 / 256)


def _layer(shape: tuple[int, ...], ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    layer = np.zeros(shape[:2], np.uint8)
    layer[ys, xs] = 1
    return layer


def _angle(hue: np.ndarray, centre: float) -> np.ndarray:
    """Distance in degrees around the hue circle."""
    apart = np.abs(hue - centre) % 360.0
    return np.minimum(apart, 360.0 - apart)


def _hue_of(hue: np.ndarray, chroma: np.ndarray) -> tuple[float, float]:
    """The colour of some ink pixels as (hue in degrees, median chroma), from theirs.

    The hue is averaged as an angle, weighted by chroma (a grey pixel has no
    hue to give).
    """
    if len(hue) == 0 or chroma.sum() <= 0:
        return 0.0, 0.0
    angle = np.radians(hue)
    mean = math.degrees(math.atan2((np.sin(angle) * chroma).sum(), (np.cos(angle) * chroma).sum())) % 360.0
    return mean, float(np.median(chroma))
