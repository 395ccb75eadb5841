"""The ``jax`` derenderer through the real plugin registry, on a real photographed word."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flax")

from inksight_jax import DecodeOptions, JaxDecoder  # noqa: E402
from inksight_jax.checkpoint import CheckpointError, save_params  # noqa: E402

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from inksight_sdk.geometry import crop_word, plan_crop  # noqa: E402
from inksight_sdk.pipeline import default_registry  # noqa: E402
from inksight_sdk.stages import Mode, WordCrop  # noqa: E402
from inksight_sdk.tokenizer import decode_ink  # noqa: E402

pytestmark = pytest.mark.jax

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
WORD = DATA / "photos" / "inksight_word.jpg"


@pytest.fixture(scope="module")
def weights(model_config, model_params, tmp_path_factory):
    return save_params(tmp_path_factory.mktemp("weights") / "test-model", model_config, model_params, {"step": 0})


@pytest.fixture(scope="module")
def word_image():
    from PIL import Image

    if not WORD.is_file():
        pytest.skip(f"{WORD} not found (../shared/data beside the checkout)")
    return np.asarray(Image.open(WORD).convert("RGB"))


def test_registration_does_not_import_jax():
    code = (
        "import sys\n"
        "from inksight_sdk.pipeline import default_registry\n"
        "stage = default_registry().select('derenderer', 'jax')\n"
        "print(stage.distribution, stage.available(), 'jax' in sys.modules, 'flax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["inksight-jax", "True", "False", "False"]


def _spy(derenderer):
    seen = []
    real = derenderer.decoder.derender

    def spy(images, prompts):
        results = real(images, prompts)
        seen.append((np.array(images), list(prompts), results))
        return results

    derenderer.decoder.derender = spy
    return seen


def test_adapter_on_a_real_crop(weights, word_image, model_config, model_params, caplog):
    name, der = default_registry().create(
        "derenderer", "jax", {"checkpoint": str(weights), "max_len": "12", "batch_size": "2"}
    )
    assert name == "jax" and der.config == model_config
    assert der.crop_spec.size == 224
    h, w = word_image.shape[:2]
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    transform = plan_crop(quad, der.crop_spec)
    crop224 = WordCrop(image=crop_word(word_image, transform), content=transform.to_crop(quad), text="Neat:")
    raw = WordCrop(image=word_image, content=quad, text=None)  # not 224: letterboxed by the adapter
    crops = [crop224, raw, crop224]
    reference = JaxDecoder(model_params, model_config, DecodeOptions(max_len=12))
    for mode, prompts in [
        (Mode.VANILLA, ["Derender the ink."] * 3),
        (Mode.TEXT, ["Derender the ink: Neat:", "Derender the ink.", "Derender the ink: Neat:"]),
        (Mode.RECOGNIZE, ["Recognize and derender."] * 3),
    ]:
        seen = _spy(der)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="inksight_sdk.jax"):
            words = der.derender(crops, mode)
        assert len(words) == 3
        assert [len(p) for _, p, _ in seen] == [2, 1]  # batch_size 2
        assert [p for _, batch, _ in seen for p in batch] == prompts
        results = [r for _, _, rs in seen for r in rs]
        images = np.concatenate([im for im, _, _ in seen])
        assert images.shape == (3, 224, 224, 3)
        assert np.array_equal(images[0], crop224.image)
        # the same answers as the decoder called directly (fallback included)
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
            if mode is Mode.RECOGNIZE:
                assert word.text == (r.text or None)
            else:
                assert word.text is None
        # a word stopped by the length cap or the repetition guard is returned and reported
        stopped = [i for i, r in enumerate(results) if r.stop != "eos"]
        assert stopped, "a random model is expected to run into max_len=12 or the repetition guard"
        assert [i for i, word in enumerate(words) if word.warning] == stopped
        assert all("guard" in words[i].warning for i in stopped)
        assert len([rec for rec in caplog.records if "decoding stopped by" in rec.getMessage()]) == len(stopped)


def test_checkpoint_option_errors(tmp_path, monkeypatch):
    import inksight_jax.derenderer as module

    registry = default_registry()
    with pytest.raises(CheckpointError, match="does not exist"):
        registry.create("derenderer", "jax", {"checkpoint": str(tmp_path / "nope")})
    monkeypatch.setattr(module, "default_checkpoint", lambda: None)
    with pytest.raises(BadArgumentsError, match="checkpoint=PATH"):
        registry.create("derenderer", "jax")
    with pytest.raises(BadArgumentsError, match="max_len"):
        registry.create("derenderer", "jax", {"max_len": "0"})


def test_weights_file_metadata_is_json(weights, model_config):
    meta = json.loads(Path(weights).read_text())
    assert meta["format"] == "inksight-jax-checkpoint" and meta["config"] == model_config.to_dict()


def test_shipped_weights_load_by_default():
    from inksight_jax.derenderer import WEIGHTS_DIR, default_checkpoint

    assert default_checkpoint() == WEIGHTS_DIR / "tiny.json"
    assert (WEIGHTS_DIR / "NOTICE").is_file()
    name, der = default_registry().create("derenderer", "jax")
    assert der.config.name == "tiny" and der.meta["step"] == 1500
    assert der.meta["trained_with"].startswith("inksight train --config tiny")
