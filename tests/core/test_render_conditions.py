"""The harder pages of issue 13: deterministic, exact ink, a visible distractor that leaves the ink readable."""

from __future__ import annotations

import numpy as np
import pytest

from inksight_sdk.evaluation import load_wacom_strokes, resample, stroke_coverage
from inksight_sdk.evaluation.conditions import CONDITIONS, ConditionPage, render_condition
from tests.conftest import shared

PEN = 3.5
RULES = (78.0, 488.0)  # the benchmark's rules: one under each baseline of the note


def _note() -> list[np.ndarray]:
    return load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))


@pytest.fixture(scope="module")
def pages() -> dict[str, ConditionPage]:
    """Every condition drawn once from the Wacom note, as the benchmark draws it."""
    strokes = _note()
    return {
        c: render_condition(strokes, c, pen_width=PEN, scale=0.9, seed=10 + i, rules=RULES, margin=40.0)
        for i, c in enumerate(CONDITIONS)
    }


def _gray(page: ConditionPage) -> np.ndarray:
    """Luminance (Rec. 601), as a grey conversion sees the page."""
    return page.image.astype(np.float64) @ [0.299, 0.587, 0.114]


def _on_strokes(page: ConditionPage) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every resampled point of the true strokes."""
    pts = np.concatenate([resample(s) for s in page.strokes])
    h, w = page.image.shape[:2]
    return np.clip(np.rint(pts[:, 1]).astype(int), 0, h - 1), np.clip(np.rint(pts[:, 0]).astype(int), 0, w - 1)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_condition_is_deterministic_and_seeded(condition, pages):
    strokes = _note()
    again = render_condition(strokes, condition, pen_width=PEN, scale=0.9, seed=10 + CONDITIONS.index(condition),
                             rules=RULES, margin=40.0)  # fmt: skip
    assert np.array_equal(again.image, pages[condition].image)
    assert np.array_equal(again.distractor, pages[condition].distractor)
    other = render_condition(strokes, condition, pen_width=PEN, scale=0.9, seed=99, rules=RULES, margin=40.0)
    assert not np.array_equal(other.image, pages[condition].image)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_ink_mask_is_the_true_strokes_and_they_stay_readable(condition, pages):
    page = pages[condition]
    assert page.image.dtype == np.uint8 and page.image.shape[2] == 3
    assert len(page.strokes) == 177
    np.testing.assert_array_equal(page.ink, stroke_coverage(page.strokes, PEN, page.image.shape[:2]))
    y, x = _on_strokes(page)
    assert np.all(page.ink[y, x] > 0.5)
    gray = _gray(page)
    # against the ground a pen width and a half above each point (where that is not ink): a local ratio, so
    # ink in the shadow counts against the shadowed paper around it
    above = np.clip(y - 6, 0, gray.shape[0] - 1)
    ground = page.ink[above, x] == 0
    ratio = np.median(gray[y, x][ground] / gray[above, x][ground])
    if condition == "blackboard":  # light on dark
        assert ratio > 1.8
    else:
        assert ratio < 0.55


@pytest.mark.parametrize("condition", [c for c in CONDITIONS if c != "blackboard"])
def test_distractor_is_visible_away_from_the_ink(condition, pages):
    page = pages[condition]
    gray = _gray(page)
    far = page.ink == 0
    distractor = (page.distractor > 0.5) & far
    assert distractor.sum() > 500
    ground = (page.distractor < 0.05) & far
    assert np.median(gray[distractor]) < np.median(gray[ground]) - 15


@pytest.mark.parametrize("condition", ["rules_warm_grey", "rules_warm_blue", "grid", "form", "stamp", "string"])
def test_distractor_crosses_the_ink_without_hiding_it(condition, pages):
    """Where the distractor meets the writing, the ink is no lighter than elsewhere (a stamp only darkens it)."""
    page = pages[condition]
    gray = _gray(page)
    both = (page.ink > 0.95) & (page.distractor > 0.5)
    alone = (page.ink > 0.95) & (page.distractor == 0)
    assert both.sum() > 20
    assert np.median(gray[both]) < np.median(gray[alone]) + 12
    if condition != "stamp":  # drawn under the ink: the ink keeps its colour
        rgb = page.image.astype(np.float64)
        assert np.abs(np.median(rgb[both], axis=0) - np.median(rgb[alone], axis=0)).max() < 30


def test_warm_light_tints_the_paper_orange(pages):
    for c in ("rules_warm_grey", "rules_warm_brown", "rules_warm_blue"):
        paper = pages[c].image[(pages[c].ink == 0) & (pages[c].distractor == 0)].astype(np.float64)
        red, green, blue = np.median(paper, axis=0)
        assert red > green + 15 > blue + 40


def test_rules_and_grid_are_thin_and_periodic(pages):
    rules = pages["rules_warm_brown"].distractor.mean(axis=1)  # one value per row
    rows = np.flatnonzero(rules > 0.5)
    gaps = np.diff(rows)
    assert np.allclose(gaps[gaps > 2], 78 * 0.9, atol=1.5)
    assert (rules > 0.3).sum() <= 2 * len(gaps[gaps > 2]) + 2  # about one row per rule: thin
    grid = pages["grid"].distractor
    cols = np.flatnonzero(grid.mean(axis=0) > 0.5)
    steps = np.diff(cols)
    assert np.allclose(steps[steps > 2], 8 * PEN, atol=1.5)


def test_form_prints_a_label_left_of_each_line(pages):
    page = pages["form"]
    shift = page.strokes[0][0, 1] - 0.9 * _note()[0][0, 1]
    left = min(float(s[:, 0].min()) for s in page.strokes)
    zone = page.distractor[:, 12 : int(left) - 16] > 0.5  # between the table border and the field lines
    baselines = [0.9 * y + shift for y in (176.0, 332.0, 488.0, 566.0)]  # the note's four text lines
    for y in baselines:
        assert zone[int(y) - 16 : int(y) - 4].any(axis=1).sum() >= 6  # a label about 12 px tall
    between = 0.5 * (baselines[0] + baselines[1])
    assert not zone[int(between) - 10 : int(between) + 10].any()
    # printed and not handwriting: the labels never touch the true ink
    assert not (zone & (page.ink[:, 12 : int(left) - 16] > 0)).any()


def test_stamp_is_a_coloured_ring_or_box_over_a_word(pages):
    page = pages["stamp"]
    covered = (page.distractor > 0.5) & (page.ink == 0)
    colour = page.image[covered].astype(np.float64).mean(axis=0)
    assert colour.max() - colour.min() > 20  # red, blue or violet, not grey
    assert ((page.distractor > 0.3) & (page.ink > 0.5)).sum() > 50  # pressed over writing
    ys, xs = np.nonzero(page.distractor > 0.3)
    assert 100 < np.ptp(xs) < 250 and 60 < np.ptp(ys) < 250


def test_string_is_a_coloured_band_6_to_12_px_wide(pages):
    page = pages["string"]
    body = page.distractor > 0.5
    columns = body.sum(axis=0)
    assert body.any(axis=0).mean() > 0.95  # across the whole page
    assert 5 <= np.median(columns[columns > 0]) <= 14  # its width, a little more where it runs steeply
    colour = page.image[body & (page.ink == 0)].astype(np.float64).mean(axis=0)
    assert colour.max() - colour.min() > 40


def test_blackboard_is_dark_with_light_chalk(pages):
    page = pages["blackboard"]
    gray = _gray(page)
    assert np.median(gray[page.ink == 0]) < 90
    y, x = _on_strokes(page)
    assert np.median(gray[y, x]) > 150


def test_shadow_darkens_about_a_third_of_the_page(pages):
    page = pages["shadow"]
    region = page.distractor > 0.5
    assert 0.25 < region.mean() < 0.42
    gray = _gray(page)
    paper = page.ink == 0
    assert np.median(gray[region & paper]) < 0.6 * np.median(gray[~region & paper])


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError, match="condition must be one of"):
        render_condition(_note(), "fog")
