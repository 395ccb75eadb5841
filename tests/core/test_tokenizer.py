"""The InkSight ink tokenizer: layout of the ids, round trips, tolerant decoding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inksight_sdk.errors import InvalidInkError
from inksight_sdk.tokenizer import (
    BOS_STROKE,
    CANVAS,
    VOCAB_SIZE,
    Y_OFFSET,
    count_invalid_tokens,
    decode_ink,
    encode_ink,
    format_ink_token_string,
    parse_ink_token_string,
    resample_by_time,
    simplify_rdp,
)

QUANT = math.sqrt(2) / 2  # rounding moves a point by at most half a pixel per axis


def point_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of every point to the polyline ``line`` (a single point counts as a polyline)."""
    points = np.asarray(points, np.float64)
    line = np.asarray(line, np.float64)
    if len(line) == 1:
        return np.linalg.norm(points - line[0], axis=1)
    a, b = line[:-1], line[1:]
    seg = b - a
    len2 = np.maximum((seg**2).sum(1), 1e-12)
    rel = points[:, None, :] - a[None]
    u = np.clip((rel * seg[None]).sum(-1) / len2[None], 0, 1)
    off = rel - u[..., None] * seg[None]
    return np.sqrt((off**2).sum(-1)).min(1)


coord = st.floats(min_value=0, max_value=CANVAS, allow_nan=False, allow_infinity=False)
point = st.tuples(coord, coord)
stroke_st = st.lists(point, min_size=1, max_size=40).map(lambda p: np.array(p, dtype=np.float64))
ink_st = st.lists(stroke_st, min_size=0, max_size=6)


def test_vocabulary_layout_matches_the_paper():
    assert CANVAS == 224 and Y_OFFSET == 225 and BOS_STROKE == 450 and VOCAB_SIZE == 451


def test_encode_writes_bos_then_x_then_y_plus_225():
    tokens = encode_ink([np.array([[0, 0], [224, 224]]), np.array([[10.4, 20.6]])], rdp_epsilon=None)
    assert tokens.dtype == np.int32
    assert tokens.tolist() == [450, 0, 225, 224, 449, 450, 10, 246]


@settings(max_examples=150, deadline=None)
@given(ink=ink_st, eps=st.sampled_from([0.0, 0.5, 1.0, 2.5]))
def test_round_trip_within_quantization_and_rdp_error(ink, eps):
    tokens = encode_ink(ink, rdp_epsilon=eps)
    assert ((tokens >= 0) & (tokens < VOCAB_SIZE)).all()
    assert count_invalid_tokens(tokens) == 0
    decoded = decode_ink(tokens)
    assert len(decoded) == len(ink)  # no stroke lost, none invented
    for original, back in zip(ink, decoded):
        assert back.dtype == np.float32 and back.ndim == 2 and back.shape[1] == 2
        assert ((back >= 0) & (back <= CANVAS)).all()
        # every decoded point is a rounded original point ...
        assert point_to_polyline(back, original).max() <= QUANT + 1e-6
        # ... and the decoded polyline stays within epsilon (+ rounding) of the original
        assert point_to_polyline(original, back).max() <= eps + QUANT + 1e-6
        # the stroke still starts and ends where the pen went down and up
        assert np.abs(back[0] - original[0]).max() <= 0.5 + 1e-6
        assert np.abs(back[-1] - original[-1]).max() <= 0.5 + 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 224), st.integers(0, 224)), min_size=1, max_size=30), max_size=5))
def test_integer_ink_round_trips_exactly_without_simplification(ink):
    arrays = []
    for stroke in ink:
        pts = np.array(stroke, dtype=np.float64)
        keep = np.concatenate([[True], np.any(pts[1:] != pts[:-1], axis=1)])
        arrays.append(pts[keep])
    decoded = decode_ink(encode_ink(arrays, rdp_epsilon=None))
    assert len(decoded) == len(arrays)
    for a, b in zip(arrays, decoded):
        np.testing.assert_array_equal(a, b)


def test_points_off_the_canvas_are_clipped_and_empty_strokes_dropped():
    tokens = encode_ink([np.zeros((0, 2)), np.array([[-30.0, 500.0], [300.0, -2.0]])])
    assert decode_ink(tokens)[0].tolist() == [[0, 224], [224, 0]]
    assert encode_ink([]).shape == (0,)


def test_consecutive_points_that_quantize_together_are_merged():
    tokens = encode_ink([np.array([[5.1, 5.1], [5.2, 4.9], [5.3, 5.4], [9.0, 9.0]])], rdp_epsilon=None)
    assert tokens.tolist() == [450, 5, 230, 9, 234]


def test_rdp_keeps_ends_and_corners():
    line = np.column_stack([np.linspace(0, 100, 101), np.zeros(101)])
    assert simplify_rdp(line, 0.5).tolist() == [0, 100]
    vee = np.array([[0, 0], [50, 50], [100, 0]], float)
    assert simplify_rdp(vee, 1.0).tolist() == [0, 1, 2]
    # a stroke that doubles back keeps its turning point (distance to the segment, not the line)
    back = np.array([[0, 0], [100, 0], [50, 0]], float)
    assert simplify_rdp(back, 1.0).tolist() == [0, 1, 2]


def _rdp_by_recursion(points: np.ndarray, epsilon: float) -> set[int]:
    """The textbook recursion, as an oracle for the version that splits all intervals of all strokes at once."""
    kept = {0, len(points) - 1}

    def split(a: int, b: int) -> None:
        if b - a < 2:
            return
        chord = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        length2 = float(chord @ chord)
        u = np.clip(rel @ chord / length2, 0, 1) if length2 > 1e-24 else np.zeros(len(rel))
        dist = np.hypot(*(rel - u[:, None] * chord).T)
        k = int(np.argmax(dist))
        if dist[k] > epsilon:
            kept.add(a + 1 + k)
            split(a, a + 1 + k)
            split(a + 1 + k, b)

    split(0, len(points) - 1)
    return kept


def test_rdp_of_many_strokes_at_once_is_the_recursion_per_stroke():
    rng = np.random.default_rng(4)
    strokes = []
    for _ in range(60):  # walks with repeated points and reversals, 1 to 80 points
        steps = rng.normal(size=(int(rng.integers(1, 80)), 2)) * rng.uniform(0.2, 5)
        steps[rng.random(len(steps)) < 0.15] = 0.0
        strokes.append(np.cumsum(steps, axis=0) + 100)
    tokens = encode_ink(strokes, rdp_epsilon=1.0, time_step=None)
    for stroke, decoded in zip(strokes, decode_ink(tokens)):
        kept = sorted(_rdp_by_recursion(stroke, 1.0))
        assert simplify_rdp(stroke, 1.0).tolist() == kept
        expected = encode_ink([stroke[kept]], rdp_epsilon=None, time_step=None)
        assert decode_ink(expected)[0].tolist() == decoded.tolist()


def test_time_resampling_is_uniform_in_time():
    t = np.array([0.0, 0.001, 0.05, 0.051, 0.1])
    pts = np.column_stack([t * 1000, np.zeros(5)])  # constant speed: x = 1000 * t
    out = resample_by_time(pts, t, 0.02)
    np.testing.assert_allclose(out[:, 0], [0, 20, 40, 60, 80, 100])
    # through encode_ink (no simplification so the samples survive)
    tokens = encode_ink([pts], [t], rdp_epsilon=None, time_step=0.02)
    assert decode_ink(tokens)[0][:, 0].tolist() == [0, 20, 40, 60, 80, 100]
    # a stroke with one time stamp or repeated stamps does not break
    assert len(resample_by_time(pts[:1], t[:1])) == 1
    assert len(resample_by_time(pts[:2], np.array([0.0, 0.0]))) == 1


def test_bad_ink_is_rejected_clearly():
    with pytest.raises(InvalidInkError, match="shape"):
        encode_ink([np.zeros((3, 3))])
    with pytest.raises(InvalidInkError, match="NaN"):
        encode_ink([np.array([[1.0, np.nan]])])
    with pytest.raises(InvalidInkError, match="decrease"):
        encode_ink([np.zeros((3, 2))], [np.array([0.0, 0.2, 0.1])])
    with pytest.raises(InvalidInkError, match="time arrays"):
        encode_ink([np.zeros((3, 2))], [])


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ([450, 10, 235, 20], [[[10, 10]]]),  # dangling x at the end: skipped
        ([450, 10, 235, 20, 450, 30, 255], [[[10, 10]], [[30, 30]]]),  # x followed by a new stroke: skipped
        ([450, 300, 12, 240, 450], []),  # y without x: the misread pair is dropped, then a dangling x
        ([10, 235, 11, 236], [[[10, 10], [11, 11]]]),  # no leading 450: still one stroke
        ([450, 450, 450], []),  # empty strokes dropped
        ([450, 5, 450, 6, 231], [[[6, 6]]]),
        ([450, 1, 225, 2, 226, 3, 1000, 4, 229], [[[1, 0], [2, 1], [4, 4]]]),  # invalid y: pair dropped
        ([450, -5, 230, 7, 232], [[[7, 7]]]),  # negative ids are invalid coordinates
    ],
)
def test_decoding_is_tolerant_the_way_the_official_detokenizer_is(tokens, expected):
    assert [s.tolist() for s in decode_ink(tokens)] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**40), 2**40), st.integers(0, 460), st.just(450)), max_size=200))
def test_decode_never_raises_on_arbitrary_ints(tokens):
    strokes = decode_ink(tokens)
    for s in strokes:
        assert s.dtype == np.float32 and s.shape[1] == 2 and len(s) >= 1
        assert ((s >= 0) & (s <= CANVAS)).all()
    assert 0 <= count_invalid_tokens(tokens) <= len(tokens)
    decode_ink(np.asarray(tokens, dtype=np.int64))


def test_decode_accepts_odd_containers():
    assert decode_ink([]) == []
    assert decode_ink(np.zeros((0,), np.int32)) == []
    assert len(decode_ink(np.array([[450, 3, 228]]))) == 1
    assert decode_ink(np.array([450.0, np.nan, 230.0])) == []


@settings(max_examples=100, deadline=None)
@given(
    tokens=st.lists(st.integers(0, 450), max_size=60),
    text=st.text(alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), max_size=20),
)
def test_ink_token_string_round_trip(tokens, text):
    parsed_text, parsed = parse_ink_token_string(format_ink_token_string(tokens))
    assert parsed_text == "" and parsed.tolist() == tokens
    parsed_text, parsed = parse_ink_token_string(format_ink_token_string(tokens, text))
    assert parsed_text == " ".join(text.split()) and parsed.tolist() == tokens


def test_parses_an_official_recognize_and_derender_answer():
    answer = "<extra_id_0> Neat <ink_token_450><ink_token_12><ink_token_300><ink_token_13><ink_token_301></s>"
    text, tokens = parse_ink_token_string(answer)
    assert text == "Neat"
    assert tokens.tolist() == [450, 12, 300, 13, 301]
    assert [s.tolist() for s in decode_ink(tokens)] == [[[12, 75], [13, 76]]]
    # absurd ids in the string do not break the parser; the decoder drops them
    text, tokens = parse_ink_token_string("<ink_token_450><ink_token_" + "9" * 5000 + "><ink_token_230>")
    assert decode_ink(tokens) == []
