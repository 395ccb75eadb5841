"""The embedded default: the ``layout`` detector and the ``skeleton`` derenderer.

Both run on the CPU with no weights and no services. The heavy lifting lives
in :mod:`inksight_sdk.vision` (ink extraction, page layout) and
:mod:`inksight_sdk.tracing` (skeleton to ordered strokes); this module adapts
them to the stage protocols and registers them like any other plugin.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from ..filters import label_any_order
from ..hookspecs import hookimpl
from ..registry import StageSpec
from ..stages import CropSpec, DerenderedStroke, DerenderedWord, Layout, Mode, WordCrop
from ..word_pool import WordPool, usable_cpus

log = logging.getLogger(__name__)


@attrs.frozen
class LayoutOptions:
    max_pixels: int = attrs.field(default=4_000_000, validator=attrs.validators.gt(10_000))


@attrs.frozen
class LayoutDetector:
    """Words, lines and blocks from connected components of the ink mask."""

    options: LayoutOptions

    def detect(self, image: np.ndarray) -> Layout:
        return self.detect_explained(image, explain=False)[0]

    def detect_explained(self, image: np.ndarray, explain: bool = True) -> tuple[Layout, Mapping[str, np.ndarray]]:
        """The layout, and the masks of the ink extraction behind it (``--debug-dir``)."""
        from ..vision import detect_layout, extract_ink

        ink = extract_ink(image, max_pixels=self.options.max_pixels, explain=explain)
        layout = detect_layout(image, ink=ink)
        if not layout.words:
            # say what was there instead; an empty page is rare, so explaining it costs one more pass at most
            layers = (
                ink.layers if explain else extract_ink(image, max_pixels=self.options.max_pixels, explain=True).layers
            )
            height, width = np.asarray(image).shape[:2]
            log.warning(
                "layout: no handwriting found in a %dx%d image (%s); the page has no words",
                width,
                height,
                _found(layers),
            )
        if not explain:
            return layout, ink.layers
        kinds = {"print": "printed", "stamps": "stamp"}
        return layout, {**ink.layers, **{name: _ink_of(ink.mask, ink.scale, layout, k) for name, k in kinds.items()}}


#: below this share of the image taken for the sheet, a page without words is said to have no sheet at all
_NO_SHEET = 0.05


def _found(layers: Mapping[str, np.ndarray]) -> str:
    """What a page without handwriting held, for its warning."""
    seen = []
    if layers.get("structure") is not None and layers["structure"].any():
        seen.append("printed lines were found and left out: ruling, a grid or form lines")
    if layers.get("objects") is not None and layers["objects"].any():
        seen.append("an object lying on the page was left out")
    sheet = layers.get("sheet")
    if sheet is not None and sheet.mean() < _NO_SHEET:
        seen.append("no sheet of paper or board was found: a solid colour, or a photo of something else")
    elif sheet is not None and not sheet.all():
        seen.append(f"{100 * float(sheet.mean()):.0f}% of the image was taken for the sheet")
    return "; ".join(seen) or "a blank page, a solid colour, or too small to hold a stroke"


def _ink_of(mask: np.ndarray, scale: float, layout: Layout, kind: str) -> np.ndarray:
    """The ink of the words of one kind (``printed``, ``stamp``), at the mask's (working) resolution."""
    import cv2

    area = np.zeros(mask.shape, np.uint8)
    for word in layout.words:
        if word.kind == kind:
            corners = (np.asarray(word.quad, np.float64) + 0.5) * scale - 0.5
            cv2.fillPoly(area, [np.round(corners).astype(np.int32)], 1)
    return mask & area.astype(bool)


def _workers(value: int | str) -> int | str:
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ValueError(f"workers must be 'auto' or a whole number >= 0, got {value!r}")


@attrs.frozen
class SkeletonOptions:
    #: ``auto``: the crop's script hint from the detector (``WordCrop.script``), else ``latin``
    script: str = attrs.field(default="auto", validator=attrs.validators.in_(("auto", "latin", "cjk")))
    margin: int = attrs.field(default=6, validator=attrs.validators.ge(0))
    max_pixels: int = attrs.field(default=4_000_000, validator=attrs.validators.gt(0))
    #: helper processes that trace words beside the calling thread; ``auto``: one per further usable CPU
    #: (affinity mask and container quota, :func:`~inksight_sdk.word_pool.usable_cpus`), at most 4;
    #: 0 traces every word on the calling thread
    workers: int | str = attrs.field(default="auto", converter=_workers)


#: below this many words a call stays on the calling thread: it takes about as long as a helper's start
_MIN_PARALLEL = 8


@attrs.frozen
class SkeletonDerenderer:
    """Classical derendering: ink mask -> skeleton graph -> strokes in writing order.

    It reads no text, so every :class:`Mode` gives the same strokes; the
    crop keeps the page resolution with a small margin of context, and ink
    outside the word's own quad is left to the neighbouring word. A call with
    many words spreads them over helper processes (:mod:`inksight_sdk.word_pool`);
    each word's strokes are the same wherever it was traced.
    """

    options: SkeletonOptions
    _pool: WordPool[tuple[WordCrop, SkeletonOptions], DerenderedWord] = attrs.field(init=False)

    @_pool.default
    def _make_pool(self) -> WordPool[tuple[WordCrop, SkeletonOptions], DerenderedWord]:
        workers = self.options.workers
        count = min(usable_cpus() - 1, 4) if workers == "auto" else int(workers)
        return WordPool("inksight_sdk.builtin.classical:derender_crop", count)

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec(size=None, scale=1.0, margin=self.options.margin)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        jobs = [(crop, self.options) for crop in crops]
        if len(jobs) < _MIN_PARALLEL:
            return [derender_crop(job) for job in jobs]
        return self._pool.map(jobs)

    def warm(self) -> None:
        """Start the word helpers now, so they are ready when the page's words come (see ``WordPool.warm``)."""
        self._pool.warm()

    def close(self) -> None:
        """Stop the word helpers (a later call starts them again)."""
        self._pool.close()


def derender_crop(job: tuple[WordCrop, SkeletonOptions]) -> DerenderedWord:
    """One word crop traced; a module-level function so that a helper process can import it."""
    from ..tracing import trace_mask
    from ..vision import extract_ink

    crop, options = job
    # the pen's footprint, not the blurred halo around it: the halo closes small loops and joins
    # letters that nearly touch, which the tracer would then follow as one stroke
    # (its layers, for the lines it takes for printed ones, when the page's ink can overrule it)
    ink = extract_ink(
        crop.image, max_pixels=options.max_pixels, whole_page=False, footprint=True, explain=crop.ink is not None
    )
    mask = ink.mask
    if crop.ink is not None:
        mask = _within_page_ink(mask, crop.ink, ink.stroke_width, ink.layers["structure"])
    mask = _within_content(mask, crop.content * ink.scale)
    script = options.script
    if script == "auto":
        script = crop.script if crop.script in ("latin", "cjk") else "latin"
    strokes = trace_mask(mask, script=script, stroke_width=ink.stroke_width or None)
    return DerenderedWord(
        strokes=[DerenderedStroke(points=s.points / ink.scale, width=s.width / ink.scale) for s in strokes]
    )


#: a crop keeping less than this share of the page's ink there misread it (on real pages and the rendered
#: conditions a crop keeps 0.43 of it or more)
_CROP_AGREES = 0.2
#: a piece the crop took for a printed line that strays this many pen widths from a straight line, with this
#: share of it on the page's ink, is the word's own (see _bent)
_BENT_PENS = 3.0
_BENT_ON_INK = 0.4


def _within_page_ink(
    mask: np.ndarray, page_ink: np.ndarray, stroke_width: float, structure: np.ndarray | None = None
) -> np.ndarray:
    """The crop's ink where the detector saw ink on the whole page (grown by half a pen width).

    A word crop cannot tell a grid line or a table border from an underline,
    nor the desk from the sheet; the page could. Pixels far from the page's
    ink are dropped, so a rule touching a letter is cut off it. Half a pen
    width covers the page mask's coarser pixels; a whole one kept a letter's
    width of the form line it stands on. When the crop keeps far less than
    the page saw, the lines it took for printed ones (``structure``, its own
    ``extract_ink`` layer) are the word's where the page saw ink: a string
    across a character's image lent the crop its colour, and the
    character's strokes, crossing the whole crop, passed for printed lines.
    Otherwise only the bent ones among those lines are the word's (:func:`_bent`).
    """
    import cv2

    hint = cv2.resize(page_ink.astype(np.uint8), (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_NEAREST)
    reach = 2 * max(1, int(round(stroke_width / 2))) + 1
    near = cv2.dilate(hint, np.ones((reach, reach), np.uint8)).astype(bool)
    kept = mask & near
    if structure is None:
        return kept
    if np.count_nonzero(kept) < _CROP_AGREES * np.count_nonzero(hint):
        return kept | (structure & near)
    return kept | (_bent(structure, near, stroke_width) & near)


def _bent(structure: np.ndarray, near: np.ndarray, stroke_width: float) -> np.ndarray:
    """The pieces of the crop's ``structure`` that no printed line is: bent, and partly on the page's ink.

    A string of another colour than a character's strokes can lend a small
    crop its colour: the strokes joined to the string then go out with it,
    as a "line" waving across the crop. A printed line (or a rule the page
    missed) keeps within a pen width or so of a straight line, and a table's
    corner runs along the crop's rows and columns.
    """
    import cv2

    from ..vision.objects import along_rows_or_columns

    count, labels, stats, _ = cv2.connectedComponentsWithStats(structure.astype(np.uint8), connectivity=8)
    on_ink = np.bincount(labels[near], minlength=count)
    pen = max(stroke_width, 1.0)
    bent = np.zeros(count, dtype=bool)
    partly = on_ink >= _BENT_ON_INK * stats[:, cv2.CC_STAT_AREA]
    partly[0] = False  # the paper
    for k in np.flatnonzero(partly):
        x, y, w, h = (int(v) for v in stats[k, :4])
        piece = labels[y : y + h, x : x + w] == k
        ys, xs = np.nonzero(piece)
        vx, vy, x0, y0 = cv2.fitLine(np.column_stack([xs, ys]).astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        straying = float(np.abs((xs - x0) * vy - (ys - y0) * vx).max())
        bent[k] = straying >= _BENT_PENS * pen and not along_rows_or_columns(piece, pen)
    return bent[labels]


def _within_content(mask: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the ink components that touch the word's quad; drop neighbours' ink in the margin."""
    from PIL import Image, ImageDraw

    if not mask.any():
        return mask
    region = Image.new("1", (mask.shape[1], mask.shape[0]), 0)
    ImageDraw.Draw(region).polygon([tuple(p) for p in np.asarray(content, float).tolist()], fill=1)
    inside = np.asarray(region, dtype=bool)
    labels, count = label_any_order(mask, connectivity=8)  # which pieces touch, in any numbering
    if count == 0:
        return mask
    touching = np.unique(labels[inside & mask])
    return np.isin(labels, touching[touching > 0])


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="layout",
            description="Builtin page layout: blocks, lines and words from the ink (CPU, no weights)",
            factory=LayoutDetector,
            options=LayoutOptions,
            priority=10,
        )
    )


@hookimpl
def register_derenderers(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="skeleton",
            description="Classical tracer: thinning, stroke graph, writing order (CPU, no weights)",
            factory=SkeletonDerenderer,
            options=SkeletonOptions,
            priority=10,
        )
    )
