"""Tesseract OCR as a detector for inksight-sdk (registered through the ``inksight_sdk`` entry point).

Registration is cheap: pytesseract is imported, and the ``tesseract``
binary run, only when the detector is built. The engine comes from Debian's
``tesseract-ocr`` (language packs ``tesseract-ocr-<lang>``, orientation
detection ``tesseract-ocr-osd``).
"""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import attrs

from inksight_sdk import StageSpec, hookimpl

__all__ = ["TesseractOptions", "is_available", "INSTALL_HINT"]

INSTALL_HINT = "pip install ./plugins/tesseract (pytesseract) and the engine: apt-get install tesseract-ocr"


def is_available() -> bool:
    """pytesseract importable and the ``tesseract`` binary on PATH (nothing is imported or run)."""
    return importlib.util.find_spec("pytesseract") is not None and shutil.which("tesseract") is not None


def _psm(value: Any) -> int:
    value = int(value)
    if not 0 <= value <= 13 or value == 2:  # 2: orientation only, no words
        raise ValueError(f"psm must be a Tesseract page segmentation mode that finds words (0-13 but 2), got {value}")
    return value


@attrs.frozen
class TesseractOptions:
    """Options of the ``tesseract`` detector (``--detector-option KEY=VALUE``).

    ``lang``: Tesseract languages, ``+``-joined (``eng``, ``fra+eng``; each
    needs Debian's ``tesseract-ocr-<lang>``). ``psm``, ``oem``: Tesseract's
    page segmentation and engine modes. ``min_confidence``: words below this
    confidence (0-100) are dropped. ``osd``: detect the page's orientation
    (0/90/180/270) first and read it upright; below ``osd_min_confidence``
    the page is read as it is. ``max_pixels``: larger pages are read reduced
    to this many pixels (quads come back in the input's pixels either way).
    """

    lang: str = attrs.field(default="eng", converter=str)
    psm: int = attrs.field(default=3, converter=_psm)
    oem: int = attrs.field(default=3, converter=int, validator=attrs.validators.in_((0, 1, 2, 3)))
    min_confidence: float = attrs.field(default=30.0, converter=float)
    osd: bool = attrs.field(default=True, converter=lambda v: str(v).lower() not in ("false", "0", "no", "off"))
    osd_min_confidence: float = attrs.field(default=1.5, converter=float)
    max_pixels: int = attrs.field(default=12_000_000, converter=int, validator=attrs.validators.gt(0))


def _factory(options: TesseractOptions):  # type: ignore[no-untyped-def]
    from .detector import TesseractDetector

    return TesseractDetector(options)


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="tesseract",
            description="Tesseract OCR: word quads with text, lines and blocks; page orientation (reads print well, "
            "handwriting poorly)",
            factory=_factory,
            options=TesseractOptions,
            priority=1,  # never chosen by auto over the layout detector, which is made for handwriting
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )
