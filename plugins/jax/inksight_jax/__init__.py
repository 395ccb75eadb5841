"""inksight-jax: the learned InkSight derenderer in JAX/Flax (model, decoding, training, checkpoints).

Importing the package itself is cheap: every public name is loaded on first
use, so the ``inksight_sdk`` entry point (:mod:`inksight_jax.plugin`) and
``inksight --help`` never import jax. ``from inksight_jax import JaxDecoder``
(or any name below) imports jax and flax.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "CONFIGS": "config",
    "MT5_VOCAB_ROWS": "config",
    "ModelConfig": "config",
    "get_config": "config",
    "InkSightModel": "model",
    "JaxDecoder": "inference",
    "ParamsMismatchError": "inference",
    "check_params": "inference",
    "count_params": "inference",
    "derender_batch": "inference",
    "derender_batch_detailed": "inference",
    "init_params": "inference",
    "param_shapes": "inference",
    "CheckpointError": "checkpoint",
    "CheckpointMismatchError": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "save_params": "checkpoint",
    "TrainOptions": "training",
    "train": "training",
    "DecodeOptions": "inksight_sdk.seq2seq.decoding",
    "Derendering": "inksight_sdk.seq2seq.decoding",
    "GreedyResult": "inksight_sdk.seq2seq.decoding",
    "greedy_decode": "inksight_sdk.seq2seq.decoding",
    "with_fallback": "inksight_sdk.seq2seq.decoding",
    "PROMPT_DERENDER": "inksight_sdk.seq2seq.vocab",
    "PROMPT_RECOGNIZE_AND_DERENDER": "inksight_sdk.seq2seq.vocab",
    "derender_with_text": "inksight_sdk.seq2seq.vocab",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inksight_jax' has no attribute {name!r}")
    mod = importlib.import_module(module if "." in module else f"{__name__}.{module}")
    value = getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
