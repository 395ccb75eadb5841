"""The builtin page layout: blocks -> lines -> words, from the ink's connected components.

1. **Blocks**: the ink, reduced and dilated by about half a text height
   (more along x), falls apart into paragraphs, notes in a corner, a line
   written at an angle.
2. **Orientation** of each block: the angle at which the projection of its
   ink across the lines is sharpest (a skewed photo, a line written at an
   angle); vertical when columns are clearly sharper than rows, or, in a
   block too short to measure, when a wide blank band runs down between
   columns of stacked characters (two columns of two).
3. **Lines**: in the block's frame, the projection of the ink across the
   lines has a peak per line and valleys between them; each component falls
   in the band of its core (the median of its ink across the line, which
   ascenders, descenders and flourishes barely move), dots and accents
   included; a component with much ink in two bands (a descender touching
   the line below) is cut at the valley. A gently curved or skewed line
   still gives one peak, and gets its own angle below.
4. **Words**: each line gets its own angle (a least-squares fit of its ink);
   components overlapping along the line form units; the gaps between units,
   in units of each line's letter height, are split into letter gaps and
   word gaps by a two-class (Otsu) threshold in log space, over the page and,
   where a line has enough gaps of its own, over the line. Separate print
   letters give many letter gaps of varied size and a few word gaps: the
   split then moves up to the clearly widest jump between gaps. Without two
   clear classes, a page of joined-up words (units wider than tall) takes a
   lower default than one of separate letters. CJK lines (square units as
   tall as the line) are cut into characters instead.

Quads come back in original image pixels, padded by half a pen width, with
corners TL, TR, BR, BL in the word's reading frame (rotated with its line;
upright for vertical CJK columns).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import cv2
import numpy as np

from ..filters import gaussian_1d
from ..stages import DetectedWord, Layout
from .ink_mask import InkMask, extract_ink, stroke_width
from .printed import (
    aligned_starts,
    capitals_against_type,
    print_evidence,
    printed_by_colour,
    printed_words,
    profile_near_type,
    profile_printed,
)
from .stamps import find_stamps

__all__ = ["detect_layout"]

#: components lower than this share of the text height (and not long) are dots, accents, punctuation
_MAIN_HEIGHT = 0.45
#: a component this many times as long as it is tall is a line (an underline), not letters blurred together
_LINE_LIKE = 8.0
#: a letter stands on a removed printed line when its pixels lie within this many pixels of the letter's lowest
_CUT_REACH = 2
#: blocks: ink closer than this many text heights belongs together
_BLOCK_REACH = 0.6
#: a word's ink colour is read from at most about this many of its pixels and of its box's
_COLOUR_SAMPLES = 4000
#: line peaks are at least this many text heights apart and this prominent (share of the highest)
_LINE_SPACING = 0.8
_LINE_PROMINENCE = 0.15
#: a component taller than this many text heights with this share of its ink in each of two lines is cut
_TWO_LINES_HEIGHT = 1.3
_TWO_LINES_SHARE = 0.15
#: word gaps lie between these multiples of the line's letter height, whatever the statistics say
_WORD_GAP_RANGE = (0.15, 0.9)
#: without enough gaps on the page to learn from, this is the word gap (letter heights): separate letters,
#: or words of joined-up letters (whose height holds ascenders and descenders, and whose gaps are mostly word gaps)
_DEFAULT_WORD_GAP = 0.4
_DEFAULT_JOINED_WORD_GAP = 0.2
#: joined-up writing: the main units along the lines are this many times as wide as tall (median)
_JOINED_UP_ASPECT = 1.5
#: the two gap classes must differ this much (ratio of geometric means) to be believed
_PAGE_SEPARATION = 2.0
_LINE_SEPARATION = 2.5
#: a gap this many times the usual letter gap is a word gap
_LETTER_GAP_MARGIN = 1.4
#: the letter/word split moves up to a jump between gaps (in log space) this many times wider than its own
_VALLEY_JUMP = 1.5
#: of jumps this close to the widest (share of it), the lowest is the valley: a lone wide gap above
#: the word gaps (after a full stop) must not draw the split above them
_NEAR_WIDEST = 0.9
#: a block no longer than this many text heights whose principal axes differ less than this is shapeless
_SHAPELESS_SIZE = 3.0
_SHAPELESS_RATIO = 2.0
#: ink that is not elongated is turned at most this much (degrees) from the page axes
_ROUND_SKEW = 12.0
#: upright lines must project this many times more sharply than across lines: columns of characters, and
#: lines of other writing turned up the page (block capitals' posts project sharply upright too)
_COLUMNS = 1.2
_UPRIGHT_LINES = 2.0
#: ... the latter in a block of at most this many pieces, whose projections a few letters' posts sway
_FEW_PIECES = 100
#: a lone word written at an angle reaches at least this many times as far along it as across it
_LINE_LENGTH = 2.5
#: a CJK character is at most this many line heights wide, and its parts at most this far apart
_CJK_CHARACTER = 1.3
_CJK_PART_GAP = 0.25
#: a stamp's box stays upright unless turning it saves more than this share of its area
_UPRIGHT_SLACK = 1.1
#: one part of a lone CJK character spans at least this share of its height (the 丨 of 胖)
_CJK_SPANNING_PART = 0.5
#: columns of characters side by side leave a blank band down their block this wide (share of its
#: width); a lone character's parts leave a third of it at most (the 卜 of 卞)
_COLUMN_GAP = 0.18


@attrs.frozen
class _Component:
    """A connected piece of ink: its pixels (working x, y) and whether it is a main part of the text."""

    xs: np.ndarray = attrs.field(eq=False)
    ys: np.ndarray = attrs.field(eq=False)
    main: bool

    def project(self, angle: float) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates along (u) and across (v) a direction ``angle`` (radians, image frame)."""
        c, s = math.cos(angle), math.sin(angle)
        return self.xs * c + self.ys * s, self.ys * c - self.xs * s

    def extent(self, angle: float) -> tuple[float, float, float, float]:
        """``(u0, u1, v0, v1)``: the component's range along and across ``angle``."""
        u, v = self.project(angle)
        return float(u.min()), float(u.max()), float(v.min()), float(v.max())


@attrs.frozen
class _Block:
    """A block's lines (as plans) and where it sits, for reading order."""

    key: tuple[float, float]
    lines: tuple[_LinePlan, ...]
    columns: bool
    weight: int


def detect_layout(image: np.ndarray, *, ink: InkMask | None = None) -> Layout:
    """Blocks, lines and words of handwriting in ``image`` (``(H, W, 3)`` RGB or ``(H, W)`` gray, uint8).

    ``ink`` is the image's :func:`~inksight_sdk.vision.extract_ink` result
    when the caller already has it. Words come in reading order with their
    ``block`` and ``line`` numbers (lines numbered within their block) and a
    confidence (how word-like the box is: its height against its line's
    letters); ``direction`` is ``ttb`` when most ink stands in vertical
    columns of CJK characters, else ``ltr``.
    """
    if ink is None:
        ink = extract_ink(image)
    if ink.empty:
        return Layout()
    components, text_height = _components(ink.mask, ink.stroke_width)
    if not components:
        return Layout()
    stamp_ink = _stamp_ink(image, ink, text_height)
    mask = ink.mask
    if stamp_ink.any():  # the words are found in the ink without the stamps (a signature across one stays whole)
        mask = ink.mask & ~stamp_ink
        components, _ = _components(mask, ink.stroke_width)
    blocks = []
    for members in _blocks(ink.mask.shape, components, text_height):
        block = [components[i] for i in members]
        glyph = _one_character(block)
        if glyph is not None:
            angle, vertical, plans = 0.0, False, (glyph,)
        else:
            angle, vertical = _orientation(block, text_height)
            plans = tuple(_LinePlan.of(line, angle) for line in _lines(block, angle, text_height))
            if vertical and len(block) <= _FEW_PIECES and not _columns_of_glyphs(plans, ink.stroke_width):
                # no CJK columns: in a block of few pieces, lines running up the page must stand out more clearly
                # (a cell's small label over block capitals, whose posts make the upright projection sharp)
                angle, vertical = _orientation(block, text_height, margin=_UPRIGHT_LINES)
                plans = tuple(_LinePlan.of(line, angle) for line in _lines(block, angle, text_height))
        if len(plans) > 1 and not vertical and _shapeless_block(block, text_height):
            # a character stacked from parts (亭, 享) has a peak per part: if the whole looks like one
            # CJK glyph, it is one line of one character
            whole = _LinePlan.of(block, angle)
            if _square_glyph(whole):
                plans = (whole,)
        top, left = min(float(c.ys.min()) for c in block), min(float(c.xs.min()) for c in block)
        blocks.append(
            _Block(
                key=(round(top / (2 * text_height)), left),
                lines=plans,
                columns=vertical and _columns_of_glyphs(plans, ink.stroke_width),
                weight=sum(len(c.xs) for c in block),
            )
        )
    blocks.sort(key=lambda block: block.key)
    plans = [plan for block in blocks for plan in block.lines]
    joined_up = _joined_up(plans)
    page_gap = _word_gap([g for plan in plans for g in plan.relative_gaps()], joined_up)
    pad = max(1.0, 0.5 * ink.stroke_width)
    # lines of Latin letters counted on the page, and none of CJK characters: a line too short to count
    # is a Latin word whose letters happen to look like a glyph (``By`` on a list of words). Lines standing on
    # type's levels do not count as CJK: a form's bold capital headings are as square as characters
    verdicts = [_cjk_statistics((plan,), ink.stroke_width) for plan in plans]
    counted = [v for v, plan in zip(verdicts, plans) if v is not None and not (v and _on_type_levels(plan))]
    latin_page = bool(counted) and not any(counted)
    found: list[tuple[DetectedWord, np.ndarray, np.ndarray]] = []  # each word with its ink's pixels
    typeset: list[bool] = []
    boxes: list[bool] = []  # a box to tick made a word of its own: the hand's, whatever stands beside it
    starts: list[_LineStart] = []
    for block_index, block in enumerate(blocks):
        for line_index, plan in enumerate(block.lines):
            cjk = block.columns or (
                not latin_page
                and _looks_cjk((plan,), ink.stroke_width)
                and not _capitals_in_type(plan, ink.stroke_width)
            )
            split = plan.split(page_gap, joined_up=joined_up, cjk=cjk)
            boxed = [False] * len(split)
            if not cjk:
                split, boxed = _boxes_apart(plan, split, ink.stroke_width)
                starts.append(_LineStart.of(plan, split, len(typeset)))
            if cjk:
                typeset += [False] * len(split)
            else:
                printed = _printed(plan, split, ink.lines)
                answers = _box_answers(plan, split, ink.stroke_width, beside_print=any(printed))
                typeset += _printed(plan, split, ink.lines, known=answers) if any(answers) else printed
            boxes += boxed
            for members in split:
                xs = np.concatenate([plan.components[i].xs for i in members]).astype(np.intp)
                ys = np.concatenate([plan.components[i].ys for i in members]).astype(np.intp)
                # a character of a vertical column stands upright, a quarter turn from its column
                quad = _quad(xs, ys, plan.angle - math.pi / 2 if block.columns else plan.angle, pad)
                height = float(np.linalg.norm(quad[3] - quad[0])) - 2 * pad
                word = DetectedWord(
                    quad=(quad + 0.5) / ink.scale - 0.5,
                    confidence=round(float(np.clip(height / max(plan.scale, 1.0), 0.1, 1.0)), 3),
                    block=block_index,
                    line=line_index,
                    script="cjk" if cjk else "latin",
                    polarity=ink.polarity,
                )
                found.append((word, xs, ys))

    # a box's ink is no evidence of the print's colour, whatever its neighbours lent it
    typeset = [printed and not box for printed, box in zip(_labels_in_columns(starts, typeset, ink.lines), boxes)]

    def colour_of(k: int) -> np.ndarray | None:
        word, xs, ys = found[k]
        return None if word.script == "cjk" else _ink_colour(image, xs, ys, ink.scale)

    words = []
    handwriting = mask  # without the printed words' ink: a handwritten word's box may reach over a label
    for (word, xs, ys), printed, box in zip(found, printed_by_colour(typeset, colour_of), boxes):
        printed = printed and not box
        if printed:
            handwriting = handwriting.copy() if handwriting is mask else handwriting
            handwriting[ys, xs] = False
        words.append(attrs.evolve(word, kind="printed" if printed else "handwritten"))
    words += _stamp_words(stamp_ink, ink, text_height, first_block=len(blocks))
    columns = sum(block.weight for block in blocks if block.columns)
    direction = "ttb" if 2 * columns > sum(block.weight for block in blocks) else "ltr"
    return Layout(words=words, direction=direction, ink=handwriting)


def _ink_colour(image: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float) -> np.ndarray | None:
    """A word's ink colour as shares of optical density per channel (:func:`.printed.printed_by_colour`).

    From the darker half of its ink's pixels in the image, against the
    brighter half of the paper in its box; ``None`` for a grey image.
    """
    if image.ndim != 3 or len(xs) < 4:
        return None
    height, width = image.shape[:2]
    pick = slice(None, None, max(1, len(xs) // _COLOUR_SAMPLES))  # a sample is enough for a median
    cols = np.clip(np.rint((xs[pick] + 0.5) / scale - 0.5).astype(np.intp), 0, width - 1)
    rows = np.clip(np.rint((ys[pick] + 0.5) / scale - 0.5).astype(np.intp), 0, height - 1)
    pixels = image[rows, cols].astype(np.float64)
    lightness = pixels.sum(axis=1)
    ink = np.median(pixels[lightness <= np.median(lightness)], axis=0)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    step = max(1, math.isqrt((bottom - top) * (right - left) // _COLOUR_SAMPLES))
    box = image[top:bottom:step, left:right:step].reshape(-1, 3).astype(np.float64)
    paper = np.median(box[box.sum(axis=1) >= np.median(box.sum(axis=1))], axis=0)
    density = -np.log(np.clip(ink / np.maximum(paper, 1.0), 0.03, 1.0))
    total = float(density.sum())
    return density / total if total > 0.05 else None


def _stamp_ink(image: np.ndarray, ink: InkMask, text_height: float) -> np.ndarray:
    """The ink of the page's stamps (:mod:`.stamps`), at working resolution; stamps are coloured, chalk is not."""
    if np.ndim(image) != 3 or ink.polarity != "dark":
        return np.zeros(ink.mask.shape, bool)
    h, w = ink.mask.shape
    colour = cv2.resize(np.asarray(image)[..., :3], (w, h), interpolation=cv2.INTER_AREA)
    return find_stamps(ink.mask, colour, text_height, ink.stroke_width)


def _stamp_words(stamp_ink: np.ndarray, ink: InkMask, text_height: float, first_block: int) -> list[DetectedWord]:
    """One word per stamp (its ring and text within a letter height), boxed by its ink's rotated rectangle."""
    reach = 2 * max(1, int(round(text_height))) + 1
    count, labels = cv2.connectedComponents(
        cv2.dilate(stamp_ink.astype(np.uint8), np.ones((reach, reach), np.uint8)), connectivity=8
    )
    words = []
    for k in range(1, count):
        ys, xs = np.nonzero((labels == k) & stamp_ink)
        if len(xs) == 0:
            continue
        points = np.column_stack([xs, ys]).astype(np.float32)
        rect = cv2.minAreaRect(points)
        x, y, w, h = cv2.boundingRect(points)
        if w * h <= _UPRIGHT_SLACK * rect[1][0] * rect[1][1]:  # a round stamp has no angle of its own
            corners = np.array([[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1]], np.float64)
        else:
            corners = _upright_corners(np.asarray(cv2.boxPoints(rect), np.float64))
        words.append(
            DetectedWord(quad=(corners + 0.5) / ink.scale - 0.5, block=first_block + len(words), line=0, kind="stamp")
        )
    return words


def _upright_corners(box: np.ndarray) -> np.ndarray:
    """A rotated rectangle's corners as TL, TR, BR, BL, the top edge the one nearest to level and above."""
    centre = box.mean(axis=0)
    angles = np.arctan2(box[:, 1] - centre[1], box[:, 0] - centre[0])
    box = box[np.argsort(angles)]  # clockwise on screen (y down), starting near the upper left
    top = min(range(4), key=lambda i: box[i, 1] + box[(i + 1) % 4, 1])
    return np.roll(box, -top, axis=0)


def _printed(
    plan: _LinePlan,
    words: Sequence[Sequence[int]],
    lines: np.ndarray | None = None,
    *,
    known: Sequence[bool] | None = None,
) -> list[bool]:
    """Which words of a line are set in type (:mod:`.printed`), from their main components and their outline.

    ``lines`` are the printed lines taken out of the page's ink
    (:attr:`.InkMask.lines`): a word whose letters stand on one had their
    bottoms cut level with it, a baseline that a hand did not draw.
    ``known``: which words are known to be printed by other evidence (a
    label in a column of labels, a box's answer); they lend their levels to
    their neighbours.
    """
    letters = [[plan.components[i] for i in members if plan.components[i].main] for members in words]
    boxes = [[letter.extent(plan.angle) for letter in word] for word in letters]
    cut = [_on_removed_line(word, lines) for word in letters]
    outlines, against, profiles = [], [], []
    for word, word_boxes in zip(letters, boxes):
        profile = _profile(word, plan.angle)
        outlines.append(profile is not None and profile_printed(*profile, plan.scale))
        against.append(profile is not None and capitals_against_type(word_boxes, *profile, plan.scale))
        profiles.append(profile)
    for k, sure in enumerate(known or ()):
        if sure:
            outlines[k], against[k] = True, False
    return printed_words(boxes, plan.scale, outlines, cut, against, profiles)


def _capitals_in_type(plan: _LinePlan, pen_width: float) -> bool:
    """Whether a line that looks like characters is capitals set in type: drawn with little stroke (as kana
    are, see :func:`_cjk_statistics`) and standing on type's levels (:func:`.printed.print_evidence`, judged
    as several words). A heading in wide bold capitals (``ORDER FORM``) is as square and as tall as a line of
    kana, but its letters' bottoms and tops are level to the pixel, as no hand sets them; a character of many
    strokes stays a character, printed or not."""
    units = _main_units(plan)
    if not units or np.median(_strokes(units, pen_width)) >= _CAPITAL_STROKE:
        return False
    boxes = [c.extent(plan.angle) for c in plan.components if c.main]
    return print_evidence(boxes, plan.scale, whole_pixels=False).printed


def _boxes_apart(
    plan: _LinePlan, words: Sequence[Sequence[int]], pen_width: float
) -> tuple[list[list[int]], list[bool]]:
    """The line's words with a box to tick at a word's start made a word of its own (ticked or not), and
    which words are such boxes.

    A form's box stands a letter's width before its printed answer
    (``[x] Yes``): taken as one word with it, the box (and the tick in it)
    hid the answer's levels, and the answer was traced. Apart, the answer is
    judged as type beside the question it answers, and the box with its
    tick is the hand's word, never taken for print (the tick says which
    answer was given).
    """
    out: list[list[int]] = []
    boxed: list[bool] = []
    for members in words:
        first = min(members, key=lambda i: float(plan.components[i].xs.min()))
        rest = [i for i in members if i != first]
        if rest and plan.components[first].main and _tick_box(plan.components[first], plan.scale, pen_width):
            out += [[first], rest]
            boxed += [True, False]
        else:
            out.append(list(members))
            boxed.append(False)
    return out, boxed


def _box_answers(
    plan: _LinePlan, words: Sequence[Sequence[int]], pen_width: float, *, beside_print: bool
) -> list[bool]:
    """Which words of a line are the printed answers of its boxes to tick (``[x] Yes  [ ] No``).

    A word that begins right of a box (beyond the box's right side, not a
    tick inside it), within _ANSWER_REACH of the box's sides, and no taller
    than _ANSWER_HEIGHT of them, on a line where at least two boxes are each
    followed so, or one on a line with print (``beside_print``: the
    question; blur fills a ticked box so that it no longer shows as one): a
    hand's own words rarely stand after a printed box. The answers' letters
    are too few (``No``) and often too blurred to show type's levels, and
    the question before them may be too far for its levels to reach them.
    """
    answers = [False] * len(words)
    found = []
    for k in range(len(words) - 1):
        first = min(words[k], key=lambda i: float(plan.components[i].xs.min()))
        box = plan.components[first]
        side = _tick_box_side(box, plan.scale, pen_width) if box.main else 0
        if not side:
            continue
        right = float(box.xs.min()) + side
        after = words[k + 1]
        xs = np.concatenate([plan.components[i].xs for i in after])
        ys = np.concatenate([plan.components[i].ys for i in after])
        if right <= xs.min() <= right + _ANSWER_REACH * side and np.ptp(ys) + 1 <= _ANSWER_HEIGHT * side:
            found.append(k + 1)
    if len(found) >= 2 or (found and beside_print):
        for k in found:
            answers[k] = True
    return answers


def _tick_box(component: _Component, letter_height: float, pen_width: float) -> bool:
    """Whether a piece of ink holds a square outline at its lower left, taller than its line's letters: a box to tick
    (a tick in it may reach above and beyond it). Each side of the square is inked along most of it."""
    return _tick_box_side(component, letter_height, pen_width) > 0


def _tick_box_side(component: _Component, letter_height: float, pen_width: float) -> int:
    """The side of the box to tick at a piece's lower left (pixels; see :func:`_tick_box`), 0 when none."""
    x0, y1 = int(component.xs.min()), int(component.ys.max())
    band = max(2, int(round(pen_width)) + 1)
    bottom = np.zeros(int(component.xs.max()) - x0 + 1, bool)
    low = component.ys >= y1 - band + 1
    bottom[component.xs[low].astype(np.intp) - x0] = True
    side = int(np.argmin(bottom)) if not bottom.all() else len(bottom)  # the bottom's run from the left corner
    if not (_BOX_SIZE[0] * letter_height <= side <= _BOX_SIZE[1] * letter_height) or side < 3 * band:
        return 0
    y0 = y1 - side + 1
    inside = (component.xs < x0 + side) & (component.ys >= y0)
    xs, ys = component.xs[inside].astype(np.intp) - x0, component.ys[inside].astype(np.intp) - y0
    square = np.zeros((side, side), bool)
    square[ys, xs] = True
    edges = (
        square[:band].any(axis=0),
        square[-band:].any(axis=0),
        square[:, :band].any(axis=1),
        square[:, -band:].any(axis=1),
    )
    if not all(float(e.mean()) >= _BOX_SIDES for e in edges):
        return 0
    # its left and bottom sides are straight (a tick may cross the others): an o's or a b's bowl curves
    middle = slice(side // 5, side - side // 5)
    rows, columns = square[middle], square[:, middle]
    if not rows.any(axis=1).all() or not columns.any(axis=0).all():
        return 0
    left = np.argmax(rows, axis=1)
    foot = side - 1 - np.argmax(columns[::-1], axis=0)
    return side if int(np.ptp(left)) <= _BOX_STRAIGHT and int(np.ptp(foot)) <= _BOX_STRAIGHT else 0


def _on_type_levels(plan: _LinePlan) -> bool:
    """Whether a line's letters stand on type's levels (:func:`.printed.print_evidence`), however unevenly
    sized or spaced (a bold heading's letters run together into blobs)."""
    evidence = print_evidence([c.extent(plan.angle) for c in plan.components if c.main], plan.scale)
    return attrs.evolve(evidence, sized=True, even=True).printed


def _profile(letters: Sequence[_Component], angle: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The ink of a word's letters along and across its line (``u``, ``v``); ``None`` when they are all lines
    (a double underline is flat and straight too)."""
    boxes = [letter.extent(angle) for letter in letters]
    if not boxes or all(u1 - u0 >= _LINE_LIKE * (v1 - v0 + 1) for u0, u1, v0, v1 in boxes):
        return None
    main = [letter.project(angle) for letter in letters]
    return np.concatenate([m[0] for m in main]), np.concatenate([m[1] for m in main])


@attrs.frozen
class _LineStart:
    """A line's first word: where its ink starts (working pixels) and its letter height, and where the line's
    words sit in the page's list (``first``: the index of its first)."""

    plan: _LinePlan
    words: tuple[tuple[int, ...], ...]
    first: int
    x: float
    y: float
    height: float

    @classmethod
    def of(cls, plan: _LinePlan, words: Sequence[Sequence[int]], first: int) -> _LineStart:
        ink = [plan.components[i] for i in words[0]]
        letters = [c for c in ink if c.main] or ink
        heights = [e[3] - e[2] + 1 for e in (c.extent(plan.angle) for c in letters)]
        return cls(
            plan=plan,
            words=tuple(tuple(w) for w in words),
            first=first,
            x=min(float(c.xs.min()) for c in ink),
            y=float(np.mean([float(np.mean(c.ys)) for c in ink])),
            height=float(np.median(heights)),
        )

    def near_type(self) -> bool:
        """Whether the word's column outline comes near type's (:func:`.printed.profile_near_type`)."""
        ink = [self.plan.components[i] for i in self.words[0]]
        profile = _profile([c for c in ink if c.main] or ink, self.plan.angle)
        return profile is not None and profile_near_type(*profile, self.plan.scale)


def _labels_in_columns(starts: Sequence[_LineStart], typeset: list[bool], lines: np.ndarray | None) -> list[bool]:
    """``typeset`` with the lines whose first word stands in a column of printed line starts and comes near type
    (:func:`.printed.aligned_starts`) judged again, that word printed.

    A form's labels are set flush left, one under another: a label blurred
    past counting its letters (``Occupation:`` in three blobs) still starts
    where the labels found above and below it start, to the pixel.
    """
    printed = [typeset[start.first] for start in starts]
    aligned = aligned_starts([(start.x, start.y, start.height) for start in starts], printed)
    out = list(typeset)
    for start, in_column in zip(starts, aligned):
        if in_column and start.near_type():
            line = slice(start.first, start.first + len(start.words))
            # what the line showed before stays (a box's answer), the first word lends its levels to the rest
            known = [k == 0 or printed for k, printed in enumerate(typeset[line])]
            out[line] = _printed(start.plan, start.words, lines, known=known)
    return out


def _on_removed_line(letters: Sequence[_Component], lines: np.ndarray | None) -> bool:
    """Whether most ``letters`` stand on a removed printed line: their lowest pixels on or right above it."""
    if lines is None or not letters:
        return False
    height = lines.shape[0]
    standing = 0
    for letter in letters:
        low = letter.ys >= letter.ys.max() - 0.5
        xs, ys = letter.xs[low].astype(np.intp), letter.ys[low].astype(np.intp)
        below = np.zeros(len(xs), bool)
        for step in range(-_CUT_REACH, _CUT_REACH + 1):
            inside = (ys + step >= 0) & (ys + step < height)
            below[inside] |= lines[ys[inside] + step, xs[inside]]
        standing += bool(below.mean() >= 0.5)
    return 2 * standing >= len(letters)


def _components(mask: np.ndarray, stroke_width: float) -> tuple[list[_Component], float]:
    """The ink's connected components with their pixels, and the text height (working pixels).

    The text height is the median height of the components bigger than a
    dot; components under half of it (and not long) are dots, accents and
    punctuation: they follow the main components into lines and words.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return [], 0.0
    ys, xs = np.nonzero(labels)
    order = np.argsort(labels[ys, xs], kind="stable")
    ys, xs = ys[order].astype(np.float64), xs[order].astype(np.float64)
    bounds = np.concatenate([[0], np.cumsum(stats[1:, cv2.CC_STAT_AREA])])
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    bigger = np.maximum(widths, heights) >= max(3.0, 2.5 * stroke_width)
    text_height = float(np.median(heights[bigger] if bigger.any() else heights))
    main = (heights >= _MAIN_HEIGHT * text_height) | (widths >= 1.5 * text_height)
    components = [
        _Component(xs=xs[bounds[i] : bounds[i + 1]], ys=ys[bounds[i] : bounds[i + 1]], main=bool(main[i]))
        for i in range(count - 1)
    ]
    return components, text_height


def _blocks(shape: tuple[int, ...], components: Sequence[_Component], text_height: float) -> list[list[int]]:
    """Indices of the components in each block: ink within about half a text height of other ink."""
    factor = max(1, int(text_height // 4))
    height, width = max(1, shape[0] // factor), max(1, shape[1] // factor)
    grid = np.zeros((height, width), np.uint8)
    cells = [
        (
            np.minimum(c.ys.astype(np.int64) // factor, height - 1),
            np.minimum(c.xs.astype(np.int64) // factor, width - 1),
        )
        for c in components
    ]
    for rows, cols in cells:
        grid[rows, cols] = 1
    # wider along x: words of a line are further apart than lines are (ellipse, so slanted lines still join)
    reach = max(1, round(_BLOCK_REACH * text_height / factor))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (6 * reach + 1, 2 * reach + 1))
    grid = cv2.dilate(grid, kernel)
    _, labels = cv2.connectedComponents(grid, connectivity=8)
    blocks: dict[int, list[int]] = {}
    for index, (rows, cols) in enumerate(cells):
        blocks.setdefault(int(labels[rows[0], cols[0]]), []).append(index)
    return list(blocks.values())


def _columns_of_glyphs(plans: Sequence[_LinePlan], pen_width: float) -> bool:
    """Whether a block's upright lines are columns of CJK characters."""
    return _looks_cjk(plans, pen_width) or _stacked_glyphs(plans)


def _orientation(
    components: Sequence[_Component], text_height: float, *, margin: float = _COLUMNS
) -> tuple[float, bool]:
    """The block's line direction (radians) and whether its lines are vertical columns.

    The ink is projected across candidate directions; lines are where the
    projection is most concentrated (largest sum of squared histogram bins).
    Vertical columns must beat horizontal lines clearly (by ``margin``), and
    need a few components (a lone ``l`` is not a column).
    """
    xs = np.concatenate([c.xs for c in components])
    ys = np.concatenate([c.ys for c in components])
    step = max(1, len(xs) // 6000)
    xs, ys = xs[::step], ys[::step]
    if _shapeless(xs, ys, text_height):
        # a lone character or a short word: no line to measure (the sharpest projection of a square
        # glyph is along a diagonal); the page's own axes are the best guess, unless the ink stands
        # in columns of stacked characters (two columns of two characters are as wide as tall)
        return (math.pi / 2, True) if _stacked_columns(components) else (0.0, False)
    binsize = max(1.0, text_height / 6)

    def sharpness(angle: float) -> float:
        v = ys * math.cos(angle) - xs * math.sin(angle)
        hist = np.bincount(((v - v.min()) / binsize).astype(np.int64))
        return float(np.sum(hist.astype(np.float64) ** 2))

    def best(low: float, high: float) -> tuple[float, float]:
        coarse = np.radians(np.arange(low, high + 1e-9, 3.0))
        angle = max(coarse, key=sharpness)
        fine = angle + np.radians(np.arange(-3.0, 3.01, 0.5))
        angle = float(max(fine, key=sharpness))
        return angle, sharpness(angle)

    horizontal, h_score = best(-60.0, 60.0)
    lone = sum(c.main for c in components) < 3
    if abs(math.degrees(horizontal)) > _ROUND_SKEW and (
        _isotropic(xs, ys) or (lone and _short_along(xs, ys, horizontal))
    ):
        # ink as wide as it is tall turned far from the page axes is a glyph (a dense character's
        # sharpest projection can be a diagonal), not a line written at an angle: that one is long
        # along its angle. So is a lone word, but not a lone tall glyph (an ``l``, a ``1``, 卢),
        # whose sharpest projection is the steepest the search allows
        horizontal, h_score = 0.0, sharpness(0.0)
    if lone:
        return horizontal, False
    vertical, v_score = best(60.0, 120.0)
    if v_score > margin * h_score:
        return vertical, True
    return horizontal, False


def _short_along(xs: np.ndarray, ys: np.ndarray, angle: float) -> bool:
    """The ink reaches less than ``_LINE_LENGTH`` times as far along ``angle`` as across it."""
    along = xs * math.cos(angle) + ys * math.sin(angle)
    across = ys * math.cos(angle) - xs * math.sin(angle)
    return bool(np.ptp(along) < _LINE_LENGTH * np.ptp(across))


def _one_character(block: Sequence[_Component]) -> _LinePlan | None:
    """The block as one line of one CJK character whose parts are small beside it, else ``None``.

    A character built from many small parts (the dots of 氵, the bars of 言)
    has a median part height, the page's text height, far below its own
    size, so it is not shapeless by that measure, and its parts stack into
    line peaks: 詐 would be cut into three lines of Latin words. Lines of
    text never have one component spanning half the block across its lines,
    a character's parts often do (the 丨 of 胖, the 乍 of 詐); with the ink
    about as wide as it is tall and the bars and posts of a glyph, it is one
    character, read upright.
    """
    mains = [c for c in block if c.main]
    if len(mains) < 2 or _widest_blank(np.concatenate([c.xs for c in mains])) >= _COLUMN_GAP:
        return None  # one part or columns of characters
    xs = np.concatenate([c.xs for c in block])
    ys = np.concatenate([c.ys for c in block])
    step = max(1, len(xs) // 6000)
    if not _isotropic(xs[::step], ys[::step]):
        return None
    top, height = float(ys.min()), float(np.ptp(ys)) + 1
    middle = top + 0.5 * height
    if not any(
        float(np.ptp(c.ys)) + 1 >= _CJK_SPANNING_PART * height and c.ys.min() < middle < c.ys.max() for c in mains
    ):
        return None  # no part spans the middle (two rows of characters have a gap there)
    whole = _LinePlan.of(block, 0.0, fit=False)  # its parts are no line to fit an angle to
    return whole if _square_glyph(whole) else None


def _widest_blank(coords: np.ndarray) -> float:
    """The widest run of whole pixels without ink inside the range of ``coords``, as a share of that range."""
    filled = np.flatnonzero(np.bincount((coords - coords.min()).astype(np.int64)))
    return float(np.max(np.diff(filled) - 1, initial=0)) / (int(filled[-1]) + 1)


def _stacked_columns(components: Sequence[_Component]) -> bool:
    """The main ink stands in columns side by side, each of characters stacked with a gap between them.

    Columns are cut where a blank band down the ink is ``_COLUMN_GAP`` of
    its width; each needs two parts one above the other with blank rows
    between (a short Latin word has no blank band across its letters, and
    a lone character leaves no band that wide).
    """
    mains = [c for c in components if c.main]
    if len(mains) < 3:
        return False
    xs = np.concatenate([c.xs for c in mains])
    x0, width = float(xs.min()), float(np.ptp(xs)) + 1
    filled = np.flatnonzero(np.bincount((xs - x0).astype(np.int64)))
    cuts = [x0 + (a + b) / 2 for a, b in zip(filled[:-1], filled[1:]) if b - a - 1 >= _COLUMN_GAP * width]
    if not cuts:
        return False
    columns: list[list[_Component]] = [[] for _ in range(len(cuts) + 1)]
    for c in mains:
        columns[int(np.searchsorted(cuts, float(np.median(c.xs))))].append(c)
    return all(len(column) >= 2 and _widest_blank(np.concatenate([c.ys for c in column])) > 0 for column in columns)


def _stacked_glyphs(plans: Sequence[_LinePlan]) -> bool:
    """Columns of too few characters to count (two in each): every main unit, upright, is a CJK glyph."""
    glyphs = [
        _LinePlan.of([plan.components[i] for i in unit], 0.0, fit=False)
        for plan in plans
        for unit, main in zip(plan.units, plan.main)
        if main
    ]
    return len(glyphs) >= 2 and all(_square_glyph(glyph) for glyph in glyphs)


def _shapeless_block(block: Sequence[_Component], text_height: float) -> bool:
    xs = np.concatenate([c.xs for c in block])
    ys = np.concatenate([c.ys for c in block])
    step = max(1, len(xs) // 6000)
    return _shapeless(xs[::step], ys[::step], text_height)


def _isotropic(xs: np.ndarray, ys: np.ndarray) -> bool:
    """Principal axes of the ink within a factor ``_SHAPELESS_RATIO`` of each other."""
    if len(xs) < 3:
        return True
    low, high = np.linalg.eigvalsh(np.cov(np.stack([xs, ys])))
    return bool(high <= _SHAPELESS_RATIO**2 * max(low, 1e-9))


def _shapeless(xs: np.ndarray, ys: np.ndarray, text_height: float) -> bool:
    """Ink that sets no direction: about as wide as it is tall (principal axes within a factor 2)
    and no longer than ``_SHAPELESS_SIZE`` text heights."""
    if len(xs) < 3:
        return True
    low, high = np.linalg.eigvalsh(np.cov(np.stack([xs, ys])))
    size = max(float(np.ptp(xs)), float(np.ptp(ys)))
    return bool(high <= _SHAPELESS_RATIO**2 * max(low, 1e-9) and size <= _SHAPELESS_SIZE * text_height)


def _lines(components: Sequence[_Component], angle: float, text_height: float) -> list[list[_Component]]:
    """Cut a block's ink into lines along ``angle``, top line first (see the module's step 3)."""
    projected = [c.project(angle)[1] for c in components]
    v = np.concatenate(projected)
    # a margin of empty rows so the first and last lines are peaks, not edges
    low = math.floor(float(v.min())) - math.ceil(text_height)
    histogram = np.bincount((v - low).astype(np.int64), minlength=int(np.ptp(v) + 2 * text_height + 2))
    profile = gaussian_1d(histogram, max(1.0, text_height / 4), mode="constant")
    peaks = _find_peaks(profile, max(1.0, _LINE_SPACING * text_height), _LINE_PROMINENCE * profile.max())
    if len(peaks) == 0:
        peaks = np.array([int(np.argmax(profile))])
    valleys = np.array([p + int(np.argmin(profile[p:q])) for p, q in zip(peaks[:-1], peaks[1:])]) + low
    lines: list[list[_Component]] = [[] for _ in peaks]
    for component, across in zip(components, projected):
        band = np.searchsorted(valleys, across)
        counts = np.bincount(band, minlength=len(peaks))
        if (
            component.main
            and np.ptp(across) > _TWO_LINES_HEIGHT * text_height
            and np.sum(counts >= _TWO_LINES_SHARE * len(across)) >= 2
        ):
            for index in np.nonzero(counts)[0]:
                keep = band == index
                lines[index].append(attrs.evolve(component, xs=component.xs[keep], ys=component.ys[keep]))
        else:
            lines[int(np.searchsorted(valleys, np.median(across)))].append(component)
    return [line for line in lines if line]


def _find_peaks(x: np.ndarray, distance: float, prominence: float) -> np.ndarray:
    """Indices of the peaks of ``x`` at least ``distance`` apart and ``prominence`` high, ascending.

    The rules of ``scipy.signal.find_peaks(x, distance=..., prominence=...)``
    (local maxima, a plateau's middle; then the higher of two close peaks
    wins; then prominence = height above the higher of the lowest points on
    either side before higher ground), written out because importing
    ``scipy.signal`` costs half a second, more than laying out a page.
    """
    n = len(x)
    peaks = []
    i = 1
    while i < n - 1:
        if x[i - 1] < x[i]:
            j = i
            while j + 1 < n - 1 and x[j + 1] == x[i]:
                j += 1
            if x[j + 1] < x[i]:
                peaks.append((i + j) // 2)
            i = j + 1
        else:
            i += 1
    if not peaks:
        return np.zeros(0, dtype=np.int64)
    index = np.array(peaks, dtype=np.int64)
    keep = np.ones(len(index), dtype=bool)
    reach = math.ceil(distance)
    for k in np.argsort(x[index])[::-1]:
        if not keep[k]:
            continue
        near = np.abs(index - index[k]) < reach
        near[k] = False
        keep &= ~near
    index = index[keep]
    out = []
    for peak in index:
        left = peak
        low_left = x[peak]
        while left > 0 and x[left - 1] <= x[peak]:
            left -= 1
            low_left = min(low_left, x[left])
        right = peak
        low_right = x[peak]
        while right < n - 1 and x[right + 1] <= x[peak]:
            right += 1
            low_right = min(low_right, x[right])
        if x[peak] - max(low_left, low_right) >= prominence:
            out.append(peak)
    return np.asarray(out, dtype=np.int64)


def _line_angle(line: Sequence[_Component], angle: float, height: float) -> float:
    """The line's own direction: the block's, turned by a least-squares fit of the line's ink.

    A short line (a word or two) keeps the block's direction: a fit over a
    few letters follows their shapes, not the line.
    """
    us, vs = zip(*(c.project(angle) for c in line))
    u, v = np.concatenate(us), np.concatenate(vs)
    if np.ptp(u) < 4 * height:
        return angle
    step = max(1, len(u) // 4000)
    slope = np.polyfit(u[::step], v[::step], 1)[0]
    return angle + math.atan(float(slope))


@attrs.frozen
class _LinePlan:
    """A line cut into units (components overlapping along it), before the units become words.

    ``components`` are the line's ink, ``angle`` its own direction, ``scale``
    the median height of its main components (working pixels), ``units``
    indices into ``components``, ``spans`` each unit's extent along the
    line, ``heights`` each unit's extent across it and ``main`` whether a unit
    holds more than dots and punctuation.
    """

    components: tuple[_Component, ...]
    angle: float
    scale: float
    units: tuple[tuple[int, ...], ...]
    spans: tuple[tuple[float, float], ...]
    heights: tuple[float, ...]
    main: tuple[bool, ...]

    @classmethod
    def of(cls, components: Sequence[_Component], block_angle: float, *, fit: bool = True) -> _LinePlan:
        """The plan of a line; ``fit=False`` keeps ``block_angle`` instead of fitting the line's own."""
        line = range(len(components))
        mains = [i for i in line if components[i].main] or list(line)
        first = [components[i].extent(block_angle) for i in mains]
        angle = (
            _line_angle(components, block_angle, float(np.median([e[3] - e[2] + 1 for e in first])))
            if fit
            else block_angle
        )
        extents = sorted((components[i].extent(angle), i) for i in line)
        scale = float(np.median([e[3] - e[2] + 1 for e, i in extents if i in mains]))
        units: list[list[int]] = []
        boxes: list[list[float]] = []
        for (u0, u1, v0, v1), i in extents:
            if units and u0 <= boxes[-1][1]:
                units[-1].append(i)
                box = boxes[-1]
                box[1], box[2], box[3] = max(box[1], u1), min(box[2], v0), max(box[3], v1)
            else:
                units.append([i])
                boxes.append([u0, u1, v0, v1])
        return cls(
            components=tuple(components),
            angle=angle,
            scale=scale,
            units=tuple(tuple(unit) for unit in units),
            spans=tuple((box[0], box[1]) for box in boxes),
            heights=tuple(box[3] - box[2] + 1 for box in boxes),
            main=tuple(any(components[i].main for i in unit) for unit in units),
        )

    def relative_gaps(self) -> list[float]:
        """Gaps of a pixel or more between main units, in letter heights: the evidence for letter and word gaps."""
        spans = [span for span, main in zip(self.spans, self.main) if main]
        gaps = [spans[k][0] - spans[k - 1][1] for k in range(1, len(spans))]
        return [gap / self.scale for gap in gaps if gap >= 1.0]

    def split(self, page_gap: float, *, joined_up: bool, cjk: bool) -> list[list[int]]:
        """Component indices of each word, in reading order.

        A gap over the word gap starts a word (for CJK, a gap between parts
        of a character, or a unit that would make the character wider than a
        square); a unit of dots or punctuation joins the word before it when
        it is within a letter height.
        """
        threshold = _line_word_gap(self.relative_gaps(), page_gap, joined_up) * self.scale
        words: list[list[int]] = [list(self.units[0])]
        start = self.spans[0][0]
        for k in range(1, len(self.units)):
            gap = self.spans[k][0] - self.spans[k - 1][1]
            if not self.main[k] and gap <= self.scale:
                split = False
            elif cjk:
                split = gap > _CJK_PART_GAP * self.scale or self.spans[k][1] - start > _CJK_CHARACTER * self.scale
            else:
                split = gap > threshold
            if split:
                words.append(list(self.units[k]))
                start = self.spans[k][0]
            else:
                words[-1].extend(self.units[k])
        return words


def _looks_cjk(plans: Sequence[_LinePlan], pen_width: float) -> bool:
    """CJK: the main units along the lines are about square and nearly all as tall as their line.

    Separate Latin letters are often x-height (half the line) or narrow
    (``l``, ``i``), and cursive words are long, so neither passes. Capitals
    are all as tall as their line, but narrower than most characters and
    drawn with less stroke (see :func:`_cjk_statistics`). Lines with too few
    units to count are told by their shape: one line that looks like one
    character.
    """
    verdict = _cjk_statistics(plans, pen_width)
    if verdict is None:
        return len(plans) == 1 and _square_glyph(plans[0])
    return verdict


def _cjk_statistics(plans: Sequence[_LinePlan], pen_width: float) -> bool | None:
    """Whether the lines' main units are CJK characters by their sizes and ink (see :func:`_looks_cjk`);
    ``None`` when too few units count (those of lines with three or more).

    A line of capitals (a form's printed heading, block letters) passes the
    size test. A capital is drawn with two or three of its heights of stroke
    (E: a post and three arms, O: a ring) and is narrower than high; a
    character is drawn with four or more across a square (我: seven strokes).
    Kana, with little stroke, are as wide as high. A bold heading's capitals
    are as wide as high too, but drawn with a broader pen than the page's.
    """
    ratios, aspects, strokes = [], [], []
    for plan in plans:
        units = _main_units(plan)
        if len(units) < 3:
            continue
        tallest = max(h for _, h, _ in units)
        ratios += [h / tallest for _, h, _ in units]
        aspects += [w / h for w, h, _ in units]
        strokes += _strokes(units, pen_width)
    if len(ratios) < 3:
        return None
    # nearly all units full height (no x-height letters) and none narrow (no l, i, t)
    sized = np.percentile(ratios, 25) >= 0.85 and np.percentile(aspects, 25) >= 0.65 and np.median(aspects) <= 1.6
    if not sized:
        return False
    stroke, narrow = float(np.median(strokes)), bool(np.median(aspects) < _CAPITAL_ASPECT)
    if stroke < _CAPITAL_STROKE and narrow:
        return False
    # a heading's capitals are often drawn with a broader pen than the page's handwriting: counted in the page's
    # pen width, they pass for characters of many strokes. Counted in their own, narrow ones are capitals
    # whenever it is the broader (a character is about as wide as high), wide ones only when it is clearly
    # broader (a bold heading), as a dense character's own pen width measures broader than it is
    own = _own_pen_width(plans)
    in_own = stroke * pen_width / max(own, 1.0)
    broader = own > pen_width if narrow else own >= _BOLD * pen_width
    return not (broader and in_own < _CAPITAL_STROKE)


def _main_units(plan: _LinePlan) -> list[tuple[float, float, int]]:
    """Each main unit of a line: its width along the line, its height across it, and its ink (pixels)."""
    return [
        (b - a + 1, h, sum(len(plan.components[i].xs) for i in unit))
        for (a, b), h, main, unit in zip(plan.spans, plan.heights, plan.main, plan.units)
        if main
    ]


def _strokes(units: Sequence[tuple[float, float, int]], pen_width: float) -> list[float]:
    """Each unit's ink counted in strokes of the pen across its height (a capital two or three, a character four
    or more)."""
    return [ink / (max(pen_width, 1.0) * h) for _, h, ink in units]


def _own_pen_width(plans: Sequence[_LinePlan]) -> float:
    """The median pen width of the lines' ink alone (pixels)."""
    xs = np.concatenate([c.xs for plan in plans for c in plan.components]).astype(np.int64)
    ys = np.concatenate([c.ys for plan in plans for c in plan.components]).astype(np.int64)
    mask = np.zeros((int(ys.max() - ys.min()) + 3, int(xs.max() - xs.min()) + 3), bool)
    mask[ys - ys.min() + 1, xs - xs.min() + 1] = True
    return stroke_width(mask)


#: a box to tick is this many of its line's letter heights wide (taller than an o: boxes on the synthetic forms
#: 1.24-1.42, printed o's taken for boxes 0.69-0.9), and its outline inked along this share of each side
_BOX_SIZE = (1.1, 2.0)
_BOX_SIDES = 0.85
#: ... its left and bottom sides straight: their middle three fifths within this many pixels of a row or column
_BOX_STRAIGHT = 1
#: a box's printed answer begins within this many of the box's sides after it, and is at most this many tall
_ANSWER_REACH = 2.0
_ANSWER_HEIGHT = 1.5
#: a glyph is square when its width / height lies in this range
_SQUARE = (0.65, 1.6)
#: a line's units are capitals, not characters, when their median stroke (ink over pen width, in unit heights)
#: is below this and their median width below this share of their height
_CAPITAL_STROKE = 3.0
_CAPITAL_ASPECT = 0.9
#: ... or, whatever their width, when drawn with a pen this many times the page's (a bold heading) and their stroke
#: counted in its width is below _CAPITAL_STROKE
_BOLD = 1.5
#: a glyph with one long bar has at least this many long posts (亻 and the parts of 义 beside it)
_SIDE_BY_SIDE_POSTS = 3
#: a long straight stroke spans at least this share of the glyph's width (horizontal) or height (vertical)
_LONG_STROKE = 0.4


def _square_glyph(plan: _LinePlan) -> bool:
    """A short line that looks like one CJK character: square, with two long horizontals and a long vertical.

    Handwritten Latin words of one or two units are rarely square, and when
    they are (``by``, ``to``) they lack two straight bars running across
    most of the word; most CJK characters have them (``一``-like bars, a
    ``丨``-like post). A character of two parts side by side (亻 beside 义,
    木 beside 會) often has only one bar that long, but posts in both parts:
    one long bar and ``_SIDE_BY_SIDE_POSTS`` posts also make a glyph. Measured
    in the line's own frame, so a slight rotation does not matter.
    """
    if not any(plan.main):
        return False
    us, vs = zip(*(c.project(plan.angle) for c in plan.components))
    u, v = np.concatenate(us), np.concatenate(vs)
    u, v = (u - u.min()).astype(np.int64), (v - v.min()).astype(np.int64)
    width, height = int(u.max()) + 1, int(v.max()) + 1
    if not _SQUARE[0] <= width / height <= _SQUARE[1] or min(width, height) < 8:
        return False
    grid = np.zeros((height, width), np.uint8)
    grid[v, u] = 1
    grid = cv2.morphologyEx(grid, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    # thickened across its direction first, a hand-drawn bar rising a little still runs along one row
    slack = max(3, round(0.08 * max(width, height)))
    across = cv2.dilate(grid, np.ones((slack, 1), np.uint8))
    bars = cv2.morphologyEx(across, cv2.MORPH_OPEN, np.ones((1, max(3, round(_LONG_STROKE * width))), np.uint8))
    along = cv2.dilate(grid, np.ones((1, slack), np.uint8))
    posts = cv2.morphologyEx(along, cv2.MORPH_OPEN, np.ones((max(3, round(_LONG_STROKE * height)), 1), np.uint8))
    horizontal = cv2.connectedComponents(bars, connectivity=8)[0] - 1
    vertical = cv2.connectedComponents(posts, connectivity=8)[0] - 1
    return (horizontal >= 2 and vertical >= 1) or (horizontal >= 1 and vertical >= _SIDE_BY_SIDE_POSTS)


def _otsu_split(values: Sequence[float], joined_up: bool) -> tuple[float, float] | None:
    """Two-class split of positive ``values`` in log space: (threshold, ratio of the class means).

    ``None`` with fewer than four values. The split is Otsu's (least
    within-class variance), then moved up to the widest jump between
    neighbouring values of the upper class that lies in ``_WORD_GAP_RANGE``,
    when that jump is wider than the one at the split (``_VALLEY_JUMP``
    times wider if the split itself lies in the range; of jumps within
    ``_NEAR_WIDEST`` of the widest, the lowest). A line of separate
    print letters has many letter gaps of varied size and few word gaps:
    plain Otsu cuts the letter gaps in two, while the word gaps stand apart
    by a wider jump above. Between separate letters (not ``joined_up``),
    gaps below the range are letters almost touching; in log space a few of
    them would draw Otsu's split down to them, so for choosing it they count
    as gaps at the bottom of the range.

    The threshold lies midway (in log space) between the two classes'
    nearest members, or lower, at ``_LETTER_GAP_MARGIN`` times the usual
    (80th percentile) letter gap: a tight word gap is still wider than most
    letter gaps.
    """
    logs = np.sort(np.log(np.asarray([v for v in values if v > 0], dtype=np.float64)))
    if len(logs) < 4:
        return None
    n = len(logs)
    raised = logs if joined_up else np.maximum(logs, math.log(_WORD_GAP_RANGE[0]))
    spreads = [raised[:k].var() * k + raised[k:].var() * (n - k) for k in range(1, n)]
    k = 1 + int(np.argmin(spreads))
    jumps, middles = np.diff(logs), (logs[:-1] + logs[1:]) / 2
    allowed = (middles >= math.log(_WORD_GAP_RANGE[0])) & (middles <= math.log(_WORD_GAP_RANGE[1]))
    while True:
        candidates = [j for j in range(k, n - 1) if allowed[j]]
        top = max((jumps[j] for j in candidates), default=0.0)
        widest = min((j for j in candidates if jumps[j] >= _NEAR_WIDEST * top), default=None)
        # a split where no word gap can lie yields to any wider jump; one that can, only to a much wider one
        if widest is None or jumps[widest] < (_VALLEY_JUMP if allowed[k - 1] else 1.0) * jumps[k - 1]:
            break
        k = widest + 1
    low, high = logs[:k], logs[k:]
    # a gap clearly wider than the usual letter gap is a word gap even if the classes put it with the letters
    usual = math.log(_LETTER_GAP_MARGIN) + float(np.percentile(low, 80))
    return math.exp(min((low[-1] + high[0]) / 2, max(usual, low[0]))), math.exp(high.mean() - low.mean())


def _word_gap(relative_gaps: Sequence[float], joined_up: bool) -> float:
    """The page's word gap in letter heights: where its gaps split into letter gaps and word gaps.

    Without two clear classes of gaps, a default: lower for joined-up
    writing, whose units are whole words (a pen lift inside a word seldom
    leaves a gap along the line) measured with their ascenders and descenders.
    """
    split = _otsu_split(relative_gaps, joined_up)
    if split is None or split[1] < _PAGE_SEPARATION:
        return _DEFAULT_JOINED_WORD_GAP if joined_up else _DEFAULT_WORD_GAP
    return float(np.clip(split[0], *_WORD_GAP_RANGE))


def _joined_up(plans: Sequence[_LinePlan]) -> bool:
    """Most main units on the page are wide: words of joined-up letters, not separate letters."""
    aspects = [
        (b - a + 1) / h for plan in plans for (a, b), h, main in zip(plan.spans, plan.heights, plan.main) if main
    ]
    return bool(aspects) and float(np.median(aspects)) >= _JOINED_UP_ASPECT


def _line_word_gap(relative_gaps: Sequence[float], page_gap: float, joined_up: bool) -> float:
    """A line with enough clearly two-sized gaps sets its own word gap; others use the page's.

    One wide gap is no class: a line of small print blurred into a blob a word has only word gaps, and one
    gap to a stray mark above them would set its word gap above them all.
    """
    split = _otsu_split(relative_gaps, joined_up) if len(relative_gaps) >= 6 else None
    if split is None or split[1] < _LINE_SEPARATION or sum(g > split[0] for g in relative_gaps) < 2:
        return page_gap
    return float(np.clip(split[0], *_WORD_GAP_RANGE))


def _quad(xs: np.ndarray, ys: np.ndarray, angle: float, pad: float) -> np.ndarray:
    """The padded box of the pixels in a frame turned by ``angle``: TL, TR, BR, BL in page pixels."""
    c, s = math.cos(angle), math.sin(angle)
    u = xs * c + ys * s
    v = ys * c - xs * s
    u0, u1 = u.min() - pad - 0.5, u.max() + pad + 0.5
    v0, v1 = v.min() - pad - 0.5, v.max() + pad + 0.5
    corners = np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])
    return np.stack([corners[:, 0] * c - corners[:, 1] * s, corners[:, 0] * s + corners[:, 1] * c], axis=1)
