"""inksight-jax: the learned InkSight derenderer in JAX/Flax (model, decoding; training and export to come).

Importing this package imports jax and flax; the core never imports it
until a pipeline asks for the ``jax`` derenderer.
"""

from inksight_sdk.seq2seq.decoding import DecodeOptions, Derendering, GreedyResult, greedy_decode, with_fallback
from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text

from .config import CONFIGS, MT5_VOCAB_ROWS, ModelConfig, get_config
from .inference import (
    JaxDecoder,
    ParamsMismatchError,
    check_params,
    count_params,
    derender_batch,
    derender_batch_detailed,
    init_params,
    param_shapes,
)
from .model import InkSightModel

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "CONFIGS",
    "MT5_VOCAB_ROWS",
    "ModelConfig",
    "get_config",
    "InkSightModel",
    "DecodeOptions",
    "Derendering",
    "GreedyResult",
    "greedy_decode",
    "with_fallback",
    "JaxDecoder",
    "ParamsMismatchError",
    "check_params",
    "count_params",
    "derender_batch",
    "derender_batch_detailed",
    "init_params",
    "param_shapes",
    "PROMPT_DERENDER",
    "PROMPT_RECOGNIZE_AND_DERENDER",
    "derender_with_text",
]
