"""inksight-sdk hooks of inksight-onnx: the ``onnx`` derenderer.

This module is the ``inksight_sdk`` entry point and stays light: onnxruntime
is imported by the derenderer's factory, never at registration.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import attrs

from inksight_sdk import hookimpl
from inksight_sdk.registry import StageSpec

__all__ = ["OnnxOptions", "register_derenderers"]


def _max_len(value: Any) -> int | None:
    if value is None or value == "":
        return None
    value = int(value)
    if value < 1:
        raise ValueError(f"max_len must be at least 1, got {value}")
    return value


@attrs.frozen
class OnnxOptions:
    """Options of the ``onnx`` derenderer.

    ``model``: a directory written by :mod:`inksight_jax.export` or
    ``scripts/gpu-train`` (``encoder.onnx``, ``decoder_step.onnx``,
    ``inksight_onnx.json``), or the name of an installed model package
    (:mod:`inksight_onnx.models`); default: ``INKSIGHT_ONNX_MODEL``, else the
    ``tiny`` model shipped in ``inksight_onnx/models/tiny``.
    ``batch_size``: crops per decoding batch. ``max_len``: most tokens decoded
    per word (default: the model's ``max_decode_len``). ``threads``:
    onnxruntime intra-op threads (0: its default, one per physical core).
    """

    model: str | None = attrs.field(default=None, converter=attrs.converters.optional(str))
    batch_size: int = attrs.field(default=32, converter=int, validator=attrs.validators.ge(1))
    max_len: int | None = attrs.field(default=None, converter=_max_len)
    threads: int = attrs.field(default=0, converter=int, validator=attrs.validators.ge(0))


def _available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def _factory(options: OnnxOptions) -> Any:
    from .derenderer import OnnxDerenderer

    return OnnxDerenderer(options)


def _description() -> str:
    """What ``inksight plugins`` says: the model used by default and its measured quality (metadata only)."""
    from inksight_sdk.errors import BadArgumentsError

    from .models import describe_model, resolve_model

    try:
        model = describe_model(resolve_model(None))
    except BadArgumentsError as exc:
        model = f"none ({exc})"
    return f"Learned InkSight model on ONNX Runtime (CPU, no JAX); model {model}"


@hookimpl
def register_derenderers(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="onnx",
            description=_description(),
            factory=_factory,
            options=OnnxOptions,
            priority=6,
            is_available=_available,
            install_hint="pip install inksight-onnx (needs onnxruntime)",
        )
    )
