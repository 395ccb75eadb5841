"""``--debug-dir``: the masks behind a page's conversion, as PNG files a person can look at.

When something is traced that should not be (a ruling line, the desk around
the sheet) or something is missing, the question is which step decided it.
A detector that can explain itself (``detect_explained``, see
:class:`~inksight_sdk.stages.Detector`) hands the pipeline named masks: for
the builtin ``layout`` detector what it took for the ``sheet``, the printed
``structure`` it removed (rules, grids, form lines) and the ``ink`` it kept.
Each is written at the page's size as a black-and-white PNG (white = in the
mask), beside ``traced`` (the output strokes, drawn one pixel wide) and an
``overview`` that colours them all over a faded copy of the page.

Files are named ``<input stem>-p<page, from 001>-<mask>.png``, so the pages of
several inputs can share one folder. Writing is best effort: a file that
cannot be written is a warning, never a lost page.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

__all__ = ["OVERVIEW_COLOURS", "check_debug_dir", "debug_name", "write_page_masks"]

log = logging.getLogger(__name__)

#: how each mask is coloured in the overview, drawn in this order (later ones on top); the sheet is shown
#: by dimming what lies outside it. Masks a detector names that are not listed here are drawn grey.
OVERVIEW_COLOURS: Mapping[str, tuple[int, int, int]] = {
    "structure": (40, 110, 255),
    "ink": (0, 170, 60),
    "print": (255, 150, 0),  # over the ink it is part of
    "stamps": (220, 0, 200),
    "objects": (150, 90, 30),
    "traced": (230, 0, 0),
}
_OTHER_COLOUR = (128, 128, 128)
#: the overview is at most this many pixels on its longer side (the masks keep the page's size)
_OVERVIEW_SIDE = 2000


def check_debug_dir(folder: str | os.PathLike[str]) -> Path:
    """The debug folder, created if needed; ``OSError`` when it cannot be (the caller words the error)."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise PermissionError(f"{path} is not writable")
    return path


def debug_name(source: str | None, index: int, mask: str) -> str:
    """``notes-p001-ink.png`` for page 1 of ``notes.pdf``; ``image-...`` for an image given as an array."""
    stem = Path(source).stem if source else "image"
    stem = re.sub(r"[^\w.+-]+", "_", stem) or "image"
    return f"{stem}-p{index + 1:03d}-{mask}.png"


def write_page_masks(
    folder: Path,
    source: str | None,
    index: int,
    image: np.ndarray,
    masks: Mapping[str, np.ndarray],
    strokes: Sequence[np.ndarray],
) -> list[Path]:
    """Write one page's masks, its traced strokes and the overview; returns the files written.

    ``masks`` are boolean arrays at any resolution covering the whole page
    (a detector's working resolution); they are scaled to the page's size.
    ``strokes`` are ``(n, 2)`` point arrays in page pixels.
    """
    height, width = image.shape[:2]
    full = {name: _to_page(mask, width, height) for name, mask in masks.items()}
    full["traced"] = _draw_strokes(strokes, width, height)
    written = []
    for name, mask in full.items():
        written += _save(Image.fromarray(mask).convert("1"), folder / debug_name(source, index, name))
    written += _save(_overview(image, full), folder / debug_name(source, index, "overview"))
    return written


def _save(picture: Image.Image, path: Path) -> list[Path]:
    try:
        picture.save(path, format="PNG", optimize=False)
    except OSError as exc:
        log.warning("--debug-dir: cannot write %s: %s", path, exc.strerror or exc)
        return []
    return [path]


def _to_page(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A boolean mask scaled (nearest) to ``width x height``."""
    picture = Image.fromarray(np.asarray(mask, dtype=bool).astype(np.uint8) * 255)
    if picture.size != (width, height):
        picture = picture.resize((width, height), Image.Resampling.NEAREST)
    return np.asarray(picture) > 0


def _draw_strokes(strokes: Sequence[np.ndarray], width: int, height: int) -> np.ndarray:
    picture = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(picture)
    for points in strokes:
        xy = [tuple(p) for p in np.asarray(points, dtype=np.float64).tolist()]
        if len(xy) == 1:
            draw.point(xy, fill=255)
        elif xy:
            draw.line(xy, fill=255, width=1)
    return np.asarray(picture) > 0


def _overview(image: np.ndarray, masks: Mapping[str, np.ndarray]) -> Image.Image:
    """The page faded to grey, outside the sheet dimmed, each mask in its colour on top."""
    height, width = image.shape[:2]
    scale = min(1.0, _OVERVIEW_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    gray = np.asarray(Image.fromarray(image).convert("L").resize(size, Image.Resampling.BOX), dtype=np.float32)
    faded = (255 - 0.35 * (255 - gray)) // 8 * 8  # coarse levels keep the PNG small
    canvas = np.repeat(faded[:, :, None], 3, axis=2)

    def small(mask: np.ndarray) -> np.ndarray:
        # any pixel of a box keeps the box: a one-pixel stroke must not vanish when the page shrinks
        return np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)) > 0

    if "sheet" in masks:
        canvas[~small(masks["sheet"])] *= 0.45
    names = [n for n in OVERVIEW_COLOURS if n in masks] + [n for n in masks if n not in OVERVIEW_COLOURS]
    for name in names:
        if name == "sheet":
            continue
        shown = small(masks[name])
        if name == "traced":  # a one-pixel line over the ink it follows: three pixels wide, to be seen
            shown = np.asarray(Image.fromarray(shown.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3))) > 0
        canvas[shown] = OVERVIEW_COLOURS.get(name, _OTHER_COLOUR)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
