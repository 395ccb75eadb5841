"""inksight-sdk hooks of inksight-jax: the ``jax`` derenderer and the ``inksight train`` command.

This module is the ``inksight_sdk`` entry point. It must stay light: no jax,
flax or optax import happens here or at registration; the derenderer's
factory and the train command import them when they run.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import attrs

from inksight_sdk import hookimpl
from inksight_sdk.registry import StageSpec

__all__ = ["JaxOptions", "register_derenderers", "register_commands"]


def _max_len(value: Any) -> int | None:
    if value is None or value == "":
        return None
    value = int(value)
    if value < 1:
        raise ValueError(f"max_len must be at least 1, got {value}")
    return value


@attrs.frozen
class JaxOptions:
    """Options of the ``jax`` derenderer.

    ``checkpoint``: a training run directory, a checkpoint directory or a
    weights file (``.msgpack``/``.json``); default: the ``tiny`` weights
    shipped in ``inksight_jax/weights``. ``batch_size``: crops per decoding
    batch. ``max_len``: most tokens decoded per word (default: the model's
    ``max_decode_len``).
    """

    checkpoint: str | None = attrs.field(default=None, converter=attrs.converters.optional(str))
    batch_size: int = attrs.field(default=32, converter=int, validator=attrs.validators.ge(1))
    max_len: int | None = attrs.field(default=None, converter=_max_len)


def _available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("jax", "flax"))


def _factory(options: JaxOptions) -> Any:
    from .derenderer import JaxDerenderer

    return JaxDerenderer(options)


@hookimpl
def register_derenderers(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="jax",
            description="Learned InkSight model (ViT + T5-style encoder-decoder) in JAX/Flax; tiny weights shipped",
            factory=_factory,
            options=JaxOptions,
            priority=5,
            is_available=_available,
            install_hint="pip install inksight-jax (needs jax and flax)",
        )
    )


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import train_command

    cli.add_command(train_command)
