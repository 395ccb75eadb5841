"""What each pipeline stage receives and returns.

Stages never see each other: a detector gets an image and returns a
:class:`Layout`; a derenderer gets :class:`WordCrop` batches and returns one
:class:`DerenderedWord` per crop, in the crop's own pixel frame; an exporter
gets an :class:`~inksight_sdk.ink.InkDocument`. The orchestrator does the
cropping, the inverse mapping and the layout merging in between.

Plugin authors implement the protocols below (duck typing is enough) and
register a factory for them with a :class:`~inksight_sdk.registry.StageSpec`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Protocol, runtime_checkable

import attrs
import numpy as np

from .ink import WORD_KINDS, InkDocument, Page, _quad

__all__ = [
    "Mode",
    "DetectedWord",
    "Layout",
    "CropSpec",
    "WordCrop",
    "DerenderedStroke",
    "DerenderedWord",
    "RasterPage",
    "Detector",
    "Derenderer",
    "Exporter",
    "PageSource",
    "REPORTED",
]

#: ``extra=`` for a log record whose news also reaches the document's problems (a skipped word, a
#: :attr:`DerenderedWord.warning`): the CLI prints each problem once from the document and leaves
#: these records out, while an embedding application's own logging still sees them
REPORTED = {"inksight_reported": True}


class Mode(enum.StrEnum):
    """Inference modes of the InkSight paper.

    ``vanilla`` derenders the image alone ("Derender the ink."), ``text``
    derenders with the detector's transcription as a hint ("Derender the ink:
    <text>"), ``recognize`` asks the derenderer to read and derender
    ("Recognize and derender."). A derenderer that cannot use a mode ignores it.
    """

    VANILLA = "vanilla"
    TEXT = "text"
    RECOGNIZE = "recognize"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _detected_tuple(value: Iterable[DetectedWord]) -> tuple[DetectedWord, ...]:
    return tuple(value)


def _derendered_tuple(value: Iterable[DerenderedStroke]) -> tuple[DerenderedStroke, ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class DetectedWord:
    """A word found on a page: its quad, and what the detector knows about it.

    ``block`` and ``line`` group words the way the detector saw them; leave
    them ``None`` and the layout merger groups words into lines itself.
    """

    quad: np.ndarray = attrs.field(converter=_quad)
    text: str | None = None
    confidence: float | None = None
    block: int | None = attrs.field(default=None, converter=_optional_int)
    line: int | None = attrs.field(default=None, converter=_optional_int)
    script: str | None = None
    """A hint for derenderers: ``latin`` or ``cjk`` when the detector can tell; ``None`` when not."""
    polarity: str = attrs.field(default="dark", validator=attrs.validators.in_(("dark", "light")))
    """``light`` when the word is lighter than its ground (chalk on a board, white ink on dark paper): the
    pipeline then hands the derenderer the crop turned over (``255 - image``), dark on light like any other."""
    kind: str = attrs.field(default="handwritten", validator=attrs.validators.in_(WORD_KINDS))
    """``printed`` (a form label, a heading, typewriting) or ``stamp`` when the detector can tell: the pipeline
    keeps such a word, with its text, but traces it only when asked to (``trace_printed``)."""


@attrs.frozen
class Layout:
    """A detector's result for one page.

    ``direction`` is the reading direction: ``ltr`` (default), ``rtl``
    (Arabic, Hebrew) or ``ttb`` (vertical CJK: columns right to left).
    ``ink`` (optional) is a boolean mask of the whole page, at any resolution,
    of the pixels the detector took for handwriting, with the sheet's
    surroundings, printed lines, objects, stamps and printed words left out
    (a handwritten word's box may reach over a label): the pipeline cuts it
    with each word (:attr:`WordCrop.ink`), so a derenderer can leave out what
    the detector saw on the whole page and a word crop cannot show.
    """

    words: tuple[DetectedWord, ...] = attrs.field(default=(), converter=_detected_tuple)
    direction: str = attrs.field(default="ltr", validator=attrs.validators.in_(("ltr", "rtl", "ttb")))
    ink: np.ndarray | None = attrs.field(default=None, eq=False)


@attrs.frozen
class CropSpec:
    """How a derenderer wants its word crops.

    ``size`` set: the crop is scaled to fit a ``size`` x ``size`` canvas
    keeping its aspect ratio and centre-padded with ``fill`` (InkSight's 224
    canvas). ``size`` None: the crop keeps the page's resolution (scaled by
    ``scale``) and gets ``margin`` pixels of context on each side, which a
    classical tracer prefers.
    """

    size: int | None = 224
    scale: float = 1.0
    margin: int = 0
    fill: tuple[int, int, int] = (255, 255, 255)
    max_side: int = 4096


@attrs.frozen(eq=False)
class WordCrop:
    """One word image handed to a derenderer.

    ``image`` is ``(h, w, 3) uint8``. ``content`` is the quad of the word
    inside the crop (crop pixels), useful to tell padding and context from the
    word itself. ``text`` is the detector's transcription when known.
    """

    image: np.ndarray
    content: np.ndarray
    text: str | None = None
    script: str | None = None
    """The detector's script hint (``latin`` / ``cjk``), passed on unchanged; ``None`` when unknown."""
    ink: np.ndarray | None = None
    """The detector's page ink (:attr:`Layout.ink`) cut like ``image``: ``(h, w) bool``; ``None`` when the
    detector gave none. A hint: the crop's own pixels still decide the strokes' shape."""


@attrs.frozen(eq=False)
class DerenderedStroke:
    """A stroke in the crop's pixel frame (x right, y down)."""

    points: np.ndarray
    t: np.ndarray | None = None
    width: np.ndarray | None = None
    pressure: np.ndarray | None = None


@attrs.frozen(eq=False)
class DerenderedWord:
    """A derenderer's answer for one crop: strokes in writing order, maybe text.

    ``warning`` says the answer is usable but not whole (a learned model cut
    off by its maximum length or repetition guard): the pipeline keeps the
    strokes and lists the warning in the document's problems, so the user
    learns which word to check and the run reports itself as incomplete.
    """

    strokes: tuple[DerenderedStroke, ...] = attrs.field(default=(), converter=_derendered_tuple)
    text: str | None = None
    warning: str | None = None


@attrs.frozen(eq=False)
class RasterPage:
    """A page image produced by a page source: ``(h, w, 3) uint8`` RGB."""

    image: np.ndarray
    index: int = 0
    dpi: float | None = None
    source: str | None = None


@runtime_checkable
class Detector(Protocol):
    """A page image to word quads.

    A detector that does better on several pages at once (a remote service
    taking many images per request, a model batching pages) may also define
    ``detect_batch(images) -> list[Layout | Exception]`` (one result per page,
    in order; an exception there costs that page alone) and ``batch_pages``
    (how many pages to hand it at once). The pipeline then collects that many
    consecutive pages of an input, unless ``limits.page_timeout`` is set (a
    page's time must be its own). A ``refine_words = True`` attribute asks for
    the refine step (:mod:`inksight_sdk.vision.refine`). A detector that can
    show why it decided what it did may define ``detect_explained(image) ->
    (Layout, {name: bool mask})``: the pipeline calls it instead of ``detect``
    when asked for a debug folder and writes each mask there
    (:mod:`inksight_sdk.debug_masks`; the masks may have any resolution).
    """

    def detect(self, image: np.ndarray) -> Layout:
        """Find the words on an ``(h, w, 3) uint8`` RGB page image."""
        ...


@runtime_checkable
class Derenderer(Protocol):
    """Crops of words to strokes.

    A stage that holds processes or other resources may also define
    ``close()``; :meth:`Pipeline.close <inksight_sdk.Pipeline.close>` calls it
    (on detectors too) and builds the stage again if the pipeline is used after.
    A derenderer with helper processes may define ``warm()``: the pipeline
    calls it before each page's detection, so the helpers start while the
    page is read (it must not block).
    """

    crop_spec: CropSpec

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> Sequence[DerenderedWord]:
        """Derender a batch of crops; return exactly one result per crop, in order."""
        ...


@runtime_checkable
class Exporter(Protocol):
    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        """Serialize ``document`` to a binary stream."""
        ...


@runtime_checkable
class PageSource(Protocol):
    """A file to pages.

    A source that can read part of a file (a PDF's pages) may also define
    ``parts(path) -> list[dict]``: the options (of its own options class) that
    read each part, in order, planned cheaply (no rendering). A batch engine
    then converts the parts of one file on different workers (``--engine ray``).
    """

    def pages(self, path: str) -> Iterator[RasterPage | Page]:
        """Yield the pages of a file: images to convert, or pages that already hold ink."""
        ...
