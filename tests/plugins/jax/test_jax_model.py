"""The Flax model: sizes, shapes, the key/value cache, parameter checks."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flax")

import jax.numpy as jnp  # noqa: E402
from inksight_jax import (  # noqa: E402
    CONFIGS,
    MT5_VOCAB_ROWS,
    InkSightModel,
    ParamsMismatchError,
    check_params,
    count_params,
    get_config,
    param_shapes,
)
from inksight_jax.model import relative_position_bucket  # noqa: E402

from inksight_sdk.seq2seq.vocab import PAD, VOCAB_SIZE, encode_prompts  # noqa: E402

pytestmark = pytest.mark.jax


def test_parameter_counts_without_materializing():
    # jax.eval_shape: shapes only, nothing allocated (small would be 1.3 GB of float32)
    small = count_params("small")
    assert 300e6 <= small <= 380e6, small  # the paper's Small is ~340M; ours is 322,038,784
    compact = count_params("small-compact")
    assert compact == small - 2 * (MT5_VOCAB_ROWS - VOCAB_SIZE) * 512  # only the two tables differ
    assert 1e6 <= count_params("tiny") <= 3e6
    shapes = param_shapes(get_config("small"))["params"]
    assert shapes["embed"]["embedding"].shape == (MT5_VOCAB_ROWS, 512)
    assert shapes["lm_head"]["kernel"].shape == (512, MT5_VOCAB_ROWS)
    assert len([k for k in shapes if k.startswith("decoder_") and k[8:].isdigit()]) == 8
    assert shapes["vit"]["pos_embedding"].shape == (1, 196, 384)


def test_config_round_trips_and_rejects_unknown_names():
    for config in CONFIGS.values():
        assert type(config).from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown model configuration"):
        get_config("huge")
    with pytest.raises(ValueError, match="unknown model config fields"):
        type(CONFIGS["tiny"]).from_dict({**CONFIGS["tiny"].to_dict(), "colour": 1})


def _inputs(config, images, prompts):
    ids, mask = encode_prompts(prompts, config.max_prompt_len)
    return jnp.asarray(images), jnp.asarray(ids), jnp.asarray(mask)


def test_forward_shapes(model_config, model_params, images):
    model = InkSightModel(model_config)
    imgs, ids, mask = _inputs(model_config, images, ["Derender the ink."] * 3)
    encoded, enc_mask = jax.jit(partial(model.apply, method=InkSightModel.encode))(model_params, imgs, ids, mask)
    seq = 196 + model_config.max_prompt_len
    assert encoded.shape == (3, seq, model_config.d_model)
    assert enc_mask.shape == (3, seq) and bool(enc_mask[:, :196].all())
    assert int(enc_mask[0, 196:].sum()) == len("Derender the ink.")
    dec = jnp.zeros((3, 7), jnp.int32)
    logits = jax.jit(model.apply)(model_params, imgs, ids, mask, dec)
    assert logits.shape == (3, 7, model_config.rows) and logits.dtype == jnp.float32
    assert bool(jnp.isfinite(logits).all())


def test_cached_steps_equal_teacher_forced_decoding(model_config, model_params, images):
    """Every step of the cached decoder gives the logits of the full causal pass."""
    model = InkSightModel(model_config)
    imgs, ids, mask = _inputs(model_config, images, ["Recognize and derender.", "Derender the ink: hi", ""])
    encoded, enc_mask = jax.jit(partial(model.apply, method=InkSightModel.encode))(model_params, imgs, ids, mask)
    steps = 10
    rng = np.random.default_rng(3)
    dec = rng.integers(1, VOCAB_SIZE, size=(3, steps)).astype(np.int32)
    dec[:, 0] = PAD
    full = jax.jit(partial(model.apply, method=InkSightModel.decode))(model_params, jnp.asarray(dec), encoded, enc_mask)
    init_cache = jax.jit(partial(model.apply, method=InkSightModel.init_cache), static_argnums=2)
    cache = init_cache(model_params, encoded, model_config.max_decode_len)
    step = jax.jit(lambda p, t, i, c, m: model.apply(p, t, i, c, m, method=InkSightModel.decode_step))
    for pos in range(steps):
        logits, cache = step(model_params, jnp.asarray(dec[:, pos]), jnp.int32(pos), cache, enc_mask)
        np.testing.assert_allclose(np.asarray(logits), np.asarray(full[:, pos]), rtol=1e-4, atol=1e-4)


def test_padding_of_the_prompt_does_not_leak(model_config, model_params, images):
    """Padded prompt positions are masked: what lies under the mask does not change the output."""
    model = InkSightModel(model_config)
    imgs, ids, mask = _inputs(model_config, images[:1], ["Derender the ink."])
    dirty = np.asarray(ids).copy()
    dirty[0, 20:] = 77  # garbage under the mask
    dec = jnp.zeros((1, 3), jnp.int32)
    forward = jax.jit(model.apply)
    a = forward(model_params, imgs, ids, mask, dec)
    b = forward(model_params, imgs, jnp.asarray(dirty), mask, dec)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_relative_position_buckets():
    rel = jnp.arange(-300, 301)
    both = relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128)
    causal = relative_position_bucket(rel, bidirectional=False, num_buckets=32, max_distance=128)
    assert int(both.min()) == 0 and int(both.max()) == 31
    assert int(causal.min()) == 0 and int(causal.max()) == 31
    # exact buckets near zero, distinct directions in the encoder, the future collapses in the decoder
    assert [int(causal[300 - k]) for k in range(8)] == list(range(8))
    assert int(both[301]) != int(both[299])
    assert int(causal[301]) == int(causal[300]) == 0


def test_check_params_names_the_mismatch(model_config, model_params):
    check_params(model_params, model_config)  # fits
    with pytest.raises(ParamsMismatchError, match=r"missing .*decoder_2.*and 13 more"):
        check_params(model_params, model_config.replace(decoder_layers=3))
    wider = model_config.replace(d_ff=model_config.d_ff + 8)
    with pytest.raises(ParamsMismatchError, match=r"wi_0.*shape \(128, 320\).*\(128, 328\)"):
        check_params(model_params, wider)
    broken = jax.tree_util.tree_map(lambda x: x, model_params)
    broken["params"]["lm_head"]["kernel"] = np.zeros((3,), np.int32)
    with pytest.raises(ParamsMismatchError, match="lm_head"):
        check_params(broken, model_config)


def test_small_traces_end_to_end_without_materializing():
    """The paper-size model's encoder, cache and decoder step, as shapes only."""
    config = get_config("small")
    model = InkSightModel(config)
    params = param_shapes(config)
    sds = jax.ShapeDtypeStruct
    images = sds((2, 224, 224, 3), jnp.uint8)
    ids, mask = sds((2, config.max_prompt_len), jnp.int32), sds((2, config.max_prompt_len), jnp.bool_)
    encoded, enc_mask = jax.eval_shape(partial(model.apply, method=InkSightModel.encode), params, images, ids, mask)
    assert encoded.shape == (2, 196 + 64, 512) and enc_mask.shape == (2, 260)
    cache = jax.eval_shape(lambda p, e: model.apply(p, e, 1024, method=InkSightModel.init_cache), params, encoded)
    assert len(cache) == 8
    assert cache[0]["self_k"].shape == (2, 6, 1024, 64) and cache[0]["cross_v"].shape == (2, 6, 260, 64)
    step = partial(model.apply, method=InkSightModel.decode_step)
    logits, cache = jax.eval_shape(step, params, sds((2,), jnp.int32), sds((), jnp.int32), cache, enc_mask)
    assert logits.shape == (2, MT5_VOCAB_ROWS) and logits.dtype == jnp.float32
