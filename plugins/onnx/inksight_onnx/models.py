"""Which model the ``onnx`` derenderer runs: a directory, an installed model package, or the shipped ``tiny``.

``model=`` (the derenderer option) or, when it is not given, the
``INKSIGHT_ONNX_MODEL`` environment variable names either a directory
written by :mod:`inksight_jax.export` (or ``scripts/gpu-train``) or an
installed **model package**: a distribution that announces its model
directory in the ``inksight_onnx.models`` entry-point group::

    [project.entry-points."inksight_onnx.models"]
    small-fast = "inksight_model_small_fast:MODEL_DIR"    # a str or Path attribute

Without either, the ``tiny`` model shipped in this package is used. A model's
``inksight_onnx.json`` may carry its measured ``quality`` (``scripts/gpu-train``
writes it); :func:`describe_model` puts it in one line for ``inksight plugins``.
Nothing here imports onnxruntime.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

from inksight_sdk.errors import BadArgumentsError

from . import MODELS_DIR

__all__ = ["ENTRY_POINTS", "MODEL_ENV", "installed_models", "resolve_model", "describe_model", "shipped_model"]

ENTRY_POINTS = "inksight_onnx.models"
MODEL_ENV = "INKSIGHT_ONNX_MODEL"
METADATA_FILE = "inksight_onnx.json"


def shipped_model() -> Path | None:
    """The shipped ``tiny`` model directory, or None when the package was installed without it."""
    path = MODELS_DIR / "tiny"
    return path if (path / METADATA_FILE).is_file() else None


def installed_models() -> dict[str, metadata.EntryPoint]:
    """Model packages by name (their entry points, not loaded)."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINTS)}


def resolve_model(value: str | None) -> Path:
    """The model directory for the option ``model`` (None: the environment variable, else the shipped model)."""
    value = value or os.environ.get(MODEL_ENV) or None
    if value is None:
        path = shipped_model()
        if path is None:
            raise BadArgumentsError(
                f"the onnx derenderer has no model: this installation ships none ({MODELS_DIR / 'tiny'}); "
                "pass model=DIR (a directory written by inksight_jax.export) or the name of a model package"
            )
        return path
    if Path(value).is_dir():
        return Path(value)
    if os.sep in value or "/" in value or Path(value).exists():
        raise BadArgumentsError(
            f"ONNX model directory {value} does not exist or is not a directory; pass model=DIR with a directory "
            "written by inksight_jax.export or scripts/gpu-train (encoder.onnx, decoder_step.onnx, inksight_onnx.json)"
        )
    packages = installed_models()
    if value not in packages:
        known = ", ".join(sorted(packages)) or "none"
        raise BadArgumentsError(
            f"model {value!r} is neither a directory nor an installed model package (installed: {known}); "
            "pass model=DIR with a directory written by inksight_jax.export or scripts/gpu-train"
        )
    try:
        path = Path(str(packages[value].load()))
    except Exception as exc:  # a broken third-party package: name it
        raise BadArgumentsError(f"the model package {value!r} failed to load ({exc}); reinstall it") from exc
    if not path.is_dir():
        raise BadArgumentsError(f"the model package {value!r} points at {path}, which is not a directory; reinstall it")
    return path


def describe_model(path: Path) -> str:
    """``name (where): quality`` in one line, from the model's metadata (no model is loaded)."""
    try:
        meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{path} (unreadable metadata)"
    where = "shipped" if path.resolve() == (MODELS_DIR / "tiny").resolve() else str(path)
    name = meta.get("config_name", "?") + (" int8" if meta.get("quantization") else "")
    quality = meta.get("quality")
    if not isinstance(quality, dict):
        return f"{name} ({where}); quality not measured"
    parts = [
        f"F1 {scores['f1']:.2f} {condition.split(' (')[0].split(',')[0]}"
        for condition, scores in quality.items()
        if isinstance(scores, dict) and "f1" in scores
    ]
    return f"{name} ({where}): " + ", ".join(parts)
