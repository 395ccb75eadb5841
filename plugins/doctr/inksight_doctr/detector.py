"""The ``doctr`` detector: docTR's OCR predictor, built from local weights, as word quads with text.

1. **Models**: the detection and recognition models are built by docTR's
   own architecture functions with ``pretrained=False`` and
   ``pretrained_backbone=False`` (either would download), then given the
   weights found by :mod:`.weights` (or left random with ``untrained``).
   FAST models are loaded first and reparameterized after, as docTR does.
2. **Orientation classifiers**: with ``assume_straight_pages=False`` docTR
   builds its crop and page orientation classifiers with pretrained
   weights, which downloads them. They are built disabled and, when the
   ``crop_orientation`` / ``straighten_pages`` options ask for them, put in
   place from local weights the same way.
3. **Reading**: the pages go to docTR as they are; its detector scales each
   into a ``det_size`` square keeping the aspect ratio (padding the rest)
   and removes that padding from its boxes, and its recognizer reads crops
   cut from the full-resolution page. docTR's relative coordinates are
   mapped to the input's pixel centres by :mod:`.convert`; a straightened
   page is mapped back to the input page by docTR
   (``preserve_original_coords``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from doctr.models import classification, detection, recognition
from doctr.models.classification.zoo import crop_orientation_predictor, page_orientation_predictor
from doctr.models.detection.fast import reparameterize
from doctr.models.detection.predictor import DetectionPredictor
from doctr.models.detection.zoo import ARCHS as DET_ARCHS
from doctr.models.predictor import OCRPredictor
from doctr.models.preprocessor import PreProcessor
from doctr.models.recognition.zoo import ARCHS as RECO_ARCHS
from doctr.models.recognition.zoo import recognition_predictor

from inksight_sdk.errors import BadArgumentsError, StageError
from inksight_sdk.stages import Layout

from . import DoctrOptions
from .convert import document_to_layouts
from .weights import WeightsSource, find_weights

__all__ = ["DoctrDetector"]

log = logging.getLogger("inksight_sdk.doctr")

_CROP_ORIENTATION = "mobilenet_v3_small_crop_orientation"
_PAGE_ORIENTATION = "mobilenet_v3_small_page_orientation"


def _load(model: torch.nn.Module, source: WeightsSource, option: str, arch: str) -> None:
    """Put the state dict of ``source`` into ``model`` (random weights stay when there is no file)."""
    if source.path is None:
        log.warning(
            "docTR %s runs with untrained (random) weights: its words and text are garbage (untrained=true is for "
            "tests; get %s from %s)",
            arch,
            source.file_name,
            source.url,
        )
        return
    try:
        state = torch.load(source.path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # not a state dict, or one of another architecture
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadArgumentsError(f"{option} {source.path} does not load into docTR's {arch}: {first}") from exc


def _builder(family: Any, archs: Sequence[str], arch: str, option: str) -> Callable[..., torch.nn.Module]:
    if arch not in archs:
        raise BadArgumentsError(f"unknown docTR {option} {arch!r}; docTR offers: {', '.join(archs)}")
    return family.__dict__[arch]


def _built(
    builder: Callable[..., torch.nn.Module], source: WeightsSource, option: str, arch: str, **kwargs: Any
) -> torch.nn.Module:
    model = builder(pretrained=False, **kwargs)
    _load(model, source, option, arch)
    return model


def _predictor(options: DoctrOptions) -> OCRPredictor:
    straight = options.assume_straight_pages
    det_builder = _builder(detection, DET_ARCHS, options.det_arch, "det_arch")
    reco_builder = _builder(recognition, RECO_ARCHS, options.reco_arch, "reco_arch")
    crop_builder = classification.__dict__[_CROP_ORIENTATION]
    page_builder = classification.__dict__[_PAGE_ORIENTATION]

    def find(kind: str, option: str, builder: Any, arch: str, explicit: str | None) -> WeightsSource:
        return find_weights(kind, option, builder, arch, explicit, options.weights_dir, options.untrained)

    # every file is looked up before any model is built, so a missing one is named at once
    det_source = find("detection", "det_weights", det_builder, options.det_arch, options.det_weights)
    reco_source = find("recognition", "reco_weights", reco_builder, options.reco_arch, options.reco_weights)
    crop_source, page_source = None, None
    if options.crop_orientation:
        crop_source = find(
            "crop orientation",
            "crop_orientation_weights",
            crop_builder,
            _CROP_ORIENTATION,
            options.crop_orientation_weights,
        )
    if options.straighten_pages:
        page_source = find(
            "page orientation",
            "page_orientation_weights",
            page_builder,
            _PAGE_ORIENTATION,
            options.page_orientation_weights,
        )

    thresholds = {
        k: v for k, v in (("bin_thresh", options.bin_thresh), ("box_thresh", options.box_thresh)) if v is not None
    }
    det_model = _built(
        det_builder,
        det_source,
        "det_weights",
        options.det_arch,
        pretrained_backbone=False,
        assume_straight_pages=straight,
        **thresholds,
    )
    if isinstance(det_model, detection.FAST):
        det_model = reparameterize(det_model)  # after loading: docTR's files hold the trained, unfused layers
    reco_model = _built(reco_builder, reco_source, "reco_weights", options.reco_arch, pretrained_backbone=False)
    size = options.det_size or int(det_model.cfg["input_shape"][1])
    det_predictor = DetectionPredictor(
        PreProcessor(
            (size, size),
            batch_size=options.batch_size,
            mean=det_model.cfg["mean"],
            std=det_model.cfg["std"],
            preserve_aspect_ratio=True,
            symmetric_pad=True,
        ),
        det_model,
    )
    predictor = OCRPredictor(
        det_predictor,
        recognition_predictor(reco_model, batch_size=options.reco_batch_size),
        assume_straight_pages=straight,
        straighten_pages=options.straighten_pages,
        preserve_aspect_ratio=True,
        symmetric_pad=True,
        preserve_original_coords=True,
        # built disabled: enabled, docTR would download their pretrained weights here
        disable_crop_orientation=True,
        disable_page_orientation=True,
        resolve_blocks=options.resolve_blocks,
    )
    if crop_source is not None:
        predictor.crop_orientation_predictor = crop_orientation_predictor(
            _built(crop_builder, crop_source, "crop_orientation_weights", _CROP_ORIENTATION)
        )
    if page_source is not None:
        predictor.page_orientation_predictor = page_orientation_predictor(
            _built(page_builder, page_source, "page_orientation_weights", _PAGE_ORIENTATION)
        )
    # Disabling the page classifier also makes docTR cut word crops as if every word were horizontal
    # (extract_rcrops(assume_horizontal=True)), which fails on a degenerate box (IndexError); its default,
    # with the classifier on, cuts each crop along the word's own corners. The classifier itself only runs
    # for straighten_pages, so the default cut comes back without it.
    predictor._page_orientation_disabled = False
    return predictor


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image, dtype=np.uint8)


class DoctrDetector:
    """Word quads, lines, blocks and text from docTR's detection and recognition models."""

    def __init__(self, options: DoctrOptions | None = None) -> None:
        self.options = options or DoctrOptions()
        # random weights (untrained models) from the options' seed, without touching the caller's generator
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.options.seed)
            self.predictor = _predictor(self.options)

    @property
    def batch_pages(self) -> int:
        """Pages the pipeline hands :meth:`detect_batch` at once: one detection batch (``batch_size``)."""
        return self.options.batch_size

    def detect(self, image: np.ndarray) -> Layout:
        return self.detect_batch([image])[0]

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Layout]:
        """Several pages in one docTR call (detection in batches of ``batch_size`` pages); one Layout per page."""
        pages = [_rgb(image) for image in images]
        if not pages:
            return []
        try:
            document = self.predictor(pages)
        except Exception as exc:  # a page docTR cannot read must not stop the others
            where = "this page" if len(pages) == 1 else f"a batch of {len(pages)} pages"
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise StageError(f"docTR failed on {where}: {type(exc).__name__}: {message}") from exc
        return document_to_layouts(document, [page.shape for page in pages], self.options.min_confidence)
