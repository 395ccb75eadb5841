"""Ink extraction on real photos and on synthetic pages drawn here: handwriting in, rules, tables, shadows out."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from inksight_sdk.vision import InkMask, extract_ink
from inksight_sdk.vision.ink_mask import stroke_width
from tests.conftest import shared
from tests.drawing import write


def _photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(shared("photos", name)).convert("RGB"))


# ---------------------------------------------------------------- synthetic pages


def _page(height: int = 600, width: int = 900, paper: tuple[int, int, int] = (246, 242, 232)) -> np.ndarray:
    return np.full((height, width, 3), paper, np.uint8)


def _rule(page: np.ndarray, *, spacing: int = 60, first: int = 80, margin_x: int = 110) -> list[int]:
    """Pale blue ruling across the whole sheet and a red margin line; returns the rule rows."""
    rows = list(range(first, page.shape[0], spacing))
    for y in rows:
        cv2.line(page, (0, y), (page.shape[1] - 1, y), (150, 190, 225), 2)
    cv2.line(page, (margin_x, 0), (margin_x, page.shape[0] - 1), (225, 130, 130), 2)
    return rows


def _write(
    page: np.ndarray,
    text: str,
    origin: tuple[int, int],
    color: tuple[int, int, int],
    *,
    scale: float = 1.6,
    thickness: int = 3,
) -> np.ndarray:
    """Joined-up Hershey script, ``scale`` x 21 px capitals; returns the mask of what was drawn."""
    return write(page, text, origin, font="scripts", size=21 * scale, pen=thickness, color=color)


def _shadow(page: np.ndarray, darkest: float = 0.45) -> np.ndarray:
    """A phone-photo shadow: light falling off from one corner to the other."""
    h, w = page.shape[:2]
    ramp = np.linspace(darkest, 1.0, w)[None, :] * np.linspace(0.8, 1.0, h)[:, None]
    return np.clip(page * ramp[:, :, None], 0, 255).astype(np.uint8)


def _recall(mask: np.ndarray, truth: np.ndarray) -> float:
    return float((mask & truth).sum() / truth.sum())


def _precision(mask: np.ndarray, truth: np.ndarray) -> float:
    near = cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return float((mask & near).sum() / max(1, mask.sum()))


INKS = {
    "black": (25, 25, 30),
    "blue": (30, 50, 160),
    "violet": (95, 40, 140),
    "red": (185, 30, 35),
}


@pytest.mark.parametrize("ink", sorted(INKS))
def test_coloured_ink_on_ruled_paper_in_shadow(ink):
    page = _page()
    rows = _rule(page)
    truth = _write(page, "Handwriting crosses", (150, 150), INKS[ink])
    truth |= _write(page, "the ruled lines here", (150, 270), INKS[ink])
    found = extract_ink(_shadow(page))
    assert found.scale == 1.0 and found.mask.shape == page.shape[:2]
    assert _recall(found.mask, truth) > 0.9, "the handwriting is found, in the shadow too"
    assert _precision(found.mask, truth) > 0.97, "nothing but the handwriting"
    # rules and margin away from the writing stay empty
    assert not found.mask[[r for r in rows if r > 330]].any()
    assert not found.mask[330:, 100:120].any()


def test_strokes_crossing_a_rule_stay_whole():
    page = _page()
    _rule(page)
    # a vertical pen stroke across the rule at y=140 (rows 80, 140, ...)
    cv2.line(page, (400, 100), (400, 185), (30, 40, 150), 4)
    cv2.line(page, (470, 100), (520, 185), (30, 40, 150), 4)
    found = extract_ink(page)
    assert found.mask[100:186, 398:403].all(axis=1).mean() > 0.95
    count, _ = cv2.connectedComponents(found.mask.astype(np.uint8))
    assert count - 1 == 2, "each stroke is one piece, not cut by the removed rule"
    assert not found.mask[138:143, 600:].any(), "the rule itself is gone"


def test_hand_drawn_underline_and_fill_line_are_kept():
    page = _page()
    _rule(page)
    truth = _write(page, "Signed", (200, 210), INKS["blue"])
    # a wobbly underline in the same ink, a third of the page wide, between two rules
    xs = np.arange(180, 520)
    ys = (235 + 3 * np.sin(xs / 23.0)).astype(np.int32)
    cv2.polylines(page, [np.stack([xs, ys], 1)], False, INKS["blue"], 3, cv2.LINE_AA)
    found = extract_ink(page)
    assert found.mask[228:244, 190:510].any(axis=0).mean() > 0.95
    assert _recall(found.mask, truth) > 0.9


def test_in_a_word_crop_an_underline_across_the_crop_is_kept_and_the_rule_removed():
    crop = _page(110, 260)
    cv2.line(crop, (0, 40), (259, 40), (150, 190, 225), 2)  # a pale blue rule across the crop
    truth = _write(crop, "word", (40, 70), INKS["black"])
    cv2.line(crop, (8, 88), (252, 88), INKS["black"], 3)  # the writer's underline, as wide as the crop
    found = extract_ink(crop, whole_page=False)
    assert found.mask[85:92, 20:240].any(axis=0).all(), "the underline is handwriting"
    assert not found.mask[37:44, :30].any() and not found.mask[37:44, 200:].any(), "the rule is not"
    assert _recall(found.mask, truth) > 0.9
    # as a whole page, a dark line across the sheet is a printed form line
    assert not extract_ink(crop).mask[85:92, 20:240].any(axis=0).all()


def test_paper_texture_and_specks_are_not_ink():
    rng = np.random.default_rng(7)
    page = _page().astype(np.int16)
    page += rng.normal(0, 4, page.shape[:2]).astype(np.int16)[:, :, None]  # paper grain
    page = np.clip(page, 0, 255).astype(np.uint8)
    for x, y in rng.integers(20, 580, (40, 2)):
        page[y, x] = (200, 195, 185)  # pale specks, a pixel each
    truth = _write(page, "ink", (300, 300), INKS["black"])
    found = extract_ink(page)
    assert _precision(found.mask, truth) > 0.98
    assert _recall(found.mask, truth) > 0.9


def test_sheet_on_a_table_gives_ink_only_on_the_paper():
    table = np.zeros((700, 1000, 3), np.uint8)
    table[:] = (120, 80, 45)
    rng = np.random.default_rng(3)
    grain = (np.sin(np.arange(1000) / 3.0)[None, :] * 18 + rng.normal(0, 6, (700, 1000))).astype(np.int16)
    table = np.clip(table.astype(np.int16) + grain[:, :, None], 0, 255).astype(np.uint8)
    table[100:620, 200:780] = (238, 236, 232)
    truth = _write(table, "on paper", (260, 330), INKS["black"])
    found = extract_ink(table)
    outside = np.ones(found.mask.shape, bool)
    outside[95:625, 195:785] = False
    assert not found.mask[outside].any(), "the wooden table makes no ink"
    assert _recall(found.mask, truth) > 0.9


def test_large_photo_is_reduced_to_the_working_resolution():
    page = _page(3000, 4000)
    truth = _write(page, "big photo", (800, 1500), INKS["blue"], scale=8.0, thickness=14)
    found = extract_ink(page, max_pixels=3_000_000)
    assert found.scale == pytest.approx(0.5, abs=0.01)
    assert found.mask.shape == (1500, 2000)
    small_truth = cv2.resize(truth.astype(np.uint8), (2000, 1500), interpolation=cv2.INTER_AREA) > 0
    assert _recall(found.mask, small_truth) > 0.85
    assert found.stroke_width == pytest.approx(stroke_width(small_truth), abs=2), "pen width in working pixels"
    assert found.ink_color is not None and found.ink_color[2] > found.ink_color[0], "blue ink"


def test_huge_image_is_handled_at_working_resolution():
    page = np.full((20_000, 20_000), 235, np.uint8)
    for a, b in (((9000, 10200), (9700, 11000)), ((9700, 10200), (9000, 11000))):  # an "x" 800 px tall
        cv2.line(page, a, b, 20, 120)
    found = extract_ink(page)
    assert found.mask.shape == (2000, 2000)
    assert found.scale == pytest.approx(0.1)
    assert found.mask[900:1100, 850:1250].any() and not found.mask[:700].any()


@pytest.mark.parametrize(
    "image",
    [
        np.full((400, 600, 3), 255, np.uint8),  # empty page
        np.zeros((400, 600, 3), np.uint8),  # solid black
        np.zeros((1, 1, 3), np.uint8),  # a single pixel
        np.full((2, 5), 128, np.uint8),  # too small for a stroke
        np.full((300, 300), 200, np.uint8),  # gray, blank
    ],
    ids=["empty", "black", "1x1", "2x5", "gray"],
)
def test_bad_input_gives_an_empty_mask(image):
    found = extract_ink(image)
    assert isinstance(found, InkMask)
    assert found.empty and found.mask.shape == image.shape[:2]
    assert found.stroke_width == 0.0 and found.ink_color is None


def test_ruled_page_without_handwriting_is_empty():
    page = _page()
    _rule(page)
    assert extract_ink(_shadow(page, 0.7)).empty


def test_wrong_image_type_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        extract_ink(np.zeros((10, 10, 3), np.float32))


# ---------------------------------------------------------------- real photos


def test_inksight_page_rules_and_margin_are_removed():
    image = _photo("inksight_page.jpg")
    found = extract_ink(image)
    mask = found.mask
    assert found.scale == 1.0
    # the pale blue rules: rows 63-68 (above the writing) and 172-175 (the writing sits on it)
    assert not mask[60:72].any()
    near_strokes = mask[150:170].any(axis=0) | mask[178:200].any(axis=0)
    assert mask[170:178][:, ~near_strokes].sum() <= 10, "the lower rule is gone between the letters"
    # the red margin line (columns 955-963) above and below the writing ("jumps" crosses it); a known
    # remnant: ~30 rows of margin stay where the "s" of "jumps" touches the margin line (below 100 px)
    assert mask[:95, 945:975].sum() + mask[195:, 945:975].sum() < 100
    # the writing itself, from "The" to the final dot
    columns = np.nonzero(mask.any(axis=0))[0]
    assert columns[0] < 40 and columns[-1] > 1690
    assert 0.05 < mask.mean() < 0.2


def test_inksight_word_neat_is_found_without_rules():
    found = extract_ink(_photo("inksight_word.jpg"))
    rows = np.nonzero(found.mask.any(axis=1))[0]
    columns = np.nonzero(found.mask.any(axis=0))[0]
    assert 40 < columns[0] < 60 and columns[-1] > 215, "from N to the colon"
    assert rows[0] > 20 and rows[-1] < 100, "no rule above or below"


def test_breta_table_makes_no_ink_and_every_word_is_inked():
    image = _photo("breta_page09.jpg")  # 2460x3280 phone photo, A4 sheet on a wooden table
    found = extract_ink(image)
    assert found.scale < 1.0
    mask = found.mask
    s = found.scale
    sheet = np.zeros(mask.shape, bool)
    sheet[int(200 * s) : int(3180 * s), int(220 * s) : int(2360 * s)] = True
    assert not mask[~sheet].any(), "no ink on the table"
    # Text / written / by / hand: ink in each word's band of rows
    for top, bottom in [(380, 800), (1000, 1280), (1350, 1800), (1880, 2250)]:
        assert mask[int(top * s) : int(bottom * s)].sum() > 1000


def test_testaments_violet_ink_hand_lines_kept_and_page_edges_dropped():
    image = _photo("testaments_AD78_0054-0.jpg")  # 300 dpi scan on a black background
    found = extract_ink(image)
    r, g, b = found.ink_color
    assert b > g and r > g, "violet"
    mask = found.mask
    # the hand-drawn fill line after "antérieure :" (a ruler line in the writer's ink)
    assert mask[318:340, 840:1430].any(axis=0).mean() > 0.9
    # the black scanner background above and right of the sheet
    assert not mask[:15].any() and not mask[:, 1520:].any()


def test_a_word_crop_few_cells_high_keeps_its_underline():
    # a crop of an underline alone, ~30 px high: too small for the paper finder to tell ink from a table
    crop = np.full((31, 860, 3), 246, np.uint8)
    cv2.line(crop, (10, 15), (850, 16), (40, 40, 40), 4)
    ink = extract_ink(crop, whole_page=False)
    assert ink.mask[:, 20:840].any(axis=0).mean() > 0.95


def test_a_shadowed_small_image_gives_ink_only_on_the_strokes():
    # a vignette darkening one corner of a small image is lighting, not ink
    yy, xx = np.mgrid[0:160, 0:160].astype(np.float64)
    light = 0.7 - 0.35 * (((xx - 20) / 160) ** 2 + ((yy - 20) / 160) ** 2) - 0.25 * np.clip((24 - yy) / 24, 0, 1)
    page = np.full((160, 160), 235.0)
    cv2.line(page, (40, 80), (120, 80), 40, 5)
    cv2.line(page, (80, 40), (80, 120), 40, 5)
    image = np.repeat(np.clip(cv2.GaussianBlur(page, (3, 3), 0.9) * light, 0, 255).astype(np.uint8)[:, :, None], 3, 2)
    ink = extract_ink(image)
    strokes = np.zeros((160, 160), np.uint8)
    cv2.line(strokes, (40, 80), (120, 80), 1, 13)
    cv2.line(strokes, (80, 40), (80, 120), 1, 13)
    assert ink.mask.sum() > 0 and (ink.mask & ~strokes.astype(bool)).sum() <= 0.02 * ink.mask.sum()


def test_the_footprint_keeps_apart_strokes_that_a_blurred_halo_joins():
    # two pen strokes a few pixels apart in a soft photo: the low threshold takes in the blur between them
    page = _page(80, 160)
    cv2.line(page, (20, 36), (140, 36), INKS["blue"], 3)
    cv2.line(page, (20, 43), (140, 43), INKS["blue"], 3)
    page = cv2.GaussianBlur(page, (0, 0), 1.3)
    whole = extract_ink(page, whole_page=False)
    footprint = extract_ink(page, whole_page=False, footprint=True)
    assert cv2.connectedComponents(whole.mask.astype(np.uint8))[0] - 1 == 1
    assert cv2.connectedComponents(footprint.mask.astype(np.uint8))[0] - 1 == 2
    assert not (footprint.mask & ~whole.mask).any()
    assert footprint.stroke_width < whole.stroke_width


def test_a_word_crop_keeps_dense_writing_that_runs_across_it():
    # the middle of a word cut by its crop: ink (and its halo) fills most of every neighbourhood of the band
    # the paper region's median looks at, and the band touches both sides, so it would pass for a table
    page = _page(70, 160, paper=(246, 244, 240))
    truth = np.zeros(page.shape[:2], np.uint8)
    for x in range(-4, 165, 8):
        cv2.line(page, (x, 22), (x + 4, 48), INKS["blue"], 4, cv2.LINE_AA)
        cv2.line(truth, (x, 22), (x + 4, 48), 255, 4, cv2.LINE_AA)
    page = cv2.GaussianBlur(page, (0, 0), 0.6)
    found = extract_ink(page, whole_page=False)
    assert _recall(found.mask, truth > 127) > 0.95


def test_a_rule_end_touching_a_letter_is_not_traced_but_a_hairline_of_the_pen_is():
    # "quick" on inksight_page.jpg, cropped as the skeleton derenderer crops it: the k's leg touches the pale
    # rule, so hysteresis keeps the rule's end from the k to the crop's edge as ink
    crop = _photo("inksight_page.jpg")[91:228, 167:380]
    found = extract_ink(crop, whole_page=False, footprint=True)
    assert not found.mask[78:90, 185:].any(), "the rule's end is no stroke"
    assert found.mask[:, :160].sum() > 4000, "the letters stay"
    # a stroke as dark as the ink but thin (a pen's hairline joined to a thick stroke) stays
    page = _page(90, 200)
    cv2.line(page, (30, 20), (30, 70), INKS["black"], 9)
    cv2.line(page, (30, 45), (190, 45), INKS["black"], 2)
    found = extract_ink(page, whole_page=False, footprint=True)
    assert found.mask[40:51, 60:185].any(axis=0).all()


def test_a_tall_letter_in_a_one_line_image_is_no_form_line():
    # simplehtr_line.png is 64 px high: the first "l" of "level" runs from top to bottom like a printed line
    found = extract_ink(_photo("simplehtr_line.png"))
    assert found.mask[5:55, 414:424].any(axis=1).mean() > 0.9


def test_a_word_crop_at_the_sheets_edge_gets_no_ink_from_the_scanner_lid():
    # "Bouland" on the Testaments scan ends at the sheet's right edge: the crop takes in the black lid beyond it
    crop = _photo("testaments_AD78_0054-0.jpg")[353:499, 782:1493]
    found = extract_ink(crop, whole_page=False, footprint=True)
    assert not found.mask[:, -5:].any(), "the lid is not writing"
    assert found.mask[:, -60:-8].sum() > 300, "the final d stays"
    # a word's own stroke that reaches a side of the crop in places is writing
    page = _page(80, 160)
    cv2.line(page, (10, 40), (159, 40), INKS["black"], 4)
    cv2.line(page, (150, 10), (159, 70), INKS["black"], 4)
    found = extract_ink(page, whole_page=False)
    assert found.mask[38:43, 159].any() and found.mask[38:43, 20:150].any(axis=0).all()


def test_edge_bands_are_cut_at_every_side_of_a_word_crop_and_nowhere_else():
    from inksight_sdk.vision.ink_mask import _without_edge_bands

    mask = np.zeros((40, 60), bool)
    mask[10:30, 20:40] = True  # the word
    mask[:, :3] = mask[-2:, :] = True  # the lid at the left, a table along the bottom
    out = _without_edge_bands(mask)
    assert not out[:, :3].any() and not out[-2:, :].any()
    assert out[10:30, 20:40].all() and out.sum() == 400
    assert _without_edge_bands(np.ones((5, 5), bool)).all(), "a crop all ink has no side to tell apart"


def test_a_wedge_of_desk_along_the_photos_border_is_no_ink():
    """A photo turned a little shows a wedge of the desk along a side, a few pixels wide: too thin for the sheet's
    cells, it ran the whole height of the first line and joined the labels beside it into one slanted line (the
    synthetic forms). A stroke the border cuts through runs into the image and stays."""
    page = _page()
    wedge = np.array([[0, 0], [4, 0], [0, 260]], np.int32)
    cv2.fillPoly(page, [wedge], (70, 60, 50))
    cv2.line(page, (0, 400), (60, 395), (25, 25, 60), 3)  # a stroke leaving the picture
    writing = _write(page, "Dear friend", (120, 200), (25, 25, 60))
    mask = extract_ink(page).mask
    assert not mask[:260, :6].any(), "the wedge"
    assert mask[390:405, :60].sum() >= 100, "the cut stroke"
    assert _recall(mask, writing) > 0.9


def test_a_dash_on_the_course_of_a_removed_printed_line_is_no_ink():
    """A faint table border thresholded into dashes: those collinear with the part removed went with it, one past
    a wide gap stayed and was traced. Off the line's course by a few pixels, or across it, a mark stays."""
    from inksight_sdk.vision.ink_mask import _line_dashes

    lines = np.zeros((200, 600), bool)
    lines[100, 20:400] = True  # the border removed, slightly below at its far end: a photo's slant
    lines[101, 300:400] = True
    mask = np.zeros_like(lines)
    mask[101:103, 450:490] = True  # its dash past a gap, on its course
    mask[108:110, 500:540] = True  # a dash of the hand, off the course
    mask[60:100, 200:203] = True  # a letter's stem standing on the line
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    kept = mask & ~_line_dashes(labels, stats, lines, 3.0)[labels]
    assert not kept[101:103, 450:490].any()
    assert kept[108:110, 500:540].all() and kept[60:100, 200:203].all()
