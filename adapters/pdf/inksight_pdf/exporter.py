"""The PDF exporter: ink as ``/Ink`` annotations (or page content), text as an invisible layer.

When the document was converted from a PDF (``metadata.source`` is a PDF and
every page came from it), the output is that PDF with an *incremental
update* appended: the original bytes are the output's first bytes, unchanged,
and the update adds each page's annotations, text layer and font. Forms,
outlines, metadata, existing annotations, and the bytes a signature covers,
stay as they were. Otherwise (images, ink files) a new PDF gets one
page per ink page, with the input image under the ink when the document was
converted from that image.

Ink is mapped from page pixels to user space through the page's crop box and
``/Rotate`` at the page's DPI (:mod:`~inksight_pdf.frame`). Each word becomes
one annotation: ``/InkList`` (one array per stroke), ``/BS`` width from the
stroke width, ``/C`` colour, ``/Contents`` the word's text, ``/NM`` the word's
place in the layout (so our reader restores blocks and lines), and an ``/AP``
appearance stream for viewers that do not draw ``/InkList`` themselves.
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Sequence
from typing import IO

import attrs
import numpy as np
from pypdf import PdfReader, PdfWriter
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from inksight_sdk.errors import BadArgumentsError, InputFileError, InputLimitError
from inksight_sdk.imaging import open_image_frames
from inksight_sdk.ink import InkDocument, Page, WordInk

from . import PDF_INK, PdfExportOptions, is_pdf
from .frame import PageFrame, apply, as_poppler_reads, pixels_for
from .glyphless import ADVANCE, DESCENT, CodeMap, add_font
from .pdfpage import add_annotations, add_resource, add_stream, append_content, frame_of, numbers
from .update import write_update

__all__ = ["PdfExporter", "DEFAULT_DPI", "annotation_name"]

log = logging.getLogger(__name__)

#: the resolution of a page that records none (an image without DPI, an ink file): CSS pixels
DEFAULT_DPI = 96.0
#: the pen width (pixels) of strokes that record none, as the SVG exporter draws them
DEFAULT_WIDTH = 2.0
#: the thinnest pen drawn (pixels), as in the SVG exporter
MIN_WIDTH = 0.5
#: decimals of user-space coordinates written: 1e-4 pt is 0.0004 px at 300 dpi
DECIMALS = 4


def annotation_name(page: Page, word: WordInk, index: int) -> str:
    """``/NM`` of a word's annotation: unique on the page, and the word's layout for our reader."""
    return f"inksight-{page.direction}-b{word.block}-l{word.line}-w{index}"


def _colour(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def _path_ops(points: np.ndarray) -> str:
    """``x y m x y l ... S`` for one stroke in user space (a single point is a dot: round caps)."""
    pts = points if len(points) > 1 else np.vstack([points, points])
    coords = numbers(pts, DECIMALS).split(" ")
    ops = [f"{coords[0]} {coords[1]} m"] + [f"{coords[i]} {coords[i + 1]} l" for i in range(2, len(coords), 2)]
    return "\n".join(ops) + "\nS\n"


def _word_width(word: WordInk, override: float | None) -> float:
    """The word's pen width in pixels: the option, else the median of its strokes' widths, else 2."""
    if override is not None:
        return max(override, MIN_WIDTH)
    widths = [s.width for s in word.strokes if s.width is not None and len(s.width)]
    return max(float(np.median(np.concatenate(widths))) if widths else DEFAULT_WIDTH, MIN_WIDTH)


def _ink_ops(strokes: Sequence[np.ndarray], colour: tuple[float, float, float], width_pt: float) -> str:
    head = f"q {numbers(np.asarray(colour), 4)} RG {numbers(np.asarray([width_pt]), DECIMALS)} w 1 J 1 j\n"
    return head + "".join(_path_ops(s) for s in strokes) + "Q\n"


@attrs.frozen
class _Target:
    """One ink page and the PDF page it goes on; ``own`` when that PDF page is the one the ink was read from."""

    page: Page
    pdf_page: DictionaryObject
    frame: PageFrame
    own: bool = False


@attrs.frozen
class PdfExporter:
    options: PdfExportOptions

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        base = _base_pdf(document)
        if base is not None:
            original, reader, writer = _open_base(base)
            targets = self._on_base(document, base, writer)
        else:
            writer, targets = self._new_pages(document)
        codes = CodeMap()
        added: list[tuple[_Target, str, str]] = []
        for target in targets:
            ink = self._ink(writer, target)
            text = self._text(target, codes) if self.options.text_layer else ""
            if ink or text:
                added.append((target, text, ink))
        # the font is made once every word is encoded: its maps hold exactly the characters used
        font = add_font(writer, codes) if len(codes) else None
        for target, text, ink in added:
            if text and font is not None:
                name = add_resource(target.pdf_page, "/Font", "InkSightText", font)
                text = f"BT\n3 Tr\n{name} 1 Tf\n{text}ET\n"
            append_content(writer, target.pdf_page, (text + ink).encode("ascii"))
        if base is not None:
            write_update(reader, writer, original, stream)
        else:
            writer.add_metadata({"/Producer": "inksight-sdk (inksight-pdf)"})
            writer.write(stream)

    # -- where the pages come from --------------------------------------------

    def _on_base(self, document: InkDocument, base: str, writer: PdfWriter) -> list[_Target]:
        total = len(writer.pages)
        targets = []
        for page in document.pages:
            if page.image != base or not 0 <= page.index < total or page.dpi is None:
                raise BadArgumentsError(
                    f"page {page.index + 1} of the ink does not come from {base} (image {page.image!r}, "
                    f"dpi {page.dpi}); write one document per PDF"
                )
            pdf_page = writer.pages[page.index]
            frame = frame_of(pdf_page, page.dpi)
            width, height = frame.size_pixels
            if abs(width - page.width) > 1 or abs(height - page.height) > 1:
                raise BadArgumentsError(
                    f"page {page.index + 1} of the ink is {page.width}x{page.height} pixels at {page.dpi:g} dpi, "
                    f"but that page of {base} is {width}x{height}; the ink belongs to another file"
                )
            targets.append(_Target(page, pdf_page, frame, own=True))
        return targets

    def _new_pages(self, document: InkDocument) -> tuple[PdfWriter, list[_Target]]:
        writer = PdfWriter()
        source = document.metadata.source
        targets = []
        alone = [p.index + 1 for p in document.pages if p.image and p.image != source]
        if alone:
            log.warning(
                "PDF pages %s hold the ink alone: their image is not the file this document was converted from "
                "(several inputs in one output, or an ink file); write one PDF per input to keep the pages",
                ", ".join(map(str, alone[:10])) + (" ..." if len(alone) > 10 else ""),
            )
        for page in document.pages:
            dpi = page.dpi or DEFAULT_DPI
            box = (0.0, 0.0, _page_points(page.width, dpi), _page_points(page.height, dpi))
            frame = PageFrame(box=box, rotate=0, dpi=dpi)
            pdf_page = writer.add_blank_page(frame.box[2], frame.box[3])
            if source is not None and page.image == source:
                _add_image(writer, pdf_page, source, page, frame)
            targets.append(_Target(page, pdf_page, frame))
        return writer, targets

    # -- what goes on a page ---------------------------------------------------

    def _words(self, target: _Target) -> list[tuple[int, WordInk]]:
        """The words to write: on the PDF page they were read from, ink read from annotations is there already."""
        return [(i, w) for i, w in enumerate(target.page.words) if not (target.own and w.derenderer == PDF_INK)]

    def _ink(self, writer: PdfWriter, target: _Target) -> str:
        """Add the page's annotations; returns the content to draw when ink is flattened instead."""
        to_user = target.frame.to_user()
        scale = target.frame.points_per_pixel
        colour = _colour(self.options.colour)
        flat: list[str] = []
        annotations = []
        for i, word in self._words(target):
            strokes = [apply(to_user, s.points) for s in word.strokes if len(s)]
            if not strokes:
                continue
            width_pt = _word_width(word, self.options.stroke_width) * scale
            ops = _ink_ops(strokes, colour, width_pt)
            if self.options.ink == "flatten":
                flat.append(ops)
                continue
            annotations.append(_annotation(writer, target.page, word, i, strokes, ops, colour, width_pt))
        if annotations:
            add_annotations(writer, target.pdf_page, annotations)
        return "".join(flat)

    def _text(self, target: _Target, codes: CodeMap) -> str:
        """Text operators for each word with text: stretched over its quad's length, turned with its line.

        Words of one line share the line's band (its direction and the union of
        their heights across it), so text extractors see one line of words, as
        in a printed document, and a phrase can be searched across words. They
        run inside ``BT 3 Tr /font 1 Tf ... ET``: render mode 3 draws nothing.
        """
        to_user = target.frame.to_user()
        lines: dict[tuple[int, int], list[tuple[str, np.ndarray]]] = {}
        for _, word in self._words(target):
            text = (word.text or "").strip()
            if text:
                lines.setdefault((word.block, word.line), []).append((text, apply(to_user, word.quad)))
        ops = []
        for words in lines.values():
            for text, corners in _on_line(words):
                along, up, origin = corners
                encoded = codes.encode(text)
                advance = (len(encoded) // 2) * ADVANCE / 1000.0
                # text space: x along the baseline (the text spans the word), y up (1 em = the line's height),
                # the baseline above the band's bottom by the font's descent
                matrix = np.concatenate([along / advance, up, origin - up * (DESCENT / 1000.0)])
                ops.append(f"{numbers(matrix, 6)} Tm <{encoded.hex().upper()}> Tj\n")
        return "".join(ops)


def _on_line(words: Sequence[tuple[str, np.ndarray]]) -> list[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The text boxes of a line: (text, (vector along it, vector up the line's band, bottom-left corner)).

    The line's direction is the mean of its words' baselines; across it, every
    word gets the band from the lowest to the highest corner of the line's
    words. Along it, each word spans its quad, and a space spans the gap to the
    next word (a narrow one where words touch), so extractors that join words
    by their gaps still put a space between handwritten words, which are set
    much closer than their height. Quads are TL, TR, BR, BL in user space; a
    word without length is left out.
    """
    directions = [q[2] - q[3] for _, q in words]
    total = np.sum([d / n for d in directions if (n := np.linalg.norm(d)) > 1e-6], axis=0)
    if np.ndim(total) == 0 or np.linalg.norm(total) < 1e-6:
        return []
    along = total / np.linalg.norm(total)
    up = np.array([-along[1], along[0]])  # a quarter turn anticlockwise: up the line in user space
    anchor = words[0][1][3]
    across = [(q - anchor) @ up for _, q in words]
    low, high = min(float(a.min()) for a in across), max(float(a.max()) for a in across)
    if high - low < 1e-3:
        return []
    spans = sorted(
        (float(span.min()), float(span.max()), text)
        for text, quad in words
        if float((span := (quad - anchor) @ along).max() - span.min()) >= 1e-3
    )
    narrow = 0.05 * (high - low)
    out = []
    for i, (start, end, text) in enumerate(spans):
        out.append((text, ((end - start) * along, (high - low) * up, anchor + start * along + low * up)))
        if i + 1 < len(spans):
            gap_end = max(spans[i + 1][0], end + narrow)
            out.append((" ", ((gap_end - end) * along, (high - low) * up, anchor + end * along + low * up)))
    return out


def _annotation(
    writer: PdfWriter,
    page: Page,
    word: WordInk,
    index: int,
    strokes: Sequence[np.ndarray],
    ops: str,
    colour: tuple[float, float, float],
    width_pt: float,
) -> DictionaryObject:
    points = np.concatenate(strokes)
    pad = width_pt / 2.0 + 1.0
    lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad
    rect = ArrayObject(FloatObject(round(float(v), DECIMALS)) for v in (lo[0], lo[1], hi[0], hi[1]))
    appearance = add_stream(
        writer,
        ops.encode("ascii"),
        {
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": rect,
            "/Resources": DictionaryObject(),
        },
    )
    entries = {
        "/Type": NameObject("/Annot"),
        "/Subtype": NameObject("/Ink"),
        "/Rect": rect,
        "/InkList": ArrayObject(
            ArrayObject(FloatObject(v) for v in np.round(s, DECIMALS).reshape(-1).tolist()) for s in strokes
        ),
        "/BS": DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Border"),
                NameObject("/W"): FloatObject(round(width_pt, DECIMALS)),
                NameObject("/S"): NameObject("/S"),
            }
        ),
        "/C": ArrayObject(FloatObject(round(c, 4)) for c in colour),
        "/F": NumberObject(4),  # print it
        "/NM": TextStringObject(annotation_name(page, word, index)),
        "/AP": DictionaryObject({NameObject("/N"): appearance}),
    }
    if word.text:
        entries["/Contents"] = TextStringObject(word.text)
    return DictionaryObject({NameObject(k): v for k, v in entries.items()})


def _page_points(pixels: int, dpi: float) -> float:
    """The page side in points, as written (``DECIMALS``), that poppler renders to exactly ``pixels`` at ``dpi``.

    Poppler rounds the rendered size up, from the number as its lexer reads
    it: ``pixels * 72 / dpi`` rounded down to the decimals written, and a step
    further down while that still reads a hair too large.
    """
    step = 10**DECIMALS
    ticks = math.floor(pixels * 72.0 / dpi * step)
    while ticks > 1 and pixels_for(as_poppler_reads(round(ticks / step, DECIMALS)), dpi) > pixels:
        ticks -= 1
    return round(ticks / step, DECIMALS)


def _base_pdf(document: InkDocument) -> str | None:
    """The PDF this document was converted from, when it is one: the only file the exporter may read.

    A path written inside an ink file (a page's ``image``) is never opened on
    its own, so a hostile ink file cannot pull other files into the output.
    """
    source = document.metadata.source
    if not source or not os.path.isfile(source):
        return None
    try:
        with open(source, "rb") as fh:
            return source if is_pdf(fh.read(1024)) else None
    except OSError:
        return None


def _open_base(path: str) -> tuple[bytes, PdfReader, PdfWriter]:
    """The base PDF's bytes, a reader on them and a writer in incremental mode."""
    try:
        with open(path, "rb") as fh:
            original = fh.read()
        reader = PdfReader(io.BytesIO(original))
        return original, reader, PdfWriter(reader, incremental=True)
    except LimitReachedError as exc:
        raise InputLimitError(f"{path} is over the PDF parser's limits ({exc}); it cannot take ink") from exc
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(f"{path} cannot be opened to add ink: {type(exc).__name__}: {exc}") from exc


def _add_image(writer: PdfWriter, pdf_page: DictionaryObject, path: str, page: Page, frame: PageFrame) -> None:
    """Put frame ``page.index`` of the image file under the ink, filling the page.

    A plain JPEG goes in as it is (no recompression); anything else is decoded
    (EXIF rotation applied, as the page source did) and stored losslessly.
    """
    image = _jpeg_as_is(path, page) or _decoded(path, page)
    ref = writer._add_object(image)
    name = add_resource(pdf_page, "/XObject", "InkSightImage", ref)
    w, h = frame.box[2], frame.box[3]
    append_content(writer, pdf_page, f"q {numbers(np.array([w, 0, 0, h, 0, 0]))} cm {name} Do Q\n".encode("ascii"))


def _image_stream(data: bytes, width: int, height: int, grey: bool, filter_name: str | None) -> DictionaryObject:
    stream = StreamObject()
    stream.set_data(data)
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width),
            NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceGray" if grey else "/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    if filter_name is None:
        return stream.flate_encode()
    stream[NameObject("/Filter")] = NameObject(filter_name)
    return stream


def _jpeg_as_is(path: str, page: Page) -> DictionaryObject | None:
    from PIL import Image

    if page.index != 0:
        return None
    try:
        with Image.open(path) as image:
            plain = (
                image.format == "JPEG"
                and image.mode in ("RGB", "L")
                and image.size == (page.width, page.height)
                and image.getexif().get(0x0112, 1) == 1  # no EXIF rotation to apply
            )
            grey = image.mode == "L"
        if not plain:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return _image_stream(data, page.width, page.height, grey, "/DCTDecode")


def _decoded(path: str, page: Page) -> DictionaryObject:
    frames = open_image_frames(path)  # the file this conversion read: it passed the limits then
    try:
        for _ in range(page.index):
            next(frames)
        frame = next(frames)
    except StopIteration:
        frame = None
    finally:
        frames.close()
    if frame is None or frame.size != (page.width, page.height):
        raise BadArgumentsError(
            f"page {page.index + 1} of the ink is {page.width}x{page.height} pixels, but {path} does not have "
            "that page at that size; the ink belongs to another file"
        )
    return _image_stream(frame.tobytes(), page.width, page.height, False, None)
