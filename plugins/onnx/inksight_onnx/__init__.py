"""inksight-onnx: the learned InkSight derenderer on ONNX Runtime (CPU), without JAX.

Importing the package is cheap; :mod:`inksight_onnx.runtime` (numpy +
onnxruntime) is imported on first use of :class:`OnnxModel` or
:class:`OnnxDecoder`, and the ``inksight_sdk`` entry point
(:mod:`inksight_onnx.plugin`) imports onnxruntime only when the ``onnx``
derenderer is built.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

MODELS_DIR = Path(__file__).resolve().parent / "models"

_EXPORTS = {
    "OnnxModel": "runtime",
    "OnnxDecoder": "runtime",
    "ModelFileError": "runtime",
    "OnnxDerenderer": "derenderer",
    "default_model": "derenderer",
    "OnnxOptions": "plugin",
}

__all__ = ["MODELS_DIR", "__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inksight_onnx' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
