"""Fixtures of the onnx plugin tests: a random-weight ``tiny`` model (seed 0), exported once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
WORD = DATA / "photos" / "inksight_word.jpg"
SAMPLE = Path(__file__).resolve().parents[3] / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"


@pytest.fixture(scope="session")
def tiny_config():
    pytest.importorskip("jax")
    pytest.importorskip("flax")
    pytest.importorskip("onnx")
    from inksight_jax import get_config

    return get_config("tiny")


@pytest.fixture(scope="session")
def tiny_params(tiny_config):
    from inksight_jax import init_params

    return init_params(tiny_config, seed=0)


@pytest.fixture(scope="session")
def exported(tiny_config, tiny_params, tmp_path_factory):
    """The random tiny model as an ONNX model directory."""
    from inksight_jax.export import export_onnx

    return export_onnx(tiny_params, tiny_config, tmp_path_factory.mktemp("onnx") / "tiny-random", source={"step": 0})


@pytest.fixture(scope="session")
def word_image():
    from PIL import Image

    path = WORD if WORD.is_file() else SAMPLE
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="session")
def fixed_images(word_image):
    """Four 224 canvases: the real word letterboxed, its inverse, a blank page and noise."""
    from inksight_sdk.seq2seq.words import letterbox

    canvas = letterbox(word_image, 224, (255, 255, 255))[0]
    rng = np.random.default_rng(3)
    blank = np.full((224, 224, 3), 250, np.uint8)
    noise = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    return np.stack([canvas, 255 - canvas, blank, noise])
