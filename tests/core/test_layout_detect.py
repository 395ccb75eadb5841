"""The builtin layout detector on real pages (with the ALTO ground truth of a scanned will) and drawn ones."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
from defusedxml import ElementTree
from PIL import Image

from inksight_sdk.stages import Layout
from inksight_sdk.vision import detect_layout, extract_ink
from tests.conftest import shared
from tests.drawing import PAPER, WORD_SPACE, text_width, write


def _photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(shared("photos", name)).convert("RGB"))


def _lines(layout: Layout) -> dict[tuple[int, int], list[np.ndarray]]:
    lines: dict[tuple[int, int], list[np.ndarray]] = {}
    for word in layout.words:
        lines.setdefault((word.block, word.line), []).append(np.asarray(word.quad))
    return lines


def _inside(quad: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> float:
    """Share of the ink of ``mask`` (working pixels) that lies inside ``quad`` (original pixels)."""
    region = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(region, [np.round(quad * scale).astype(np.int32)], 1)
    return float((mask & region.astype(bool)).sum())


def _covered(layout: Layout, mask: np.ndarray, scale: float = 1.0) -> float:
    """Share of all ink pixels inside some word quad."""
    region = np.zeros(mask.shape, np.uint8)
    for word in layout.words:
        cv2.fillPoly(region, [np.round(np.asarray(word.quad) * scale).astype(np.int32)], 1)
    return float((mask & region.astype(bool)).sum() / mask.sum())


def _angle(quad: np.ndarray) -> float:
    top = quad[1] - quad[0]
    return math.degrees(math.atan2(top[1], top[0]))


# ---------------------------------------------------------------- real pages


def test_inksight_page_nine_words_in_one_line():
    image = _photo("inksight_page.jpg")  # The quick brown fox jumps over the lazy dog.
    ink = extract_ink(image)
    layout = detect_layout(image, ink=ink)
    assert layout.direction == "ltr"
    assert len(layout.words) == 9
    assert len(_lines(layout)) == 1
    lefts = [float(np.asarray(w.quad)[:, 0].min()) for w in layout.words]
    assert lefts == sorted(lefts), "reading order"
    assert _covered(layout, ink.mask) > 0.995, "every stroke (the final dot too) is inside a word"
    for word in layout.words:
        assert abs(_angle(np.asarray(word.quad))) < 5
        assert 0.0 < word.confidence <= 1.0


def test_simplehtr_line_five_words():
    layout = detect_layout(_photo("simplehtr_line.png"))  # or work on line level
    assert len(layout.words) == 5 and len(_lines(layout)) == 1


@pytest.mark.parametrize("name", ["inksight_word.jpg", "simplehtr_word.png"])
def test_single_word_photos(name):
    layout = detect_layout(_photo(name))
    assert len(layout.words) == 1


def test_breta_four_lines_on_the_paper():
    image = _photo("breta_page09.jpg")  # Text / written / by / hand, A4 on a wooden table
    ink = extract_ink(image)
    layout = detect_layout(image, ink=ink)
    assert len(layout.words) == 4 and len(_lines(layout)) == 4
    assert _covered(layout, ink.mask, ink.scale) > 0.995
    for word in layout.words:
        quad = np.asarray(word.quad)
        assert quad[:, 0].min() > 220 and quad[:, 0].max() < 2360, "quads in original pixels, on the paper"
        assert quad[:, 1].min() > 200 and quad[:, 1].max() < 3180
    tops = [float(np.asarray(w.quad)[:, 1].min()) for w in layout.words]
    assert tops == sorted(tops)


def _alto_lines(path) -> list[np.ndarray]:
    namespace = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    root = ElementTree.parse(path).getroot()
    polygons = []
    for line in root.iterfind(".//a:TextLine", namespace):
        points = line.find("a:Shape/a:Polygon", namespace).get("POINTS").split()
        polygons.append(np.array(points, dtype=np.float64).reshape(-1, 2))
    return polygons


def test_testaments_lines_match_the_alto_ground_truth():
    image = _photo("testaments_AD78_0054-0.jpg")  # 20 lines of French cursive, violet ink
    polygons = _alto_lines(shared("photos", "testaments_AD78_0054-0.alto.xml"))
    assert len(polygons) == 20
    ink = extract_ink(image)
    layout = detect_layout(image, ink=ink)
    lines = _lines(layout)
    assert 18 <= len(lines) <= 22
    # each word centre falls in an ALTO line polygon (grown by 15 px for the polygons' tight fit)
    regions = []
    for polygon in polygons:
        region = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(region, [np.round(polygon).astype(np.int32)], 1)
        regions.append(cv2.dilate(region, np.ones((31, 31), np.uint8)).astype(bool))

    def alto_line(quad: np.ndarray) -> int | None:
        x, y = np.round(quad.mean(axis=0)).astype(int)
        hits = [i for i, region in enumerate(regions) if region[y, x]]
        return hits[0] if hits else None

    assigned = [alto_line(quad) for quad in (np.asarray(w.quad) for w in layout.words)]
    assert sum(a is not None for a in assigned) >= 0.9 * len(assigned)
    # every ALTO line has words, and a detected line's words belong to one ALTO line
    assert {a for a in assigned if a is not None} == set(range(20))
    for quads in lines.values():
        hits = [alto_line(q) for q in quads]
        hits = [h for h in hits if h is not None]
        if hits:
            assert max(hits.count(h) for h in set(hits)) >= 0.8 * len(hits)
    assert _covered(layout, ink.mask) > 0.99
    # words, not lines: the 20 lines hold about 90 words
    assert 60 <= len(layout.words) <= 120


# ---------------------------------------------------------------- drawn pages


def _write(image: np.ndarray, text: str, origin: tuple[int, int], *, font: str = "scripts", size: float = 32.0) -> None:
    write(image, text, origin, font=font, size=size, pen=max(3.0, size / 12))


def _rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=PAPER)


@pytest.mark.parametrize("degrees", [0, 8, -15, 30, 45])
@pytest.mark.parametrize(
    ("font", "text"),
    [
        ("futural", "three little words"),  # print: separate letters, a few word gaps among many letter gaps
        ("rowmans", "print these four words"),
        ("scripts", "three little words"),  # joined-up: each word one piece
        ("cursive", "print these four words"),
    ],
)
def test_a_line_written_at_an_angle_gets_rotated_quads(font, text, degrees):
    page = np.full((700, 1000, 3), PAPER, np.uint8)
    _write(page, text, (150, 370), font=font)
    image = _rotated(page, degrees)  # counter-clockwise on screen: quads turn by -degrees
    ink = extract_ink(image)
    layout = detect_layout(image, ink=ink)
    assert len(layout.words) == len(text.split()) and len(_lines(layout)) == 1
    for word in layout.words:
        assert _angle(np.asarray(word.quad)) == pytest.approx(-degrees, abs=3)
    assert _covered(layout, ink.mask) > 0.995
    centres = np.array([np.asarray(w.quad).mean(axis=0) for w in layout.words])
    direction = np.array([math.cos(math.radians(-degrees)), math.sin(math.radians(-degrees))])
    along = centres @ direction
    assert list(along) == sorted(along), "words in reading order along the slanted line"


def test_skewed_paragraph_and_a_gently_curved_line():
    page = np.full((900, 1200, 3), PAPER, np.uint8)
    for row, text in enumerate(["first line of notes", "second line here", "and the third one"]):
        _write(page, text, (150, 220 + 110 * row))
    # a fourth line on a gentle arc: each word a little lower than the last, a space apart
    x = 150
    for k, word in enumerate(["curved", "line", "ends", "here"]):
        _write(page, word, (x, 560 + 5 * k * k))
        x += round(text_width(word) + WORD_SPACE * 32)
    image = _rotated(page, 5)
    layout = detect_layout(image)
    lines = _lines(layout)
    assert len(lines) == 4
    assert sorted(len(quads) for quads in lines.values()) == [3, 4, 4, 4]


def _hanzi(size: int) -> np.ndarray:
    """我 from hanzi-writer-data, drawn along its stroke medians."""
    data = json.loads(shared("ink", "hanzi", "6211.json").read_text(encoding="utf-8"))
    glyph = np.full((size, size), 0, np.uint8)
    for median in data["medians"]:
        points = np.array([[x, 900 - y] for x, y in median], np.float64) * size / 1024
        cv2.polylines(glyph, [np.round(points).astype(np.int32)], False, 255, max(2, size // 14), cv2.LINE_AA)
    return glyph


def _cjk_page(rows: int, columns: int, step: tuple[int, int]) -> np.ndarray:
    glyph = _hanzi(70)
    page = np.full((100 + rows * step[1], 100 + columns * step[0]), 0, np.uint8)
    for r in range(rows):
        for c in range(columns):
            y, x = 50 + r * step[1], 50 + c * step[0]
            page[y : y + 70, x : x + 70] = np.maximum(page[y : y + 70, x : x + 70], glyph)
    return np.repeat((245 - page * 0.85).astype(np.uint8)[:, :, None], 3, axis=2)


def test_cjk_rows_read_left_to_right_one_character_a_word():
    image = _cjk_page(rows=3, columns=6, step=(82, 130))  # characters close in a row, rows far apart
    layout = detect_layout(image)
    assert layout.direction == "ltr"
    assert len(layout.words) == 18 and len(_lines(layout)) == 3


def test_cjk_columns_are_ttb_with_upright_characters():
    image = _cjk_page(rows=5, columns=3, step=(150, 82))  # characters close in a column, columns far apart
    layout = detect_layout(image)
    assert layout.direction == "ttb"
    assert len(layout.words) == 15 and len(_lines(layout)) == 3
    for word in layout.words:
        quad = np.asarray(word.quad)
        assert abs(_angle(quad)) < 5, "the character stands upright"
        assert quad[0][0] < quad[1][0] and quad[0][1] < quad[3][1], "TL, TR, BR, BL"


def test_quads_are_in_original_pixels_when_the_photo_is_reduced():
    page = np.full((2400, 3200, 3), PAPER, np.uint8)
    _write(page, "big words", (600, 1300), size=147)
    ink = extract_ink(page, max_pixels=1_000_000)
    assert ink.scale < 0.6
    layout = detect_layout(page, ink=ink)
    assert len(layout.words) == 2
    dark = page.min(axis=2) < 128
    region = np.zeros(dark.shape, np.uint8)
    for word in layout.words:
        cv2.fillPoly(region, [np.round(np.asarray(word.quad)).astype(np.int32)], 1)
    assert (dark & region.astype(bool)).sum() > 0.995 * dark.sum()


@pytest.mark.parametrize(
    "image",
    [np.full((300, 400, 3), 255, np.uint8), np.zeros((300, 400, 3), np.uint8), np.zeros((1, 1, 3), np.uint8)],
    ids=["empty", "black", "1x1"],
)
def test_no_ink_no_words(image):
    layout = detect_layout(image)
    assert layout.words == () and layout.direction == "ltr"


def test_a_lone_character_is_marked_cjk_and_upright():
    from inksight_sdk.evaluation import load_hanzi_strokes, render_page

    data = json.loads(shared("ink", "hanzi", "6211.json").read_text(encoding="utf-8"))
    page = render_page(load_hanzi_strokes(data), style="clean", pen_width=5.0, scale=128 / 1024, seed=1)
    layout = detect_layout(page.image)
    assert [w.script for w in layout.words] == ["cjk"]
    assert abs(_angle(np.asarray(layout.words[0].quad))) < 5, "a lone glyph sets no line direction"


@pytest.mark.parametrize("glyph", ["1", "I", "f"])
def test_a_lone_tall_glyph_stands_upright(glyph):
    # its sharpest projection is the steepest the line search allows; a line would be long along it
    page = np.full((240, 240, 3), PAPER, np.uint8)
    _write(page, glyph, (90, 180), font="futural", size=105)
    layout = detect_layout(page)
    assert len(layout.words) == 1
    assert abs(_angle(np.asarray(layout.words[0].quad))) < 5


def test_a_lone_word_of_one_stroke_keeps_its_angle():
    # a connected cursive word is one component, yet it is long along the line it is written on
    page = np.full((700, 1000, 3), PAPER, np.uint8)
    x = np.linspace(200, 800, 400)
    wave = np.stack([x, 350 + 25 * np.sin((x - 200) / 18)], axis=1)
    cv2.polylines(page, [np.round(wave).astype(np.int32)], False, (20, 20, 60), 6, cv2.LINE_AA)
    layout = detect_layout(_rotated(page, 30))
    assert len(layout.words) == 1
    assert _angle(np.asarray(layout.words[0].quad)) == pytest.approx(-30, abs=3)


def test_latin_words_are_marked_latin():
    layout = detect_layout(_photo("simplehtr_line.png"))
    assert layout.words and all(w.script == "latin" for w in layout.words)


def test_find_peaks_follows_scipy():
    from scipy import ndimage, signal

    from inksight_sdk.vision.layout import _find_peaks

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(5, 300))
        x = rng.poisson(rng.uniform(0, 20), n).astype(float) * (rng.random(n) < 0.5)
        x = ndimage.gaussian_filter1d(x, rng.uniform(0.5, 6), mode="constant")
        distance, prominence = float(rng.uniform(1, 40)), float(rng.uniform(0, 0.5)) * x.max()
        expected = signal.find_peaks(x, distance=distance, prominence=prominence)[0]
        assert np.array_equal(_find_peaks(x, distance, prominence), expected)


@pytest.mark.parametrize(
    ("name", "image"),
    [
        ("empty", np.full((300, 400, 3), 250, np.uint8)),
        ("black", np.zeros((300, 400, 3), np.uint8)),
        ("1x1", np.full((1, 1, 3), 128, np.uint8)),
        ("ruled-no-handwriting", None),
    ],
)
def test_cli_bad_pages_give_an_empty_document_and_a_warning(tmp_path, name, image):
    import subprocess
    import sys

    if image is None:  # ruled paper with a margin line and paper grain, nothing written
        rng = np.random.default_rng(0)
        page = np.full((500, 400, 3), (245, 240, 228), np.float64) + rng.normal(0, 3, (500, 400, 1))
        for y in range(60, 500, 32):
            page[y : y + 2] = (170, 190, 225)
        page[:, 50:52] = (225, 130, 130)
        image = np.clip(page, 0, 255).astype(np.uint8)
    source, out = tmp_path / f"{name}.png", tmp_path / f"{name}.json"
    Image.fromarray(image).save(source)
    result = subprocess.run(
        [sys.executable, "-m", "inksight_sdk", "convert", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no handwriting found" in result.stderr
    # the warning says what the page held instead (issue 13: a page that is all grid)
    found = {"ruled-no-handwriting": "printed lines were found", "black": "no sheet of paper or board was found"}
    assert found.get(name, "a blank page, a solid colour") in result.stderr, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["pages"]) == 1 and document["pages"][0]["words"] == []
