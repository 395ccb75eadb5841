"""The ``onnx`` derenderer through the real plugin registry: real crops, modes, mapping, errors."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from inksight_onnx.derenderer import default_model  # noqa: E402
from inksight_onnx.runtime import ModelFileError, OnnxDecoder, OnnxModel  # noqa: E402

from inksight_sdk.errors import BadArgumentsError, InputFileError  # noqa: E402
from inksight_sdk.geometry import crop_word, plan_crop  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from inksight_sdk.seq2seq.decoding import DecodeOptions  # noqa: E402
from inksight_sdk.stages import Mode, WordCrop  # noqa: E402
from inksight_sdk.tokenizer import decode_ink  # noqa: E402


def test_registration_does_not_import_onnxruntime():
    code = (
        "import sys\n"
        "import inksight_sdk\n"
        "from inksight_sdk.pipeline import default_registry\n"
        "stage = default_registry().select('derenderer', 'onnx')\n"
        "print(stage.distribution, stage.available(), 'onnxruntime' in sys.modules, 'jax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["inksight-onnx", "True", "False", "False"]


def _spy(derenderer):
    seen = []
    real = derenderer.decoder.derender

    def spy(images, prompts):
        results = real(images, prompts)
        seen.append((np.array(images), list(prompts), results))
        return results

    derenderer.decoder.derender = spy
    return seen


def test_adapter_on_a_real_crop(exported, word_image, caplog):
    name, der = default_registry().create(
        "derenderer", "onnx", {"model": str(exported), "max_len": "16", "batch_size": "2", "threads": "1"}
    )
    assert name == "onnx" and der.crop_spec.size == 224
    assert der.describe()["config"] == "tiny" and der.describe()["step"] == 0
    h, w = word_image.shape[:2]
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    transform = plan_crop(quad, der.crop_spec)
    crop224 = WordCrop(image=crop_word(word_image, transform), content=transform.to_crop(quad), text="Neat:")
    raw = WordCrop(image=word_image, content=quad, text=None)  # not 224: letterboxed by the adapter
    crops = [crop224, raw, crop224]
    reference = OnnxDecoder(OnnxModel(exported), DecodeOptions(max_len=16))
    for mode, prompts in [
        (Mode.VANILLA, ["Derender the ink."] * 3),
        (Mode.TEXT, ["Derender the ink: Neat:", "Derender the ink.", "Derender the ink: Neat:"]),
        (Mode.RECOGNIZE, ["Recognize and derender."] * 3),
    ]:
        seen = _spy(der)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="inksight_sdk.onnx"):
            words = der.derender(crops, mode)
        assert len(words) == 3
        assert [len(p) for _, p, _ in seen] == [2, 1]  # batch_size 2
        assert [p for _, batch, _ in seen for p in batch] == prompts
        results = [r for _, _, rs in seen for r in rs]
        images = np.concatenate([im for im, _, _ in seen])
        assert images.shape == (3, 224, 224, 3) and np.array_equal(images[0], crop224.image)
        direct = reference.derender(images, prompts)
        for r, d in zip(results, direct):
            assert np.array_equal(r.ink_tokens, d.ink_tokens) and r.stop == d.stop and r.text == d.text
        # 224 crops: canvas == crop pixels; the raw crop maps back through the letterbox
        scale = 224 / w
        offset = np.array([0, (224 - round(h * scale)) // 2], np.float32)
        for i, (word, r) in enumerate(zip(words, results)):
            expected = decode_ink(r.ink_tokens)
            assert len(word.strokes) == len(expected)
            for got, exp in zip(word.strokes, expected):
                want = exp if i != 1 else (exp - offset) / scale
                np.testing.assert_allclose(got.points, want, rtol=1e-5, atol=1e-4)
            assert word.text == ((r.text or None) if mode is Mode.RECOGNIZE else None)
        stopped = [i for i, r in enumerate(results) if r.stop != "eos"]
        assert [i for i, word in enumerate(words) if word.warning] == stopped
        assert len([rec for rec in caplog.records if "decoding stopped by" in rec.getMessage()]) == len(stopped)


def test_convert_a_photo_end_to_end(exported, tmp_path):
    import inksight_sdk

    from .conftest import WORD

    if not WORD.is_file():
        pytest.skip(f"{WORD} not found")
    doc = inksight_sdk.convert(
        str(WORD), derenderer="onnx", derenderer_options={"model": str(exported), "max_len": 24, "threads": 1}
    )
    words = [w for page in doc.pages for w in page.words]
    assert words and any(len(w.strokes) for w in words)
    assert all(w.derenderer == "onnx" for w in words)


def _copy(exported, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(exported, target)
    return target


def _meta(path):
    return json.loads((path / "inksight_onnx.json").read_text())


def _write_meta(path, meta):
    (path / "inksight_onnx.json").write_text(json.dumps(meta))


def test_bad_model_directories(exported, tmp_path, monkeypatch):
    registry = default_registry()
    with pytest.raises(BadArgumentsError, match="does not exist"):
        registry.create("derenderer", "onnx", {"model": str(tmp_path / "nope")})
    with pytest.raises(BadArgumentsError, match="threads"):
        registry.create("derenderer", "onnx", {"threads": "-1"})
    with pytest.raises(BadArgumentsError, match="max_len"):
        registry.create("derenderer", "onnx", {"max_len": "0"})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelFileError, match="inksight_onnx.json is missing"):
        OnnxModel(empty)

    import inksight_onnx.models as module

    monkeypatch.setattr(module, "shipped_model", lambda: None)
    with pytest.raises(BadArgumentsError, match="model=DIR"):
        registry.create("derenderer", "onnx")
    monkeypatch.undo()

    # a truncated graph
    model = _copy(exported, tmp_path / "a")
    data = (model / "decoder_step.onnx").read_bytes()
    (model / "decoder_step.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="decoder_step.onnx is damaged"):
        OnnxModel(model)
    # a graph whose bytes were replaced and whose metadata was "fixed" to match
    model = _copy(exported, tmp_path / "b")
    (model / "encoder.onnx").write_bytes(b"not a protobuf at all" * 10)
    meta = _meta(model)
    meta["files"]["encoder"].pop("sha256")
    meta["files"]["encoder"]["bytes"] = 210
    _write_meta(model, meta)
    with pytest.raises(ModelFileError, match="cannot be loaded by onnxruntime"):
        OnnxModel(model)
    # unreadable metadata
    model = _copy(exported, tmp_path / "c")
    (model / "inksight_onnx.json").write_text("{broken")
    with pytest.raises(ModelFileError, match="not readable JSON"):
        OnnxModel(model)
    # a missing graph
    model = _copy(exported, tmp_path / "d")
    (model / "encoder.onnx").unlink()
    with pytest.raises(ModelFileError, match="encoder.onnx is missing"):
        OnnxModel(model)
    # every one of these is an input-file error (exit code 3 on the CLI)
    assert issubclass(ModelFileError, InputFileError)


def test_model_of_another_vocabulary_or_config(exported, tmp_path):
    model = _copy(exported, tmp_path / "vocab")
    meta = _meta(model)
    meta["vocab"]["ink_offset"] = 300
    meta["vocab"]["vocab_size"] = 751
    _write_meta(model, meta)
    with pytest.raises(ModelFileError, match="another vocabulary.*ink_offset 300 \\(SDK: 258\\)"):
        OnnxModel(model)

    model = _copy(exported, tmp_path / "config")
    meta = _meta(model)
    meta["cache"]["heads"] = 8
    meta["config"]["num_heads"] = 8
    _write_meta(model, meta)
    with pytest.raises(ModelFileError, match="does not match its metadata.*heads"):
        OnnxModel(model)

    # graphs of another export (the metadata of one export, the graphs of another)
    model = _copy(exported, tmp_path / "mixed")
    meta = _meta(model)
    meta["export_id"] = "0" * 32
    _write_meta(model, meta)
    with pytest.raises(ModelFileError, match="does not belong"):
        OnnxModel(model)


def test_cli_names_a_missing_model_directory(tmp_path):
    from .conftest import SAMPLE

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "inksight_sdk",
            "convert",
            str(SAMPLE),
            "-o",
            str(tmp_path / "o.svg"),
            "--derenderer",
            "onnx",
            "--derenderer-option",
            f"model={tmp_path / 'nope'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "does not exist" in out.stderr and "model=DIR" in out.stderr
    assert not (tmp_path / "o.svg").exists()


@pytest.mark.skipif(default_model() is None, reason="no shipped model in inksight_onnx/models/tiny")
def test_shipped_model_loads_and_derenders(word_image):
    name, der = default_registry().create("derenderer", "onnx", {"max_len": "64"})
    assert der.model.name == "tiny" and der.describe()["step"]
    from inksight_sdk.seq2seq.words import letterbox

    canvas = letterbox(word_image, 224, (255, 255, 255))[0]
    box = np.array([[0, 0], [224, 0], [224, 224], [0, 224]], np.float32)
    [word] = der.derender([WordCrop(image=canvas, content=box)], Mode.VANILLA)
    assert word.strokes, "the trained model should write ink for a real word"
