"""Print or handwriting: is a word set in type (a form label, a heading, typewriting)?

A hand cannot do what type does without effort: every letter of a printed
word stands on one straight baseline, and its letters' tops fall on two
levels only (the x-height and the cap or ascender height), to a small
fraction of the letter height. Handwriting wanders by a tenth of a letter
height or more, and joined-up writing has too few separate letters to
measure at all. So a word is *printed* when it has enough separate letters
and nearly all of their bottoms lie on one line and their tops on at most two
(three in a word of seven letters or more: capitals, ascenders and a t's top
differ by a pixel in many faces), within a tolerance that never drops below
half a working pixel either way (a whole one for the bottoms, whose edge may
fall on either of two rows); small type at the working resolution stays
undecided, so handwriting is kept.

The measure uses the word's connected components in its line's frame
(``u`` along the line, ``v`` across it, downwards), as the layout finds
them; letters a descender carries below the baseline (g, p, y) and accents
are outliers that the share-based test tolerates. A phone photo's blur joins
letters of small type and moves their bottoms by about a pixel: a long word
may hold one joined blob, and a short word beside print may sit within two
tolerances of its baseline (a hand filling in a form misses by more).

Type also sets a word's letters evenly: the gaps between them keep the
letters' sidebearings and vary by a pixel or two, while a hand printing
separate letters (a round display hand in a register) spaces them as it
goes. A word whose gaps spread by more than a sixth of the letter height
is not type by its letters, however level they stand: at a few pixels to
the letter, the pixel grid alone lines a neat hand up. Block capitals of a
hand stand as level in their boxes, all a capital's height; along each
letter their tops wander where type's run flat (:func:`capitals_against_type`).

Small type in a phone photo is blurred into a blob or two per word: no
letters to count. Its outline still shows what type is. Along the word,
column by column, the lowest ink lies on the baseline in most columns (all
but the round bottoms' flanks and the descenders) and the highest ink on two
levels (x-height, and capitals and ascenders); a hand's columns wander, up
and down its joins and loops (:func:`profile_printed`). Only words several
letter heights long and as tall as letters are judged so: a dash, a rule's
remnant or a short word holds too few columns to tell.

A form is printed in one ink and filled in with another: where the words
found printed share a colour that the handwritten ones clearly do not (black
toner, a blue pen), a word in the print's colour and far from the
handwriting's is printed too, though its letters are too few or too blurred
to show type's levels (:func:`printed_by_colour`). Where the pen is as black
as the print, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

__all__ = [
    "PrintEvidence",
    "aligned_starts",
    "capitals_against_type",
    "print_evidence",
    "printed_by_colour",
    "printed_words",
    "profile_near_type",
    "profile_printed",
]

#: a word needs this many separate letters to show a baseline of its own
_MIN_LETTERS = 5
#: a letter's bottom or top is "on the line" within this share of the letter height (round letters
#: overshoot the baseline by a percent or two of it in type) ...
_LEVEL_SHARE = 0.025
#: ... but never within less than this many working pixels (quantisation) ...
_LEVEL_PIXELS = 0.5
#: ... and nearly all bottoms (this share) within this many: the boxes are whole pixels, and a baseline lying
#: between two rows falls on either (a heading's bottoms read 67 under some capitals, 68 under others). Only nearly
#: all: neat handwriting has three bottoms in four within a pixel, its tops on three levels by chance
_BASELINE_PIXELS = 1.0
_BASELINE_PIXELS_SHARE = 0.9
#: printed: at least this share of its letters on the baseline, and of their tops on the type's levels (the
#: rest: a descender, an accent, a quote mark)
_LEVEL_SHARE_OF_MANY = 0.75
#: type sets its letters evenly: the gaps between a word's letters spread (standard deviation) by at most this share
#: of the letter height (on the synthetic forms and the register, 95 % of the printed words found by their letters
#: spread under 0.14; handwriting that passed the level test, up to 0.35)
_GAP_SPREAD = 0.16
#: a word beside print whose tallest mark is under this share of the print's usual letter is a dash or a dot
_SHORTEST = 0.5
#: no letter of printed type is taller or wider than these multiples of the word's median letter height
#: (a bracket or an ascender is ~1.5, a ligature or a W ~2)
_TALLEST = 2.0
_WIDEST = 2.5
#: ... but a word of this many letters may hold one this wide: a phone photo's blur merges two or three
#: letters of small type into one component, and enough other letters still show the baseline (a word of
#: five has too few to excuse an odd one: neat handwriting on a rule passes the level test then)
_WIDEST_MERGED = 4.0
_MIN_LETTERS_MERGED = 6
#: the tops of a word's letters fall on this many levels (x-height, and capitals with ascenders) ...
_TOP_LEVELS = 2
#: ... or, in a word of this many letters, on one more: a font's capitals stand lower than its ascenders, and a
#: t between them (a few words that long show all three; a hand's tops wander over far more)
_MANY_LETTERS = 7
_TOP_LEVELS_MANY = 3
#: a descender reaches this far below the baseline (shares of the usual letter height)
_DESCENDER = (0.15, 0.6)
#: a word with its neighbours up to _WINDOW words away on either side holding this many letters is judged with
#: them ("Page 1 of 1": four words of one to three letters), when their marks are letters: their median height at
#: least this share of the line's letters (a run of small marks, two-letter words of x-height letters a few pixels
#: tall, lies level by the pixel grid alone)
_WINDOW_LETTERS = 8
_WINDOW = 2
_WINDOW_HEIGHT = 0.6
#: ... and judged with those two words away only when this share of the letters are on the type's levels
_WIDE_WINDOW_SHARE = 0.8
#: a word's column profile (lowest and highest ink per column along the line) is type's when at least this share
#: of its columns end on one baseline and this share start on two top levels, within _PROFILE_SHARE of the
#: smaller of the line's letter height and the word's own height (at least _PROFILE_PIXELS) ...
_PROFILE_BASE = 0.65
_PROFILE_TOPS = 0.9
#: ... or this share of its columns on the top levels over this share on the baseline: a blurred label's tops
#: round off between its levels more than its bottoms leave the line (on the synthetic forms, 15 labels of 62
#: missed; no handwritten word of the forms or the tuning photos has both)
_PROFILE_TOPS_BLURRED = 0.85
_PROFILE_BASE_FIRM = 0.75
_PROFILE_SHARE = 0.06
_PROFILE_PIXELS = 1.0
#: ... for a word at least this many pixels tall (smaller handwriting is as flat within a pixel) and this many
#: times as long, whose columns hold at least this many pixels of ink up and down in the middle (this share of
#: the word's height): letters, not a dash, a line, or two lines merged by blur
_PROFILE_TALL = 8.0
_PROFILE_LENGTH = 2.0
_PROFILE_COLUMN = 3.0
_PROFILE_COLUMN_SHARE = 0.4
#: ... and the tops of a word with this many times as many inked columns as it is tall on three levels (x-height,
#: capitals, ascenders)
_PROFILE_LONG = 6.0
#: a word of letters all at least this share of its tallest letter's height whose columns' tops lie on type's top
#: levels in fewer than this share of them is no type, whatever its letters' boxes show (on the synthetic forms
#: filled in with block capitals: 19 of 31 handwritten words taken for print by their letters, none of 145 printed)
_ALL_AS_TALL = 0.75
_PROFILE_TOPS_AGAINST = 0.72
#: a word comes near type when this share of its columns end on one baseline and this share start on three top
#: levels (on the synthetic forms, seeds 0 and 100: 71 of 99 labels missed at the start of a line aligned with
#: printed ones, 3 handwritten words there, table cells written flush with their header)
_NEAR_BASE = 0.55
_NEAR_TOPS = 0.8
#: a line's first word stands in a column of printed ones within this share of its letter height of their line
#: (at least this many working pixels), the column upright to within this slant (dx per dy)
_ALIGNED_SHARE = 0.1
_ALIGNED_PIXELS = 1.5
_ALIGNED_SLANT = 0.1
#: ... holding at least this many printed line starts of other lines, whose letters are at least the start's
#: letter height over this
_ALIGNED_COLUMN = 3
_ALIGNED_TALLER = 1.3
#: a word next to a printed word of its line is printed when its letters (at least this many) sit on
#: the printed words' baseline and top levels
_MIN_LETTERS_BESIDE_PRINT = 1
#: ... at most this many words away; the levels are taken from the line's printed words, or from those near
#: it (a page bends along a line)
_REACH = 2
#: ... or when this share of its columns end on their baseline and this share start on their top levels
#: (:func:`_outline_beside`; on the synthetic forms, seed 100: labels found 0.889 -> 0.901, no handwritten word
#: more taken for print, also at 0.75)
_BESIDE_BASE = 0.6
_BESIDE_TOPS = 0.8


#: print spreads by colour when at least this many words are printed and as many handwritten, and the median
#: colours (shares of optical density per channel) of the two differ by at least this in some channel ...
_COLOUR_WORDS = 3
_COLOURS_APART = 0.06
#: ... to a word within this share of that difference of the print's colour and beyond this share of the
#: handwriting's
_NEAR_PRINT = 0.2
_FAR_FROM_HAND = 0.7
#: ... to at most this many times as many words as the letters showed printed
_SPREAD_AT_MOST = 2.0


@attrs.frozen
class PrintEvidence:
    """What a word's letters show: how many, and what share sit on a baseline and on two top levels."""

    letters: int
    baseline: float
    toplines: float
    sized: bool = True
    """No letter is much taller or wider than the word's usual letter (a pen stroke through a label is)."""
    even: bool = True
    """The letters are evenly spaced, as type sets them."""

    @property
    def printed(self) -> bool:
        return (
            self.sized
            and self.even
            and self.letters >= _MIN_LETTERS
            and min(self.baseline, self.toplines) >= _LEVEL_SHARE_OF_MANY
        )


Box = tuple[float, float, float, float]


def print_evidence(boxes: Sequence[Box], letter_height: float, *, whole_pixels: bool = True) -> PrintEvidence:
    """The evidence of a word's main components, given as ``(u0, u1, v0, v1)`` boxes in its line's frame.

    ``letter_height`` is the line's median letter height (working pixels).
    ``whole_pixels=False`` holds the bottoms to the finer tolerance only
    (for several words judged together: more letters, more chance).
    """
    if len(boxes) < _MIN_LETTERS:
        return PrintEvidence(len(boxes), 0.0, 0.0)
    b = np.asarray(boxes, dtype=np.float64)
    centre = 0.5 * (b[:, 0] + b[:, 1])
    tolerance = _tolerance(letter_height)
    slope = _slope(centre, b[:, 3])
    bottoms = b[:, 3] - slope * centre
    off = np.abs(bottoms - np.median(bottoms))
    baseline = float(np.mean(off <= tolerance))
    whole = float(np.mean(off <= max(tolerance, _BASELINE_PIXELS)))
    if whole_pixels and whole >= _BASELINE_PIXELS_SHARE:
        baseline = max(baseline, whole)
    # the tops, with the baseline's slope taken out, fall on two levels (x-height, capitals and ascenders), or
    # three in a long word.
    # Not "each near another top": handwriting sitting on a removed rule has its bottoms cut level, and
    # among ten letters most tops find a neighbour within a pixel or two by chance
    levels = _TOP_LEVELS_MANY if len(boxes) >= _MANY_LETTERS else _TOP_LEVELS
    # one word's letters are evenly spaced in type (several words judged together have word gaps between them)
    even = not whole_pixels or _evenly_spaced(b, letter_height)
    return PrintEvidence(len(boxes), baseline, _levels(b[:, 2] - slope * centre, tolerance, levels), _sized(b), even)


def _evenly_spaced(boxes: np.ndarray, letter_height: float) -> bool:
    """Whether a word's letters (``(u0, u1, v0, v1)`` boxes) stand evenly spaced along its line, as type sets them.

    The gaps between neighbouring letters spread (standard deviation) by at
    most _GAP_SPREAD of the letter height: type's letters keep their
    sidebearings, so its gaps vary with the letters' shapes by a pixel or
    two, while a hand printing separate letters spaces them as it goes.
    """
    if len(boxes) < 3:
        return True
    order = np.argsort(boxes[:, 0])
    gaps = boxes[order[1:], 0] - boxes[order[:-1], 1]
    return float(np.std(gaps)) <= _GAP_SPREAD * letter_height


def _sized(boxes: np.ndarray) -> bool:
    """Type keeps every letter within a small range of sizes; handwriting over or beside print does not."""
    heights = boxes[:, 3] - boxes[:, 2] + 1
    widths = boxes[:, 1] - boxes[:, 0] + 1
    usual = float(np.median(heights))
    widest = _WIDEST_MERGED if len(boxes) >= _MIN_LETTERS_MERGED else _WIDEST
    return bool(heights.max() <= _TALLEST * usual and widths.max() <= widest * usual)


def profile_printed(u: np.ndarray, v: np.ndarray, letter_height: float) -> bool:
    """Whether a word's ink pixels (``u`` along its line, ``v`` across it, downwards) have type's outline.

    Per whole column along the line, the lowest ink (``v`` largest) and the
    highest; with the baseline's slope taken out (Theil-Sen over the
    bottoms), most bottoms lie on one level and nearly all tops on two,
    within a share of the smaller of the line's ``letter_height`` and the
    word's own height (a short cursive word of x-height letters in a line of
    tall ones is held to its own size). A long word's tops may fall on three
    (x-height, capitals, ascenders: a serif face's differ); a short word of
    neat handwriting (``ana``, ``look``) finds three levels by chance. Blur
    rounds a small label's tops off between its levels: fewer of them on
    the levels will do over a firmer baseline.
    """
    levels = _profile_levels(u, v, letter_height)
    if levels is None:
        return False
    on_base, on_tops, _ = levels
    if on_base >= _PROFILE_BASE_FIRM and on_tops >= _PROFILE_TOPS_BLURRED:
        return True
    return on_base >= _PROFILE_BASE and on_tops >= _PROFILE_TOPS


def capitals_against_type(boxes: Sequence[Box], u: np.ndarray, v: np.ndarray, letter_height: float) -> bool:
    """Whether a word of letters all about as tall (capitals: ``boxes`` as for :func:`print_evidence`) shows by
    its column profile (``u``, ``v``: :func:`profile_printed`) that it is not type, though its boxes stand level.

    A hand printing block capitals sets five of them with their bottoms
    within a pixel and their tops on two levels by chance (the boxes are all
    a capital's height), but along each letter its tops wander: an A's
    apex, an M's two peaks and the V between, a bar drawn with a tremor.
    Type's capitals run flat along their tops. Words with letters of several
    heights are left alone (an italic face's dots and t's scatter their
    columns' tops over more levels than two), and so are words too short to
    show type by their letters (an L's foot is a third level of ``LOG``).
    """
    heights = [v1 - v0 + 1 for _, _, v0, v1 in boxes]
    if len(heights) < _MIN_LETTERS or min(heights) < _ALL_AS_TALL * max(heights):
        return False
    levels = _profile_levels(u, v, letter_height)
    return levels is not None and levels[1] < _PROFILE_TOPS_AGAINST


def profile_near_type(u: np.ndarray, v: np.ndarray, letter_height: float) -> bool:
    """Whether a word's column profile comes near type's (:func:`profile_printed`), short of proving it.

    Its bottoms on one level in most columns and its tops on three levels
    (x-height, capitals and ascenders, a t's or an i's dot) in most: a small
    label blurred by a phone's lens, whose descenders and rounded tops leave
    its levels here and there. Evidence to add to other evidence (a column
    of labels, :func:`aligned_starts`), never enough alone: neat handwriting
    comes as near.
    """
    levels = _profile_levels(u, v, letter_height)
    return levels is not None and levels[0] >= _NEAR_BASE and levels[2] >= _NEAR_TOPS


def _profile_levels(u: np.ndarray, v: np.ndarray, letter_height: float) -> tuple[float, float, float] | None:
    """Shares of a word's columns whose lowest ink lies on one level, and whose highest lies on the type's top
    levels, and on three levels; ``None`` for a word too small or too flat to judge (:func:`profile_printed`)."""
    if len(u) == 0:
        return None
    along, bottom, top = _columns(u, v)
    tall = float(np.ptp(v))
    column = float(np.median(bottom - top))
    if tall < _PROFILE_TALL or len(along) < _PROFILE_LENGTH * tall:
        return None
    if column < max(_PROFILE_COLUMN, _PROFILE_COLUMN_SHARE * tall):
        return None
    step = max(1, len(along) // 60)  # the pairwise slopes of 60 columns are plenty
    slope = _slope(along[::step], bottom[::step])
    tolerance = max(_PROFILE_PIXELS, _PROFILE_SHARE * min(letter_height, tall))
    on_base = _levels(bottom - slope * along, tolerance, 1)
    levels = _TOP_LEVELS_MANY if len(along) >= _PROFILE_LONG * tall else _TOP_LEVELS
    tops = top - slope * along
    return on_base, _levels(tops, tolerance, levels), _levels(tops, tolerance, _TOP_LEVELS_MANY)


def _columns(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per whole column along the line that holds ink: where it lies (counted from ``u``'s least), its lowest ink
    and its highest (``v`` largest and least)."""
    cols = np.rint(u - u.min()).astype(np.int64)
    n = int(cols.max()) + 1
    bottom = np.full(n, -np.inf)
    top = np.full(n, np.inf)
    np.maximum.at(bottom, cols, v)
    np.minimum.at(top, cols, v)
    inked = np.isfinite(bottom)
    return np.flatnonzero(inked).astype(np.float64), bottom[inked], top[inked]


def _outline_beside(
    word: tuple[np.ndarray, np.ndarray], printed: Sequence[tuple[np.ndarray, np.ndarray]], letter_height: float
) -> bool:
    """Whether a word's column profile sits on the baseline and top levels of the printed words beside it.

    A word blurred into one blob (``contact:``), or whose x-height letters
    run together while its neighbour's letters stand apart, shows no letters
    to set on the neighbour's levels; its columns do. Three in five of its
    columns end on the print's baseline (descenders leave it) and four in
    five start on the print's top levels (x-height, capitals, ascenders), as
    the print's own columns show them. A hand's columns wander up and down
    its loops and joins.
    """
    if not printed:
        return False
    along, bottom, top = _columns(*word)
    along += float(word[0].min())
    tall = float(np.ptp(word[1]))
    if tall < _PROFILE_TALL or float(np.median(bottom - top)) < max(_PROFILE_COLUMN, _PROFILE_COLUMN_SHARE * tall):
        return False
    ref = [_columns(u, v) for u, v in printed]
    ref_along = np.concatenate([r[0] + float(u.min()) for r, (u, _) in zip(ref, printed)])
    ref_bottom = np.concatenate([r[1] for r in ref])
    ref_top = np.concatenate([r[2] for r in ref])
    step = max(1, len(ref_along) // 60)
    slope = _slope(ref_along[::step], ref_bottom[::step])
    tolerance = max(_PROFILE_PIXELS, _PROFILE_SHARE * letter_height)
    (base,) = _level_centres(ref_bottom - slope * ref_along, tolerance, 1)
    levels = np.asarray(_level_centres(ref_top - slope * ref_along, tolerance, _TOP_LEVELS_MANY))
    height = base - float(levels.min())  # the print's tallest letters
    if height <= 0 or not _SHORTEST * height <= tall <= _TALLEST * height:
        return False
    on_base = np.abs(bottom - slope * along - base) <= tolerance
    tops = top - slope * along
    on_top = np.min(np.abs(tops[:, None] - levels[None, :]), axis=1) <= tolerance
    return float(on_base.mean()) >= _BESIDE_BASE and float(on_top.mean()) >= _BESIDE_TOPS


def aligned_starts(starts: Sequence[tuple[float, float, float]], printed: Sequence[bool]) -> list[bool]:
    """Which line starts stand in a column of printed line starts: a form's labels, set flush left.

    ``starts`` are the first words of lines, each as ``(x, y, height)``: the
    left end of its ink, the middle of its line and its letter height
    (working pixels, on one page). A start is in a column when it lies
    within _ALIGNED_SHARE of its height (at least _ALIGNED_PIXELS) of an
    upright line through _ALIGNED_COLUMN printed starts of other lines
    (upright to within _ALIGNED_SLANT: a photo's slight turn); two could
    line up by chance. Type set flush left starts its lines to the pixel,
    its letters' sidebearings aside; a hand starts each line where the pen
    comes down.
    """
    out = [False] * len(starts)
    anchors = np.array([start for start, p in zip(starts, printed) if p], dtype=np.float64).reshape(-1, 3)
    if len(anchors) < 2:
        return out
    first, second = np.triu_indices(len(anchors), 1)
    (xi, yi), (xj, yj) = anchors[first, :2].T, anchors[second, :2].T
    apart = np.abs(yj - yi) >= 1.0
    first, second, xi, yi = first[apart], second[apart], xi[apart], yi[apart]
    slant = (xj[apart] - xi) / (yj[apart] - yi)
    upright = np.abs(slant) <= _ALIGNED_SLANT
    first, second, xi, yi, slant = first[upright], second[upright], xi[upright], yi[upright], slant[upright]
    for k, (x, y, height) in enumerate(starts):
        if printed[k] or len(slant) == 0:
            continue
        other_row = np.abs(anchors[:, 1] - y) > 0.5 * height  # the column is made by other lines' starts
        # ... and not much smaller than the start: a cell's answer, written large under its small label, starts
        # where the labels start (a footer's small print set flush with the labels is print)
        other_row &= height <= _ALIGNED_TALLER * anchors[:, 2]
        tolerance = max(_ALIGNED_PIXELS, _ALIGNED_SHARE * height)
        through = np.flatnonzero(
            other_row[first] & other_row[second] & (np.abs(xi + slant * (y - yi) - x) <= tolerance)
        )
        for pair in through:  # and a third printed start on that line: a column, not two starts by chance
            along = xi[pair] + slant[pair] * (anchors[:, 1] - yi[pair])
            near = np.abs(along - anchors[:, 0]) <= np.maximum(_ALIGNED_PIXELS, _ALIGNED_SHARE * anchors[:, 2])
            if np.count_nonzero(near & other_row) >= _ALIGNED_COLUMN:
                out[k] = True
                break
    return out


def printed_words(
    words: Sequence[Sequence[Box]],
    letter_height: float,
    outlines: Sequence[bool] | None = None,
    cut: Sequence[bool] | None = None,
    against: Sequence[bool] | None = None,
    profiles: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> list[bool]:
    """Which words of one line (in order along it) are printed: by their own evidence, or beside print.

    A word too short to show a baseline on its own may show it with its
    neighbours, up to two words away on either side (short words of type,
    "Page 1 of 1"). A word too short to show a baseline ("de", "N°", "à") is
    also printed when it stands near a printed word of its line (at most two
    words away) and its letters sit on that line's baseline and reach its top
    levels (at least the share a word of its own needs): type set in one line
    shares them, a hand filling in a form beside a label does not.

    ``outlines`` says per word whether its column profile is type's
    (:func:`profile_printed`): a word blurred into too few letters to count
    is printed by it. ``cut`` says per word whether its letters stand on a
    removed printed line, which cut their bottoms level: such a word shows
    no baseline of its own, and lends none to its neighbours. ``against``
    says per word whether its outline shows it is no type
    (:func:`capitals_against_type`): such a word is not printed, by its
    letters or its neighbours', and lends no letters either. ``profiles``
    are the words' ink (``u``, ``v``, as for :func:`profile_printed`, or
    ``None``): a word beside print whose letters do not show its levels may
    show them by its columns (:func:`_outline_beside`).
    """
    tolerance = _tolerance(letter_height)
    out = [print_evidence(boxes, letter_height).printed for boxes in words]
    if outlines is not None:
        out = [own or bool(outline) for own, outline in zip(out, outlines)]
    for mute in (cut, against):
        if mute is not None:
            out = [own and not silent for own, silent in zip(out, mute)]
            words = [[] if silent else boxes for boxes, silent in zip(words, mute)]
    for k, boxes in enumerate(words):
        # short words of type side by side show together what none shows alone: first with the words next to
        # it, then, held to a stricter share, with those two away (more words hold more chance alignments)
        for reach, share in ((1, _LEVEL_SHARE_OF_MANY), (_WINDOW, _WIDE_WINDOW_SHARE)):
            if out[k] or not boxes:
                break
            window = [box for j in range(max(0, k - reach), min(len(words), k + reach + 1)) for box in words[j]]
            if len(window) < _WINDOW_LETTERS:
                continue
            evidence = print_evidence(window, letter_height, whole_pixels=False)
            on_levels = min(evidence.baseline, evidence.toplines) >= share
            # letters, not a run of small marks the line's letters dwarf
            heights = [box[3] - box[2] + 1 for box in window]
            on_levels = on_levels and float(np.median(heights)) >= _WINDOW_HEIGHT * letter_height
            out[k] = evidence.printed and on_levels and _on_levels(boxes, window, tolerance)
    changed = any(out)
    while changed:  # print spreads word by word along the line
        changed = False
        for k, boxes in enumerate(words):
            near = [j for j in range(k - _REACH, k + _REACH + 1) if j != k and 0 <= j < len(out) and out[j]]
            if out[k] or not near or len(boxes) < _MIN_LETTERS_BESIDE_PRINT:
                continue
            every = [box for j, printed in enumerate(out) if printed for box in words[j]]
            nearby = [box for j in near for box in words[j]]
            if _on_levels(boxes, nearby, tolerance) or _on_levels(boxes, every, tolerance):
                out[k] = changed = True
            elif profiles is not None and profiles[k] is not None:
                beside = [profiles[j] for j in near if words[j] and profiles[j] is not None]
                if _outline_beside(profiles[k], beside, letter_height):
                    out[k] = changed = True
    return out


def _on_levels(boxes: Sequence[Box], printed: Sequence[Box], tolerance: float) -> bool:
    """Whether letters sit on the baseline and top levels of nearby printed letters (a page may bend).

    One printed piece will do (a label blurred into a blob): its bottom is the baseline and its top a level.
    """
    if not printed:
        return False
    ref = np.asarray(printed, dtype=np.float64)
    centre = 0.5 * (ref[:, 0] + ref[:, 1])
    slope = _slope(centre, ref[:, 3])
    base = float(np.median(ref[:, 3] - slope * centre))
    tops = ref[:, 2] - slope * centre
    b = np.asarray(boxes, dtype=np.float64)
    usual = float(np.median(ref[:, 3] - ref[:, 2] + 1))
    # blur merges letters of a short word too; a word of one component must look like one letter
    widest = _WIDEST_MERGED if len(b) >= 2 else _WIDEST
    if (b[:, 3] - b[:, 2] + 1).max() > _TALLEST * usual or (b[:, 1] - b[:, 0] + 1).max() > widest * usual:
        return False
    if (b[:, 3] - b[:, 2] + 1).max() < _SHORTEST * usual:
        return False  # a dash or a dot: no letter to sit on the levels
    u = 0.5 * (b[:, 0] + b[:, 1])
    below = b[:, 3] - slope * u - base
    # type has more top levels than a word shows (x-height, t, ascender, capital, digit), a pixel apart
    on_top = np.min(np.abs((b[:, 2] - slope * u)[:, None] - tops[None, :]), axis=1) <= 2 * tolerance
    # a descender (g, p, y) ends well below the baseline, its top on a level
    descender = (below >= _DESCENDER[0] * usual) & (below <= _DESCENDER[1] * usual) & on_top
    # the bottoms too within two tolerances: a photo's blur and JPEG move a short word's bottoms by a pixel
    # (a hand beside a label misses by two or more)
    on_line = np.abs(below) <= 2 * tolerance
    # descenders hang from letters on the line: a word whose letters all end below it is off the line (but a
    # one-letter word, the French "y", may be a descender alone)
    on_base = on_line | (descender & (on_line.any() or len(b) == 1))
    share = 1.0 if len(b) <= _MIN_LETTERS else _LEVEL_SHARE_OF_MANY
    return min(float(on_base.mean()), float(on_top.mean())) >= share


def _tolerance(letter_height: float) -> float:
    return max(_LEVEL_PIXELS, _LEVEL_SHARE * letter_height)


def _slope(u: np.ndarray, v: np.ndarray) -> float:
    """The median of pairwise slopes (Theil-Sen): a descender or two does not tilt it."""
    du = u[None, :] - u[:, None]
    dv = v[None, :] - v[:, None]
    keep = np.triu(np.abs(du) > 1e-9, 1)
    return float(np.median(dv[keep] / du[keep])) if keep.any() else 0.0


def _levels(values: np.ndarray, tolerance: float, count: int) -> float:
    """The largest share of ``values`` within ``tolerance`` of one of ``count`` levels (greedy, densest first)."""
    centres = _level_centres(values, tolerance, count)
    if not centres:
        return 0.0
    near = np.min(np.abs(np.asarray(values)[:, None] - np.asarray(centres)[None, :]), axis=1) <= tolerance
    return float(np.count_nonzero(near)) / len(values)


def _level_centres(values: np.ndarray, tolerance: float, count: int) -> list[float]:
    """Up to ``count`` levels of ``values``, densest first: each the value with the most others within
    ``tolerance`` of it, those taken before the next is chosen."""
    rest = np.sort(values)
    centres = []
    for _ in range(count):
        if len(rest) == 0:
            break
        # for each value as a level's centre, how many lie within the tolerance of it
        near = np.searchsorted(rest, rest + tolerance, side="right") - np.searchsorted(
            rest, rest - tolerance, side="left"
        )
        centre = float(rest[int(np.argmax(near))])
        centres.append(centre)
        rest = rest[np.abs(rest - centre) > tolerance]
    return centres


def printed_by_colour(printed: Sequence[bool], colour_of: Callable[[int], np.ndarray | None]) -> list[bool]:
    """Which words of a page are printed once the print's ink is told from the pen's by colour.

    ``printed`` is what each word's letters showed; ``colour_of(k)`` gives
    word ``k``'s ink colour as shares of optical density per channel
    (``None``: no colour to go by, a CJK character or a grey image). It is
    asked for only on a page with enough words each way, so a page of
    handwriting alone reads no colours. Held to within a fifth of the
    difference of the print's colour: a thin blue mark fades towards grey.
    On the synthetic forms of ``benchmarks/print_forms.py`` (blue or black
    pens) the labels found went from 0.657 to 0.796 (16 further forms:
    0.678 to 0.741), the handwritten words lost stayed the same.
    """
    out = list(printed)
    if min(sum(out), len(out) - sum(out)) < _COLOUR_WORDS:
        return out
    colours = [colour_of(k) for k in range(len(out))]
    print_colours = [c for c, p in zip(colours, printed) if p and c is not None]
    hand_colours = [c for c, p in zip(colours, printed) if not p and c is not None]
    if len(print_colours) < _COLOUR_WORDS or len(hand_colours) < _COLOUR_WORDS:
        return out
    print_colour, hand_colour = np.median(print_colours, axis=0), np.median(hand_colours, axis=0)
    apart = float(np.abs(print_colour - hand_colour).max())
    if apart < _COLOURS_APART:
        return out
    for k, (colour, typeset) in enumerate(zip(colours, printed)):
        if typeset or colour is None:
            continue
        to_print = float(np.abs(colour - print_colour).max())
        to_hand = float(np.abs(colour - hand_colour).max())
        out[k] = to_print <= _NEAR_PRINT * apart and to_hand >= _FAR_FROM_HAND * apart
    if sum(out) - sum(printed) > _SPREAD_AT_MOST * len(print_colours):
        # more words in the print's colour than its letters showed, many times over: a second pen, not print
        # (a page written in two pens, a few of one pen's words taken for type)
        return list(printed)
    return out
