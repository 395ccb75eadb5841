"""Objects on the page (issue 13 part 4): a string across the writing is found, the writing is not.

Each test hands :func:`find_objects` what :func:`extract_ink` gives it: the
page's ink mask and pen width. Where the ink extraction already takes the
objects out (its ``objects`` layer), they are put back first, so the tests
hold both before and after the two are wired together.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from inksight_sdk import Pipeline
from inksight_sdk.evaluation import compare_ink, load_wacom_strokes
from inksight_sdk.evaluation.conditions import CONDITIONS, render_condition
from inksight_sdk.evaluation.render import RenderedPage
from inksight_sdk.vision import extract_ink
from inksight_sdk.vision.objects import find_objects
from tests.conftest import shared
from tests.drawing import write


def _ink(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The page's ink mask with any objects it took out put back, and the pen width."""
    ink = extract_ink(image, explain=True)
    objects = ink.layers.get("objects")
    mask = ink.mask | objects if objects is not None else ink.mask
    return mask, ink.stroke_width


def _near(mask: np.ndarray, reach: int) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)


@pytest.fixture(scope="module")
def note_string():
    """The Wacom note with a string across it, drawn as the ground-truth benchmark draws it (its seed)."""
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    seed = 10 + CONDITIONS.index("string")
    return render_condition(strokes, "string", pen_width=3.5, scale=0.9, seed=seed, rules=(78.0, 488.0), margin=40.0)


def test_string_across_the_note_is_found_and_the_writing_is_not(note_string):
    mask, pen = _ink(note_string.image)
    found = find_objects(mask, pen)
    string = (note_string.distractor > 0.5) & (note_string.ink < 0.1) & mask
    writing = (note_string.ink > 0.3) & mask & ~_near(note_string.distractor > 0.5, 2)
    assert found[string].mean() > 0.9
    # the writing crossing or touching the string keeps everything off it
    assert found[writing].mean() < 0.02


def test_strokes_crossing_a_string_of_their_own_colour_go_on_under_it(note_string):
    """With the benchmark's seed the string is as dark as the pen, so colour cannot give back the writing under
    it. A stroke crossing it ends on both sides pointing at the other end; the way between is ink again (before:
    2.6% of the writing under the string kept, note F1 0.970; after 24%, F1 0.976), the string itself is not."""
    ink = extract_ink(note_string.image, explain=True)
    under = (note_string.ink > 0.5) & (note_string.distractor > 0.5)
    string = (note_string.distractor > 0.5) & (note_string.ink < 0.05)
    assert ink.mask[under].mean() > 0.15
    assert ink.mask[string].mean() < 0.03


@pytest.mark.parametrize("seed", [1, 3, 7])
def test_strings_of_other_widths_and_colours_are_found(seed):
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    page = render_condition(strokes, "string", pen_width=3.5, scale=0.9, seed=seed, rules=(78.0, 488.0), margin=40.0)
    mask, pen = _ink(page.image)
    found = find_objects(mask, pen)
    assert found[(page.distractor > 0.5) & (page.ink < 0.1) & mask].mean() > 0.9
    assert found[(page.ink > 0.3) & mask & ~_near(page.distractor > 0.5, 2)].mean() < 0.02


def test_writing_on_a_string_of_another_colour_stays_ink():
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    page = render_condition(strokes, "string", pen_width=3.5, scale=0.9, seed=0, rules=(78.0, 488.0), margin=40.0)
    ink = extract_ink(page.image, explain=True)  # the page is small enough to be its own working image
    # the mask before the string was taken out (the page has no printed lines: the structure layer holds
    # nothing but what may be taken with the string)
    mask, pen = ink.mask | ink.layers["objects"] | ink.layers["structure"], ink.stroke_width
    on_string = (page.ink > 0.7) & (page.distractor > 0.5) & mask
    string = (page.distractor > 0.5) & (page.ink < 0.05) & mask
    assert find_objects(mask, pen)[on_string].mean() > 0.8  # shape alone takes what lies on the string
    found = find_objects(mask, pen, page.image)
    assert found[on_string].mean() < 0.2
    assert found[string].mean() > 0.9


def _shaded_band(page: np.ndarray, points: np.ndarray, width: int, colour: tuple[int, int, int]) -> np.ndarray:
    """A cord drawn on ``page`` in place: dark rim, lighter middle, a highlight; returns its mask."""
    body = np.zeros(page.shape[:2], np.uint8)
    cv2.polylines(body, [points.astype(np.int32)], False, 1, width)
    depth = np.clip(cv2.distanceTransform(body, cv2.DIST_L2, 5) / (width / 2), 0, 1)
    shaded = np.asarray(colour, np.float32) * (0.5 + 0.5 * depth)[..., None]
    highlight = np.zeros(page.shape[:2], np.uint8)
    cv2.polylines(highlight, [(points - [0, width // 5]).astype(np.int32)], False, 1, max(1, width // 5))
    shaded += 60.0 * highlight[..., None]
    inside = body.astype(bool)
    page[inside] = np.clip(shaded[inside], 0, 255).astype(np.uint8)
    return inside


def test_a_cable_drawn_over_handwriting_is_found_and_the_words_are_kept():
    page = np.full((500, 1000, 3), (246, 243, 236), np.uint8)
    words = write(page, "minimum handling", (60, 150), size=48, pen=3.0)
    words |= write(page, "quick brown fox", (60, 330), size=48, pen=3.0)
    x = np.arange(-20, 1020, 4.0)
    band = _shaded_band(page, np.column_stack([x, 250 + 90 * np.sin(x / 180)]), 14, (40, 40, 44))
    mask, pen = _ink(page)
    found = find_objects(mask, pen)
    assert found[band & mask].mean() > 0.9
    assert found[words & mask & ~_near(band, 2)].mean() < 0.02


def test_an_underline_as_broad_as_its_letters_is_no_object_whatever_the_pen_width_says():
    # chalk dust or paper texture can drag the pen's median width far below the writing's own: the mask itself,
    # letters and a long line drawn by hand under them with the same broad pen, against a pen width of 2
    page = np.full((400, 900, 3), 255, np.uint8)
    letters = write(page, "result sixteen", (60, 150), size=56, pen=6.0)
    x = np.arange(40, 860, 4.0)
    line = np.zeros(letters.shape, np.uint8)
    cv2.polylines(line, [np.column_stack([x, 170 + 30 * np.sin((x - 40) / 820 * np.pi)]).astype(np.int32)], False, 1, 6)
    line = line.astype(bool)
    assert find_objects(line, 2.0)[line].mean() > 0.9  # alone, it is a band against that pen
    assert not find_objects(letters | line, 2.0).any()  # beside letters as broad as itself, it is writing


def test_a_straight_border_along_the_rows_is_left_to_the_structure():
    # a table border three pens wide is printed structure (rules.py's), not a thing lying on the page;
    # the same band at a slant, as a pencil lies, is an object
    border = np.zeros((300, 900), np.uint8)
    cv2.line(border, (40, 150), (860, 150), 1, 8)
    pencil = np.zeros((300, 900), np.uint8)
    cv2.line(pencil, (40, 60), (860, 240), 1, 8)
    assert not find_objects(border.astype(bool), 2.5).any()
    assert find_objects(pencil.astype(bool), 2.5)[pencil.astype(bool)].mean() > 0.9


def test_a_thick_blob_is_an_object_and_the_stroke_touching_it_is_not():
    # the mask itself: a blob as thick as a clip's jaw beside a stroke of the pen that runs into it
    mask = np.zeros((300, 400), bool)
    cv2.circle(mask.view(np.uint8), (250, 150), 30, 1, -1)
    cv2.line(mask.view(np.uint8), (20, 40), (240, 150), 1, 4)
    stroke = np.zeros_like(mask)
    cv2.line(stroke.view(np.uint8), (20, 40), (200, 130), 1, 4)
    found = find_objects(mask, 4.0)
    blob = np.zeros_like(mask)
    cv2.circle(blob.view(np.uint8), (250, 150), 28, 1, -1)
    assert found[blob].all()
    assert not found[stroke].any()


def _photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(shared("photos", name)).convert("RGB"))


def test_broad_marker_writing_is_not_an_object():
    # "Also sharpie": a marker three to four times as wide as the pencil and pens beside it
    page = _photo("grid_yellow_pencil_pens_en.jpg")[380:1300, 200:1800]
    mask, pen = _ink(page)
    assert not find_objects(mask, pen).any()
    # nor with its colours (its pieces are then held to the looser bend of a band of its own colour, but they
    # are too short or uneven to be measured for it)
    assert not find_objects(mask, pen, np.ascontiguousarray(page)).any()


def test_dense_cursive_is_not_an_object():
    page = _photo("testaments_AD78_0054-0.jpg")
    mask, pen = _ink(page)
    found = find_objects(mask, pen)
    assert found.sum() < 0.002 * mask.sum()


def test_a_string_over_a_scanned_logbook_leaves_its_writing():
    page = _photo("grid_logbook1947_taped_moth_en.jpg").copy()
    clean, _ = _ink(page)
    y = np.arange(-20, page.shape[0] + 20, 3.0)
    band = _shaded_band(page, np.column_stack([330 + 60 * np.sin(y / 120), y]), 7, (196, 40, 40))
    mask, pen = _ink(page)
    found = find_objects(mask, pen)
    assert found[band & mask].mean() > 0.9
    assert found[clean & ~_near(band, 3)].mean() < 0.01


def test_no_pen_width_finds_nothing():
    mask = np.zeros((50, 50), bool)
    mask[10:40, 10:40] = True
    assert not find_objects(mask, 0.0).any()
    assert not find_objects(np.zeros((50, 50), bool), 3.0).any()


@pytest.mark.parametrize("seed", [0, 4, 5])
def test_a_string_along_an_underline_does_not_make_it_a_printed_line(seed):
    """With these seeds the string runs along the note's hand-drawn underline, or on from its end to the page's
    edge. Judged with the string still on the page, the underline was "a line across the sheet" (the string
    lengthened it) or "a line of another colour than the ink" (the string's colour in the ink's): removed as
    printed structure, with the letters the string lies on. Things on the page are found before the lines are."""
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    page = render_condition(strokes, "string", pen_width=3.5, scale=0.9, seed=seed, rules=(78.0, 488.0), margin=40.0)
    ink = extract_ink(page.image, explain=True)
    underline = max(strokes, key=lambda s: float(np.ptp(s[:, 0])))  # the longest stroke across: the underline
    drawn = np.zeros(ink.mask.shape, np.uint8)
    placed = max(page.strokes, key=lambda s: float(np.ptp(s[:, 0])))
    cv2.polylines(drawn, [np.round(placed * ink.scale).astype(np.int32)], False, 1, 1)
    assert np.ptp(underline[:, 0]) > 0.7 * np.ptp(np.concatenate(strokes)[:, 0])
    on_line = drawn.astype(bool) & ~_near(page.distractor > 0.3, 3)
    assert _near(ink.mask, 2)[on_line].mean() > 0.9
    assert not ink.layers["structure"][on_line].any()


def test_before_the_printed_lines_are_removed_a_tables_heavy_corner_is_no_object():
    """A register's heavy table borders (thick and thin rules run together) meeting at a corner: a band that bends
    once, long and even. On a mask that still holds the printed lines it is left to the structure."""
    mask = np.zeros((400, 600), bool)
    mask[50:62, 50:560] = True  # 12 px thick, a 3 px pen
    mask[50:380, 50:62] = True
    mask[200:203, 100:300] = True  # a rule drawn with the pen
    assert find_objects(mask, 3.0).any()  # after the lines are gone such a piece would be a thing on the page
    assert not find_objects(mask, 3.0, printed_lines=True).any()


def _string_over_a_character(seed: int) -> RenderedPage:
    """丄 drawn with straight strokes in a 128 px box under the ``string`` condition (``seed`` draws the string)."""
    corners = ([(512, 150), (512, 800)], [(512, 450), (720, 450)], [(150, 820), (880, 820)])
    strokes = [np.column_stack([np.linspace(a[0], b[0], 80), np.linspace(a[1], b[1], 80)]) for a, b in corners]
    return render_condition(strokes, "string", pen_width=5.0, scale=0.125, seed=seed, rules=(1100.0, 930.0))


@pytest.mark.parametrize("seed", [0, 7, 8, 10, 11, 19972])
def test_a_string_across_one_characters_image_leaves_the_character_whole(seed):
    """丄 drawn with straight strokes in a 128 px box under the ``string`` condition: the page finds the string
    (before its lines), and a word crop that alone misreads the character (the string lends it its colour and
    the character's strokes, crossing the whole crop, pass for printed lines) is traced from the page's ink.
    With seeds 8 and 11 the crop's "line" is the string with the strokes joined to it, waving across the crop
    (F1 0.47 and 0.48 before). (Known gap: with seeds 3 and 9 the string still takes part of the character,
    F1 0.35-0.41; seeds 2, 4, 5, 12, 14, 16 and 22 reach 0.70-0.89.)"""
    page = _string_over_a_character(seed)
    with Pipeline(detector="layout", derenderer="skeleton") as pipeline:
        doc = pipeline.convert(page.image)
    traced = [np.asarray(s.points, np.float64) for s in doc.strokes() if len(s.points)]
    assert compare_ink(page.strokes, traced, 1.5 * page.pen_width).f1 >= 0.95


@pytest.mark.parametrize("seed", [0, 13])
def test_letters_beside_a_string_are_not_taken_for_what_is_left_of_a_printed_line(seed):
    """With these seeds the string sags close along letters (most of their pixels within a pen width of it).
    Pieces lying along a removed *printed line* are its remnants; pieces along a string were dropped the same
    way, with them parts of the letters (recall 0.955 and 0.925 before)."""
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    page = render_condition(strokes, "string", pen_width=3.5, scale=0.9, seed=seed, rules=(78.0, 488.0), margin=40.0)
    with Pipeline(detector="layout", derenderer="skeleton") as pipeline:
        doc = pipeline.convert(page.image)
    traced = [np.asarray(s.points, np.float64) for s in doc.strokes() if len(s.points)]
    assert compare_ink(page.strokes, traced, 1.5 * page.pen_width).recall >= 0.98


@pytest.mark.parametrize("seed", [5, 17])
def test_a_wavy_cord_of_its_own_colour_across_a_characters_image_is_found(seed):
    """A character of three straight strokes in a 170 px box, an orange cord waving across it: the cord bends
    too sharply within a few of its widths to pass for a straight band, but its colour is not the pen's."""
    strokes = [
        np.array([[300.0, 250], [200, 700]]),
        np.array([[200.0, 700], [750, 620]]),
        np.array([[520.0, 420], [800, 800]]),
    ]
    page = render_condition(strokes, "string", pen_width=5.0, scale=170 / 1024, seed=seed, rules=(900.0, 128.0))
    ink = extract_ink(page.image, explain=True)
    cord = page.distractor > 0.5
    assert ink.layers["objects"][cord].mean() > 0.8
    assert ink.mask[page.ink > 0.5].mean() > 0.9


@pytest.mark.parametrize("seed", [4, 23])
def test_a_short_cord_of_another_colour_across_a_characters_image_is_found(seed):
    """丄 in a 128 px box: the string crossing the image is under 25 pen widths long (a band of the pen's own
    colour must be that long, or a filled loop would pass for one), but it is not of the pen's colour. Not found
    before (none of it among the objects; 0.71 and 0.22 of the character kept)."""
    page = _string_over_a_character(seed)
    ink = extract_ink(page.image, explain=True)
    assert ink.layers["objects"][page.distractor > 0.5].mean() > 0.85
    assert ink.mask[page.ink > 0.5].mean() > 0.95


@pytest.mark.parametrize(("seed", "most"), [(16, 0.1), (39, 0.01)])
def test_the_dark_streaks_of_a_shaded_cord_are_not_given_back_as_writing(seed, most):
    """丄 in a 128 px box under a cord whose shading runs darker than its median, near the pen's colour: the
    pixels of the cord nearer the pen's colour were all given back as writing lying on it, and its streaks were
    traced along it (0.18 and 0.03 of the cord kept before). Writing crossing the cord is as broad as the pen."""
    page = _string_over_a_character(seed)
    ink = extract_ink(page.image)
    assert ink.mask[(page.distractor > 0.5) & (page.ink < 0.1)].mean() <= most
    assert ink.mask[page.ink > 0.5].mean() > 0.95


def test_a_thread_two_pen_widths_across_is_an_object_but_a_broad_pen_of_another_colour_is_not():
    """A register's binding thread at working resolution: a tan band about two pen widths across, twisted, too
    narrow for the opening's disk to fit it whole. Found among the ink's own pieces by its colour and its shape
    (long, even, straight, its middle line running once along it); the brown pen's words beside it stay, and so
    does a word in a blue pen as broad as the thread (its middle line climbs every letter)."""
    page = np.full((400, 600, 3), (240, 235, 225), np.uint8)
    writing = np.zeros(page.shape[:2], bool)
    for k, text in enumerate(("several lines", "beside a thread", "binding a book")):
        writing |= write(page, text, (30, 90 + 110 * k), font="scripts", size=26, pen=3.0, color=(60, 40, 30))
    other = write(page, "minimum", (30, 370), font="scripts", size=22, pen=4.0, color=(40, 60, 170))
    thread = np.zeros(page.shape[:2], np.uint8)
    for y in range(40, 340):
        x = 470 + 2.0 * np.sin(y / 40.0)
        half = 1.6 + 0.2 * np.sin(y / 5.0)
        cv2.line(thread, (int(round(x - half)), y), (int(round(x + half)), y), 1, 1)
    page[thread > 0] = (175, 155, 120)
    found = find_objects(writing | other | (thread > 0), 2.0, page)
    assert found[thread > 0].mean() > 0.95
    assert not found[writing].any() and not found[other].any()
