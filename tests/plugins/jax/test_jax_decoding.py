"""Greedy decoding: cache vs no cache, stopping rules, repetition guard, the colab's fallback."""

from __future__ import annotations

import copy

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("flax")

from inksight_jax import (  # noqa: E402
    DecodeOptions,
    Derendering,
    JaxDecoder,
    derender_batch,
    derender_batch_detailed,
    greedy_decode,
    with_fallback,
)

from inksight_sdk.seq2seq.decoding import find_repetition  # noqa: E402
from inksight_sdk.seq2seq.vocab import (  # noqa: E402
    BYTE_OFFSET,
    EOS,
    INK_OFFSET,
    PAD,
    PROMPT_DERENDER,
    PROMPT_RECOGNIZE_AND_DERENDER,
    derender_with_text,
)
from inksight_sdk.tokenizer import BOS_STROKE  # noqa: E402

pytestmark = pytest.mark.jax

PROMPTS = [PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text("hello")]


def ink(k: int) -> int:
    return INK_OFFSET + k


def byte(ch: str) -> int:
    return BYTE_OFFSET + ord(ch)


def scripted(rows: list[list[int]]):
    """A step function replaying a fixed script per row (then EOS)."""

    def step(tokens: np.ndarray, pos: int) -> np.ndarray:
        return np.array([r[pos] if pos < len(r) else EOS for r in rows], dtype=np.int32)

    return step


# ----------------------------------------------------------------------------- the host loop


def test_rows_stop_independently_at_eos_and_max_length():
    rows = [[byte("a"), EOS], [ink(450), ink(3), ink(228)] * 20, [byte("x"), byte("y"), byte("z"), EOS]]
    result = greedy_decode(scripted(rows), 3, max_len=10, options=DecodeOptions(repeat_times=0))
    assert result.stops == ("eos", "max_length", "eos")
    assert result.lengths.tolist() == [1, 10, 3]
    assert result.row(0).tolist() == [byte("a")]
    assert result.ids[0, 1:].tolist() == [PAD] * 9  # nothing after the end
    assert result.row(2).tolist() == [byte("x"), byte("y"), byte("z")]


def test_the_loop_ends_as_soon_as_every_row_stopped():
    calls = []

    def step(tokens, pos):
        calls.append(pos)
        return np.full(len(tokens), EOS if pos == 2 else byte("q"), np.int32)

    result = greedy_decode(step, 4, max_len=50)
    assert calls == [0, 1, 2] and set(result.stops) == {"eos"}


def test_the_step_sees_the_previous_tokens():
    seen = []

    def step(tokens, pos):
        seen.append(tokens.tolist())
        return np.array([byte("a") + pos], np.int32)

    greedy_decode(step, 1, max_len=3)
    assert seen == [[PAD], [byte("a")], [byte("b")]]


def test_repetition_guard_stops_a_looping_row_and_keeps_one_copy():
    stroke = [ink(450), ink(10), ink(235), ink(11), ink(236)]  # a 5-token loop
    rows = [stroke * 30, [ink(450)] + [ink(7)] * 40, [byte("a")] * 100]
    result = greedy_decode(scripted(rows), 3, max_len=64, options=DecodeOptions(repeat_times=4))
    assert result.stops == ("repetition", "repetition", "max_length")
    assert result.row(0).tolist() == stroke  # the first occurrence survives
    # period 1 (the same id four times in a row) after the 450
    assert result.row(1).tolist() == [ink(450), ink(7)]
    assert result.lengths[2] == 64  # text is never cut by the guard: repeated letters are words


def test_repetition_guard_needs_the_full_count_and_respects_the_period_limit():
    stroke = [ink(450)] + [ink(v) for v in range(20, 40)]  # 21-token loop
    three = greedy_decode(scripted([stroke * 3 + [EOS]]), 1, 100, DecodeOptions(repeat_times=4))
    assert three.stops == ("eos",) and three.lengths[0] == 63
    short = greedy_decode(scripted([stroke * 10]), 1, 100, DecodeOptions(repeat_times=4, repeat_max_period=20))
    assert short.stops == ("max_length",)
    off = greedy_decode(scripted([[ink(5)] * 50]), 1, 20, DecodeOptions(repeat_times=0))
    assert off.stops == ("max_length",) and off.lengths[0] == 20


def test_find_repetition_reports_the_smallest_period():
    ids = np.array([[ink(1), ink(2)] * 4, [ink(1)] * 8, [byte("a")] * 8])
    assert find_repetition(ids, 8, max_period=8, times=4).tolist() == [2, 1, 0]
    assert find_repetition(ids, 8, max_period=8, times=5).tolist() == [0, 1, 0]


# ----------------------------------------------------------------------------- the fallback


def _answer(prompt: str, text: str, tokens: list[int]) -> Derendering:
    return Derendering(text=text, ink_tokens=np.asarray(tokens, np.int32), stop="eos", prompt=prompt)


def test_fallback_retries_recognize_rows_without_ink_with_the_vanilla_prompt():
    calls = []

    def run(images, prompts):
        calls.append((images.tolist(), list(prompts)))
        if len(calls) == 1:
            return [
                _answer(prompts[0], "cat", []),  # recognized, but no ink -> retry
                _answer(prompts[1], "dog", [BOS_STROKE, 1, 226]),  # has ink -> kept
                _answer(prompts[2], "", []),  # vanilla without ink -> not retried
                _answer(prompts[3], "x", [BOS_STROKE, 300]),  # ink tokens that decode to nothing -> retry
            ]
        return [_answer(p, "", [BOS_STROKE, 5 + i, 230]) for i, p in enumerate(prompts)]

    images = np.arange(4)
    prompts = [PROMPT_RECOGNIZE_AND_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, PROMPT_DERENDER] + [
        PROMPT_RECOGNIZE_AND_DERENDER
    ]
    out = with_fallback(run, images, prompts)
    assert calls[1] == ([0, 3], [PROMPT_DERENDER, PROMPT_DERENDER])
    assert [r.fallback for r in out] == [True, False, False, True]
    assert out[0].text == "cat" and out[0].ink_tokens.tolist() == [BOS_STROKE, 5, 230]
    assert out[0].prompt == PROMPT_DERENDER
    assert out[3].text == "x" and out[3].ink_tokens.tolist() == [BOS_STROKE, 6, 230]
    assert out[1].ink_tokens.tolist() == [BOS_STROKE, 1, 226] and out[2].ink_tokens.tolist() == []
    assert len(with_fallback(run, images, prompts, enabled=False)) == 4


# ----------------------------------------------------------------------------- the JAX model


def test_cached_greedy_decoding_equals_uncached(model_config, model_params, images):
    decoder = JaxDecoder(model_params, model_config, DecodeOptions(repeat_times=0))
    cached = decoder.run(images, PROMPTS)
    uncached = decoder.run_uncached(images, PROMPTS)
    for a, b in zip(cached, uncached):
        assert a.text == b.text and a.stop == b.stop
        np.testing.assert_array_equal(a.ink_tokens, b.ink_tokens)
    assert any(len(a.ink_tokens) or a.text for a in cached)  # a random model writes something


def test_derender_batch_contract(model_config, model_params, images):
    out = derender_batch(model_params, model_config, images, PROMPTS)
    assert len(out) == 3
    for text, tokens in out:
        assert isinstance(text, str)
        assert tokens.dtype == np.int32 and tokens.ndim == 1
        assert ((tokens >= 0) & (tokens <= 450)).all()
    assert derender_batch(model_params, model_config, images[:0], []) == []
    with pytest.raises(ValueError, match="shape"):
        derender_batch(model_params, model_config, images[:, :100], PROMPTS)
    with pytest.raises(ValueError, match="uint8"):
        derender_batch(model_params, model_config, images.astype(np.float32), PROMPTS)
    with pytest.raises(ValueError, match="3 images but 2 prompts"):
        derender_batch(model_params, model_config, images, PROMPTS[:2])


def rigged(params, config, transitions: dict[int, int]):
    """Parameters whose decoder writes ``transitions[previous token]`` (a deterministic automaton).

    Every decoder block's output projections are zeroed, so the residual stream is
    the token embedding; embeddings are one-hot, the output layer maps each
    one-hot to its successor.
    """
    p = copy.deepcopy(jax_to_numpy(params))
    tree = p["params"]
    for i in range(config.decoder_layers):
        layer = tree[f"decoder_{i}"]
        for block in ("self_attn", "cross_attn"):
            layer[block]["out"]["kernel"][...] = 0
        layer["ff"]["wo"]["kernel"][...] = 0
    emb = np.zeros_like(tree["embed"]["embedding"])
    head = np.zeros_like(tree["lm_head"]["kernel"])
    emb[:, -1] = 1.0  # unknown tokens -> the last dimension -> EOS
    head[-1, EOS] = 10.0
    for dim, (src, dst) in enumerate(transitions.items()):
        emb[src] = 0.0
        emb[src, dim] = 1.0
        head[dim, dst] = 10.0
    tree["embed"]["embedding"] = emb
    tree["lm_head"]["kernel"] = head
    return p


def jax_to_numpy(tree):
    import jax

    return jax.tree_util.tree_map(lambda x: np.array(x), tree)


def test_model_stops_at_max_length(model_config, model_params, images):
    params = rigged(model_params, model_config, {PAD: byte("a"), byte("a"): byte("a")})
    out = derender_batch_detailed(params, model_config, images[:1], PROMPTS[1:2])
    assert [r.stop for r in out] == ["max_length"]
    assert out[0].text == "a" * model_config.max_decode_len
    short = derender_batch_detailed(params, model_config, images[:1], PROMPTS[:1], DecodeOptions(max_len=5))
    assert short[0].text == "aaaaa"


def test_model_repetition_guard(model_config, model_params, images):
    loop = {PAD: ink(450), ink(450): ink(12), ink(12): ink(240), ink(240): ink(450)}
    params = rigged(model_params, model_config, loop)
    out = derender_batch_detailed(params, model_config, images[:1], PROMPTS[:1])
    assert out[0].stop == "repetition"
    assert out[0].ink_tokens.tolist() == [450, 12, 240]
    assert [s.tolist() for s in out[0].strokes()] == [[[12, 15]]]
    free = derender_batch_detailed(params, model_config, images[:1], PROMPTS[:1], DecodeOptions(repeat_times=0))
    assert free[0].stop == "max_length" and len(free[0].ink_tokens) == model_config.max_decode_len


def test_model_fallback_path(model_config, model_params, images):
    # the model reads "h" and writes no ink whatever the prompt
    params = rigged(model_params, model_config, {PAD: byte("h"), byte("h"): EOS})
    out = derender_batch_detailed(params, model_config, images, PROMPTS)
    assert [r.fallback for r in out] == [False, True, False]
    assert out[1].prompt == PROMPT_DERENDER and out[1].text == "h" and out[1].stop == "eos"
    plain = derender_batch_detailed(params, model_config, images, PROMPTS, DecodeOptions(fallback=False))
    assert [r.fallback for r in plain] == [False, False, False]
    assert plain[1].prompt == PROMPT_RECOGNIZE_AND_DERENDER


def test_batch_padding_rows_are_not_decoded():
    calls = []

    def step(tokens, pos):
        calls.append(pos)
        return np.array([EOS if pos == 1 else byte("k"), byte("z"), byte("z"), byte("z")], np.int32)

    result = greedy_decode(step, 4, max_len=30, live=1)
    assert calls == [0, 1]  # the three padding rows do not keep the loop alive
    assert result.row(0).tolist() == [byte("k")] and result.lengths.tolist() == [1, 0, 0, 0]
