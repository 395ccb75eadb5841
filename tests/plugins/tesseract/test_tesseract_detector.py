"""The tesseract detector with the real engine (Debian tesseract-ocr): words with text, lines, blocks,
orientation, large pages, errors."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytesseract")

from inksight_tesseract.detector import turned_points  # noqa: E402

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from tests.conftest import run_cli, shared  # noqa: E402
from tests.drawing import PAPER, text_strokes, write  # noqa: E402

LINES = [
    "the quick brown fox jumps",
    "over the lazy dog and then",
    "runs far away into the",
    "green forest by the river",
]


def _printed_page() -> np.ndarray:
    """Four lines of Hershey print: enough text for Tesseract's orientation detection."""
    page = np.full((700, 1000, 3), PAPER, np.uint8)
    for i, line in enumerate(LINES):
        write(page, line, (60, 120 + 120 * i), font="futural", size=48, pen=4)
    return page


@pytest.fixture(scope="module")
def detector():
    return default_registry().create("detector", "tesseract", {})[1]


@pytest.fixture(scope="module")
def upright(detector):
    return detector.detect(_printed_page())


def test_printed_lines_come_back_as_words_with_text_lines_and_blocks(upright):
    words = upright.words
    assert [w.text.lower() for w in words] == " ".join(LINES).split()  # Tesseract reads "into" as "Into"
    lines = {}
    for word in words:
        lines.setdefault((word.block, word.line), []).append(word.text.lower())
    assert [" ".join(v) for v in lines.values()] == LINES
    assert all(0.3 <= w.confidence <= 1.0 for w in words)
    # the first word's quad holds its ink (pixel centres, TL TR BR BL)
    ink = np.concatenate(text_strokes("the", (60, 120), font="futural", size=48))
    quad = np.asarray(words[0].quad)
    assert quad[0, 0] < ink[:, 0].min() and quad[1, 0] > ink[:, 0].max()
    assert quad[0, 1] < ink[:, 1].min() and quad[3, 1] > ink[:, 1].max()


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_page_is_read_upright_and_its_quads_turn_with_it(detector, upright, turns):
    page = _printed_page()
    layout = detector.detect(np.ascontiguousarray(np.rot90(page, turns)))
    assert [w.text for w in layout.words] == [w.text for w in upright.words]
    for got, want in zip(layout.words, upright.words):
        expected = turned_points(np.asarray(want.quad), turns, page.shape[:2])
        np.testing.assert_allclose(np.asarray(got.quad), expected, atol=1e-4)


def test_a_12_mp_page_is_read_reduced_and_quads_come_back_in_its_pixels(upright):
    big = cv2.resize(_printed_page(), (4000, 2800), interpolation=cv2.INTER_CUBIC)  # 11.2 MP, 4x
    reduced = default_registry().create("detector", "tesseract", {"max_pixels": 2_800_000})[1]
    layout = reduced.detect(big)
    assert [w.text for w in layout.words][:5] == LINES[0].split()
    scale = 4.0  # the page was read at 1000 x 700, its own size before the upscale
    want = (np.asarray(upright.words[1].quad) + 0.5) * scale - 0.5  # "quick" at the original size, in big pixels
    np.testing.assert_allclose(np.asarray(layout.words[1].quad), want, atol=scale)  # within 1 px of the read scale


def test_a_real_handwritten_line_gives_words_with_text(tmp_path):
    out = tmp_path / "page.inkml"
    result = run_cli("convert", str(shared("photos", "inksight_page.jpg")), "-o", str(out), "--detector", "tesseract")
    assert result.returncode in (0, 6), result.stderr
    text = out.read_text(encoding="utf-8")
    transcriptions = [line.split(">")[1].split("<")[0] for line in text.splitlines() if "transcription" in line]
    assert len(transcriptions) >= 7, transcriptions  # "The quick brown fox jumps over the lazy dog."
    assert {"brown", "over", "the"} <= {t.strip(".").lower() for t in transcriptions}, transcriptions


def test_a_missing_language_pack_is_named(tmp_path):
    with pytest.raises(BadArgumentsError, match="tesseract-ocr-xyz"):
        default_registry().create("detector", "tesseract", {"lang": "eng+xyz"})
    source = tmp_path / "page.png"
    Image.fromarray(_printed_page()).save(source)
    result = run_cli(
        "convert",
        str(source),
        "-o",
        str(tmp_path / "o.json"),
        "--detector",
        "tesseract",
        "--detector-option",
        "lang=xyz",
    )
    assert result.returncode == 2 and b"apt-get install tesseract-ocr-xyz" in result.stderr
    assert b"Traceback" not in result.stderr


def test_text_reaches_the_json_document(tmp_path):
    source, out = tmp_path / "page.png", tmp_path / "page.json"
    Image.fromarray(_printed_page()).save(source)
    result = run_cli("convert", str(source), "-o", str(out), "--detector", "tesseract")
    assert result.returncode in (0, 6), result.stderr
    words = json.loads(out.read_text(encoding="utf-8"))["pages"][0]["words"]
    assert [w["text"].lower() for w in words] == " ".join(LINES).split()
    assert {w["detector"] for w in words} == {"tesseract"}


def test_plugins_lists_tesseract_as_available():
    line = next(ln for ln in run_cli("plugins").stdout.decode().splitlines() if ln.strip().startswith("tesseract"))
    assert "available" in line and "[inksight-tesseract]" in line and "Tesseract OCR" in line, line


def test_quads_are_refined_to_the_handwriting_unless_told_not_to():
    """Tesseract asks for --refine-words: its boxes of handwriting are fitted to the ink they cut."""
    from inksight_sdk.pipeline import Pipeline
    from inksight_sdk.vision.ink_mask import extract_ink

    image = np.asarray(Image.open(shared("photos", "inksight_page.jpg")).convert("RGB"))
    ink = extract_ink(image)

    def covered(pipeline: Pipeline) -> tuple[float, list]:
        words = pipeline.convert(image).pages[0].words
        area = np.zeros(ink.mask.shape, np.uint8)
        for word in words:
            cv2.fillPoly(area, [np.rint(np.asarray(word.quad) * ink.scale).astype(np.int32)], 1)
        return float(ink.mask[area > 0].sum() / ink.mask.sum()), [np.asarray(w.quad) for w in words]

    raw = [np.asarray(w.quad) for w in default_registry().create("detector", "tesseract", {})[1].detect(image).words]
    refined_share, refined = covered(Pipeline(detector="tesseract", derenderer="skeleton"))
    plain_share, plain = covered(Pipeline(detector="tesseract", derenderer="skeleton", refine_words=False))
    assert len(plain) == len(raw) and all(np.array_equal(a, b) for a, b in zip(plain, raw))
    assert len(refined) == len(raw) and not all(np.allclose(a, b, atol=2) for a, b in zip(refined, raw))
    assert refined_share >= plain_share
