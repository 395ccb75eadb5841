"""inksight-sdk: photos, scans and PDFs of handwriting to digital ink.

>>> import inksight_sdk
>>> doc = inksight_sdk.convert("notes.jpg")        # doctest: +SKIP
>>> doc.save("notes.inkml")                         # doctest: +SKIP

Importing this package is cheap: it never imports jax, torch, onnxruntime,
doctr or google.cloud; plugins load those only when their stage is built.
"""

from ._version import __version__
from .api import convert, exporter_for, load, save_document, write_document
from .errors import ExitCode, InkSightError
from .hookspecs import hookimpl
from .ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from .limits import Limits
from .pipeline import Pipeline
from .registry import PluginRegistry, StageSpec
from .stages import (
    CropSpec,
    DerenderedStroke,
    DerenderedWord,
    DetectedWord,
    Layout,
    Mode,
    RasterPage,
    WordCrop,
)

__all__ = [
    "__version__",
    "convert",
    "load",
    "save_document",
    "write_document",
    "exporter_for",
    "Pipeline",
    "Limits",
    "PluginRegistry",
    "StageSpec",
    "hookimpl",
    "ExitCode",
    "InkSightError",
    "Stroke",
    "WordInk",
    "Page",
    "InkDocument",
    "DocumentMetadata",
    "CropSpec",
    "DetectedWord",
    "Layout",
    "Mode",
    "RasterPage",
    "WordCrop",
    "DerenderedStroke",
    "DerenderedWord",
]
