"""ONNX export of the InkSight model: an encoder graph and a one-token decoder step graph.

The graphs are written node by node with :mod:`onnx.helper` from the
parameter tree (no tracing converter): the architecture is small and fully
known (:mod:`inksight_jax.model`), so every operation is mirrored in the same
order and precision as the Flax code, which is what makes the JAX and ONNX
greedy decodings token-identical (``tests/plugins/onnx``).

Files written to ``out_dir``
----------------------------
``encoder.onnx``
    inputs ``images (B, 224, 224, 3) uint8``, ``prompt_ids (B, P) int32``,
    ``prompt_mask (B, P) bool`` (``P = max_prompt_len``, see
    :func:`inksight_sdk.seq2seq.vocab.encode_prompts`); outputs
    ``encoder_mask (B, S) bool`` (``S = 196 + P``) and, per decoder layer
    ``i``, the cross-attention keys/values ``cross_k_i``/``cross_v_i``
    ``(B, H, S, Dh)`` computed once per word (the cache initialization).
``decoder_step.onnx``
    inputs ``token (B,) int32`` (the token at position ``T``; ``PAD`` at 0),
    ``encoder_mask``, per layer ``past_k_i``/``past_v_i`` ``(B, H, T, Dh)``
    (the self-attention cache of positions ``0..T-1``; ``T = 0`` at the
    start) and ``cross_k_i``/``cross_v_i``; outputs ``next_token (B,) int32``
    (argmax over real vocabulary ids, never ``PAD``, as the JAX decoder
    picks), ``logits (B, 709) float32`` and ``present_k_i``/``present_v_i``
    ``(B, H, T + 1, Dh)``. The position is the cache length, so the graph
    needs no position input; relative position buckets are precomputed
    tables (the model's own bucketing function, evaluated at export time).
    For ``small`` the output layer keeps all 250,112 rows, so the step costs
    what the official model's does.
``inksight_onnx.json``
    metadata: format and version, model config, vocabulary ids, lengths,
    opset, SDK and plugin versions, source checkpoint and step, size and
    sha256 of both graphs, and an ``export_id`` that the two graphs also
    carry in their ``metadata_props`` (so files of two exports never mix).

Use ``export_onnx(params, config, out_dir)`` or, from a checkpoint,
``export_checkpoint(path, out_dir)``; ``python -m inksight_jax.export
CHECKPOINT OUT_DIR`` does the latter. Needs the ``export`` extra
(``pip install inksight-jax[export]``: onnx).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inksight_sdk.seq2seq import vocab

from .config import ModelConfig, get_config

__all__ = [
    "export_onnx",
    "export_checkpoint",
    "decoder_bucket_table",
    "encoder_bucket_matrix",
    "METADATA_FILE",
    "ENCODER_FILE",
    "DECODER_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "DEFAULT_OPSET",
]

FORMAT = "inksight-onnx-model"
FORMAT_VERSION = 1
METADATA_FILE = "inksight_onnx.json"
ENCODER_FILE = "encoder.onnx"
DECODER_FILE = "decoder_step.onnx"
DEFAULT_OPSET = 17
_NEG = -1e9
# graphs whose weights pass this size keep them in a side file (protobuf's 2 GB limit)
_EXTERNAL_DATA_BYTES = 1_500_000_000


# ----------------------------------------------------------------------------- position buckets


def decoder_bucket_table(config: ModelConfig) -> np.ndarray:
    """``table[n]`` = the decoder's relative-position bucket of a key ``n`` positions before the query.

    Long enough that its last entry is the saturated bucket (every larger ``n``
    uses it: the graph clamps ``n`` to the table)."""
    import jax.numpy as jnp

    from .model import relative_position_bucket

    length = max(config.max_decode_len, 2 * config.relative_max_distance)
    n = np.arange(length, dtype=np.int32)
    table = relative_position_bucket(
        jnp.asarray(-n),
        bidirectional=False,
        num_buckets=config.relative_buckets,
        max_distance=config.relative_max_distance,
    )
    table = np.asarray(table, dtype=np.int64)
    if table[-1] != table[-2] or table[-1] != config.relative_buckets - 1:  # pragma: no cover - a config bug
        raise ValueError("decoder position buckets do not saturate within the table")
    return table


def encoder_bucket_matrix(config: ModelConfig) -> np.ndarray:
    """The encoder's ``(S, S)`` relative-position buckets (``[query, key]``)."""
    import jax.numpy as jnp

    from .model import relative_position_bucket

    pos = jnp.arange(config.encoder_len)
    buckets = relative_position_bucket(
        pos[None, :] - pos[:, None],
        bidirectional=True,
        num_buckets=config.relative_buckets,
        max_distance=config.relative_max_distance,
    )
    return np.asarray(buckets, dtype=np.int64)


# ----------------------------------------------------------------------------- graph building


class _Graph:
    """A list of nodes and initializers with unique names."""

    def __init__(self, params: Mapping[str, Any]):
        from onnx import numpy_helper

        self._numpy_helper = numpy_helper
        self.params = params
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0
        self._weights: dict[str, str] = {}
        self._consts: dict[tuple[str, bytes, tuple[int, ...]], str] = {}

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def _add_initializer(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, value: Any, dtype: Any = np.float32, hint: str = "const") -> str:
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.tobytes(), array.shape)
        if key not in self._consts:
            self._consts[key] = self._add_initializer(self.fresh(hint), array)
        return self._consts[key]

    def weight(self, path: str, shape: Sequence[int] | None = None, rows: int | None = None) -> str:
        """A parameter (``a/b/c`` path in the tree) as an initializer, reshaped and/or cut to ``rows`` rows."""
        key = f"{path}|{tuple(shape) if shape else ''}|{rows}"
        if key not in self._weights:
            node: Any = self.params
            for part in path.split("/"):
                node = node[part]
            array = np.asarray(node, dtype=np.float32)
            if rows is not None:
                array = array[:rows]
            if shape is not None:
                array = array.reshape(shape)
            name = path.replace("/", ".") + (f".rows{rows}" if rows is not None else "")
            self._weights[key] = self._add_initializer(name, array)
        return self._weights[key]

    def op(self, op_type: str, inputs: Sequence[str], hint: str | None = None, outputs: int = 1, **attrs: Any) -> Any:
        from onnx import helper

        names = [self.fresh(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def output(self, op_type: str, inputs: Sequence[str], name: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name

    # -- layers, each mirroring inksight_jax.model (or flax.linen) operation by operation

    def matmul(self, x: str, kernel: str, bias: str | None = None) -> str:
        y = self.op("MatMul", [x, kernel])
        return self.op("Add", [y, bias]) if bias else y

    def rms_norm(self, x: str, scale_path: str, eps: float = 1e-6) -> str:
        # y = x * rsqrt(mean(x * x) + eps); y * scale
        ms = self.op("ReduceMean", [self.op("Mul", [x, x])], axes=[-1], keepdims=1)
        inv = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [ms, self.const(eps)])])])
        return self.op("Mul", [self.op("Mul", [x, inv]), self.weight(scale_path)])

    def layer_norm(self, x: str, path: str, eps: float = 1e-6) -> str:
        # flax.linen.LayerNorm with its fast variance: var = max(0, E[x^2] - E[x]^2)
        mean = self.op("ReduceMean", [x], axes=[-1], keepdims=1)
        mean2 = self.op("ReduceMean", [self.op("Mul", [x, x])], axes=[-1], keepdims=1)
        var = self.op("Max", [self.op("Sub", [mean2, self.op("Mul", [mean, mean])]), self.const(0.0)])
        mul = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [var, self.const(eps)])])])
        mul = self.op("Mul", [mul, self.weight(f"{path}/scale")])
        y = self.op("Mul", [self.op("Sub", [x, mean]), mul])
        return self.op("Add", [y, self.weight(f"{path}/bias")])

    def gelu_tanh(self, x: str) -> str:
        # jax.nn.gelu(approximate=True): x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))
        cube = self.op("Mul", [self.op("Mul", [x, x]), x])
        inner = self.op("Add", [x, self.op("Mul", [self.const(0.044715), cube])])
        t = self.op("Tanh", [self.op("Mul", [self.const(np.sqrt(2 / np.pi)), inner])])
        cdf = self.op("Mul", [self.const(0.5), self.op("Add", [self.const(1.0), t])])
        return self.op("Mul", [x, cdf])

    def gelu_exact(self, x: str) -> str:
        # jax.nn.gelu(approximate=False) = 0.5 * x * erfc(-x / sqrt(2)) = 0.5 * x * (1 + erf(x / sqrt(2)))
        erf = self.op("Erf", [self.op("Mul", [x, self.const(np.sqrt(0.5))])])
        return self.op("Mul", [self.op("Mul", [self.const(0.5), x]), self.op("Add", [self.const(1.0), erf])])

    def heads(self, x: str, num_heads: int, head_dim: int) -> str:
        """``(B, T, H*Dh)`` -> ``(B, H, T, Dh)``."""
        y = self.op("Reshape", [x, self.const([0, 0, num_heads, head_dim], np.int64)])
        return self.op("Transpose", [y], perm=[0, 2, 1, 3])

    def merge_heads(self, x: str, num_heads: int, head_dim: int) -> str:
        """``(B, H, T, Dh)`` -> ``(B, T, H*Dh)``."""
        y = self.op("Transpose", [x], perm=[0, 2, 1, 3])
        return self.op("Reshape", [y, self.const([0, 0, num_heads * head_dim], np.int64)])

    def projection(self, x: str, path: str, d_in: int, num_heads: int, head_dim: int, bias: bool = False) -> str:
        """A ``DenseGeneral`` to ``(H, Dh)``, laid out ``(B, H, T, Dh)``."""
        kernel = self.weight(f"{path}/kernel", (d_in, num_heads * head_dim))
        b = self.weight(f"{path}/bias", (num_heads * head_dim,)) if bias else None
        return self.heads(self.matmul(x, kernel, b), num_heads, head_dim)

    def attend(
        self,
        q: str,
        k: str,
        v: str,
        path: str,
        num_heads: int,
        head_dim: int,
        d_out: int,
        bias: str | None,
        mask: str | None,
        bias_out: bool = False,
        scale_query: bool = False,
    ) -> str:
        """Scaled dot-product attention over ``(B, H, T, Dh)`` q/k/v, then the output ``DenseGeneral``."""
        scale = self.const(math.sqrt(head_dim))
        if scale_query:  # flax.linen.MultiHeadDotProductAttention scales the query first
            q = self.op("Div", [q, scale])
        scores = self.op("MatMul", [q, self.op("Transpose", [k], perm=[0, 1, 3, 2])])
        if not scale_query:  # inksight_jax.model.Attention scales the scores
            scores = self.op("Div", [scores, scale])
        if bias is not None:
            scores = self.op("Add", [scores, bias])
        if mask is not None:
            scores = self.op("Where", [mask, scores, self.const(_NEG)])
        weights = self.op("Softmax", [scores], axis=-1)
        merged = self.merge_heads(self.op("MatMul", [weights, v]), num_heads, head_dim)
        kernel = self.weight(f"{path}/out/kernel", (num_heads * head_dim, d_out))
        return self.matmul(merged, kernel, self.weight(f"{path}/out/bias") if bias_out else None)

    def gated_ff(self, x: str, path: str) -> str:
        gate = self.matmul(x, self.weight(f"{path}/wi_0/kernel"))
        lin = self.matmul(x, self.weight(f"{path}/wi_1/kernel"))
        h = self.op("Mul", [self.gelu_tanh(gate), lin])
        return self.matmul(h, self.weight(f"{path}/wo/kernel"))


def _tensor_info(name: str, elem: int, shape: Sequence[int | str]) -> Any:
    from onnx import helper

    return helper.make_tensor_value_info(name, elem, list(shape))


# ----------------------------------------------------------------------------- the two graphs


def _encoder_graph(params: Mapping[str, Any], c: ModelConfig) -> Any:
    from onnx import TensorProto, helper

    g = _Graph(params)
    p, grid = c.patch_size, c.image_size // c.patch_size
    h, dh, d = c.num_heads, c.head_dim, c.d_model

    # ViT: pixels -> -1..1, 16-pixel patches row by row, linear embedding, learned positions
    x = g.op("Cast", ["images"], to=TensorProto.FLOAT)
    x = g.op("Sub", [g.op("Mul", [x, g.const(2.0 / 255.0)]), g.const(1.0)])
    x = g.op("Reshape", [x, g.const([-1, grid, p, grid, p, 3], np.int64)])
    x = g.op("Transpose", [x], perm=[0, 1, 3, 2, 4, 5])
    x = g.op("Reshape", [x, g.const([-1, grid * grid, p * p * 3], np.int64)])
    x = g.matmul(x, g.weight("vit/patch_embed/kernel"), g.weight("vit/patch_embed/bias"))
    x = g.op("Add", [x, g.weight("vit/pos_embedding")])
    vh, vd = c.vit_heads, c.vit_dim // c.vit_heads
    for i in range(c.vit_layers):
        blk = f"vit/block_{i}"
        y = g.layer_norm(x, f"{blk}/attn_norm")
        q = g.projection(y, f"{blk}/attn/query", c.vit_dim, vh, vd, bias=True)
        k = g.projection(y, f"{blk}/attn/key", c.vit_dim, vh, vd, bias=True)
        v = g.projection(y, f"{blk}/attn/value", c.vit_dim, vh, vd, bias=True)
        y = g.attend(q, k, v, f"{blk}/attn", vh, vd, c.vit_dim, None, None, bias_out=True, scale_query=True)
        x = g.op("Add", [x, y])
        y = g.layer_norm(x, f"{blk}/mlp_norm")
        y = g.matmul(y, g.weight(f"{blk}/mlp_in/kernel"), g.weight(f"{blk}/mlp_in/bias"))
        y = g.gelu_exact(y)
        y = g.matmul(y, g.weight(f"{blk}/mlp_out/kernel"), g.weight(f"{blk}/mlp_out/bias"))
        x = g.op("Add", [x, y])
    x = g.layer_norm(x, "vit/norm")
    image_states = g.matmul(x, g.weight("vit/project/kernel"), g.weight("vit/project/bias"))

    # prompt bytes through the token embedding (prompt ids are always < vocab_size: only those rows)
    text_states = g.op("Gather", [g.weight("embed/embedding", rows=c.vocab_size), "prompt_ids"], axis=0)
    x = g.op("Concat", [image_states, text_states], axis=1)
    as_int = g.op("Cast", ["prompt_mask"], to=TensorProto.INT32)
    padded = g.op("Pad", [as_int, g.const([0, c.num_patches, 0, 0], np.int64), g.const(1, np.int32)])
    g.output("Cast", [padded], "encoder_mask", to=TensorProto.BOOL)
    attn_mask = g.op("Unsqueeze", ["encoder_mask", g.const([1, 2], np.int64)])

    # relative position bias (1, H, S, S) from the model's bucketing, evaluated at export time
    buckets = g.const(encoder_bucket_matrix(c), np.int64, "encoder_buckets")
    bias = g.op("Gather", [g.weight("encoder_bias/embedding"), buckets], axis=0)  # (S, S, H)
    bias = g.op("Unsqueeze", [g.op("Transpose", [bias], perm=[2, 0, 1]), g.const([0], np.int64)])

    for i in range(c.encoder_layers):
        lyr = f"encoder_{i}"
        y = g.rms_norm(x, f"{lyr}/attn_norm/scale")
        q = g.projection(y, f"{lyr}/attn/query", d, h, dh)
        k = g.projection(y, f"{lyr}/attn/key", d, h, dh)
        v = g.projection(y, f"{lyr}/attn/value", d, h, dh)
        x = g.op("Add", [x, g.attend(q, k, v, f"{lyr}/attn", h, dh, d, bias, attn_mask)])
        x = g.op("Add", [x, g.gated_ff(g.rms_norm(x, f"{lyr}/ff_norm/scale"), f"{lyr}/ff")])
    encoded = g.rms_norm(x, "encoder_norm/scale")

    outputs = [_tensor_info("encoder_mask", TensorProto.BOOL, ["batch", c.encoder_len])]
    for i in range(c.decoder_layers):
        for kind in ("key", "value"):
            name = f"cross_{kind[0]}_{i}"
            kernel = g.weight(f"decoder_{i}/cross_attn/{kind}/kernel", (d, h * dh))
            y = g.op("Reshape", [g.matmul(encoded, kernel), g.const([0, 0, h, dh], np.int64)])
            g.output("Transpose", [y], name, perm=[0, 2, 1, 3])
            outputs.append(_tensor_info(name, TensorProto.FLOAT, ["batch", h, c.encoder_len, dh]))

    inputs = [
        _tensor_info("images", TensorProto.UINT8, ["batch", c.image_size, c.image_size, 3]),
        _tensor_info("prompt_ids", TensorProto.INT32, ["batch", c.max_prompt_len]),
        _tensor_info("prompt_mask", TensorProto.BOOL, ["batch", c.max_prompt_len]),
    ]
    return helper.make_graph(g.nodes, f"inksight_{c.name}_encoder", inputs, outputs, g.initializers)


def _decoder_graph(params: Mapping[str, Any], c: ModelConfig) -> Any:
    from onnx import TensorProto, helper

    g = _Graph(params)
    h, dh, d = c.num_heads, c.head_dim, c.d_model

    # position T = length of the cache; key n positions back gets bucket table[min(n, len-1)]
    table = decoder_bucket_table(c)
    length = g.op("Gather", [g.op("Shape", ["past_k_0"]), g.const(2, np.int64)], axis=0)  # scalar T
    back = g.op("Range", [length, g.const(-1, np.int64), g.const(-1, np.int64)])  # T, T-1, .., 0
    back = g.op("Min", [back, g.const(len(table) - 1, np.int64)])
    buckets = g.op("Gather", [g.const(table, np.int64, "decoder_buckets"), back], axis=0)
    bias = g.op("Gather", [g.weight("decoder_bias/embedding"), buckets], axis=0)  # (T+1, H)
    bias = g.op("Reshape", [g.op("Transpose", [bias], perm=[1, 0]), g.const([1, h, 1, -1], np.int64)])
    cross_mask = g.op("Unsqueeze", ["encoder_mask", g.const([1, 2], np.int64)])

    x = g.op("Gather", [g.weight("embed/embedding", rows=c.vocab_size), "token"], axis=0)  # (B, d)
    x = g.op("Unsqueeze", [x, g.const([1], np.int64)])  # (B, 1, d)
    inputs = [
        _tensor_info("token", TensorProto.INT32, ["batch"]),
        _tensor_info("encoder_mask", TensorProto.BOOL, ["batch", c.encoder_len]),
    ]
    outputs = [
        _tensor_info("next_token", TensorProto.INT32, ["batch"]),
        _tensor_info("logits", TensorProto.FLOAT, ["batch", c.vocab_size]),
    ]
    for i in range(c.decoder_layers):
        lyr = f"decoder_{i}"
        y = g.rms_norm(x, f"{lyr}/self_norm/scale")
        k = g.projection(y, f"{lyr}/self_attn/key", d, h, dh)
        v = g.projection(y, f"{lyr}/self_attn/value", d, h, dh)
        k = g.output("Concat", [f"past_k_{i}", k], f"present_k_{i}", axis=2)
        v = g.output("Concat", [f"past_v_{i}", v], f"present_v_{i}", axis=2)
        q = g.projection(y, f"{lyr}/self_attn/query", d, h, dh)
        # every cached position is <= T: nothing to mask (JAX masks the unwritten tail of its
        # fixed-size cache; those positions get exactly zero weight there)
        x = g.op("Add", [x, g.attend(q, k, v, f"{lyr}/self_attn", h, dh, d, bias, None)])
        y = g.rms_norm(x, f"{lyr}/cross_norm/scale")
        q = g.projection(y, f"{lyr}/cross_attn/query", d, h, dh)
        att = g.attend(q, f"cross_k_{i}", f"cross_v_{i}", f"{lyr}/cross_attn", h, dh, d, None, cross_mask)
        x = g.op("Add", [x, att])
        x = g.op("Add", [x, g.gated_ff(g.rms_norm(x, f"{lyr}/ff_norm/scale"), f"{lyr}/ff")])
        for kind in ("k", "v"):
            inputs.append(_tensor_info(f"past_{kind}_{i}", TensorProto.FLOAT, ["batch", h, "past", dh]))
            outputs.append(_tensor_info(f"present_{kind}_{i}", TensorProto.FLOAT, ["batch", h, "present", dh]))
        for kind in ("k", "v"):
            inputs.append(_tensor_info(f"cross_{kind}_{i}", TensorProto.FLOAT, ["batch", h, c.encoder_len, dh]))

    x = g.rms_norm(x, "decoder_norm/scale")
    logits = g.op("Squeeze", [g.matmul(x, g.weight("lm_head/kernel")), g.const([1], np.int64)])  # (B, rows)
    ids = np.arange(c.rows)
    allowed = g.const((ids < c.vocab_size) & (ids != vocab.PAD), np.bool_, "allowed_ids")
    picked = g.op("ArgMax", [g.op("Where", [allowed, logits, g.const(-np.inf)])], axis=-1, keepdims=0)
    g.output("Cast", [picked], "next_token", to=TensorProto.INT32)
    starts, ends, axes = g.const([0], np.int64), g.const([c.vocab_size], np.int64), g.const([1], np.int64)
    g.output("Slice", [logits, starts, ends, axes], "logits")
    return helper.make_graph(g.nodes, f"inksight_{c.name}_decoder_step", inputs, outputs, g.initializers)


# ----------------------------------------------------------------------------- writing


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("inksight-sdk", "inksight-jax", "onnx", "jax", "flax"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[dist] = "unknown"
    return out


def _unwrap(params: Any) -> Mapping[str, Any]:
    if isinstance(params, Mapping) and "params" in params and "vit" not in params:
        params = params["params"]
    if not isinstance(params, Mapping) or "vit" not in params:
        raise ValueError("params must be the model's parameter tree ({'params': {...}} or its inner dict)")
    return params


def export_onnx(
    params: Any,
    config: ModelConfig | str,
    out_dir: str | os.PathLike[str],
    *,
    source: Mapping[str, Any] | None = None,
    opset: int = DEFAULT_OPSET,
    check: bool = True,
) -> Path:
    """Write ``encoder.onnx``, ``decoder_step.onnx`` and ``inksight_onnx.json`` for ``params`` into ``out_dir``.

    ``source`` is recorded in the metadata (e.g. the checkpoint path and its
    training step). ``check`` validates the parameters against the config
    first (a clear error instead of a broken graph). Returns ``out_dir``.
    """
    import onnx
    from onnx import helper

    config = get_config(config)
    if check:
        from .inference import check_params

        check_params({"params": _unwrap(params)}, config)
    params = _unwrap(params)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    export_id = uuid.uuid4().hex
    files = {}
    for role, filename, build in (
        ("encoder", ENCODER_FILE, _encoder_graph),
        ("decoder_step", DECODER_FILE, _decoder_graph),
    ):
        graph = build(params, config)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", opset)],
            producer_name="inksight-jax",
            producer_version=_versions()["inksight-jax"],
        )
        model.ir_version = min(model.ir_version, 8)  # readable by older onnxruntime releases too
        props = {"inksight_format": FORMAT, "inksight_role": role, "inksight_export_id": export_id}
        helper.set_model_props(model, {**props, "inksight_config": config.name})
        weights = sum(t.ByteSize() for t in graph.initializer)
        path = out / filename
        tmp = out / (filename + ".part")
        data_file = filename + ".data"
        if weights > _EXTERNAL_DATA_BYTES:
            onnx.save_model(model, tmp, save_as_external_data=True, all_tensors_to_one_file=True, location=data_file)
        else:
            onnx.save_model(model, tmp)
            (out / data_file).unlink(missing_ok=True)
        os.replace(tmp, path)
        del model, graph
        files[role] = {"path": filename, "bytes": path.stat().st_size, "sha256": _sha256(path)}
        if weights > _EXTERNAL_DATA_BYTES:
            files[role]["external_data"] = data_file

    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "export_id": export_id,
        "config_name": config.name,
        "config": config.to_dict(),
        "vocab": {
            "pad": vocab.PAD,
            "eos": vocab.EOS,
            "byte_offset": vocab.BYTE_OFFSET,
            "ink_offset": vocab.INK_OFFSET,
            "vocab_size": vocab.VOCAB_SIZE,
        },
        "image_size": config.image_size,
        "max_prompt_len": config.max_prompt_len,
        "max_decode_len": config.max_decode_len,
        "encoder_len": config.encoder_len,
        "cache": {"layers": config.decoder_layers, "heads": config.num_heads, "head_dim": config.head_dim},
        "opset": opset,
        "versions": _versions(),
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": dict(source or {}),
        "files": files,
    }
    tmp = out / (METADATA_FILE + ".part")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out / METADATA_FILE)
    return out


def export_checkpoint(checkpoint: str | os.PathLike[str], out_dir: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Export a training checkpoint (run directory, ``ckpt-*`` directory or weights file, see
    :func:`inksight_jax.checkpoint.load_checkpoint`) to ONNX."""
    from .checkpoint import load_checkpoint

    config, params, meta = load_checkpoint(checkpoint)
    path = Path(checkpoint)
    resolved = (path / "latest").resolve() if (path / "latest").exists() else path.resolve()
    source = {
        "checkpoint": resolved.name if resolved.parent.name == path.name else f"{resolved.parent.name}/{resolved.name}",
        "step": meta.get("step"),
        "seed": meta.get("seed"),
    }
    return export_onnx(params, config, out_dir, source=source, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inksight_jax.export", description="Export an inksight-jax checkpoint to ONNX"
    )
    parser.add_argument("checkpoint", help="training run directory, ckpt-* directory or weights .json/.msgpack")
    parser.add_argument("out_dir", help="directory to write encoder.onnx, decoder_step.onnx, inksight_onnx.json")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    args = parser.parse_args(argv)
    out = export_checkpoint(args.checkpoint, args.out_dir, opset=args.opset)
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
