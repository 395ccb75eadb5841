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

import numpy as np

from inksight_sdk.errors import BadArgumentsError
from inksight_sdk.seq2seq.decoding import STOP_EOS, DecodeOptions
from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text
from inksight_sdk.stages import CropSpec, DerenderedStroke, DerenderedWord, Mode, WordCrop

from .plugin import JaxOptions

__all__ = ["JaxDerenderer", "default_checkpoint", "prompt_for"]

log = logging.getLogger("inksight_sdk.jax")

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def default_checkpoint() -> Path | None:
    """The shipped ``tiny`` weights, or None when the package was installed without them."""
    path = WEIGHTS_DIR / "tiny.json"
    return path if path.is_file() and path.with_suffix(".msgpack").is_file() else None


def prompt_for(mode: Mode | str, text: str | None) -> str:
    mode = Mode(mode)
    if mode is Mode.TEXT and text:
        return derender_with_text(text)
    if mode is Mode.RECOGNIZE:
        return PROMPT_RECOGNIZE_AND_DERENDER
    return PROMPT_DERENDER


def _letterbox(image: np.ndarray, size: int, fill: tuple[int, int, int]) -> tuple[np.ndarray, float, float, float]:
    """``image`` fitted into ``size`` x ``size`` (aspect kept, centred): (canvas, scale, dx, dy)."""
    h, w = image.shape[:2]
    if (h, w) == (size, size):
        return image, 1.0, 0.0, 0.0
    from PIL import Image

    scale = size / max(h, w, 1)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = np.asarray(fill, np.uint8)
    dx, dy = (size - nw) // 2, (size - nh) // 2
    resized = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    canvas[dy : dy + nh, dx : dx + nw] = resized
    return canvas, scale, float(dx), float(dy)


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
        size = self.config.image_size
        fill = self.crop_spec.fill
        out: list[DerenderedWord] = []
        for start in range(0, len(crops), self.options.batch_size):
            chunk = crops[start : start + self.options.batch_size]
            boxes = [_letterbox(np.asarray(c.image, np.uint8), size, fill) for c in chunk]
            images = np.stack([b[0] for b in boxes])
            prompts = [prompt_for(mode, c.text) for c in chunk]
            for i, (result, (_, scale, dx, dy)) in enumerate(zip(self.decoder.derender(images, prompts), boxes)):
                warning = None
                if result.stop != STOP_EOS:
                    warning = (
                        f"decoding stopped by the {result.stop.replace('_', ' ')} guard "
                        f"after {len(result.ink_tokens)} ink tokens; its ink may be incomplete"
                    )
                    log.warning("jax derenderer: word %d of the batch: %s", start + i + 1, warning)
                strokes = []
                for stroke in result.strokes():
                    pts = (np.asarray(stroke, np.float32) - np.array([dx, dy], np.float32)) / np.float32(scale)
                    strokes.append(DerenderedStroke(points=pts.astype(np.float32)))
                text = result.text if mode == Mode.RECOGNIZE and result.text else None
                out.append(DerenderedWord(strokes=strokes, text=text, warning=warning))
        return out

    def describe(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "config": self.config.name, "step": self.meta.get("step")}
