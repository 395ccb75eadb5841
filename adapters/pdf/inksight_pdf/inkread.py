"""Reading the ink a PDF already holds: ``/Ink`` annotations as strokes in page pixels.

Acrobat, Xodo, tablet note apps and our own exporter store pen strokes as
``/Ink`` annotations: ``/InkList`` is one array of user-space points per
stroke. Mapped back through the page's crop box and ``/Rotate`` at the render
DPI (:mod:`~inksight_pdf.frame`), they are the page's ink, with no detector
or derenderer involved. Each annotation becomes one word (its ``/Contents``
as text); annotations our exporter wrote carry the word's block and line in
``/NM`` and come back in their order, others are put in reading order.

Everything is checked before a stroke is made: the number of points per page
(``max_ink_points``), that every coordinate is a finite number, and that no
point lies far outside the page; a PDF that fails is refused with one line.
"""

from __future__ import annotations

import math
import re
from typing import Any

import attrs
import numpy as np
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from inksight_sdk.errors import InputFileError, InputLimitError
from inksight_sdk.ink import Page, Stroke, WordInk
from inksight_sdk.layout import assign_time, reading_order

from . import PDF_INK
from .frame import PageFrame, apply
from .pdfpage import frame_of

__all__ = ["read_ink_page"]

_OURS = re.compile(r"^inksight-(ltr|rtl|ttb)-b(\d+)-l(\d+)-w\d+$")
#: the border width of an ink annotation that states none (PDF 32000-1, 12.5.4)
DEFAULT_BORDER = 1.0
#: annotations one page may hold before the PDF is refused
MAX_ANNOTATIONS = 100_000


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _border_width(annotation: DictionaryObject) -> float:
    """``/BS /W``, else the third number of ``/Border``, else 1 point."""
    style = _resolved(annotation.get("/BS"))
    if isinstance(style, DictionaryObject) and "/W" in style:
        width = _number(style["/W"])
    else:
        border = _resolved(annotation.get("/Border"))
        width = _number(border[2]) if isinstance(border, ArrayObject) and len(border) >= 3 else DEFAULT_BORDER
    return width if width is not None and 0 <= width < 1e4 else DEFAULT_BORDER


def _number(value: Any) -> float | None:
    try:
        number = float(_resolved(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _ink_annotations(page: DictionaryObject, where: str) -> list[DictionaryObject]:
    annots = _resolved(page.get("/Annots"))
    if not isinstance(annots, ArrayObject):
        return []
    if len(annots) > MAX_ANNOTATIONS:
        raise InputLimitError(
            f"{where} has {len(annots):,} annotations, over the limit of {MAX_ANNOTATIONS:,}; "
            "the PDF is hostile or damaged (or convert the rendered page: --input-option ink_annotations=ignore)"
        )
    out = []
    for item in annots:
        annotation = _resolved(item)
        if isinstance(annotation, DictionaryObject) and annotation.get("/Subtype") == "/Ink":
            out.append(annotation)
    return out


@attrs.frozen
class _Reading:
    """What is being read, for limits and messages."""

    where: str
    frame: PageFrame
    size: tuple[int, int]
    max_points: int


def _strokes(annotation: DictionaryObject, number: int, reading: _Reading, budget: int) -> list[np.ndarray]:
    """The annotation's strokes in page pixels; refuses malformed, absurd or too many points."""
    where = f"{reading.where}, ink annotation {number}"
    ink_list = _resolved(annotation.get("/InkList"))
    if not isinstance(ink_list, ArrayObject):
        raise InputFileError(
            f"{where} has no /InkList array; the PDF is damaged (or use --input-option ink_annotations=ignore)"
        )
    arrays = [_resolved(a) for a in ink_list]
    count = sum(len(a) // 2 for a in arrays if isinstance(a, ArrayObject))
    if count > budget:
        raise InputLimitError(
            f"{reading.where} has over {reading.max_points:,} points in its ink annotations, over the limit; "
            "raise it (--input-option max_ink_points=N) or convert the rendered page "
            "(--input-option ink_annotations=ignore)"
        )
    to_pixels = reading.frame.to_pixels()
    width, height = reading.size
    reach = float(max(width, height))
    out = []
    for array in arrays:
        values = [_number(v) for v in array] if isinstance(array, ArrayObject) else None
        if values is None or len(values) % 2 or any(v is None for v in values):
            raise InputFileError(
                f"{where}: a stroke is not an even list of numbers; the PDF is damaged "
                "(or use --input-option ink_annotations=ignore)"
            )
        if not values:
            continue
        user = np.asarray(values, np.float64).reshape(-1, 2)
        if np.abs(user).max() > 1e7:
            raise InputLimitError(f"{where}: a coordinate of {np.abs(user).max():.3g} pt is absurd; {_HINT}")
        pixels = apply(to_pixels, user)
        outside = (pixels < -reach) | (pixels > np.array([width - 1 + reach, height - 1 + reach]))
        if outside.any():
            x, y = pixels[int(np.argmax(outside.any(axis=1)))]
            raise InputLimitError(f"{where}: point ({x:.4g}, {y:.4g}) far outside the {width}x{height} page; {_HINT}")
        out.append(pixels)
    return out


_HINT = "the annotation is damaged or hostile (use --input-option ink_annotations=ignore to convert the rendered page)"


def _word(annotation: DictionaryObject, strokes: list[np.ndarray], width_px: float) -> WordInk:
    points = np.concatenate(strokes)
    pad = width_px / 2.0
    (x0, y0), (x1, y1) = points.min(axis=0) - pad, points.max(axis=0) + pad
    contents = _resolved(annotation.get("/Contents"))
    text = str(contents).strip() if contents is not None else ""
    return WordInk(
        quad=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        strokes=[Stroke(points=s, width=np.full(len(s), width_px)) for s in strokes],
        text=text or None,
        detector=PDF_INK,
        derenderer=PDF_INK,
    )


def read_ink_page(pdf_page: DictionaryObject, index: int, dpi: float, path: str, max_points: int) -> Page | None:
    """Page ``index`` (0-based) as an ink :class:`Page` from its ``/Ink`` annotations; ``None`` when it has none."""
    where = f"{path} page {index + 1}"
    annotations = _ink_annotations(pdf_page, where)
    if not annotations:
        return None
    frame = frame_of(pdf_page, dpi)
    reading = _Reading(where=where, frame=frame, size=frame.size_pixels, max_points=max_points)
    words: list[WordInk] = []
    layout: list[tuple[str, int, int] | None] = []
    budget = max_points
    for number, annotation in enumerate(annotations, start=1):
        strokes = _strokes(annotation, number, reading, budget)
        budget -= sum(len(s) for s in strokes)
        if not strokes:
            continue
        width_px = _border_width(annotation) / frame.points_per_pixel
        words.append(_word(annotation, strokes, width_px))
        match = _OURS.match(str(_resolved(annotation.get("/NM")) or ""))
        layout.append((match.group(1), int(match.group(2)), int(match.group(3))) if match else None)
    if not words:
        return None
    direction = "ltr"
    if all(item is not None for item in layout):
        # written by our exporter: already in reading order, with the detector's blocks and lines
        direction = layout[0][0]  # type: ignore[index]
        ordered = [attrs.evolve(w, block=b, line=ln) for w, (_, b, ln) in zip(words, layout)]  # type: ignore[misc]
    else:
        ordered = reading_order(words, direction)
    width, height = frame.size_pixels
    return Page(
        width=width,
        height=height,
        index=index,
        words=tuple(assign_time(ordered)),
        image=path,
        dpi=dpi,
        direction=direction,
    )
