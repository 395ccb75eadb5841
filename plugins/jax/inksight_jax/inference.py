"""Parameters, parameter checks and batched derendering with the JAX model.

>>> from inksight_jax import get_config, init_params, derender_batch
>>> config = get_config("tiny")
>>> params = init_params(config, seed=0)                       # doctest: +SKIP
>>> derender_batch(params, config, images, ["Derender the ink."] * len(images))  # doctest: +SKIP
[(text, ink_tokens), ...]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from inksight_sdk.seq2seq.decoding import DecodeOptions, Derendering, greedy_decode, to_derenderings, with_fallback
from inksight_sdk.seq2seq.vocab import PAD, encode_prompts

from .config import ModelConfig, get_config
from .model import InkSightModel

__all__ = [
    "init_params",
    "param_shapes",
    "count_params",
    "check_params",
    "ParamsMismatchError",
    "JaxDecoder",
    "derender_batch",
    "derender_batch_detailed",
]

Params = Any


class ParamsMismatchError(ValueError):
    """Parameters that do not fit the configuration (a checkpoint of another model, a damaged file)."""


def _dummy_inputs(config: ModelConfig, batch: int = 1, dec_len: int = 8) -> tuple[Any, ...]:
    return (
        jax.ShapeDtypeStruct((batch, config.image_size, config.image_size, 3), jnp.uint8),
        jax.ShapeDtypeStruct((batch, config.max_prompt_len), jnp.int32),
        jax.ShapeDtypeStruct((batch, config.max_prompt_len), jnp.bool_),
        jax.ShapeDtypeStruct((batch, dec_len), jnp.int32),
    )


@functools.lru_cache(maxsize=16)
def param_shapes(config: ModelConfig) -> Params:
    """The parameter tree as ``jax.ShapeDtypeStruct`` leaves, computed without allocating anything."""
    model = InkSightModel(config)
    return jax.eval_shape(lambda key, *xs: model.init(key, *xs), jax.random.key(0), *_dummy_inputs(config))


def count_params(config: ModelConfig | str) -> int:
    """Number of parameters of a configuration (no memory is allocated)."""
    shapes = param_shapes(get_config(config))
    return int(sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes)))


def init_params(config: ModelConfig | str, seed: int = 0) -> Params:
    """Randomly initialized parameters (float32)."""
    config = get_config(config)
    xs = [jnp.zeros(s.shape, s.dtype) for s in _dummy_inputs(config)]
    return _jitted_init(config)(jax.random.key(seed), *xs)


@functools.lru_cache(maxsize=16)
def _jitted_init(config: ModelConfig) -> Any:
    return jax.jit(InkSightModel(config).init)


def check_params(params: Params, config: ModelConfig | str) -> None:
    """Raise :class:`ParamsMismatchError` naming the first difference between ``params`` and ``config``."""
    config = get_config(config)
    expected = param_shapes(config)
    exp_flat = dict(jax.tree_util.tree_flatten_with_path(expected)[0])
    try:
        got_flat = dict(jax.tree_util.tree_flatten_with_path(params)[0])
    except Exception as exc:  # pragma: no cover - tree_flatten accepts almost anything
        raise ParamsMismatchError(f"parameters are not a parameter tree: {exc}") from exc
    missing = sorted(set(exp_flat) - set(got_flat), key=str)
    extra = sorted(set(got_flat) - set(exp_flat), key=str)
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"missing {jax.tree_util.keystr(missing[0])}"
                + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
            )
        if extra:
            parts.append(
                f"unexpected {jax.tree_util.keystr(extra[0])}"
                + (f" and {len(extra) - 1} more" if len(extra) > 1 else "")
            )
        raise ParamsMismatchError(f"parameters do not match model config {config.name!r}: {'; '.join(parts)}")
    for path, spec in exp_flat.items():
        leaf = got_flat[path]
        shape = tuple(getattr(leaf, "shape", ()))
        if shape != tuple(spec.shape):
            raise ParamsMismatchError(
                f"parameters do not match model config {config.name!r}: {jax.tree_util.keystr(path)} has shape "
                f"{shape}, the config needs {tuple(spec.shape)}"
            )
        dtype = np.dtype(getattr(leaf, "dtype", np.float64))
        if dtype.kind != "f":
            raise ParamsMismatchError(f"parameter {jax.tree_util.keystr(path)} has dtype {dtype}, expected floats")


# ----------------------------------------------------------------------------- compiled functions


@functools.lru_cache(maxsize=16)
def _compiled(config: ModelConfig) -> tuple[Any, Any, Any]:
    model = InkSightModel(config)
    rows = config.rows

    def prepare(params, images, prompt_ids, prompt_mask, max_len):
        encoded, mask = model.apply(params, images, prompt_ids, prompt_mask, method=InkSightModel.encode)
        cache = model.apply(params, encoded, max_len, method=InkSightModel.init_cache)
        return cache, mask

    def pick(logits):
        # only real vocabulary ids (the ``small`` tables are padded), never PAD
        ids = jnp.arange(rows)
        allowed = (ids < config.vocab_size) & (ids != PAD)
        return jnp.argmax(jnp.where(allowed, logits, -jnp.inf), axis=-1).astype(jnp.int32)

    def step(params, token, pos, cache, mask):
        logits, cache = model.apply(params, token, pos, cache, mask, method=InkSightModel.decode_step)
        return pick(logits), cache

    def full_step(params, encoded, mask, prefix, pos):
        logits = model.apply(params, prefix, encoded, mask, method=InkSightModel.decode)
        return pick(jnp.take(logits, pos, axis=1))

    def encode(params, images, prompt_ids, prompt_mask):
        return model.apply(params, images, prompt_ids, prompt_mask, method=InkSightModel.encode)

    return (
        jax.jit(prepare, static_argnums=4),
        jax.jit(step, donate_argnums=3),
        (jax.jit(encode), jax.jit(full_step)),
    )


def _bucket(n: int) -> int:
    """Batch sizes are padded (powers of two, then multiples of 64) so a handful of shapes get compiled."""
    if n > 64:
        return -(-n // 64) * 64
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def _check_images(images: np.ndarray, config: ModelConfig) -> np.ndarray:
    images = np.asarray(images)
    size = config.image_size
    if images.ndim != 4 or images.shape[1:] != (size, size, 3):
        raise ValueError(f"images must have shape (B, {size}, {size}, 3), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {images.dtype}")
    return images


class JaxDecoder:
    """Greedy decoding of one model; compiled functions are shared by every decoder of a config."""

    def __init__(
        self, params: Params, config: ModelConfig | str, options: DecodeOptions | None = None, *, check: bool = True
    ):
        self.config = get_config(config)
        if check:
            check_params(params, self.config)
        self.params = jax.device_put(params)
        self.options = options = options or DecodeOptions()
        self.max_len = options.max_len or self.config.max_decode_len
        self._prepare, self._step, (self._encode, self._full_step) = _compiled(self.config)

    def _inputs(self, images: np.ndarray, prompts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        n = len(prompts)
        if len(images) != n:
            raise ValueError(f"{len(images)} images but {n} prompts")
        images = _check_images(images, self.config)
        b = _bucket(n)
        ids, mask = encode_prompts(list(prompts) + [""] * (b - n), self.config.max_prompt_len)
        padded = np.zeros((b, *images.shape[1:]), np.uint8)
        padded[:n] = images
        return padded, ids, mask, n

    def run(self, images: np.ndarray, prompts: Sequence[str]) -> list[Derendering]:
        """One greedy pass with the key/value cache (no fallback)."""
        if len(prompts) == 0:
            return []
        padded, ids, mask, n = self._inputs(images, prompts)
        cache, enc_mask = self._prepare(self.params, padded, ids, mask, self.max_len)
        state = {"cache": cache}

        def step(tokens: np.ndarray, pos: int) -> np.ndarray:
            nxt, state["cache"] = self._step(self.params, tokens, np.int32(pos), state["cache"], enc_mask)
            return np.asarray(nxt)

        result = greedy_decode(step, len(padded), self.max_len, self.options, live=n)
        return to_derenderings(result, list(prompts) + [""] * (len(padded) - n))[:n]

    def run_uncached(self, images: np.ndarray, prompts: Sequence[str]) -> list[Derendering]:
        """The same pass recomputing the whole prefix every step (slow; the reference for the cache)."""
        if len(prompts) == 0:
            return []
        padded, ids, mask, n = self._inputs(images, prompts)
        encoded, enc_mask = self._encode(self.params, padded, ids, mask)
        prefix = np.full((len(padded), self.max_len), PAD, np.int32)

        def step(tokens: np.ndarray, pos: int) -> np.ndarray:
            prefix[:, pos] = tokens
            return np.asarray(self._full_step(self.params, encoded, enc_mask, prefix, np.int32(pos)))

        result = greedy_decode(step, len(padded), self.max_len, self.options, live=n)
        return to_derenderings(result, list(prompts) + [""] * (len(padded) - n))[:n]

    def derender(self, images: np.ndarray, prompts: Sequence[str]) -> list[Derendering]:
        """Greedy decoding with the colab's fallback for recognize-and-derender rows without ink."""
        return with_fallback(self.run, np.asarray(images), prompts, self.options.fallback)


def derender_batch_detailed(
    model_params: Params,
    config: ModelConfig | str,
    images: np.ndarray,
    prompts: Sequence[str],
    options: DecodeOptions | None = None,
) -> list[Derendering]:
    """Like :func:`derender_batch`, with the stop reason, prompt and fallback flag of every row."""
    return JaxDecoder(model_params, config, options).derender(images, prompts)


def derender_batch(
    model_params: Params,
    config: ModelConfig | str,
    images: np.ndarray,
    prompts: Sequence[str],
    options: DecodeOptions | None = None,
) -> list[tuple[str, np.ndarray]]:
    """Derender ``(B, 224, 224, 3) uint8`` crops: one ``(text, ink_tokens)`` per crop, in order.

    ``prompts`` holds one of the paper's prompts per crop ("Derender the ink.",
    "Recognize and derender.", "Derender the ink: <text>"). ``ink_tokens`` are
    ``int32`` ids 0..450 (:func:`inksight_sdk.tokenizer.decode_ink` turns them
    into strokes on the 224 canvas); ``text`` is what the model recognized
    (empty for the derender prompts).
    """
    return [(r.text, r.ink_tokens) for r in derender_batch_detailed(model_params, config, images, prompts, options)]
