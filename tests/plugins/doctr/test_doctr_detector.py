"""The doctr detector with docTR's real models on real photos: wiring, geometry, hierarchy, batching,
12 MP pages, local weight files, missing weights, no network.

docTR's trained weights cannot be downloaded on this machine (and the plugin never downloads), so the
models run with untrained (random, seeded) weights: their boxes and text are arbitrary, but they are real
docTR models run through docTR's real predictor, so everything around them (resizing, padding removal,
crop cutting, line grouping, batching, coordinate mapping, weight loading) is the code a trained model
goes through. An untrained LinkNet's probability map is noise around 0.5; with the default ``seed`` 0,
``bin_thresh=0.51`` makes it give 19 boxes on ``inksight_page.jpg`` in 16 lines and 14 blocks (up to
3 words a line), 37 on ``testaments_AD78_0054-0.jpg``: enough to check geometry and hierarchy. Small
architectures and a 512 px detection square (``det_size``, docTR's default is 1024) keep the module
under a minute on two cores.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("doctr")

import torch  # noqa: E402
from torchvision.transforms import functional as tvf  # noqa: E402

from inksight_sdk.errors import BadArgumentsError, MissingPluginError, StageError  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from tests.conftest import run_cli, shared  # noqa: E402

SMALL = {
    "det_arch": "linknet_resnet18",
    "reco_arch": "crnn_mobilenet_v3_small",
    "bin_thresh": 0.51,
    "det_size": 512,
    "resolve_blocks": True,
}
DET_URL = "https://doctr-static.mindee.com/models?id=v0.7.0/linknet_resnet18-e47a14dc.pt&src=0"


def _offline(*args, **kwargs):
    raise OSError("network access during a doctr test")


@pytest.fixture(scope="module", autouse=True)
def no_network():
    """Every test here runs with sockets unable to connect or resolve a name: docTR must not download."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _offline)
        patch.setattr(socket, "getaddrinfo", _offline)
        yield


def _photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(shared("photos", name)).convert("RGB"))


def _build(options: dict):
    return default_registry().create("detector", "doctr", options)[1]


@pytest.fixture(scope="module")
def detector():
    return _build({**SMALL, "untrained": True})


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return _photo("inksight_page.jpg")


@pytest.fixture(scope="module")
def page_layout(detector, page):
    return detector.detect(page)


def _quads(layout) -> np.ndarray:
    return np.array([np.asarray(w.quad, np.float64) for w in layout.words]).reshape(-1, 4, 2)


def _same(a, b, atol: float = 1e-4) -> None:
    assert [(w.text, w.block, w.line) for w in a.words] == [(w.text, w.block, w.line) for w in b.words]
    np.testing.assert_allclose(_quads(a), _quads(b), atol=atol)


def _check_on_page(layout, shape) -> None:
    """Quads in input pixel centres: inside the page's pixel edges, clockwise on screen, with an area."""
    height, width = shape[:2]
    quads = _quads(layout)
    assert np.isfinite(quads).all()
    assert (quads[..., 0] >= -0.5 - 1e-3).all() and (quads[..., 0] <= width - 0.5 + 1e-3).all()
    assert (quads[..., 1] >= -0.5 - 1e-3).all() and (quads[..., 1] <= height - 0.5 + 1e-3).all()
    x, y = quads[..., 0], quads[..., 1]
    area = 0.5 * (np.sum(x * np.roll(y, -1, axis=1), axis=1) - np.sum(y * np.roll(x, -1, axis=1), axis=1))
    assert (area > 0).all()  # TL, TR, BR, BL: clockwise with y down


def _check_hierarchy(layout) -> None:
    """Blocks numbered 0.. in order, lines 0.. within each block, a line's words next to each other."""
    ids = [(w.block, w.line) for w in layout.words]
    groups = list(dict.fromkeys(ids))
    assert len(groups) == len(set(groups))
    assert ids == sorted(ids, key=groups.index)  # words of one line are contiguous
    blocks = [b for b, _ in groups]
    assert blocks == sorted(blocks) and sorted(set(blocks)) == list(range(len(set(blocks))))
    for block in set(blocks):
        assert [ln for b, ln in groups if b == block] == list(range(sum(1 for b, _ in groups if b == block)))


@pytest.mark.parametrize("name", ["inksight_page.jpg", "testaments_AD78_0054-0.jpg"])
def test_real_models_read_real_photos_into_quads_lines_and_blocks(detector, name):
    image = _photo(name)
    layout = detector.detect(image)
    assert len(layout.words) >= 10, "seed 0 and bin_thresh 0.51 gave 19 and 37 boxes when this test was written"
    assert len({(w.block, w.line) for w in layout.words}) < len(layout.words)  # some line holds several words
    _check_on_page(layout, image.shape)
    _check_hierarchy(layout)
    assert all(0.0 <= w.confidence <= 1.0 for w in layout.words)
    assert all(w.text is None or isinstance(w.text, str) for w in layout.words)


def test_straight_pages_give_upright_boxes(page):
    straight = _build({**SMALL, "untrained": True, "assume_straight_pages": True}).detect(page)
    assert len(straight.words) >= 10
    quads = _quads(straight)
    np.testing.assert_array_equal(quads[:, 0, 1], quads[:, 1, 1])  # TL and TR on one row
    np.testing.assert_array_equal(quads[:, 0, 0], quads[:, 3, 0])  # TL and BL in one column
    _check_on_page(straight, page.shape)
    _check_hierarchy(straight)


def test_two_pages_in_one_call_give_what_each_gives_alone(detector, page, page_layout):
    other = _photo("grid_logbook1947_taped_moth_en.jpg")
    together = detector.detect_batch([page, other])
    assert len(together) == 2
    _same(together[0], page_layout)
    _same(together[1], detector.detect(other))
    assert detector.detect_batch([]) == []


def test_a_grey_page_is_read_as_its_rgb_copy(detector, page):
    grey = np.asarray(Image.fromarray(page).convert("L"))
    _same(detector.detect(grey), detector.detect(np.repeat(grey[:, :, None], 3, axis=2)))


def test_a_12_mp_photo_comes_back_in_its_own_pixels(detector):
    """A real 12 MP phone photo (4032 x 3024) goes to docTR whole; its detector reads it scaled to 1024 x 768
    (with padding to 1024 x 1024) and the recognizer cuts crops from the full photo.

    Untrained models find no known word, so the check is exact instead: the same photo reduced beforehand
    to 1024 x 768 with the very resize docTR applies (torchvision, bilinear, antialiased) reaches the
    detection model as the same tensor, so both runs find the same boxes, and every quad of the 12 MP run
    must be the small run's quad scaled by 3.9375 on pixel edges (``(q + 0.5) * s - 0.5``). A mapping
    off by half a pixel of either size, or scaled on centres, fails at this tolerance (0.01 px).
    """
    big = _photo("form_patient_intake_phone.jpg")
    assert big.shape[:2] == (3024, 4032)
    small = (
        tvf.resize(torch.from_numpy(big.copy()).permute(2, 0, 1), [384, 512], antialias=True).permute(1, 2, 0).numpy()
    )
    big_layout, small_layout = detector.detect(big), detector.detect(small)
    assert len(big_layout.words) == len(small_layout.words) >= 2
    scale = 4032 / 512
    np.testing.assert_allclose(_quads(big_layout), (_quads(small_layout) + 0.5) * scale - 0.5, atol=0.01)
    _check_on_page(big_layout, big.shape)
    _check_hierarchy(big_layout)


def test_local_weight_files_give_the_same_reading_as_the_models_they_came_from(detector, page, page_layout, tmp_path):
    det_file, reco_file = tmp_path / "det.pt", tmp_path / "reco.pt"
    torch.save(detector.predictor.det_predictor.model.state_dict(), det_file)
    torch.save(detector.predictor.reco_predictor.model.state_dict(), reco_file)
    loaded = _build({**SMALL, "det_weights": str(det_file), "reco_weights": str(reco_file)})
    _same(loaded.detect(page), page_layout, atol=0)
    with pytest.raises(BadArgumentsError, match=r"det_weights .*reco\.pt does not load into docTR's linknet_resnet18"):
        _build({**SMALL, "det_weights": str(reco_file), "reco_weights": str(reco_file)})


def test_files_named_as_doctr_publishes_them_are_found_in_weights_dir_and_doctrs_cache(
    detector, page, page_layout, tmp_path, monkeypatch
):
    """docTR's published file names carry a SHA-256 prefix that its loader checks; the real files cannot be
    had here, so the architectures' published URLs are pointed at names that carry our files' hashes."""
    import hashlib

    from doctr.models.detection.linknet import pytorch as linknet
    from doctr.models.recognition.crnn import pytorch as crnn

    weights_dir, cache = tmp_path / "weights", tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    weights_dir.mkdir()
    names = {}
    for module, arch, model, folder in (
        (linknet, "linknet_resnet18", detector.predictor.det_predictor.model, weights_dir),
        (crnn, "crnn_mobilenet_v3_small", detector.predictor.reco_predictor.model, cache / "models"),
    ):
        staged = tmp_path / f"{arch}.pt"
        torch.save(model.state_dict(), staged)
        names[arch] = f"{arch}-{hashlib.sha256(staged.read_bytes()).hexdigest()[:8]}.pt"
        staged.rename(folder / names[arch])
        monkeypatch.setitem(module.default_cfgs[arch], "url", f"https://example.invalid/models?id=x/{names[arch]}&s=0")
    monkeypatch.setenv("DOCTR_CACHE_DIR", str(cache))
    found = _build({**SMALL, "weights_dir": str(weights_dir)})
    _same(found.detect(page), page_layout, atol=0)

    (weights_dir / names["linknet_resnet18"]).write_bytes(b"half a download")
    with pytest.raises(MissingPluginError, match="damaged.*download https://example.invalid"):
        _build({**SMALL, "weights_dir": str(weights_dir)})


def test_missing_weights_name_the_file_and_where_doctr_publishes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCTR_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(MissingPluginError) as missing:
        _build(SMALL)
    message = str(missing.value)
    assert "linknet_resnet18-e47a14dc.pt" in message and DET_URL in message and "det_weights=PATH" in message
    assert str(tmp_path / "empty" / "models") in message and "\n" not in message
    det_file = tmp_path / "det.pt"
    det_file.write_bytes(b"never read: every file is looked up before a model is built")
    with pytest.raises(MissingPluginError, match=r"recognition weights .* crnn_mobilenet_v3_small_pt-3b919a02\.pt"):
        _build({**SMALL, "det_weights": str(det_file)})
    with pytest.raises(BadArgumentsError, match="det_weights file not found"):
        _build({**SMALL, "det_weights": str(tmp_path / "nowhere.pt")})
    with pytest.raises(BadArgumentsError, match="unknown docTR det_arch 'db_resnet9'; docTR offers: .*fast_base"):
        _build({**SMALL, "det_arch": "db_resnet9", "untrained": True})
    with pytest.raises(BadArgumentsError, match="crop_orientation needs assume_straight_pages=false"):
        _build({"crop_orientation": "true", "assume_straight_pages": "true"})


def test_the_cli_converts_a_photo_with_the_same_words_as_the_library(page_layout, tmp_path):
    """The whole pipeline on the real CLI; the seed makes an untrained run repeat in another process."""
    out = tmp_path / "page.json"
    options = [arg for key, value in SMALL.items() for arg in ("--detector-option", f"{key}={value}")]
    result = run_cli(
        "convert",
        str(shared("photos", "inksight_page.jpg")),
        "-o",
        str(out),
        "--detector",
        "doctr",
        "--detector-option",
        "untrained=true",
        *options,
    )
    assert result.returncode == 0, result.stderr
    assert b"untrained (random) weights" in result.stderr  # the user is told the text is garbage
    words = json.loads(out.read_text(encoding="utf-8"))["pages"][0]["words"]
    assert {w["detector"] for w in words} == {"doctr"}
    got = sorted(np.asarray(w["quad"], np.float64).round(2).ravel().tolist() for w in words)
    want = sorted(q.round(2).ravel().tolist() for q in _quads(page_layout))
    np.testing.assert_allclose(got, want, atol=0.02)


def test_the_cli_stops_on_missing_weights_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCTR_CACHE_DIR", str(tmp_path))
    result = run_cli(
        "convert",
        str(shared("photos", "inksight_page.jpg")),
        "-o",
        str(tmp_path / "page.json"),
        "--detector",
        "doctr",
        "--detector-option",
        "det_arch=linknet_resnet18",
    )
    assert result.returncode == 5, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "linknet_resnet18-e47a14dc.pt" in lines[0] and DET_URL in lines[0], lines


def test_orientation_classifiers_and_all_models_build_and_run_without_network():
    """With assume_straight_pages=False docTR would build its crop and page orientation classifiers with
    pretrained weights (a download); here all four models are built with sockets blocked and read a page,
    and the page docTR turned upright (its untrained classifier turns it by a quarter) comes back in the
    input's pixels."""
    with pytest.raises(OSError, match="network access"):
        socket.create_connection(("doctr-static.mindee.com", 443), timeout=1)
    turned = _build({**SMALL, "untrained": True, "crop_orientation": True, "straighten_pages": True})
    assert turned.predictor.crop_orientation_predictor.model is not None
    assert turned.predictor.page_orientation_predictor.model is not None
    image = _photo("testaments_AD78_0054-0.jpg")
    layout = turned.detect(image)
    assert len(layout.words) >= 5  # 12 when this test was written
    _check_on_page(layout, image.shape)
    _check_hierarchy(layout)


def test_a_page_docTR_cannot_read_is_a_stage_error(detector):
    with pytest.raises(StageError, match="docTR failed on this page"):
        detector.detect(np.zeros((40, 60, 2), np.uint8))  # two channels: docTR's normalisation wants three


def test_plugins_lists_doctr_with_its_install_hint_and_auto_keeps_the_layout_detector():
    rows = json.loads(run_cli("plugins", "--json").stdout)
    row = next(r for r in rows if r["kind"] == "detector" and r["name"] == "doctr")
    assert row["available"] and row["distribution"] == "inksight-doctr" and row["priority"] == 1
    assert "plugins/doctr" in row["install_hint"] and "opencv-python-headless" in row["install_hint"]
    assert default_registry().select("detector", "auto").name != "doctr"


def test_listing_the_plugins_imports_neither_doctr_nor_torch():
    probe = (
        "import sys; from inksight_sdk.pipeline import default_registry; "
        "assert default_registry().select('detector', 'doctr').available(); "
        "print(sorted({'doctr', 'torch'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr + result.stdout
