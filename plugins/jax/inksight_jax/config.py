"""Model configurations, from ``tiny`` (a CPU-trainable model) to ``small`` (the paper's size).

Architecture (all sizes): a ViT with 16-pixel patches reads the 224x224 RGB
crop (196 patch embeddings, learned position embeddings, pre-LayerNorm blocks)
and a linear layer maps them to ``d_model``; the prompt's byte ids are embedded
with the decoder's token embedding; ``[image (196) ; prompt (<= max_prompt_len)]``
goes through a T5-style encoder and a T5-style decoder writes text and ink
tokens (see :mod:`inksight_sdk.seq2seq.vocab`).

T5 style means what mT5 uses: pre-RMSNorm residual blocks without biases,
gated-GELU feed-forward layers, relative position biases (log buckets, shared
by all layers of a stack: bidirectional in the encoder, causal in the decoder)
instead of absolute positions, an output projection that is not tied to the
embedding. Attention logits are scaled by 1/sqrt(head_dim) (mT5 folds that
into its initialization; scaling explicitly keeps random-init models sane).
The encoder orders the image patches row by row before the prompt, so its
relative positions count along that sequence; the ViT's own learned 2-D
position embeddings carry the layout.

Sizes
-----
``tiny``
    ViT 128-d x 3 layers (4 heads, MLP 384); T5 128-d, 4 heads x 32, gated
    FF 320, 2 encoder + 3 decoder layers; about 1.7 M parameters. Meant to
    train on 2 CPU cores in about an hour.
``small-fast``
    ViT 192-d x 5 layers (3 heads, MLP 512); T5 256-d, 4 heads x 64, gated
    FF 512, 2 encoder + 3 decoder layers; about 6.4 M parameters. The size
    ``scripts/gpu-train`` trains in a few minutes of one GPU: its fp32 ONNX
    graphs stay under 16 MiB each (what such a machine can send back), and
    a model this size already outruns the synthetic data workers of a
    16-core host (docs/training.md).
``small-compact``
    The layers of the paper's Small (below) with our 709-id vocabulary:
    about 66 M parameters. The one to train at Small size on a GPU/TPU.
``small``
    The paper's Small size for speed comparisons (about 322 M parameters,
    the paper reports ~340 M): ViT-S/16 (384-d x 12 layers, 6 heads, MLP
    1536) and mT5-small's encoder-decoder geometry (512-d, 6 heads x 64,
    gated FF 1024, 8 + 8 layers, untied output layer), with embedding and
    output tables of mT5's 250,112 rows as the official model has. Only the
    first 709 rows are used (decoding masks the rest), so this is
    ``small-compact`` with the official model's per-token output cost; most of
    mT5-small's parameters are those two tables.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from inksight_sdk.seq2seq.vocab import VOCAB_SIZE

__all__ = ["ModelConfig", "CONFIGS", "get_config", "MT5_VOCAB_ROWS"]

MT5_VOCAB_ROWS = 250_112


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Every hyperparameter of one model; hashable, JSON-serializable (stored with checkpoints)."""

    name: str
    # vision encoder
    vit_dim: int
    vit_layers: int
    vit_heads: int
    vit_mlp_dim: int
    # T5-style encoder-decoder
    d_model: int
    num_heads: int
    head_dim: int
    d_ff: int
    encoder_layers: int
    decoder_layers: int
    # sequences
    max_prompt_len: int = 64
    max_decode_len: int = 512
    # fixed by the data
    image_size: int = 224
    patch_size: int = 16
    vocab_size: int = VOCAB_SIZE
    table_rows: int | None = None
    """Rows of the token embedding and output tables (>= vocab_size); None: vocab_size."""
    relative_buckets: int = 32
    relative_max_distance: int = 128
    dropout_rate: float = 0.0
    dtype: str = "float32"
    """Compute dtype ("float32" or "bfloat16"); parameters are always float32."""

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        if self.table_rows is not None and self.table_rows < self.vocab_size:
            raise ValueError(f"table_rows {self.table_rows} < vocab_size {self.vocab_size}")
        if self.vit_dim % self.vit_heads:
            raise ValueError(f"vit_dim {self.vit_dim} is not divisible by vit_heads {self.vit_heads}")
        if self.dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be float32 or bfloat16, got {self.dtype!r}")

    @property
    def rows(self) -> int:
        return self.table_rows or self.vocab_size

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def encoder_len(self) -> int:
        return self.num_patches + self.max_prompt_len

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config fields: {', '.join(unknown)}")
        return cls(**data)


_TINY = ModelConfig(
    name="tiny",
    vit_dim=128,
    vit_layers=3,
    vit_heads=4,
    vit_mlp_dim=384,
    d_model=128,
    num_heads=4,
    head_dim=32,
    d_ff=320,
    encoder_layers=2,
    decoder_layers=3,
    max_prompt_len=48,
    max_decode_len=512,
)

_SMALL_FAST = ModelConfig(
    name="small-fast",
    vit_dim=192,
    vit_layers=5,
    vit_heads=3,
    vit_mlp_dim=512,
    d_model=256,
    num_heads=4,
    head_dim=64,
    d_ff=512,
    encoder_layers=2,
    decoder_layers=3,
    max_prompt_len=64,
    max_decode_len=1024,
)

_SMALL_COMPACT = ModelConfig(
    name="small-compact",
    vit_dim=384,
    vit_layers=12,
    vit_heads=6,
    vit_mlp_dim=1536,
    d_model=512,
    num_heads=6,
    head_dim=64,
    d_ff=1024,
    encoder_layers=8,
    decoder_layers=8,
    max_prompt_len=64,
    max_decode_len=1024,
)

CONFIGS: dict[str, ModelConfig] = {
    "tiny": _TINY,
    "small-fast": _SMALL_FAST,
    "small-compact": _SMALL_COMPACT,
    "small": _SMALL_COMPACT.replace(name="small", table_rows=MT5_VOCAB_ROWS),
}


def get_config(name: str | ModelConfig) -> ModelConfig:
    """A named configuration (``tiny``, ``small-fast``, ``small-compact``, ``small``), or the config itself."""
    if isinstance(name, ModelConfig):
        return name
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown model configuration {name!r}; known: {', '.join(CONFIGS)}") from None
