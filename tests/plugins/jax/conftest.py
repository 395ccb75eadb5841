"""Shared fixtures for the jax plugin tests: a reduced ``tiny`` model, built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model_config():
    pytest.importorskip("jax")
    pytest.importorskip("flax")
    from inksight_jax import get_config

    # ``tiny`` with fewer layers and short sequences: same code paths, quick to compile
    return get_config("tiny").replace(
        name="tiny-test", vit_layers=1, encoder_layers=1, decoder_layers=2, max_prompt_len=32, max_decode_len=24
    )


@pytest.fixture(scope="session")
def model_params(model_config):
    from inksight_jax import init_params

    return init_params(model_config, seed=0)


@pytest.fixture(scope="session")
def images():
    import numpy as np

    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(3, 224, 224, 3), dtype=np.uint8)
