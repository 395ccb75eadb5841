"""docTR (python-doctr on PyTorch) as a detector for inksight-sdk (registered through the ``inksight_sdk`` entry point).

Registration is cheap: docTR and torch are imported only when the detector
is built. docTR downloads its weights on first use; this plugin never does:
it reads them from local files (options, a weights folder, or docTR's own
cache folder) and says which file is missing and where docTR publishes it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import attrs

from inksight_sdk import StageSpec, hookimpl

__all__ = ["DoctrOptions", "is_available", "INSTALL_HINT"]

INSTALL_HINT = (
    "pip install ./plugins/doctr (python-doctr, torch, torchvision), then "
    "pip uninstall -y opencv-python && pip install --force-reinstall --no-deps opencv-python-headless"
)

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def is_available() -> bool:
    """docTR and torch importable (nothing is imported; weights are checked when the detector is built)."""
    return importlib.util.find_spec("doctr") is not None and importlib.util.find_spec("torch") is not None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _optional_str(value: Any) -> str | None:
    return None if value is None or str(value) == "" else str(value)


def _optional_threshold(value: Any) -> float | None:
    if value is None or str(value) == "":
        return None
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a threshold is between 0 and 1, got {value}")
    return value


def _det_size(value: Any) -> int | None:
    if value is None or str(value) == "":
        return None
    value = int(value)
    if value < 64 or value % 32:
        raise ValueError(f"det_size must be a multiple of 32, at least 64, got {value}")
    return value


@attrs.frozen
class DoctrOptions:
    """Options of the ``doctr`` detector (``--detector-option KEY=VALUE``).

    ``det_arch``, ``reco_arch``: docTR's detection and recognition
    architectures (``fast_base``, ``db_resnet50``, ``db_mobilenet_v3_large``,
    ``linknet_resnet18`` ...; ``crnn_vgg16_bn``, ``crnn_mobilenet_v3_small``,
    ``parseq`` ...). Weights: ``det_weights`` / ``reco_weights`` are paths
    to state-dict files; without them docTR's own file name for the
    architecture (``fast_base-688a8b34.pt``) is looked up in
    ``weights_dir`` and then in docTR's cache (``$DOCTR_CACHE_DIR/models``,
    default ``~/.cache/doctr/models``). ``untrained``: build models whose
    weights are not found with random weights (wiring tests only: the words
    and text are garbage), drawn from ``seed`` so that such runs repeat.
    ``assume_straight_pages``: false finds rotated
    words as rotated quads. ``det_size``: side of the square the page is
    scaled into for detection (default: the architecture's, 1024).
    ``batch_size``: pages per detection batch; ``reco_batch_size``: word
    crops per recognition batch. ``min_confidence``: words whose text
    confidence (0-1) is lower are dropped. ``bin_thresh``, ``box_thresh``:
    docTR's detection thresholds (default: the architecture's).
    ``resolve_blocks``: group lines into blocks (docTR's default: one block).
    ``crop_orientation``: turn each word crop upright with docTR's crop
    orientation classifier (weights ``crop_orientation_weights`` or
    ``mobilenet_v3_small_crop_orientation-*.pt``). ``straighten_pages``:
    turn the page upright before reading it, with docTR's page orientation
    classifier (``page_orientation_weights``); quads come back in the
    input's pixels either way.
    """

    det_arch: str = attrs.field(default="fast_base", converter=str)
    reco_arch: str = attrs.field(default="crnn_vgg16_bn", converter=str)
    det_weights: str | None = attrs.field(default=None, converter=_optional_str)
    reco_weights: str | None = attrs.field(default=None, converter=_optional_str)
    weights_dir: str | None = attrs.field(default=None, converter=_optional_str)
    untrained: bool = attrs.field(default=False, converter=_flag)
    seed: int = attrs.field(default=0, converter=int)
    assume_straight_pages: bool = attrs.field(default=False, converter=_flag)
    det_size: int | None = attrs.field(default=None, converter=_det_size)
    batch_size: int = attrs.field(default=2, converter=int, validator=attrs.validators.gt(0))
    reco_batch_size: int = attrs.field(default=128, converter=int, validator=attrs.validators.gt(0))
    min_confidence: float = attrs.field(
        default=0.0, converter=float, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    bin_thresh: float | None = attrs.field(default=None, converter=_optional_threshold)
    box_thresh: float | None = attrs.field(default=None, converter=_optional_threshold)
    resolve_blocks: bool = attrs.field(default=False, converter=_flag)
    crop_orientation: bool = attrs.field(default=False, converter=_flag)
    crop_orientation_weights: str | None = attrs.field(default=None, converter=_optional_str)
    straighten_pages: bool = attrs.field(default=False, converter=_flag)
    page_orientation_weights: str | None = attrs.field(default=None, converter=_optional_str)

    def __attrs_post_init__(self) -> None:
        if self.crop_orientation and self.assume_straight_pages:
            raise ValueError("crop_orientation needs assume_straight_pages=false (docTR turns rotated crops only)")


def _factory(options: DoctrOptions):  # type: ignore[no-untyped-def]
    from .detector import DoctrDetector

    return DoctrDetector(options)


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="doctr",
            description="docTR (PyTorch): rotated word quads with text, lines and blocks; needs docTR's weight files",
            factory=_factory,
            options=DoctrOptions,
            priority=1,  # never chosen by auto over the layout detector, which is made for handwriting
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )
