"""The cloud-vision detector against the fake ImageAnnotator server: words, lines, quads in the input's
pixels (a 12 MP page sent reduced, a page turned sideways, a word at the corner), the request it sends,
batching, and never being auto's choice."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("google.cloud.vision_v1")
pytest.importorskip("inksight_cloud_vision")

from google.cloud.vision_v1 import types  # noqa: E402

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from tests.conftest import run_cli, shared  # noqa: E402

from .fake_server import Scene, annotation  # noqa: E402


def _words(path) -> list[dict]:
    return [w for page in json.loads(path.read_text(encoding="utf-8"))["pages"] for w in page["words"]]


def _expected(scene: Scene, width: int, height: int) -> list[tuple[str, np.ndarray]]:
    """The scene's words in the pixel centres of an input of ``width`` x ``height`` (the photo resized)."""
    ratio = np.array([width / scene.width, height / scene.height])
    return [(w.text, np.asarray(w.quad) * ratio - 0.5) for w in scene.words]


def _worst(words: list[dict], expected: list[tuple[str, np.ndarray]]) -> float:
    """The largest corner error of any output word against the expected word of its text closest to it."""
    worst = 0.0
    for word in words:
        quad = np.asarray(word["quad"], np.float64)
        candidates = [q for text, q in expected if text == word["text"]]
        assert candidates, word["text"]
        worst = max(worst, min(float(np.abs(quad - q).max()) for q in candidates))
    return worst


def test_the_fox_line_comes_back_as_words_with_text_a_line_and_confidence(fake, convert, fox_scene, tmp_path):
    out = tmp_path / "fox.json"
    photo = shared("photos", "inksight_page.jpg")
    result = convert(photo, "-o", out, options=("api_key=test-key", "language_hints=en,fr"))
    assert result.returncode == 0, result.stderr
    words = _words(out)
    assert [w["text"] for w in words] == [w.text for w in fox_scene.words]
    assert {(w["block"], w["line"]) for w in words} == {(0, 0)}
    assert {w["detector"] for w in words} == {"cloud-vision"}
    assert [round(w["confidence"], 2) for w in words] == [0.5 + 0.05 * (len(w.text) % 10) for w in fox_scene.words]
    # sent as it is (0.45 MP): Vision's integer vertices are the word's edges, back to within half a pixel
    assert _worst(words, _expected(fox_scene, 1852, 242)) <= 0.5 + 1e-4
    # what went over the wire: one request, the dense-text feature, the hints, the API key
    (call,) = fake.calls
    (request,) = call.request.requests
    assert [f.type_ for f in request.features] == [types.Feature.Type.DOCUMENT_TEXT_DETECTION]
    assert list(request.image_context.language_hints) == ["en", "fr"]
    assert call.metadata["x-goog-api-key"] == "test-key"
    assert call.sizes == [(1852, 242)]


def test_a_12_mp_page_is_sent_reduced_and_its_quads_come_back_in_its_pixels(fake, detector, testament_scene):
    photo = np.asarray(Image.open(shared("photos", "testaments_AD78_0054-0.jpg")).convert("RGB"))
    big = cv2.resize(photo, (2892, 4145), interpolation=cv2.INTER_CUBIC)  # 11.99 MP, 1.86x
    layout = detector().detect(big)
    (call,) = fake.calls
    ((width, height),) = call.sizes
    assert 7_990_000 <= width * height <= 8_000_000  # the default max_pixels
    assert call.request_bytes < 7_500_000  # the 10 MB JSON request limit, base64 included
    scale = max(2892 / width, 4145 / height)  # input pixels per sent pixel, about 1.22
    words = [{"text": w.text, "quad": w.quad} for w in layout.words]
    assert len(words) == len(testament_scene.words)
    assert _worst(words, _expected(testament_scene, 2892, 4145)) <= scale  # within 1 px of the sent scale
    # Vision's detected breaks make the lines: the 20 transcribed lines, in order
    lines: dict[tuple[int, int], list[str]] = {}
    for word in layout.words:
        lines.setdefault((word.block, word.line), []).append(word.text)
    alto: dict[int, list[str]] = {}
    for word in testament_scene.words:
        alto.setdefault(word.line, []).append(word.text)
    assert list(lines) == [(0, i) for i in range(20)]
    assert [" ".join(v) for v in lines.values()] == [" ".join(v) for v in alto.values()]
    assert {w.script for w in layout.words if any(c.isalpha() for c in w.text)} == {"latin"}  # ":" has none
    assert layout.direction == "ltr"


def test_a_page_turned_sideways_keeps_its_words_turned_quads(fake, convert, fox_scene, tmp_path):
    fake.scenes = [fox_scene.turned()]
    photo = np.asarray(Image.open(shared("photos", "inksight_page.jpg")).convert("RGB"))
    source, out = tmp_path / "turned.png", tmp_path / "turned.json"
    Image.fromarray(np.ascontiguousarray(np.rot90(photo))).save(source)
    result = convert(source, "-o", out)
    assert result.returncode == 0, result.stderr
    words = _words(out)
    assert [w["text"] for w in words] == [w.text for w in fox_scene.words]
    assert _worst(words, _expected(fox_scene.turned(), 242, 1852)) <= 0.5 + 1e-4
    for word in words:  # TL -> TR runs up the turned page: the reading order of the corners is kept
        quad = np.asarray(word["quad"])
        assert quad[1, 1] < quad[0, 1] and abs(quad[1, 0] - quad[0, 0]) < 2


def test_a_word_at_the_corner_comes_back_from_coordinates_left_off_the_wire(fake, detector, fox_scene):
    photo = np.asarray(Image.open(shared("photos", "inksight_page.jpg")).convert("RGB"))
    left, top = (int(round(v)) for v in fox_scene.words[0].quad[0])
    crop = np.ascontiguousarray(photo[top:, left:])
    scene = fox_scene.cropped(left, top, crop.shape[1], crop.shape[0])
    fake.scenes = [scene]
    # proto3 leaves zeros out: the first word's top-left vertex travels as an empty message
    sent = annotation(scene, crop.shape[1], crop.shape[0])
    first = sent.pages[0].blocks[0].paragraphs[0].words[0].bounding_box.vertices[0]
    assert types.Vertex.pb(first).ByteSize() == 0
    layout = detector().detect(crop)
    assert layout.words[0].text == "The"
    np.testing.assert_array_equal(np.asarray(layout.words[0].quad)[0], [-0.5, -0.5])


def test_pages_share_requests_up_to_batch_size_and_the_byte_budget(fake, detector, fox_scene):
    photo = np.asarray(Image.open(shared("photos", "inksight_page.jpg")).convert("RGB"))
    pages = [photo] * 5
    results = detector(batch_size=2).detect_batch(pages)
    assert [len(c.sizes) for c in fake.calls] == [2, 2, 1]  # ceil(5 / 2) requests
    assert all([w.text for w in r.words] == [w.text for w in fox_scene.words] for r in results)
    page_bytes = fake.calls[0].image_bytes[0]
    fake.calls.clear()
    results = detector(max_request_bytes=int(page_bytes * 1.5)).detect_batch(pages)
    assert [c.image_bytes for c in fake.calls] == [[page_bytes]] * 5  # two pages would pass the budget
    assert all(len(r.words) == 9 for r in results)


def test_auto_never_chooses_cloud_vision_and_plugins_lists_it():
    registry = default_registry()
    stage = registry.select("detector", "cloud-vision")
    assert stage.available() and stage.spec.auto is False
    assert registry.select("detector", "auto").name != "cloud-vision"
    line = next(ln for ln in run_cli("plugins").stdout.decode().splitlines() if ln.strip().startswith("cloud-vision"))
    assert "available" in line and "[inksight-cloud-vision]" in line, line


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"language_hints": "fr,english!"}, "english!"),
        ({"endpoint": "https://vision.googleapis.com"}, "HOST:PORT"),
        ({"batch_size": 17}, "batch_size"),
        ({"api_key": "k", "credentials": "/x.json"}, "not both"),
    ],
)
def test_bad_options_are_configuration_errors(options, message):
    with pytest.raises(BadArgumentsError, match=message.replace("!", "")):
        default_registry().create("detector", "cloud-vision", options)


def test_a_page_over_the_byte_budget_is_compressed_harder_then_reduced():
    from inksight_cloud_vision.sending import encode_page

    noise = np.random.default_rng(0).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)  # JPEG's worst case
    sent = encode_page(noise, max_pixels=8_000_000, quality=90, max_bytes=400_000)
    assert len(sent.content) <= 400_000 and sent.quality == 60
    assert sent.width < 1600 and abs(sent.width / sent.height - 4 / 3) < 0.01
    decoded = cv2.imdecode(np.frombuffer(sent.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (sent.height, sent.width, 3)
    # the sent image's far corner (its pixel edges) is the input's far corner
    np.testing.assert_allclose(sent.to_input(np.array([[sent.width, sent.height]])), [[1599.5, 1199.5]])
