"""Synthetic training data: ink sources, handwriting variation, photo-like crops, the sampler."""

from __future__ import annotations

import shutil
import sys

import cv2
import numpy as np
import pytest

pytest.importorskip("HersheyFonts")

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from inksight_sdk.evaluation.groundtruth import load_hanzi_strokes  # noqa: E402
from inksight_sdk.synth import (  # noqa: E402
    HanziData,
    PhotoParams,
    SyntheticWords,
    hershey_font,
    hershey_word,
    is_evaluation_character,
    render_word,
    training_characters,
    vary,
)
from inksight_sdk.synth.glyphs import polyline_distance  # noqa: E402
from inksight_sdk.synth.hershey import require_hershey  # noqa: E402
from tests.conftest import shared  # noqa: E402


@pytest.fixture(scope="module")
def words():
    return SyntheticWords(7, neighbour_words=True)


@pytest.fixture
def hanzi_dir(tmp_path):
    """The shared 我 (U+6211, odd: evaluation) plus a copy of it filed as 成 (U+6210, even) for training."""
    source = shared("ink", "hanzi", "6211.json")
    shutil.copy(source, tmp_path / "6211.json")
    shutil.copy(source, tmp_path / "6210.json")
    return tmp_path


def test_same_seed_and_index_give_identical_bytes(words):
    again = SyntheticWords(7, neighbour_words=True)
    for i in (0, 5, 123):
        a, b = words[i], again[i]
        assert a.image.tobytes() == b.image.tobytes()
        assert a.text == b.text
        assert len(a.strokes) == len(b.strokes)
        for s, u in zip(a.strokes, b.strokes):
            assert s.tobytes() == u.tobytes()
    assert words[1].image.tobytes() != words[2].image.tobytes()
    assert SyntheticWords(8)[0].image.tobytes() != words[0].image.tobytes()


def test_example_shapes_and_canvas(words):
    for i in range(6):
        ex = words[i]
        assert ex.image.shape == (224, 224, 3) and ex.image.dtype == np.uint8
        assert ex.text and ex.strokes
        for s, t, p, w in zip(ex.strokes, ex.t, ex.pressure, ex.width):
            assert s.ndim == 2 and s.shape[1] == 2 and s.dtype == np.float32
            assert len(t) == len(p) == len(w) == len(s)
            assert s.min() >= 0 and s.max() <= 223


def _on_ink_fraction(image: np.ndarray, strokes: list[np.ndarray]) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    paper = cv2.dilate(gray, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    pts = np.rint(np.concatenate(strokes)).astype(int)
    values = gray[pts[:, 1], pts[:, 0]]
    return float(np.mean(values < paper[pts[:, 1], pts[:, 0]] - 12))


def test_strokes_lie_on_dark_pixels(words):
    fractions = [_on_ink_fraction(words[i].image, words[i].strokes) for i in range(12)]
    assert min(fractions) > 0.9, fractions


def test_strokes_are_exactly_the_drawn_centre_lines():
    clean = PhotoParams(pen_width=0.08, blur=0.0, noise=0.0, jpeg=None, gradient=0.0, exposure=1.0, rotation=0.0)
    hand = vary(hershey_word("Neat", "cursive"), np.random.default_rng(0))
    image, strokes, _ = render_word(hand, np.random.default_rng(1), clean)
    assert _on_ink_fraction(image, strokes) > 0.99
    # a near-vertical bar: in every row the darkness centroid sits on the returned centre line
    hand = vary(hershey_word("I", "futural"), np.random.default_rng(2))
    image, strokes, _ = render_word(hand, np.random.default_rng(3), clean)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)
    dark = np.clip(np.median(gray) - gray, 0, None)
    stroke = strokes[0].astype(np.float64)
    errors = []
    for y in range(int(stroke[:, 1].min()) + 6, int(stroke[:, 1].max()) - 5):
        order = np.argsort(stroke[:, 1])
        x_true = np.interp(y, stroke[order, 1], stroke[order, 0])
        lo, hi = int(x_true) - 8, int(x_true) + 9
        row = dark[y, lo:hi]
        errors.append(abs((row * np.arange(lo, hi)).sum() / row.sum() - x_true))
    assert len(errors) > 40 and np.median(errors) < 0.3, np.median(errors)


def test_time_is_monotonic(words):
    for i in range(10):
        ex = words[i]
        flat = np.concatenate(ex.t)
        assert np.all(np.diff(flat) >= 0)
        for t in ex.t:
            assert len(t) < 2 or np.all(np.diff(t) > 0)
        # pen lifts take time
        for a, b in zip(ex.t[:-1], ex.t[1:]):
            assert b[0] > a[-1]


def test_pen_slows_down_at_corners():
    hand = vary(hershey_word("N", "futural"), np.random.default_rng(3))
    stroke, t = hand.strokes[0], hand.t[0]
    speed = np.linalg.norm(np.diff(stroke, axis=0), axis=1) / np.diff(t)
    assert speed.min() < 0.6 * speed.max()


def test_cursive_segments_join_into_few_pen_lifts():
    joined = hershey_word("minimum", "cursive")
    raw = hershey_word("minimum", "cursive", join=False)
    assert joined.raw_segments == len(raw.strokes) == 17
    # one stroke for the letters, then the two i-dots (written after the word)
    assert len(joined.strokes) == 3
    assert len(joined.strokes) * 3 < joined.raw_segments
    dots = joined.strokes[1:]
    assert all(np.ptp(d, axis=0).max() < 0.2 for d in dots)
    # writing order: the body runs left to right
    body = joined.strokes[0]
    assert body[0, 0] < body[-1, 0]


def test_scripts_map_to_their_tables():
    assert hershey_font("greek").supports("λογος")
    assert hershey_font("cyrillic").supports("Привет")
    assert hershey_font("japanese").supports("ひらがなカタカナ")
    assert not hershey_font("cursive").supports("λ")
    with pytest.raises(ValueError, match="cannot write"):
        hershey_word("λ", "cursive")


def test_missing_hershey_package_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "HersheyFonts", None)
    with pytest.raises(ImportError, match="Hershey-Fonts"):
        require_hershey()


def test_odd_code_points_are_refused_for_training(hanzi_dir):
    assert is_evaluation_character("我") and not is_evaluation_character("成")
    assert training_characters("我成") == ["成"]
    data = HanziData(hanzi_dir)
    assert data.characters == ["成", "我"]
    assert data.training_characters() == ["成"]
    with pytest.raises(BadArgumentsError, match="odd code point"):
        data.word("我")
    with pytest.raises(BadArgumentsError, match="evaluation"):
        SyntheticWords(0, hanzi_dir=hanzi_dir, vocabulary=["我们"])
    with pytest.raises(BadArgumentsError, match="evaluation"):
        SyntheticWords(0, hanzi_dir=hanzi_dir, hanzi_chars=["我"])
    with pytest.raises(BadArgumentsError):
        SyntheticWords(0, vocabulary=["word", "我"])
    # the default sampler only ever writes even code points
    sampler = SyntheticWords(0, hanzi_dir=hanzi_dir, hanzi_fraction=1.0)
    for i in range(4):
        ex = sampler[i]
        assert ex.source == "hanzi-writer-data"
        assert set(ex.text) == {"成"}


def test_hanzi_medians_keep_order_and_direction(hanzi_dir):
    data = HanziData(hanzi_dir)
    medians = data.medians("我")
    assert len(medians) == 7
    truth = load_hanzi_strokes(shared("ink", "hanzi", "6211.json"))
    for m, t in zip(medians, truth):
        np.testing.assert_array_equal(m, t)
    # y down: the first stroke of 我 (a falling left-going stroke at the top) starts above where it ends
    assert medians[0][0, 1] < medians[0][-1, 1]
    word = data.word("我", training=False)
    hand = vary(word, np.random.default_rng(5))
    image, strokes, _ = render_word(hand, np.random.default_rng(6))
    assert len(strokes) == 7
    # map the medians onto the canvas with the least-squares affine fit of the stroke ends
    src = np.concatenate([np.stack([m[0], m[-1]]) for m in medians])
    dst = np.concatenate([np.stack([s[0], s[-1]]) for s in strokes])
    design = np.hstack([src, np.ones((len(src), 1))])
    fit, *_ = np.linalg.lstsq(design, dst, rcond=None)
    mapped = [np.hstack([m, np.ones((len(m), 1))]) @ fit for m in medians]
    for k, stroke in enumerate(strokes):
        start, end = mapped[k][0], mapped[k][-1]
        # direction: the stroke starts at the median's start, not its end
        assert np.linalg.norm(stroke[0] - start) < np.linalg.norm(stroke[0] - end)
        # order: the k-th stroke follows the k-th median more closely than any other
        assert int(np.argmin([_mismatch(stroke, m) for m in mapped])) == k


def _mismatch(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean distance between two polylines."""
    return float(np.mean([polyline_distance(p, b)[0] for p in a]) + np.mean([polyline_distance(p, a)[0] for p in b]))
