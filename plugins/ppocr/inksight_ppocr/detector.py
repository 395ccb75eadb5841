"""The ``ppocr`` detector: PP-OCR's text lines, read and cut into word quads with text.

1. **Size**: a page whose longer side is over ``max_side`` is reduced by an
   area filter to exactly that; RapidOCR's own resizing (which rounds sides
   to multiples of 32 and stretches the page) is switched off, so the
   reduction is one known scale per axis. The detection network then sees
   the page at that size (rounded to multiples of 32 inside RapidOCR, which
   maps its boxes back itself); only a page under 64 pixels is enlarged.
2. **Lines** from RapidOCR's steps (detection, direction, recognition with
   CTC character positions). The direction classifier votes per line; the
   page is turned (every line read upside down) when the lines voting so
   are over half the text by length. Each line's quad is put in reading
   orientation: turned a quarter when the recognizer read the crop turned
   (a line 1.5 times taller than wide), half when the page is turned.
3. **Words**: :func:`inksight_ppocr.words.split_line` cuts each line at its
   spaces and ink gaps (CJK: characters).
4. **Order**: :func:`inksight_ppocr.order.reading_order` groups the lines
   PP-OCR found into lines of text and blocks, numbered in reading order.
5. **Back to the input**: quads are scaled on pixel edges and turned into
   pixel centres (``(x + 0.5) * W / w - 0.5``), then kept on the page.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import cv2
import numpy as np

from inksight_sdk.errors import StageError
from inksight_sdk.stages import DetectedWord, Layout

from . import PPOCROptions
from .models import resolve_models
from .order import reading_order
from .words import LineRead, split_line

__all__ = ["PPOCRDetector", "reduced_size"]

log = logging.getLogger("inksight_sdk.ppocr")

#: PP-OCR's detector enlarges a page whose shorter side is under this; RapidOCR's 736 made a 242 x 1852 line
#: photo a 736 x 5632 input (12 s instead of 1 s here, the same words); 64 is PaddleOCR 3's own setting
_DET_MIN_SIDE = 64


class _ToOurLog(logging.Handler):
    """RapidOCR's records, passed to our logger at debug level instead of its own coloured stderr handler."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("rapidocr: %s", record.getMessage())


def _quiet_rapidocr() -> None:
    rapid = logging.getLogger("RapidOCR")
    for handler in list(rapid.handlers):
        if not isinstance(handler, _ToOurLog):
            rapid.removeHandler(handler)
    if not rapid.handlers:
        rapid.addHandler(_ToOurLog())
    rapid.propagate = False


def reduced_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size a ``width`` x ``height`` page is read at: longer side at most ``max_side``, never enlarged."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _engine_params(options: PPOCROptions, det: str, cls: str, rec: str) -> dict[str, Any]:
    return {
        "Global.use_preprocess_img": False,  # we reduce the page ourselves, exactly
        "Global.return_word_box": True,  # the CTC column of each character
        "Global.log_level": "info",  # passed on to our logger at debug level
        "Det.limit_side_len": _DET_MIN_SIDE,
        "Det.model_path": det,
        "Cls.model_path": cls,
        "Rec.model_path": rec,  # explicit paths: RapidOCR downloads only when it has none
    }


def _error_line(exc: BaseException) -> str:
    """One line for a failure inside the engine (ONNX Runtime errors carry a whole traceback)."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else 'no message'}"[:300]


class PPOCRDetector:
    """Word quads with text from PP-OCR (RapidOCR on ONNX Runtime, CPU)."""

    #: PP-OCR's line boxes are tight around the x-height band of handwriting: on the Hershey tuning pages of
    #: benchmarks/word_segmentation.py refining raised the share of true ink inside quads from 0.963 to 0.976
    refine_words = True

    def __init__(self, options: PPOCROptions | None = None) -> None:
        self.options = options = options or PPOCROptions()
        self.models = resolve_models(options.lang, options.model_dir)
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params=_engine_params(options, str(self.models.det), str(self.models.cls), str(self.models.rec))
        )
        _quiet_rapidocr()
        self._lock = threading.Lock()  # RapidOCR keeps per-call settings on the engine

    def detect(self, image: np.ndarray) -> Layout:
        rgb = np.ascontiguousarray(image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2))
        height, width = rgb.shape[:2]
        size = reduced_size(width, height, self.options.max_side)
        read = rgb if size == (width, height) else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(read, cv2.COLOR_RGB2GRAY)
        lines = self._read_lines(np.ascontiguousarray(read[:, :, ::-1]))  # PP-OCR reads BGR
        scale = np.array([width / size[0], height / size[1]])
        words: list[DetectedWord] = []
        clipped = 0
        pieces = [split_line(gray, line, words=self.options.split == "words") for line in lines]
        for index, (block, row) in reading_order([line.quad for line in lines]):
            for piece in pieces[index]:
                if not piece.text.strip() or piece.confidence < self.options.min_confidence:
                    continue
                quad = (piece.quad * scale) - 0.5  # continuous edges of the read image -> input pixel centres
                kept = np.clip(quad, -0.5, [width - 0.5, height - 0.5])
                clipped += int(np.abs(kept - quad).max() > 1.0)
                words.append(
                    DetectedWord(
                        quad=kept,
                        text=piece.text,
                        confidence=min(1.0, max(0.0, piece.confidence)),
                        block=block,
                        line=row,
                        script=piece.script,
                    )
                )
        if clipped:
            log.debug("%d word quads reached past the page and were clipped to it", clipped)
        return Layout(words=words)

    def _read_lines(self, bgr: np.ndarray) -> list[LineRead]:
        """PP-OCR's lines, each with its quad in reading orientation (read-image pixels) and its text."""
        from rapidocr.main import RapidOCRError

        op_record: dict[str, Any] = {"preprocess": {"ratio_h": 1.0, "ratio_w": 1.0}}
        try:
            with self._lock:
                try:
                    crops, det = self._engine.detect_and_crop(bgr, op_record)
                except RapidOCRError:  # nothing that looks like text on the page
                    return []
                upside_down = self.options.use_direction and self._upside_down(crops)
                if upside_down:
                    crops = [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops]
                rec = self._engine.recognize_txt(crops)
        except Exception as exc:
            raise StageError(f"ppocr failed on this page: {_error_line(exc)}") from exc
        if det.boxes is None or rec.txts is None:
            return []
        top = float(op_record.get("padding_1", {}).get("top", 0))  # very wide pages are padded above and below
        infos = list(rec.word_results) if rec.word_results and len(rec.word_results) == len(rec.txts) else []
        lines = []
        for i, (box, text, score) in enumerate(zip(det.boxes, rec.txts, rec.scores)):
            if not str(text).strip():
                continue
            quad = np.asarray(box, np.float64).copy()
            quad[:, 1] -= top
            quad = np.roll(quad, -(int(_read_turned(quad)) + 2 * int(upside_down)), axis=0)
            positions, columns, confidences = _characters(str(text), infos[i] if infos else None)
            lines.append(LineRead(quad, str(text), float(score), positions, columns, confidences))
        return lines

    def _upside_down(self, crops: list[np.ndarray]) -> bool:
        """Whether the page is upside down: the direction classifier's confident votes, weighted by line length.

        One page is read one way up. The classifier alone turns a short
        handwritten word over now and then (``dog.`` read as ``bop``), so a
        line's vote counts for its length and the page turns only when the
        lines voting "upside down" are over half the text.
        """
        _, result = self._engine.cls_and_rotate(crops)
        threshold = float(self._engine.cfg.Cls.cls_thresh)
        widths = np.array([crop.shape[1] for crop in crops], np.float64)
        votes = np.array([("180" in str(label) and score > threshold) for label, score in result.cls_res], bool)
        return bool(widths[votes].sum() > 0.5 * widths.sum())


def _read_turned(quad: np.ndarray) -> bool:
    """RapidOCR turns a crop a quarter counter-clockwise when it is at least 1.5 times taller than wide."""
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    return width > 0 and height / width >= 1.5


def _characters(text: str, info: Any) -> tuple[np.ndarray | None, float, np.ndarray | None]:
    """The CTC column of each character of ``text`` (NaN for spaces), the columns across the line, confidences."""
    if info is None or not getattr(info, "word_cols", None):
        return None, 0.0, None
    columns = [c for cols in info.word_cols for c in cols]
    characters = [ch for word in info.words for ch in word]
    if characters != [ch for ch in text if not ch.isspace()]:
        return None, 0.0, None
    positions = np.full(len(text), np.nan)
    positions[[i for i, ch in enumerate(text) if not ch.isspace()]] = columns
    confidences = np.asarray(info.confs, np.float64) if len(info.confs) == len(text) else None
    return positions, float(info.line_txt_len), confidences
