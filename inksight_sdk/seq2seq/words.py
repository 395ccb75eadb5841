"""From word crops to prompts and back to strokes: the part of a learned derenderer outside the model.

The JAX and ONNX backends differ only in how they run a batch of
``(images, prompts)`` through the model; choosing the prompt for a mode,
fitting a crop onto the model's square canvas, mapping the decoded ink back
into the crop's pixels and flagging words that a decoding guard cut short
are the same for both, so they live here once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from ..stages import REPORTED, DerenderedStroke, DerenderedWord, Mode, WordCrop
from .decoding import STOP_EOS, Derendering
from .vocab import PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text

__all__ = ["prompt_for", "letterbox", "derender_crops"]

#: runs one batch through a model: ``(images (B, size, size, 3) uint8, prompts) -> one Derendering per row``
BatchDecoder = Callable[[np.ndarray, list[str]], Sequence[Derendering]]


def prompt_for(mode: Mode | str, text: str | None) -> str:
    """The paper's prompt for a mode; ``text`` mode without a transcription falls back to vanilla."""
    mode = Mode(mode)
    if mode is Mode.TEXT and text:
        return derender_with_text(text)
    if mode is Mode.RECOGNIZE:
        return PROMPT_RECOGNIZE_AND_DERENDER
    return PROMPT_DERENDER


def letterbox(image: np.ndarray, size: int, fill: tuple[int, int, int]) -> tuple[np.ndarray, float, float, float]:
    """``image`` fitted into ``size`` x ``size`` (aspect kept, centred): ``(canvas, scale, dx, dy)``.

    A canvas point ``p`` is the crop point ``(p - (dx, dy)) / scale``. The
    pipeline already hands 224-pixel crops to these derenderers; this makes a
    crop of any other size (a caller using the stage directly) read the same way.
    """
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


def derender_crops(
    crops: Sequence[WordCrop],
    mode: Mode,
    decode: BatchDecoder,
    *,
    size: int,
    fill: tuple[int, int, int],
    batch_size: int,
    log: logging.Logger,
) -> list[DerenderedWord]:
    """Derender ``crops`` in batches with ``decode``; strokes come back in each crop's own pixels.

    A word whose decoding stopped on the length cap or the repetition guard
    keeps its ink and carries a ``warning``, which the pipeline lists in the
    document's problems. Recognized text is returned in ``recognize`` mode only.
    """
    out: list[DerenderedWord] = []
    for start in range(0, len(crops), batch_size):
        chunk = crops[start : start + batch_size]
        boxes = [letterbox(c.image, size, fill) for c in chunk]
        images = np.stack([b[0] for b in boxes])
        prompts = [prompt_for(mode, c.text) for c in chunk]
        for i, (result, (_, scale, dx, dy)) in enumerate(zip(decode(images, prompts), boxes, strict=True)):
            warning = None
            if result.stop != STOP_EOS:
                warning = (
                    f"decoding stopped by the {result.stop.replace('_', ' ')} guard "
                    f"after {len(result.ink_tokens)} ink tokens; its ink may be incomplete"
                )
                log.warning("word %d of the batch: %s", start + i + 1, warning, extra=REPORTED)
            offset = np.array([dx, dy], np.float32)
            strokes = [
                DerenderedStroke(points=(np.asarray(s, np.float32) - offset) / np.float32(scale))
                for s in result.strokes()
            ]
            text = result.text if Mode(mode) is Mode.RECOGNIZE and result.text else None
            out.append(DerenderedWord(strokes=strokes, text=text, warning=warning))
    return out
