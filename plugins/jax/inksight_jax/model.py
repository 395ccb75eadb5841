"""The InkSight model in Flax (linen): ViT + T5-style encoder-decoder.

Flax linen (rather than NNX) because the model is used functionally end to
end: parameters are a plain pytree (checkpointing, ``jax.eval_shape`` parameter
counts, a later ONNX export read it directly) and the decoder's key/value cache
is an explicit input and output of :meth:`InkSightModel.decode_step`, not a
mutable collection, so one step is a pure function that jits, donates its
cache, and exports with the cache as graph inputs/outputs.

Entry points (all through ``model.apply(params, ..., method=...)``):

``__call__(images, prompt_ids, prompt_mask, decoder_input_ids)``
    teacher-forced logits ``(B, T, rows)`` for training;
``encode(images, prompt_ids, prompt_mask)``
    encoder states ``(B, S, d)`` and their mask ``(B, S)``;
``init_cache(encoded, max_len)``
    the decoding cache: per decoder layer, self-attention keys/values
    ``(B, H, max_len, Dh)`` (zeros) and cross-attention keys/values
    ``(B, H, S, Dh)`` computed once;
``decode_step(token, pos, cache, encoder_mask)``
    logits ``(B, rows)`` for position ``pos`` given the token at ``pos``
    (``PAD`` at 0, the start token) and the updated cache.

Images are ``(B, 224, 224, 3)`` uint8 (or floats in 0..255), mapped to -1..1.
See :mod:`inksight_jax.config` for the architecture and the sizes.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from .config import ModelConfig

__all__ = ["InkSightModel", "relative_position_bucket", "preprocess_images"]

Array = jax.Array
_NEG = -1e9


def _dtype(config: ModelConfig) -> Any:
    return jnp.bfloat16 if config.dtype == "bfloat16" else jnp.float32


def preprocess_images(images: Array) -> Array:
    """uint8 (or 0..255 float) RGB -> float32 in -1..1."""
    return images.astype(jnp.float32) * (2.0 / 255.0) - 1.0


def relative_position_bucket(relative: Array, *, bidirectional: bool, num_buckets: int, max_distance: int) -> Array:
    """T5's bucketing of ``key_pos - query_pos``: exact for small offsets, logarithmic up to ``max_distance``."""
    n = -relative.astype(jnp.int32)
    ret = jnp.zeros_like(n)
    if bidirectional:
        num_buckets //= 2
        ret = ret + (n < 0).astype(jnp.int32) * num_buckets
        n = jnp.abs(n)
    else:
        n = jnp.maximum(n, 0)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    scaled = jnp.log(jnp.maximum(n, 1).astype(jnp.float32) / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (scaled * (num_buckets - max_exact)).astype(jnp.int32)
    large = jnp.minimum(large, num_buckets - 1)
    return ret + jnp.where(is_small, n, large)


class RMSNorm(nn.Module):
    """T5's LayerNorm: scale only, no mean subtraction, no bias."""

    dtype: Any = jnp.float32
    eps: float = 1e-6

    @nn.compact
    def __call__(self, x: Array) -> Array:
        scale = self.param("scale", nn.initializers.ones, (x.shape[-1],), jnp.float32)
        x32 = x.astype(jnp.float32)
        y = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + self.eps)
        return (y * scale).astype(self.dtype)


class RelativePositionBias(nn.Module):
    num_heads: int
    num_buckets: int
    max_distance: int
    bidirectional: bool

    @nn.compact
    def __call__(self, query_pos: Array, key_pos: Array) -> Array:
        """Bias ``(1, H, Tq, Tk)`` for integer positions ``query_pos (Tq,)`` and ``key_pos (Tk,)``."""
        table = self.param(
            "embedding", nn.initializers.normal(stddev=0.1), (self.num_buckets, self.num_heads), jnp.float32
        )
        buckets = relative_position_bucket(
            key_pos[None, :] - query_pos[:, None],
            bidirectional=self.bidirectional,
            num_buckets=self.num_buckets,
            max_distance=self.max_distance,
        )
        return jnp.transpose(table[buckets], (2, 0, 1))[None]


class Attention(nn.Module):
    """Multi-head attention without biases; queries ``(B, T, H, Dh)``, keys and values ``(B, H, T, Dh)``."""

    num_heads: int
    head_dim: int
    d_model: int
    dropout_rate: float = 0.0
    dtype: Any = jnp.float32

    def setup(self) -> None:
        init = nn.initializers.variance_scaling(1.0, "fan_in", "normal")
        heads = (self.num_heads, self.head_dim)
        self.query = nn.DenseGeneral(heads, use_bias=False, dtype=self.dtype, kernel_init=init, name="query")
        self.key = nn.DenseGeneral(heads, use_bias=False, dtype=self.dtype, kernel_init=init, name="key")
        self.value = nn.DenseGeneral(heads, use_bias=False, dtype=self.dtype, kernel_init=init, name="value")
        self.out = nn.DenseGeneral(
            self.d_model, axis=(-2, -1), use_bias=False, dtype=self.dtype, kernel_init=init, name="out"
        )
        self.drop = nn.Dropout(self.dropout_rate)

    def project_kv(self, x: Array) -> tuple[Array, Array]:
        """Keys and values laid out ``(B, H, T, Dh)`` (the cache layout: no transposes per step)."""
        return jnp.swapaxes(self.key(x), 1, 2), jnp.swapaxes(self.value(x), 1, 2)

    def attend(self, q: Array, k: Array, v: Array, bias: Array | None, mask: Array, deterministic: bool) -> Array:
        scores = jnp.einsum("bqhd,bhkd->bhqk", q, k, preferred_element_type=jnp.float32)
        scores = scores / math.sqrt(self.head_dim)
        if bias is not None:
            scores = scores + bias
        scores = jnp.where(mask, scores, _NEG)
        weights = jax.nn.softmax(scores, axis=-1)
        weights = self.drop(weights, deterministic=deterministic).astype(self.dtype)
        return self.out(jnp.einsum("bhqk,bhkd->bqhd", weights, v))

    def __call__(self, x: Array, source: Array, bias: Array | None, mask: Array, deterministic: bool = True) -> Array:
        k, v = self.project_kv(source)
        return self.attend(self.query(x), k, v, bias, mask, deterministic)


class GatedFeedForward(nn.Module):
    d_model: int
    d_ff: int
    dropout_rate: float = 0.0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: Array, deterministic: bool = True) -> Array:
        init = nn.initializers.variance_scaling(1.0, "fan_in", "normal")
        gate = nn.Dense(self.d_ff, use_bias=False, dtype=self.dtype, kernel_init=init, name="wi_0")(x)
        lin = nn.Dense(self.d_ff, use_bias=False, dtype=self.dtype, kernel_init=init, name="wi_1")(x)
        h = nn.gelu(gate, approximate=True) * lin
        h = nn.Dropout(self.dropout_rate)(h, deterministic=deterministic)
        return nn.Dense(self.d_model, use_bias=False, dtype=self.dtype, kernel_init=init, name="wo")(h)


class EncoderLayer(nn.Module):
    config: ModelConfig

    @nn.compact
    def __call__(self, x: Array, bias: Array, mask: Array, deterministic: bool = True) -> Array:
        c, dt = self.config, _dtype(self.config)
        drop = nn.Dropout(c.dropout_rate)
        h = RMSNorm(dt, name="attn_norm")(x)
        h = Attention(c.num_heads, c.head_dim, c.d_model, c.dropout_rate, dt, name="attn")(
            h, h, bias, mask, deterministic
        )
        x = x + drop(h, deterministic=deterministic)
        h = RMSNorm(dt, name="ff_norm")(x)
        h = GatedFeedForward(c.d_model, c.d_ff, c.dropout_rate, dt, name="ff")(h, deterministic)
        return x + drop(h, deterministic=deterministic)


class DecoderLayer(nn.Module):
    config: ModelConfig

    def setup(self) -> None:
        c, dt = self.config, _dtype(self.config)
        self.self_norm = RMSNorm(dt)
        self.self_attn = Attention(c.num_heads, c.head_dim, c.d_model, c.dropout_rate, dt)
        self.cross_norm = RMSNorm(dt)
        self.cross_attn = Attention(c.num_heads, c.head_dim, c.d_model, c.dropout_rate, dt)
        self.ff_norm = RMSNorm(dt)
        self.ff = GatedFeedForward(c.d_model, c.d_ff, c.dropout_rate, dt)
        self.drop = nn.Dropout(c.dropout_rate)

    def __call__(
        self,
        x: Array,
        encoded: Array,
        self_bias: Array,
        self_mask: Array,
        cross_mask: Array,
        deterministic: bool = True,
    ) -> Array:
        h = self.self_norm(x)
        x = x + self.drop(self.self_attn(h, h, self_bias, self_mask, deterministic), deterministic=deterministic)
        h = self.cross_norm(x)
        x = x + self.drop(self.cross_attn(h, encoded, None, cross_mask, deterministic), deterministic=deterministic)
        return x + self.drop(self.ff(self.ff_norm(x), deterministic), deterministic=deterministic)

    def cross_kv(self, encoded: Array) -> tuple[Array, Array]:
        return self.cross_attn.project_kv(encoded)

    def step(
        self,
        x: Array,
        pos: Array,
        self_bias: Array,
        self_mask: Array,
        cache: dict[str, Array],
        cross_mask: Array,
    ) -> tuple[Array, dict[str, Array]]:
        """One position: ``x (B, 1, d)``; writes this position's key/value into the cache at ``pos``."""
        h = self.self_norm(x)
        k, v = self.self_attn.project_kv(h)
        zero = jnp.zeros((), jnp.int32)
        index = (zero, zero, pos.astype(jnp.int32), zero)
        self_k = jax.lax.dynamic_update_slice(cache["self_k"], k.astype(cache["self_k"].dtype), index)
        self_v = jax.lax.dynamic_update_slice(cache["self_v"], v.astype(cache["self_v"].dtype), index)
        att = self.self_attn.attend(self.self_attn.query(h), self_k, self_v, self_bias, self_mask, True)
        x = x + att
        h = self.cross_norm(x)
        att = self.cross_attn.attend(
            self.cross_attn.query(h), cache["cross_k"], cache["cross_v"], None, cross_mask, True
        )
        x = x + att
        x = x + self.ff(self.ff_norm(x), True)
        return x, {**cache, "self_k": self_k, "self_v": self_v}


class ViTBlock(nn.Module):
    config: ModelConfig

    @nn.compact
    def __call__(self, x: Array, deterministic: bool = True) -> Array:
        c, dt = self.config, _dtype(self.config)
        h = nn.LayerNorm(dtype=dt, name="attn_norm")(x)
        h = nn.MultiHeadDotProductAttention(
            num_heads=c.vit_heads, dtype=dt, dropout_rate=c.dropout_rate, deterministic=deterministic, name="attn"
        )(h, h)
        x = x + nn.Dropout(c.dropout_rate)(h, deterministic=deterministic)
        h = nn.LayerNorm(dtype=dt, name="mlp_norm")(x)
        h = nn.Dense(c.vit_mlp_dim, dtype=dt, name="mlp_in")(h)
        h = nn.gelu(h, approximate=False)
        h = nn.Dense(c.vit_dim, dtype=dt, name="mlp_out")(h)
        return x + nn.Dropout(c.dropout_rate)(h, deterministic=deterministic)


class ViTEncoder(nn.Module):
    """ViT over 16-pixel patches (patchify as reshape + linear, identical to a stride-16 conv)."""

    config: ModelConfig

    @nn.compact
    def __call__(self, images: Array, deterministic: bool = True) -> Array:
        c, dt = self.config, _dtype(self.config)
        b, h, w, ch = images.shape
        p = c.patch_size
        if (h, w) != (c.image_size, c.image_size):
            raise ValueError(f"images must be {c.image_size}x{c.image_size}, got {h}x{w}")
        x = preprocess_images(images).reshape(b, h // p, p, w // p, p, ch)
        x = x.transpose(0, 1, 3, 2, 4, 5).reshape(b, (h // p) * (w // p), p * p * ch)
        x = nn.Dense(c.vit_dim, dtype=dt, name="patch_embed")(x)
        pos = self.param("pos_embedding", nn.initializers.normal(stddev=0.02), (1, c.num_patches, c.vit_dim))
        x = x + pos.astype(dt)
        x = nn.Dropout(c.dropout_rate)(x, deterministic=deterministic)
        for i in range(c.vit_layers):
            x = ViTBlock(c, name=f"block_{i}")(x, deterministic)
        x = nn.LayerNorm(dtype=dt, name="norm")(x)
        return nn.Dense(c.d_model, dtype=dt, name="project")(x)


class InkSightModel(nn.Module):
    config: ModelConfig

    def setup(self) -> None:
        c, dt = self.config, _dtype(self.config)
        self.vit = ViTEncoder(c)
        self.embed = nn.Embed(c.rows, c.d_model, embedding_init=nn.initializers.normal(stddev=1.0), dtype=dt)
        self.encoder_bias = RelativePositionBias(c.num_heads, c.relative_buckets, c.relative_max_distance, True)
        self.encoder = [EncoderLayer(c, name=f"encoder_{i}") for i in range(c.encoder_layers)]
        self.encoder_norm = RMSNorm(dt)
        self.decoder_bias = RelativePositionBias(c.num_heads, c.relative_buckets, c.relative_max_distance, False)
        self.decoder = [DecoderLayer(c, name=f"decoder_{i}") for i in range(c.decoder_layers)]
        self.decoder_norm = RMSNorm(dt)
        self.lm_head = nn.Dense(
            c.rows, use_bias=False, dtype=dt, kernel_init=nn.initializers.variance_scaling(1.0, "fan_in", "normal")
        )
        self.drop = nn.Dropout(c.dropout_rate)

    # -- encoder

    def encode(
        self, images: Array, prompt_ids: Array, prompt_mask: Array, deterministic: bool = True
    ) -> tuple[Array, Array]:
        image_states = self.vit(images, deterministic)
        text_states = self.embed(prompt_ids)
        x = jnp.concatenate([image_states, text_states.astype(image_states.dtype)], axis=1)
        mask = jnp.concatenate([jnp.ones(image_states.shape[:2], dtype=bool), prompt_mask.astype(bool)], axis=1)
        positions = jnp.arange(x.shape[1])
        bias = self.encoder_bias(positions, positions)
        attn_mask = mask[:, None, None, :]
        x = self.drop(x, deterministic=deterministic)
        for layer in self.encoder:
            x = layer(x, bias, attn_mask, deterministic)
        return self.drop(self.encoder_norm(x), deterministic=deterministic), mask

    # -- decoder, teacher forced

    def decode(
        self, decoder_input_ids: Array, encoded: Array, encoder_mask: Array, deterministic: bool = True
    ) -> Array:
        x = self.drop(self.embed(decoder_input_ids), deterministic=deterministic)
        positions = jnp.arange(decoder_input_ids.shape[1])
        bias = self.decoder_bias(positions, positions)
        causal = (positions[None, :] <= positions[:, None])[None, None]
        cross_mask = encoder_mask[:, None, None, :]
        for layer in self.decoder:
            x = layer(x, encoded, bias, causal, cross_mask, deterministic)
        x = self.drop(self.decoder_norm(x), deterministic=deterministic)
        return self.lm_head(x).astype(jnp.float32)

    def __call__(
        self,
        images: Array,
        prompt_ids: Array,
        prompt_mask: Array,
        decoder_input_ids: Array,
        deterministic: bool = True,
    ) -> Array:
        encoded, mask = self.encode(images, prompt_ids, prompt_mask, deterministic)
        return self.decode(decoder_input_ids, encoded, mask, deterministic)

    # -- decoder, one step with a cache

    def init_cache(self, encoded: Array, max_len: int) -> list[dict[str, Array]]:
        c, dt = self.config, _dtype(self.config)
        b = encoded.shape[0]
        cache = []
        for layer in self.decoder:
            ck, cv = layer.cross_kv(encoded)
            zeros = jnp.zeros((b, c.num_heads, max_len, c.head_dim), dtype=dt)
            cache.append({"self_k": zeros, "self_v": zeros, "cross_k": ck, "cross_v": cv})
        return cache

    def decode_step(
        self, token: Array, pos: Array, cache: list[dict[str, Array]], encoder_mask: Array
    ) -> tuple[Array, list[dict[str, Array]]]:
        pos = jnp.asarray(pos, jnp.int32)
        max_len = cache[0]["self_k"].shape[2]
        key_pos = jnp.arange(max_len)
        bias = self.decoder_bias(pos[None], key_pos)
        self_mask = (key_pos <= pos)[None, None, None, :]
        cross_mask = encoder_mask[:, None, None, :]
        x = self.embed(token.reshape(-1, 1))
        new_cache = []
        for layer, layer_cache in zip(self.decoder, cache):
            x, layer_cache = layer.step(x, pos, bias, self_mask, layer_cache, cross_mask)
            new_cache.append(layer_cache)
        logits = self.lm_head(self.decoder_norm(x)).astype(jnp.float32)
        return logits[:, 0], new_cache
