"""The ppocr detector with the real engine and the models of the rapidocr wheel: words with text, word cuts at
the ink, rotated and upside-down pages, 12 MP pages, Chinese, no network, errors, the CLI."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("rapidocr")

from inksight_ppocr.order import reading_order  # noqa: E402
from inksight_ppocr.words import LineRead, split_line, tokens  # noqa: E402

from inksight_sdk.errors import BadArgumentsError, MissingPluginError, StageError  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from tests.conftest import run_cli, shared  # noqa: E402
from tests.drawing import PAPER, text_width, write  # noqa: E402

LINES = [
    "the quick brown fox jumps",
    "over the lazy dog and then",
    "runs far away into the",
    "green forest by the river",
]
ORIGIN_X, SIZE, PEN = 60, 48, 4


def _printed_page() -> np.ndarray:
    page = np.full((700, 1000, 3), PAPER, np.uint8)
    for i, line in enumerate(LINES):
        write(page, line, (ORIGIN_X, 120 + 120 * i), font="futural", size=SIZE, pen=PEN)
    return page


def _ink_spans(line: str, font: str = "futural", size: float = SIZE) -> list[tuple[float, float]]:
    """Where each word's pen centre line starts and ends along x (the drawing lays words out left to right)."""
    words = line.split()
    spans = []
    for k, word in enumerate(words):
        right = ORIGIN_X + text_width(" ".join(words[: k + 1]), font=font, size=size)
        spans.append((right - text_width(word, font=font, size=size), right))
    return spans


def _create(**options):
    return default_registry().create("detector", "ppocr", options)[1]


@pytest.fixture(scope="module")
def detector():
    return _create()


@pytest.fixture(scope="module")
def upright(detector):
    return detector.detect(_printed_page())


def _words_by_line(layout) -> list[str]:
    lines: dict[tuple[int, int], list[str]] = {}
    for word in layout.words:
        lines.setdefault((word.block, word.line), []).append(word.text.lower())
    return [" ".join(v) for _, v in sorted(lines.items())]


def test_printed_lines_come_back_as_words_with_text_in_reading_order(upright):
    assert [w.text.lower() for w in upright.words] == " ".join(LINES).split()
    assert _words_by_line(upright) == LINES
    assert {w.script for w in upright.words} == {"latin"}
    assert all(0.5 <= w.confidence <= 1.0 for w in upright.words)


def test_each_word_quad_holds_its_own_ink_and_none_of_its_neighbours(upright):
    words = iter(upright.words)
    for line in LINES:
        spans = _ink_spans(line)
        for k, (left, right) in enumerate(spans):
            quad = np.asarray(next(words).quad)
            x0, x1 = quad[:, 0].min(), quad[:, 0].max()
            assert x0 <= left - PEN / 2 + 1.5 and x1 >= right + PEN / 2 - 1.5, (line, k, x0, x1, left, right)
            if k:
                assert x0 > spans[k - 1][1] + PEN / 2, (line, k)
            if k + 1 < len(spans):
                assert x1 < spans[k + 1][0] - PEN / 2, (line, k)


def test_joined_up_script_is_cut_into_its_words_at_the_gaps():
    page = np.full((200, 1100, 3), PAPER, np.uint8)
    line = "minimum summer running"
    write(page, line, (ORIGIN_X, 120), font="scripts", size=56, pen=4)
    layout = _create().detect(page)
    spans = _ink_spans(line, font="scripts", size=56)
    assert len(layout.words) == 3, [w.text for w in layout.words]
    for word, (left, right) in zip(layout.words, spans):
        quad = np.asarray(word.quad)
        middle = 0.5 * (quad[:, 0].min() + quad[:, 0].max())
        assert left < middle < right, (word.text, quad[:, 0], left, right)
        assert quad[:, 0].min() <= left and quad[:, 0].max() >= right, (word.text, quad[:, 0], left, right)


def test_split_lines_gives_one_quad_per_line_with_its_text():
    page = np.full((200, 1100, 3), PAPER, np.uint8)
    write(page, LINES[0], (ORIGIN_X, 120), font="futural", size=SIZE, pen=PEN)
    (word,) = _create(split="lines").detect(page).words
    assert word.text.lower() == LINES[0]
    left, right = _ink_spans(LINES[0])[0][0], _ink_spans(LINES[0])[-1][1]
    assert (
        left - 12 < np.asarray(word.quad)[:, 0].min() <= left
        and right <= np.asarray(word.quad)[:, 0].max() < right + 12
    )


def test_a_line_is_cut_at_the_ink_gaps_without_the_recognizers_positions():
    # no CTC positions: characters spread evenly over the ink, then the cuts move to the gaps
    page = np.full((160, 1000, 3), PAPER, np.uint8)
    write(page, "a wonderful day", (ORIGIN_X, 110), font="futural", size=SIZE, pen=PEN)
    quad = np.array([[40.0, 50.0], [900.0, 50.0], [900.0, 130.0], [40.0, 130.0]])
    gray = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    pieces = split_line(gray, LineRead(quad, "a wonderful day", 0.9))
    assert [p.text for p in pieces] == ["a", "wonderful", "day"]
    for piece, (left, right) in zip(pieces, _ink_spans("a wonderful day")):
        assert piece.quad[:, 0].min() <= left and piece.quad[:, 0].max() >= right
        assert piece.quad[:, 0].min() > left - 12 and piece.quad[:, 0].max() < right + 12
    assert [p.text for p in split_line(gray, LineRead(quad, "a wonderful day", 0.9), words=False)] == [
        "a wonderful day"
    ]


def test_tokens_cut_cjk_into_characters_and_keep_latin_runs_and_punctuation():
    text = "我们，2024年 hello world."
    assert [text[s:e] for s, e, _ in tokens(text)] == ["我", "们，", "2024", "年", "hello", "world."]
    assert [spaced for _, _, spaced in tokens(text)] == [False, False, False, False, True, True]


def test_reading_order_groups_pieces_of_one_line_and_separate_columns():
    def box(x, y, w=100, h=40):
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float)

    # a line split in pieces, the second a little higher; a second line; a column far to the right
    quads = [box(160, 12), box(0, 20), box(0, 80), box(900, 15), box(900, 75)]
    assert reading_order(quads) == [(1, (0, 0)), (0, (0, 0)), (2, (0, 1)), (3, (1, 0)), (4, (1, 1))]


def _rotated(page: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """The page turned ``degrees`` counter-clockwise on a larger canvas, and the 2x3 map of its pixel centres."""
    h, w = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    side = int(np.ceil(np.hypot(w, h)))
    matrix[:, 2] += [(side - w) / 2, (side - h) / 2]
    turned = cv2.warpAffine(page, matrix, (side, side), flags=cv2.INTER_CUBIC, borderValue=PAPER)
    return turned, matrix


def test_a_rotated_page_gives_word_quads_turned_along_their_lines(detector, upright):
    turned, matrix = _rotated(_printed_page(), 20.0)
    layout = detector.detect(turned)
    assert [w.text.lower() for w in layout.words] == [w.text.lower() for w in upright.words]
    assert _words_by_line(layout) == LINES
    for got, want in zip(layout.words, upright.words):
        quad = np.asarray(got.quad)
        expected = np.asarray(want.quad) @ matrix[:, :2].T + matrix[:, 2]
        np.testing.assert_allclose(quad, expected, atol=8.0)
        top = quad[1] - quad[0]
        assert abs(np.degrees(np.arctan2(-top[1], top[0])) - 20.0) < 3.0  # TL -> TR runs up the page at 20 degrees


def _turned(points: np.ndarray, turns: int, shape: tuple[int, int]) -> np.ndarray:
    """Pixel-centre points of an image of ``shape`` as they lie in ``numpy.rot90(image, turns)``."""
    out, (h, w) = np.asarray(points, np.float64).copy(), shape
    for _ in range(turns):
        out = np.stack([out[:, 1], (w - 1) - out[:, 0]], axis=1)
        h, w = w, h
    return out


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_page_is_read_upright_and_its_quads_turn_with_it(detector, upright, turns):
    # a quarter turn: PP-OCR reads tall lines turned; the direction vote turns the page read upside down
    page = _printed_page()
    layout = detector.detect(np.ascontiguousarray(np.rot90(page, turns)))
    assert [w.text for w in layout.words] == [w.text for w in upright.words]
    assert _words_by_line(layout) == LINES
    for got, want in zip(layout.words, upright.words):
        expected = _turned(np.asarray(want.quad), turns, page.shape[:2])  # TL stays the word's own top left
        np.testing.assert_allclose(np.asarray(got.quad), expected, atol=8.0)  # the line's height varies a little


def test_a_12_mp_page_is_read_at_the_engines_size_and_quads_come_back_in_its_pixels(upright):
    big = cv2.resize(_printed_page(), (4000, 2800), interpolation=cv2.INTER_CUBIC)  # 11.2 MP, 4x
    scale = 4.0

    def original(word):  # the word's quad on the original page, in the big page's pixel centres
        return (np.asarray(word.quad) + 0.5) * scale - 0.5

    # read at the original's own size: the same words, every quad the original's times the scale, to a pixel
    # of the read size and a quarter for the engine (it finds a line of the resampled copy up to 0.2 degrees
    # steeper, 4.9 px at most here)
    layout = _create(max_side=1000).detect(big)
    assert [w.text for w in layout.words] == [w.text for w in upright.words]
    for got, want in zip(layout.words, upright.words):
        np.testing.assert_allclose(np.asarray(got.quad), original(want), atol=1.25 * scale)
    # read at the default size (2000 px, twice the original's): the same words, quads within 2 px of the original
    default = _create().detect(big)
    assert [w.text for w in default.words] == [w.text for w in upright.words]
    for got, want in zip(default.words, upright.words):
        np.testing.assert_allclose(np.asarray(got.quad), original(want), atol=2 * scale)


def test_chinese_characters_become_words_of_their_own_and_digits_one_word():
    data = json.loads(shared("ink", "hanzi", "6211.json").read_text(encoding="utf-8"))  # 我
    page = np.full((240, 1000, 3), PAPER, np.uint8)
    lefts = [60, 150, 240, 620, 710]
    for x in lefts:
        for median in data["medians"]:
            points = np.array([[a, 900 - b] for a, b in median], np.float64) * 80 / 1024 + [x, 60]
            cv2.polylines(page, [np.round(points * 4).astype(np.int32)], False, (20, 20, 60), 5, cv2.LINE_AA, shift=2)
    write(page, "2024", (360, 135), font="futural", size=60, pen=5)
    layout = _create(lang="ch").detect(page)
    assert [w.text for w in layout.words] == ["我", "我", "我", "2024", "我", "我"]
    assert [w.script for w in layout.words] == ["cjk"] * 3 + ["latin"] + ["cjk"] * 2
    centres = [float(np.asarray(w.quad)[:, 0].mean()) for w in layout.words]
    expected = [x + 40 for x in lefts[:3]] + [360 + text_width("2024", font="futural", size=60) / 2]
    expected += [x + 40 for x in lefts[3:]]
    np.testing.assert_allclose(centres, expected, atol=12)


def test_a_blank_page_has_no_words(detector):
    assert detector.detect(np.full((600, 800, 3), PAPER, np.uint8)).words == ()


def test_no_network_is_needed_and_nothing_is_written_into_site_packages(monkeypatch):
    import rapidocr
    import requests

    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with pytest.raises(requests.RequestException):  # what RapidOCR's downloader uses would fail
        requests.get("https://www.modelscope.cn/models/RapidAI/RapidOCR", timeout=5)
    package = Path(rapidocr.__file__).parent
    before = sorted(p.relative_to(package) for p in package.rglob("*") if "__pycache__" not in p.parts)
    layout = _create(use_direction="true").detect(_printed_page())  # builds the engine and loads all three models
    assert [w.text.lower() for w in layout.words][:5] == LINES[0].split()
    after = sorted(p.relative_to(package) for p in package.rglob("*") if "__pycache__" not in p.parts)
    assert after == before


def test_a_model_not_on_disk_is_named_and_never_downloaded(tmp_path):
    with pytest.raises(MissingPluginError, match="korean_PP-OCRv5_rec_mobile.onnx is not on disk") as caught:
        _create(lang="korean", model_dir=str(tmp_path))
    assert "\n" not in str(caught.value) and "model_dir" in str(caught.value)
    with pytest.raises(BadArgumentsError, match="no recognizer for lang='klingon'"):
        _create(lang="klingon")


def test_an_engine_that_fails_on_a_page_is_a_stage_error_in_one_line(tmp_path):
    (tmp_path / "PP-OCRv6_det_small.onnx").write_bytes(b"not a model")
    broken = _create(model_dir=str(tmp_path))
    with pytest.raises(StageError, match="ppocr failed on this page") as caught:
        broken.detect(_printed_page())
    assert "\n" not in str(caught.value)


def test_the_cli_skips_a_page_the_engine_fails_on_and_exits_6(tmp_path):
    (tmp_path / "PP-OCRv6_det_small.onnx").write_bytes(b"not a model")
    source = tmp_path / "page.png"
    Image.fromarray(_printed_page()).save(source)
    result = run_cli(
        "convert",
        str(source),
        "-o",
        str(tmp_path / "out.json"),
        "--detector",
        "ppocr",
        "--detector-option",
        f"model_dir={tmp_path}",
    )
    assert result.returncode == 6, result.stderr
    assert b"ppocr failed on this page" in result.stderr and b"Traceback" not in result.stderr


def test_the_cli_writes_the_words_of_a_real_handwritten_line_as_text_and_inkml(tmp_path):
    photo = str(shared("photos", "inksight_page.jpg"))  # "The quick brown fox jumps over the lazy dog."
    text_out, ink_out = tmp_path / "page.txt", tmp_path / "page.inkml"
    result = run_cli("convert", photo, "-o", str(text_out), "--detector", "ppocr", "--derenderer", "skeleton")
    assert result.returncode == 0, result.stderr
    read = text_out.read_text(encoding="utf-8").split()
    assert len(read) >= 7 and {"brown", "fox", "jumps", "over", "lazy"} <= {w.strip(".").lower() for w in read}, read
    result = run_cli("convert", photo, "-o", str(ink_out), "--detector", "ppocr", "--derenderer", "skeleton")
    assert result.returncode == 0, result.stderr
    ink = ink_out.read_text(encoding="utf-8")
    transcriptions = [ln.split(">")[1].split("<")[0] for ln in ink.splitlines() if 'type="transcription"' in ln]
    assert {"brown", "fox", "jumps"} <= set(transcriptions), transcriptions
    assert b"RapidOCR" not in result.stderr  # its own log lines stay in our logger at debug level


def test_a_bad_option_is_exit_2_in_one_line(tmp_path):
    result = run_cli(
        "convert",
        str(shared("photos", "simplehtr_word.png")),
        "-o",
        str(tmp_path / "o.txt"),
        "--detector",
        "ppocr",
        "--detector-option",
        "split=chars",
    )
    assert result.returncode == 2 and b"split" in result.stderr, result.stderr
    assert b"Traceback" not in result.stderr and len(result.stderr.decode().strip().splitlines()) == 1


def test_plugins_lists_ppocr_as_available():
    line = next(ln for ln in run_cli("plugins").stdout.decode().splitlines() if ln.strip().startswith("ppocr"))
    assert "available" in line and "[inksight-ppocr]" in line and "PP-OCR" in line, line


def test_auto_still_prefers_the_layout_detector():
    assert default_registry().select("detector", "auto").name == "layout"
