"""JAX and ONNX Runtime run the same model: equal logits (within float32 noise) and identical greedy tokens."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flax")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from inksight_jax import DecodeOptions, JaxDecoder  # noqa: E402
from inksight_jax.model import InkSightModel  # noqa: E402
from inksight_onnx.runtime import OnnxDecoder, OnnxModel  # noqa: E402

from inksight_sdk.seq2seq.vocab import (  # noqa: E402
    PAD,
    PROMPT_DERENDER,
    PROMPT_RECOGNIZE_AND_DERENDER,
    derender_with_text,
    encode_prompts,
)

pytestmark = pytest.mark.jax

PROMPTS = [PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text("Neat:"), derender_with_text("héllo")]
LOGIT_TOLERANCE = 1e-4


def test_step_logits_match(tiny_config, tiny_params, exported, fixed_images):
    """Encoder outputs and 24 decoder steps (fed the same tokens) agree with the Flax model."""
    model = InkSightModel(tiny_config)
    ids, mask = encode_prompts(PROMPTS, tiny_config.max_prompt_len)
    encoded, enc_mask = model.apply(tiny_params, fixed_images, ids, mask, method=InkSightModel.encode)
    steps = 24
    cache = model.apply(tiny_params, encoded, steps, method=InkSightModel.init_cache)
    jax_step = jax.jit(lambda p, t, pos, c, m: model.apply(p, t, pos, c, m, method=InkSightModel.decode_step))

    onnx_model = OnnxModel(exported, threads=1)
    outs = onnx_model.encode(fixed_images, ids, mask)
    assert np.array_equal(outs["encoder_mask"], np.asarray(enc_mask))
    for i, layer in enumerate(cache):
        np.testing.assert_allclose(outs[f"cross_k_{i}"], np.asarray(layer["cross_k"]), atol=1e-4)
        np.testing.assert_allclose(outs[f"cross_v_{i}"], np.asarray(layer["cross_v"]), atol=1e-4)

    past = onnx_model.empty_cache(len(PROMPTS))
    static = {k: v for k, v in outs.items()}
    token = np.full(len(PROMPTS), PAD, np.int32)
    worst = 0.0
    for pos in range(steps):
        logits, cache = jax_step(tiny_params, token, np.int32(pos), cache, enc_mask)
        logits = np.asarray(logits)[:, : onnx_model.meta["vocab"]["vocab_size"]]
        result = onnx_model.step({"token": token, **static, **past})
        worst = max(worst, float(np.abs(result["logits"] - logits).max()))
        expected = np.where(np.arange(logits.shape[1]) == PAD, -np.inf, logits).argmax(-1)
        assert np.array_equal(result["next_token"], expected), f"position {pos}"
        past = {f"past{k[len('present') :]}": v for k, v in result.items() if k.startswith("present_")}
        assert past["past_k_0"].shape[2] == pos + 1
        token = result["next_token"]
    print(f"max |logit difference| JAX vs ONNX over {steps} steps: {worst:.3g}")
    assert worst < LOGIT_TOLERANCE


def test_greedy_tokens_identical(tiny_config, tiny_params, exported, fixed_images):
    """The whole greedy loop (stops, repetition guard, fallback, batch padding in JAX, row dropping in ONNX)."""
    options = DecodeOptions(max_len=48)
    jax_decoder = JaxDecoder(tiny_params, tiny_config, options)
    onnx_decoder = OnnxDecoder(OnnxModel(exported), options)
    images = np.concatenate([fixed_images, fixed_images[:2]])  # batch 6 (JAX pads it to 8)
    prompts = PROMPTS + [PROMPT_RECOGNIZE_AND_DERENDER, PROMPT_DERENDER]
    for batch in (slice(0, 6), slice(1, 2)):
        expected = jax_decoder.derender(images[batch], prompts[batch])
        got = onnx_decoder.derender(images[batch], prompts[batch])
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert np.array_equal(g.ink_tokens, e.ink_tokens)
            assert (g.text, g.stop, g.prompt, g.fallback) == (e.text, e.stop, e.prompt, e.fallback)
    assert any(len(r.ink_tokens) for r in got), "the random model should write some ink"


def test_export_command_from_a_weights_file(tiny_config, tiny_params, tmp_path):
    """``python -m inksight_jax.export WEIGHTS OUT`` (what the shipped-model script calls) writes a loadable model."""
    from inksight_jax.checkpoint import save_params
    from inksight_jax.export import main

    weights = save_params(tmp_path / "w" / "tiny", tiny_config, tiny_params, {"step": 7, "seed": 0})
    assert main([str(weights), str(tmp_path / "model")]) == 0
    model = OnnxModel(tmp_path / "model")
    assert model.describe()["config"] == "tiny" and model.describe()["step"] == 7
    assert model.meta["vocab"]["vocab_size"] == 709 and model.meta["opset"] == 17
