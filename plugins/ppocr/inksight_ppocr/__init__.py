"""PP-OCR as a detector for inksight-sdk (registered through the ``inksight_sdk`` entry point).

The engine is RapidOCR 3.x on ONNX Runtime, whose wheel ships the PP-OCRv6
small detection and recognition models and the PP-OCR direction classifier,
so the detector runs offline on a CPU with no download. Registration is
cheap: rapidocr and onnxruntime are imported only when the detector is built.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import attrs

from inksight_sdk import StageSpec, hookimpl

__all__ = ["PPOCROptions", "is_available", "INSTALL_HINT", "SHIPPED_MODELS"]

INSTALL_HINT = "pip install inksight-ppocr, or pip install -e plugins/ppocr from a checkout (rapidocr, onnxruntime)"

#: the model files the rapidocr 3.10 wheel ships in ``rapidocr/models`` (detection, direction, recognition)
SHIPPED_MODELS = {
    "det": "PP-OCRv6_det_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
}


def wheel_models() -> Path | None:
    """``rapidocr/models`` of the installed wheel, found without importing rapidocr (None when not installed)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def is_available() -> bool:
    """rapidocr and onnxruntime installed and the wheel's models on disk (nothing is imported)."""
    models = wheel_models()
    return (
        models is not None
        and importlib.util.find_spec("onnxruntime") is not None
        and all((models / name).is_file() for name in SHIPPED_MODELS.values())
    )


def _flag(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _optional_path(value: Any) -> Path | None:
    return None if value in (None, "") else Path(value).expanduser()


@attrs.frozen
class PPOCROptions:
    """Options of the ``ppocr`` detector (``--detector-option KEY=VALUE``).

    ``lang``: the language to read. Chinese (``ch``), English (``en``),
    Japanese, traditional Chinese and the Latin-alphabet languages (``fr``,
    ``de``, ...) are all read by the one multilingual recognizer the wheel
    ships; other PP-OCRv5 languages (``korean``, ``cyrillic``, ``el``, ...)
    need their recognizer file in ``model_dir`` (never downloaded).
    ``model_dir``: a folder searched first for model files. ``use_direction``:
    classify the lines as upright or upside down; when those voting upside
    down are over half the text, the page is read turned (quads follow).
    ``min_confidence``: words the recognizer is less sure of (0-1)
    are dropped. ``max_side``: a page whose longer side is over this many
    pixels is read reduced to it (quads come back in the input's pixels).
    ``split``: ``words`` (lines cut into words at spaces and ink gaps, CJK
    into characters) or ``lines`` (one quad per detected line).
    """

    lang: str = attrs.field(default="en", converter=lambda v: str(v).strip().lower())
    model_dir: Path | None = attrs.field(default=None, converter=_optional_path)
    use_direction: bool = attrs.field(default=True, converter=_flag)
    min_confidence: float = attrs.field(default=0.5, converter=float, validator=[attrs.validators.ge(0.0)])
    max_side: int = attrs.field(default=2000, converter=int, validator=attrs.validators.ge(32))
    split: str = attrs.field(default="words", converter=str, validator=attrs.validators.in_(("words", "lines")))

    @min_confidence.validator
    def _at_most_one(self, attribute: attrs.Attribute, value: float) -> None:
        if value > 1.0:
            raise ValueError(f"min_confidence is a probability (0-1), got {value}")


def _factory(options: PPOCROptions):  # type: ignore[no-untyped-def]
    from .detector import PPOCRDetector

    return PPOCRDetector(options)


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="ppocr",
            description="PP-OCR (RapidOCR, offline CPU): word quads with text for Latin and Chinese print and "
            "handwriting; lines upside down read upright",
            factory=_factory,
            options=PPOCROptions,
            priority=2,  # never chosen by auto over the layout detector (10), which is made for handwriting ink
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )
