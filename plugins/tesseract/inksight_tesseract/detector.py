"""The ``tesseract`` detector: Tesseract's words, lines and blocks as word quads with text.

1. **Orientation** (``osd``): Tesseract's orientation and script detection
   says by how many quarter turns the page must turn to stand upright; the
   page is turned exactly (``numpy.rot90``, no resampling) and read upright.
   A page with too little text for a confident answer is read as it is.
2. **Size**: a page over ``max_pixels`` is read reduced by an area filter.
3. **Words** from ``image_to_data``: each box (pixel columns ``left ..
   left + width - 1``, rows likewise) becomes a quad on the pixel edges,
   TL, TR, BR, BL in the upright page, then is mapped back through the
   reduction and the quarter turns to the input's pixel centres, so a quad
   of a turned page is turned with its word. Block numbers are Tesseract's
   blocks in order; line numbers count the block's lines across its
   paragraphs. Words without text, below ``min_confidence``, or without a
   letter or digit and below 60 confidence (specks read as ``'``, ``|``,
   ``~``) are dropped.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np

from inksight_sdk.errors import BadArgumentsError, MissingPluginError, StageError
from inksight_sdk.stages import DetectedWord, Layout

from . import INSTALL_HINT, TesseractOptions

__all__ = ["TesseractDetector", "turned_points"]

log = logging.getLogger("inksight_sdk.tesseract")

#: a word without a letter or digit is noise unless Tesseract is at least this sure of it
_SYMBOL_CONFIDENCE = 60.0


def turned_points(points: np.ndarray, quarter_turns: int, shape: tuple[int, int]) -> np.ndarray:
    """Pixel-centre ``(x, y)`` points of an image of ``shape`` (h, w), as they lie in ``numpy.rot90(image, k)``."""
    out = np.asarray(points, np.float64).copy()
    h, w = shape
    for _ in range(quarter_turns % 4):
        x, y = out[:, 0].copy(), out[:, 1].copy()
        out[:, 0], out[:, 1] = y, (w - 1) - x  # rot90 counter-clockwise: new[i, j] = old[j, w - 1 - i]
        h, w = w, h
    return out


def _language_packs(pytesseract: Any) -> set[str]:
    try:
        return set(pytesseract.get_languages(config=""))
    except Exception as exc:  # the binary is there but broken
        raise MissingPluginError(f"tesseract does not run ({exc}); reinstall Debian's tesseract-ocr") from exc


class TesseractDetector:
    """Word quads, lines, blocks and text from the Tesseract engine."""

    #: Tesseract's boxes are made for print: they clip handwriting's ascenders and long strokes
    refine_words = True

    def __init__(self, options: TesseractOptions | None = None) -> None:
        import pytesseract

        self.options = options = options or TesseractOptions()
        self._tesseract = pytesseract
        if not self._binary_found():
            raise MissingPluginError(f"the tesseract binary is not installed; {INSTALL_HINT}")
        packs = _language_packs(pytesseract)
        missing = [lang for lang in options.lang.split("+") if lang not in packs]
        if missing:
            raise BadArgumentsError(
                f"Tesseract has no language pack for {', '.join(missing)}: apt-get install "
                + " ".join(f"tesseract-ocr-{m}" for m in missing)
                + f" (installed: {', '.join(sorted(packs - {'osd'})) or 'none'})"
            )
        self._osd = options.osd and "osd" in packs
        if options.osd and not self._osd:
            log.warning("page orientation is not detected: apt-get install tesseract-ocr-osd")
        self._config = f"--psm {options.psm} --oem {options.oem}"

    def _binary_found(self) -> bool:
        try:
            self._tesseract.get_tesseract_version()
        except self._tesseract.TesseractNotFoundError:
            return False
        return True

    def detect(self, image: np.ndarray) -> Layout:
        rgb = np.ascontiguousarray(image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2))
        turns = self._quarter_turns(rgb)
        upright = np.ascontiguousarray(np.rot90(rgb, turns))
        scale = min(1.0, (self.options.max_pixels / max(1, upright.shape[0] * upright.shape[1])) ** 0.5)
        if scale < 1.0:
            import cv2

            size = (max(1, round(upright.shape[1] * scale)), max(1, round(upright.shape[0] * scale)))
            read = cv2.resize(upright, size, interpolation=cv2.INTER_AREA)
            scale_xy = np.array([read.shape[1] / upright.shape[1], read.shape[0] / upright.shape[0]])
        else:
            read, scale_xy = upright, np.ones(2)
        try:
            data = self._tesseract.image_to_data(
                read, lang=self.options.lang, config=self._config, output_type=self._tesseract.Output.DICT
            )
        except self._tesseract.TesseractError as exc:
            raise StageError(f"tesseract failed on this page: {exc.message or exc}") from exc
        words = []
        lines: dict[tuple[int, int, int], int] = {}
        blocks: dict[int, int] = {}
        for i, raw in enumerate(data["text"]):
            text = (raw or "").strip()
            confidence = float(data["conf"][i])
            if not text or confidence < 0 or confidence < self.options.min_confidence:
                continue
            if not re.search(r"\w", text) and confidence < _SYMBOL_CONFIDENCE:
                continue
            left, top, width, height = (int(data[k][i]) for k in ("left", "top", "width", "height"))
            if width < 2 or height < 2:
                continue
            block = blocks.setdefault(int(data["block_num"][i]), len(blocks))
            key = (block, int(data["par_num"][i]), int(data["line_num"][i]))
            line = lines.setdefault(key, sum(1 for k in lines if k[0] == block))
            # the box's pixel edges in the read image, then pixel centres of the upright page
            edges = np.array(
                [[left, top], [left + width, top], [left + width, top + height], [left, top + height]], np.float64
            )
            corners = (edges / scale_xy) - 0.5
            quad = turned_points(corners, -turns, upright.shape[:2])
            words.append(DetectedWord(quad=quad, text=text, confidence=confidence / 100.0, block=block, line=line))
        return Layout(words=words)

    def _quarter_turns(self, rgb: np.ndarray) -> int:
        """Counter-clockwise quarter turns that stand the page upright (0 when unsure or disabled)."""
        if not self._osd:
            return 0
        try:
            osd = self._tesseract.image_to_osd(rgb, output_type=self._tesseract.Output.DICT)
        except self._tesseract.TesseractError:
            return 0  # too few characters to tell: read the page as it is
        if float(osd.get("orientation_conf", 0.0)) < self.options.osd_min_confidence:
            return 0
        # "rotate" is the clockwise turn that makes the page upright
        return (-int(osd.get("rotate", 0)) // 90) % 4
