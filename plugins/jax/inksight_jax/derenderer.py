"""The ``jax`` derenderer: word crops -> prompts -> batched greedy decoding -> strokes in crop pixels.

Modes (see :class:`inksight_sdk.stages.Mode`):

``vanilla``    ``Derender the ink.``
``text``       ``Derender the ink: <text>`` when the detector read the word, else vanilla
``recognize``  ``Recognize and derender.``; a row that comes back without ink is
               retried with the vanilla prompt (the official colab's fallback); the
               recognized text goes into :attr:`DerenderedWord.text`

The model writes ink on the 224-pixel canvas of the centre-padded crop; the
strokes are mapped back into the crop's own pixels (the pipeline asks for
224 crops already, other sizes are letterboxed here the same way). A word
whose decoding was stopped by the maximum length or the repetition guard is
still returned with a ``warning`` that the pipeline lists in the document's
problems (and on the ``inksight_sdk.jax`` logger).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inksight_sdk.errors import BadArgumentsError
from inksight_sdk.seq2seq.decoding import DecodeOptions
from inksight_sdk.seq2seq.words import derender_crops
from inksight_sdk.stages import CropSpec, DerenderedWord, Mode, WordCrop

from .plugin import JaxOptions

__all__ = ["JaxDerenderer", "default_checkpoint"]

log = logging.getLogger("inksight_sdk.jax")

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def default_checkpoint() -> Path | None:
    """The shipped ``tiny`` weights, or None when the package was installed without them."""
    path = WEIGHTS_DIR / "tiny.json"
    return path if path.is_file() and path.with_suffix(".msgpack").is_file() else None


class JaxDerenderer:
    """A loaded checkpoint and its decoder; ``derender(crops, mode)`` in batches of ``batch_size``."""

    def __init__(self, options: JaxOptions | None = None):
        from .checkpoint import load_checkpoint
        from .inference import JaxDecoder

        self.options = options = options or JaxOptions()
        path = options.checkpoint or default_checkpoint()
        if path is None:
            raise BadArgumentsError(
                "the jax derenderer has no weights: this installation has no shipped checkpoint "
                f"({WEIGHTS_DIR / 'tiny.json'}); pass one with the derenderer option checkpoint=PATH "
                "(e.g. --derenderer-option checkpoint=build/train-tiny)"
            )
        self.checkpoint = Path(path)
        self.config, params, self.meta = load_checkpoint(self.checkpoint)
        self.decoder = JaxDecoder(params, self.config, DecodeOptions(max_len=options.max_len), check=False)

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec(size=self.config.image_size)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        return derender_crops(
            crops,
            mode,
            self.decoder.derender,
            size=self.config.image_size,
            fill=self.crop_spec.fill,
            batch_size=self.options.batch_size,
            log=log,
        )

    def describe(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "config": self.config.name, "step": self.meta.get("step")}
