"""Latin or CJK, rows or columns, words of a line, on pen recordings (issue 13, part 8).

The layout tells CJK lines by statistics of their units; a line or a column
with one or two units is told by shape instead. These are the tuning
recordings of ``../shared/data/ink`` (docs/quality-split.md): the UNIPEN
word list ``app2200`` (whose ``Boy`` looks like one glyph), the UNIPEN line
``jwsr102`` (tight word gaps) and the right column of the MyScript Japanese
capture (手書), set side by side.
"""

from __future__ import annotations

import numpy as np
import pytest

from inksight_sdk.evaluation import load_myscript_strokes, load_unipen_strokes, render_page
from inksight_sdk.vision import detect_layout, extract_ink
from tests.conftest import shared
from tests.drawing import pen_mask, scaled_to, write

PEN = 3.5


def _page(strokes: list[np.ndarray]) -> np.ndarray:
    """The strokes drawn black on white with the 3.5 px pen."""
    return np.where(pen_mask(strokes, PEN), 0, 255).astype(np.uint8)


def _column() -> list[np.ndarray]:
    """手 above 書: the right column of the capture (its first 10 strokes)."""
    return load_myscript_strokes(shared("ink", "myscript", "ja_JP-2Columns.json"))[:10]


def _rendered(name: str, style: str, seed: int) -> np.ndarray:
    """A UNIPEN recording rendered as quality_recordings.py does: tall strokes 40 px, the 3.5 px pen."""
    strokes = load_unipen_strokes(shared("ink", "unipen", name))
    scale = 40.0 / float(np.percentile([np.ptp(s[:, 1]) for s in strokes], 90))
    return render_page(strokes, style=style, pen_width=PEN, scale=scale, seed=seed).image


@pytest.mark.parametrize(("style", "seed"), [("clean", 0), ("clean", 3), ("dim_rotated", 0), ("dim_rotated", 3)])
def test_a_list_of_latin_words_has_no_cjk_word(style, seed):
    # Build / Boy / Calm / Cannon: Boy is two units (Bo, y), about square, with bars and posts;
    # before, it was taken for one CJK character (and cut into two), or merged with Calm when rotated
    layout = detect_layout(_rendered("app2200.dat", style, seed))
    assert layout.words and all(word.script == "latin" for word in layout.words)
    assert layout.direction == "ltr"


@pytest.mark.parametrize("tall", [30.0, 40.0, 56.0])
def test_two_columns_of_two_characters_are_columns(tall):
    # 手書 twice side by side: as wide as tall, so no line direction can be measured, but a blank band
    # runs down the middle and each side is two characters stacked
    column = scaled_to(_column(), tall)
    width = float(np.ptp(np.concatenate(column)[:, 0]))
    layout = detect_layout(_page([s + (1.6 * width, 0.0) for s in column] + column))
    assert layout.direction == "ttb"
    assert len(layout.words) == 4 and all(word.script == "cjk" for word in layout.words)
    centres = np.array([word.quad.mean(axis=0) for word in layout.words])
    middle = float(np.mean(centres[:, 0]))
    # the right column first, each column top to bottom
    assert centres[0, 0] > middle and centres[1, 0] > middle and centres[2, 0] < middle and centres[3, 0] < middle
    assert centres[0, 1] < centres[1, 1] and centres[2, 1] < centres[3, 1]
    assert [(word.line, word.block) for word in layout.words] == [(0, 0), (0, 0), (1, 0), (1, 0)]


def test_a_row_of_two_characters_in_parts_is_a_row():
    # 書 beside 書: each is built of parts one above the other with blank rows between, but one
    # character is about square, no column of two
    column = scaled_to(_column(), 40.0)
    middle = float(np.concatenate(column)[:, 1].mean())
    bottom = [s for s in column if s[:, 1].mean() >= middle]
    width = float(np.ptp(np.concatenate(bottom)[:, 0]))
    layout = detect_layout(_page(bottom + [s + (1.6 * width, 0.0) for s in bottom]))
    assert layout.direction == "ltr"
    xs = [float(word.quad[:, 0].mean()) for word in layout.words]
    assert xs == sorted(xs)


def test_one_column_of_two_characters_is_still_read_top_to_bottom():
    layout = detect_layout(_page(scaled_to(_column(), 40.0)))
    ys = [float(word.quad[:, 1].mean()) for word in layout.words]
    assert len(ys) == 2 and ys[0] < ys[1]
    assert all(word.script == "cjk" for word in layout.words)


@pytest.mark.parametrize(("style", "seed"), [("clean", 0), ("clean", 1), ("dim_rotated", 0)])
def test_a_line_with_tight_word_gaps_is_cut_into_words(style, seed):
    # jwsr102, 14 words of joined-up writing: its word gaps (0.41-0.47 letter heights) stand between
    # pen lifts inside words (up to 0.3) and one wider gap after "Sen."; the split lay above the word
    # gaps, at the nearly as wide jump below that lone gap, and the whole line was one word
    layout = detect_layout(_rendered("jwsr102.dat", style, seed))
    assert 6 <= len(layout.words) <= 14
    xs = [float(word.quad[:, 0].mean()) for word in layout.words]
    assert xs == sorted(xs) and all(word.line == 0 for word in layout.words)


def test_a_row_of_characters_is_not_capitals_in_type():
    """手書 written three times in a row is square and full height like a heading in wide bold capitals, but its
    characters' bottoms and tops wander as a hand sets them; a line of type's capitals stands level, drawn with
    little stroke (a row of one printed character stamped six times is level too, but inky: characters)."""
    from inksight_sdk.vision.layout import _capitals_in_type, _components, _LinePlan

    pair = scaled_to(_column(), 40.0)
    middle = float(np.concatenate(pair)[:, 1].mean())
    first = [s for s in pair if s[:, 1].mean() < middle]
    second = [s for s in pair if s[:, 1].mean() >= middle]
    lift = float(np.concatenate(second)[:, 1].min() - np.concatenate(first)[:, 1].min())
    step = 1.3 * float(np.ptp(np.concatenate(pair)[:, 0]))
    both = first + [s + (step, -lift) for s in second]
    row = [s + (2 * k * step, 0.0) for k in range(3) for s in both]
    ink = extract_ink(_page(row))
    components, _ = _components(ink.mask, ink.stroke_width)
    assert not _capitals_in_type(_LinePlan.of(components, 0.0), ink.stroke_width)
    capitals = np.full((120, 900), 255, np.uint8)
    write(capitals, "WOMB CODE DOOM", (20, 80), font="futural", size=40, pen=5.0, color=0)
    ink = extract_ink(capitals)
    components, _ = _components(ink.mask, ink.stroke_width)
    assert _capitals_in_type(_LinePlan.of(components, 0.0), ink.stroke_width)


def test_one_wide_gap_does_not_set_a_lines_own_word_gap():
    """A footer's small print blurred into a blob a word: its gaps are all word gaps, and one gap to a stray mark
    stands far above them. Taken for two classes, the line set its word gap above every word gap and stayed one
    word; one gap is no class, and the page's word gap holds. Two or more wide gaps still set the line's own."""
    from inksight_sdk.vision.layout import _line_word_gap

    footer = [0.19, 0.37, 0.38, 0.38, 0.39, 0.39, 0.39, 0.48, 0.48, 0.48, 0.48, 0.48, 0.48, 2.62]
    assert _line_word_gap(footer, 0.25, False) == 0.25
    letters = [0.1, 0.12, 0.15, 0.11, 0.13, 0.14, 0.9, 1.0, 1.1]  # separate letters, three word gaps
    assert 0.15 < _line_word_gap(letters, 0.3, False) < 0.9
