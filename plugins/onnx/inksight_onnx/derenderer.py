"""The ``onnx`` derenderer: word crops -> prompts -> batched greedy decoding on ONNX Runtime -> strokes.

Modes (see :class:`inksight_sdk.stages.Mode`):

``vanilla``    ``Derender the ink.``
``text``       ``Derender the ink: <text>`` when the detector read the word, else vanilla
``recognize``  ``Recognize and derender.``; a row that comes back without ink is
               retried with the vanilla prompt (the official colab's fallback); the
               recognized text goes into :attr:`DerenderedWord.text`

The crops are the 224-pixel centre-padded canvases the model reads (the
pipeline makes them from :attr:`OnnxDerenderer.crop_spec`; other sizes are
letterboxed here the same way), and the ink the model writes on that canvas is
mapped back into the crop's own pixels. A word whose decoding was stopped by
the maximum length or the repetition guard is still returned with a
``warning`` that the pipeline lists in the document's problems (and on the
``inksight_sdk.onnx`` logger). The crop and prompt handling is shared with the
``jax`` derenderer (:mod:`inksight_sdk.seq2seq.words`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inksight_sdk.seq2seq.decoding import DecodeOptions
from inksight_sdk.seq2seq.words import derender_crops
from inksight_sdk.stages import CropSpec, DerenderedWord, Mode, WordCrop

from .models import resolve_model, shipped_model
from .plugin import OnnxOptions

__all__ = ["OnnxDerenderer", "default_model"]

log = logging.getLogger("inksight_sdk.onnx")


def default_model() -> Path | None:
    """The shipped ``tiny`` model directory, or None when the package was installed without it."""
    return shipped_model()


class OnnxDerenderer:
    """A loaded ONNX model and its decoder; ``derender(crops, mode)`` in batches of ``batch_size``."""

    def __init__(self, options: OnnxOptions | None = None):
        from .runtime import OnnxDecoder, OnnxModel

        self.options = options = options or OnnxOptions()
        self.model = OnnxModel(resolve_model(options.model), threads=options.threads)
        self.decoder = OnnxDecoder(self.model, DecodeOptions(max_len=options.max_len))

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec(size=self.model.image_size)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        return derender_crops(
            crops,
            mode,
            self.decoder.derender,
            size=self.model.image_size,
            fill=self.crop_spec.fill,
            batch_size=self.options.batch_size,
            log=log,
        )

    def describe(self) -> dict[str, Any]:
        return self.model.describe()
