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
the maximum length or the repetition guard is still returned, and reported: a
warning on the ``inksight_sdk.onnx`` logger and an entry in
:attr:`OnnxDerenderer.last_problems`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inksight_sdk.errors import BadArgumentsError
from inksight_sdk.seq2seq.decoding import STOP_EOS, DecodeOptions
from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text
from inksight_sdk.stages import CropSpec, DerenderedStroke, DerenderedWord, Mode, WordCrop

from . import MODELS_DIR
from .plugin import OnnxOptions

__all__ = ["OnnxDerenderer", "default_model", "prompt_for", "letterbox"]

log = logging.getLogger("inksight_sdk.onnx")


def default_model() -> Path | None:
    """The shipped ``tiny`` model directory, or None when the package was installed without it."""
    path = MODELS_DIR / "tiny"
    return path if (path / "inksight_onnx.json").is_file() else None


def prompt_for(mode: Mode | str, text: str | None) -> str:
    mode = Mode(mode)
    if mode is Mode.TEXT and text:
        return derender_with_text(text)
    if mode is Mode.RECOGNIZE:
        return PROMPT_RECOGNIZE_AND_DERENDER
    return PROMPT_DERENDER


def letterbox(image: np.ndarray, size: int, fill: tuple[int, int, int]) -> tuple[np.ndarray, float, float, float]:
    """``image`` fitted into ``size`` x ``size`` (aspect kept, centred): (canvas, scale, dx, dy).

    A canvas point ``p`` is the crop point ``(p - (dx, dy)) / scale``."""
    image = np.asarray(image, np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    h, w = image.shape[:2]
    if (h, w) == (size, size):
        return image, 1.0, 0.0, 0.0
    from PIL import Image

    scale = size / max(h, w, 1)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = np.asarray(fill, np.uint8)
    dx, dy = (size - nw) // 2, (size - nh) // 2
    canvas[dy : dy + nh, dx : dx + nw] = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    return canvas, scale, float(dx), float(dy)


class OnnxDerenderer:
    """A loaded ONNX model and its decoder; ``derender(crops, mode)`` in batches of ``batch_size``."""

    def __init__(self, options: OnnxOptions | None = None):
        from .runtime import OnnxDecoder, OnnxModel

        self.options = options = options or OnnxOptions()
        path = options.model or default_model()
        if path is None:
            raise BadArgumentsError(
                f"the onnx derenderer has no model: this installation ships none ({MODELS_DIR / 'tiny'}); "
                "pass one with the derenderer option model=DIR (a directory written by inksight_jax.export)"
            )
        self.model = OnnxModel(path, threads=options.threads)
        self.decoder = OnnxDecoder(self.model, DecodeOptions(max_len=options.max_len))
        self.last_problems: list[str] = []

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec(size=self.model.image_size)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        size, fill = self.model.image_size, self.crop_spec.fill
        problems: list[str] = []
        out: list[DerenderedWord] = []
        for start in range(0, len(crops), self.options.batch_size):
            chunk = crops[start : start + self.options.batch_size]
            boxes = [letterbox(c.image, size, fill) for c in chunk]
            images = np.stack([b[0] for b in boxes])
            prompts = [prompt_for(mode, c.text) for c in chunk]
            for i, (result, (_, scale, dx, dy)) in enumerate(zip(self.decoder.derender(images, prompts), boxes)):
                if result.stop != STOP_EOS:
                    message = (
                        f"word {start + i + 1} of the batch: decoding stopped by {result.stop.replace('_', ' ')} "
                        f"after {len(result.ink_tokens)} ink tokens; its ink may be incomplete"
                    )
                    problems.append(message)
                    log.warning("onnx derenderer: %s", message)
                offset = np.array([dx, dy], np.float32)
                strokes = [
                    DerenderedStroke(points=((np.asarray(s, np.float32) - offset) / np.float32(scale)))
                    for s in result.strokes()
                ]
                text = result.text if mode == Mode.RECOGNIZE and result.text else None
                out.append(DerenderedWord(strokes=strokes, text=text))
        self.last_problems = problems
        return out

    def describe(self) -> dict[str, Any]:
        return self.model.describe()
