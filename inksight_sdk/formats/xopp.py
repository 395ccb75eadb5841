"""Xournal++ files (``.xopp``): writer and hardened reader.

Written to the rules of Xournal++'s own reader (xournalpp/xournalpp:
``src/core/control/xojfile/XmlParser.cpp`` with ``LoadHandler.cpp``, the
current libxml2 reader; the older GMarkup ``LoadHandler.cpp``; and
``SaveHandler.cpp`` and ``model/Stroke.cpp`` for what Xournal++ itself writes):

* gzip-compressed XML, what ``SaveHandler`` writes. The current reader tries a
  zip container first and falls back to gzip; zlib's ``gzopen`` reads plain
  XML too, so this reader takes both (not the zip container).
* root ``<xournal creator=... fileversion="4">`` and a ``<title>`` (ignored
  by Xournal++).
* ``<page width= height=>`` in PDF points (1/72 inch); each page has one
  ``<background>`` and at least one ``<layer>`` (old readers need one).
* ``<stroke tool="pen" color="#RRGGBBAA" width="W w0 ... w(n-2)">x0 y0 x1 y1
  ...</stroke>``: ``W`` is the stroke's width; the optional further values are
  per-point widths in points, one per segment (``n - 1`` for ``n`` points:
  ``Stroke::setPressure`` leaves the last point out) and each must be
  positive, because the reader cuts a stroke at every non-positive value.
  A stroke needs two points (the new reader drops a shorter one, the old one
  fails the whole file with "Wrong count of points"), so a dot is written as
  two equal points and read back as one. No ``capStyle`` (round is the
  default) and no ``ts``/``fn``: those are audio timestamps.
* the photo: ``<image left= top= right= bottom=>`` holding a base64 PNG, in
  a layer named ``photo`` below the layer ``ink``. An image element is the
  only way a single ``.xopp`` carries a picture: a pixmap background with
  ``domain="attach"`` is read from a second file beside it
  (``notes.xopp.bg_1.png``), which one output stream cannot write. PNG
  because older releases decode images with cairo's PNG reader only
  (``model/Image.cpp``; newer ones use gdk-pixbuf).
  ``photo="link"`` writes a ``pixmap`` background with ``domain="absolute"``
  and the photo's absolute path instead, and a PDF page is always linked
  (``type="pdf" domain="absolute" filename= pageno=``, attributes in that
  order as ``SaveHandler`` warns the original Xournal needs).

Coordinates: ``x_pt = (x + 0.5) * 72 / dpi`` (pixel centres on integers, so
the page's left edge, -0.5 px, is 0 pt); the reader inverts it exactly. The
dpi is the writer's option, else the page's own when it is at least 100
(scans, PDF renders), else the page is fitted into A4 (phone photos say 72
dpi, which would make a 4000-pixel photo a 1.4 m page). The dpi used is
recorded in the root's ``inksight-dpi`` attribute (one value per page), which
Xournal++ ignores and drops when it saves; without it this reader uses 144 dpi
(two pixels per point, so a page written again keeps its size to the nearest
pixel, half a point) or its ``dpi`` option.

Not representable, so not written: the page clock (Xournal++ strokes carry
only audio timestamps), words and their text (a page's strokes are one layer,
read back as one word per layer), pressure. Stroke order is kept.
"""

from __future__ import annotations

import base64
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..errors import InkSightError, InputFileError, InputLimitError
from ..ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from ..limits import DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS
from .photo import faded, is_pdf, load_photo, source_path

__all__ = ["dumps", "loads", "looks_like_xopp", "writing_dpi", "PHOTO_MODES"]

#: largest .xopp file read (bytes)
MAX_XOPP_BYTES = 256 * 1024 * 1024
#: largest XML a .xopp may decompress to (bytes): a gzip bomb stops here
MAX_XML_BYTES = 256 * 1024 * 1024
#: most stroke points read from one file (about 12 bytes each in memory)
MAX_POINTS = 10_000_000
#: the dpi of a file that does not say: two pixels per point (exact in binary, and at least 100 so that
#: writing the pages again keeps their size in points)
DEFAULT_READ_DPI = 144.0
#: how the photo is put under the ink (``photo`` option)
PHOTO_MODES = ("embed", "link", "none")

_A4_PT = (595.2756, 841.8898)
_DEFAULT_WIDTH_PX = 2.0
_MIN_WIDTH_PT = 0.01
_CHUNK = 1 << 20
_SPACE = re.compile(r"\s")


# -- writing -----------------------------------------------------------------


def writing_dpi(page: Page, dpi: float | None = None) -> float:
    """The pixels per inch a page is written at (see the module docstring), rounded as recorded."""
    if dpi is None:
        if page.dpi is not None and page.dpi >= 100:
            dpi = page.dpi
        else:
            short, long = _A4_PT
            a, b = (short, long) if page.height >= page.width else (long, short)
            dpi = 72.0 / min(a / page.width, b / page.height)
    return float(f"{dpi:.10g}")


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _nums(values: np.ndarray) -> str:
    return " ".join(_num(v) for v in values.tolist())


def _colour(hex_rgb: str) -> str:
    return hex_rgb.lower() + "ff"


def _printable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return text.isprintable()


def _stroke_xml(stroke: Stroke, scale: float, colour: str, stroke_width: float | None) -> str:
    pts = (stroke.points.astype(np.float64) + 0.5) * scale
    widths = None if stroke.width is None else np.maximum(stroke.width.astype(np.float64) * scale, _MIN_WIDTH_PT)
    if len(pts) == 1:  # a dot: Xournal++ needs two points
        pts = np.repeat(pts, 2, axis=0)
        widths = None if widths is None else np.repeat(widths, 2)
    if stroke_width is not None:
        width = _num(max(stroke_width * scale, _MIN_WIDTH_PT))
    elif widths is None:
        width = _num(_DEFAULT_WIDTH_PX * scale)
    else:  # the stroke's width, then one per segment (the last point's is not used)
        width = _num(float(np.median(widths))) + " " + _nums(widths[:-1])
    return f'<stroke tool="pen" color="{colour}" width="{width}">{_nums(pts.reshape(-1))}</stroke>'


def _photo_xml(
    document: InkDocument, page: Page, mode: str, opacity: float, max_side: int, size_pt: tuple[float, float]
) -> tuple[str, str | None]:
    """The page's ``<background>`` and, when the photo is embedded, its ``photo`` layer."""
    white = '<background type="solid" color="#ffffffff" style="plain"/>'
    path = source_path(document, page) if mode != "none" else None
    if path is None:
        return white, None
    absolute = os.path.abspath(path)
    if is_pdf(path):
        if not _printable(absolute):
            return white, None
        pdf = f'<background type="pdf" domain="absolute" filename={quoteattr(absolute)} pageno="{page.index + 1}"/>'
        return pdf, None
    if mode == "link":
        if not _printable(absolute):
            return white, None
        return f'<background type="pixmap" domain="absolute" filename={quoteattr(absolute)}/>', None
    fit = min(1.0, max_side / max(page.width, page.height))
    size = (max(1, round(page.width * fit)), max(1, round(page.height * fit)))
    photo = load_photo(path, page.index, size)
    if photo is None:
        return white, None
    buffer = io.BytesIO()
    faded(photo, opacity).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    w, h = size_pt
    image = f'<image left="0" top="0" right="{_num(w)}" bottom="{_num(h)}">{data}</image>'
    return white, f'<layer name="photo">{image}</layer>'


def dumps(
    document: InkDocument,
    *,
    dpi: float | None = None,
    photo: str = "embed",
    photo_opacity: float = 0.45,
    photo_max_side: int = 2000,
    colour: str = "#1a237e",
    colour_by_order: bool = False,
    stroke_width: float | None = None,
) -> bytes:
    """The document as a gzip-compressed ``.xopp`` (see the module docstring for the rules)."""
    from .svg import _order_colour

    pages = document.pages or (Page(width=595, height=842, dpi=72.0),)  # Xournal++ refuses a file without pages
    dpis = [writing_dpi(page, dpi) for page in pages]
    creator = f"inksight-sdk {document.metadata.sdk_version or ''}".strip()
    name = (document.metadata.source or "").replace("\\", "/").rsplit("/", 1)[-1]
    title = "Ink converted by inksight-sdk" + (f" from {name}" if name and _printable(name) else "")
    recorded = " ".join(f"{d:.10g}" for d in dpis)
    out = [
        '<?xml version="1.0" standalone="no"?>',
        f'<xournal creator={quoteattr(creator)} fileversion="4" inksight-dpi="{recorded}">',
        f"<title>{escape(title)}</title>",
    ]
    for page, page_dpi in zip(pages, dpis):
        scale = 72.0 / page_dpi
        size_pt = (page.width * scale, page.height * scale)
        out.append(f'<page width="{_num(size_pt[0])}" height="{_num(size_pt[1])}">')
        background, photo_layer = _photo_xml(document, page, photo, photo_opacity, photo_max_side, size_pt)
        out.append(background)
        if photo_layer:
            out.append(photo_layer)
        out.append('<layer name="ink">')
        strokes = [s for s in page.strokes() if len(s)]
        for i, stroke in enumerate(strokes):
            hex_rgb = _order_colour(i, len(strokes)) if colour_by_order else colour
            out.append(_stroke_xml(stroke, scale, _colour(hex_rgb), stroke_width))
        out.append("</layer>")
        out.append("</page>")
    out.append("</xournal>")
    xml = ("\n".join(out) + "\n").encode("utf-8")
    return gzip.compress(xml, compresslevel=6, mtime=0)


# -- reading -----------------------------------------------------------------


def looks_like_xopp(head: bytes) -> bool:
    """Recognise a Xournal(++) file from its first bytes: gzip holding ``<xournal``, or that XML plain."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") and re.search(rb"<xournal[\s>]", head) is not None


def _xml_bytes(data: bytes) -> bytes:
    """The XML of a .xopp: gunzipped (at most ``MAX_XML_BYTES``) or as is."""
    if data[:2] != b"\x1f\x8b":
        if len(data) > MAX_XML_BYTES:
            raise InputLimitError(f"Xournal++ XML is {len(data):,} bytes, over the limit of {MAX_XML_BYTES:,}")
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            xml = stream.read(MAX_XML_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"not a readable .xopp: the gzip data is damaged ({exc})") from exc
    if len(xml) > MAX_XML_BYTES:
        raise InputLimitError(
            f".xopp decompresses to more than {MAX_XML_BYTES:,} bytes of XML; refused (a gzip bomb or a huge file)"
        )
    return xml


def _numbers(text: str, budget: int, where: str, too_many: str) -> np.ndarray:
    """Whitespace-separated decimals, parsed in chunks so a huge stroke is refused before it fills memory."""
    parts = []
    count = 0
    start = 0
    while start < len(text):
        stop = start + _CHUNK
        if stop < len(text):
            match = _SPACE.search(text, stop)
            stop = match.start() if match else len(text)
        tokens = text[start:stop].split()
        count += len(tokens)
        if count > budget:
            raise InputLimitError(f"{where}: {too_many}")
        if tokens:
            try:
                parts.append(np.array(tokens, dtype=np.float64))
            except ValueError as exc:
                raise InputFileError(f"{where} has a value that is not a number ({exc})") from exc
        start = stop
    values = np.concatenate(parts) if parts else np.zeros(0)
    if not np.isfinite(values).all():
        raise InputFileError(f"{where} has an infinite or NaN value")
    return values


def _number(element: Element, name: str, where: str) -> float:
    try:
        value = float(element.get(name, ""))
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value <= 0:
        raise InputFileError(f"{where} has no valid {name} (got {element.get(name)!r}); the file is damaged")
    return value


def _runs(positive: np.ndarray) -> Iterator[tuple[int, int]]:
    """``[a, b)`` index ranges of consecutive ``True`` values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], positive, [False]]).astype(np.int8)))
    yield from zip(edges[0::2].tolist(), edges[1::2].tolist())


class _Reader:
    """Turns the XML events of one file into pages, checking limits as it goes."""

    def __init__(self, dpi: float | None, dpis: list[float], max_pages: int, max_pixels: int) -> None:
        self.dpi = dpi
        self.dpis = dpis
        self.max_pages = max_pages
        self.max_pixels = max_pixels
        self.points = 0
        self.pages: list[Page] = []
        self.page_size = (1.0, 1.0)
        self.words: list[WordInk] = []
        self.layer: list[Stroke] = []

    def page_dpi(self) -> float:
        if self.dpi is not None:
            return self.dpi
        i = len(self.pages)
        return self.dpis[i] if i < len(self.dpis) else DEFAULT_READ_DPI

    def start_page(self, element: Element) -> None:
        number = len(self.pages) + 1
        if number > self.max_pages:
            raise InputLimitError(
                f".xopp has more than {self.max_pages:,} pages; split it or raise the limit (--max-pages)"
            )
        where = f"page {number}"
        w, h = _number(element, "width", where), _number(element, "height", where)
        px = self.page_dpi() / 72.0
        if w * px > self.max_pixels or h * px > self.max_pixels or w * px * h * px > self.max_pixels:
            raise InputLimitError(
                f"{where} is {w:g} x {h:g} pt = {w * px * h * px:,.0f} pixels at {self.page_dpi():g} dpi, "
                f"over the limit of {self.max_pixels:,}; read it at a lower --dpi or raise the limit (--max-pixels)"
            )
        self.page_size = (w, h)
        self.words = []

    def stroke(self, element: Element) -> None:
        tool = element.get("tool", "pen")
        if tool in ("eraser", "highlighter"):
            return  # not handwriting: whiteout and highlights
        where = f"page {len(self.pages) + 1} stroke {len(self.layer) + 1}"
        values = _numbers(
            element.text or "",
            2 * (MAX_POINTS - self.points),
            where,
            f"the file has more than {MAX_POINTS:,} stroke points; split it in Xournal++ first",
        )
        if len(values) % 2:
            raise InputFileError(f"{where} has an odd number of coordinates ({len(values)}); the file is damaged")
        pts = values.reshape(-1, 2)
        if len(pts) < 2:
            return  # Xournal++ drops a stroke of fewer than two points
        self.points += len(pts)
        w, h = self.page_size
        low, high = pts.min(axis=0), pts.max(axis=0)
        if low[0] < -w or low[1] < -h or high[0] > 2 * w or high[1] > 2 * h:
            far = pts[np.argmax(np.maximum(np.abs(pts[:, 0] - w / 2) / w, np.abs(pts[:, 1] - h / 2) / h))]
            raise InputFileError(
                f"{where} has a point at ({far[0]:g}, {far[1]:g}) pt, far outside its {w:g} x {h:g} pt page; "
                "the file is damaged"
            )
        widths = _numbers(element.get("width", "1"), len(pts) + 1, f"{where} width", "more widths than points")
        if len(widths) == 0 or widths[0] <= 0 or widths.max() > 10 * max(w, h):
            raise InputFileError(f"{where} has an impossible width {element.get('width', '')[:40]!r}")
        for part_pts, part_widths in self._pieces(pts, widths):
            self.layer.append(self._to_pixels(part_pts, part_widths))

    @staticmethod
    def _pieces(pts: np.ndarray, widths: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The stroke with per-point widths, cut where a width is not positive (as Xournal++ does)."""
        n = len(pts)
        per_point = widths[1:]
        if len(per_point) + 1 < n:  # too few: Xournal++ ignores them
            yield pts, np.full(n, widths[0])
            return
        segment = per_point[: n - 1]
        last = per_point[n - 1] if len(per_point) >= n and per_point[n - 1] > 0 else None
        for a, b in _runs(segment > 0):
            tail = last if b == n - 1 and last is not None else segment[b - 1]
            yield pts[a : b + 1], np.append(segment[a:b], tail)

    def _to_pixels(self, pts: np.ndarray, widths: np.ndarray) -> Stroke:
        px = self.page_dpi() / 72.0
        if len(pts) == 2 and np.array_equal(pts[0], pts[1]):  # a dot, as the writer stores it
            pts, widths = pts[:1], widths[:1]
        return Stroke(points=pts * px - 0.5, width=widths * px)

    def end_layer(self) -> None:
        if self.layer:
            pts = np.concatenate([s.points for s in self.layer])
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
            self.words.append(WordInk(quad=quad, strokes=self.layer, line=len(self.words)))
        self.layer = []

    def end_page(self) -> None:
        px = self.page_dpi() / 72.0
        w, h = self.page_size
        self.pages.append(
            Page(
                width=max(1, round(w * px)),
                height=max(1, round(h * px)),
                index=len(self.pages),
                words=self.words,
                dpi=self.page_dpi(),
            )
        )


def _recorded_dpis(root: Element) -> list[float]:
    values = []
    for token in root.get("inksight-dpi", "").split():
        try:
            value = float(token)
        except ValueError:
            return []
        if not (np.isfinite(value) and 0 < value <= 1_000_000):
            return []
        values.append(value)
    return values


def loads(
    data: bytes,
    *,
    dpi: float | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    source: str | None = None,
) -> InkDocument:
    """Read a Xournal(++) file (``.xopp``, ``.xoj``; gzip or plain XML) into an ink document.

    Pen strokes become strokes in page pixels at ``dpi`` (else the dpi the
    file records, else 144), one word per layer; highlighter and eraser
    strokes, text, images and backgrounds are left out. Errors are one-line
    :class:`InputFileError` (limits: :class:`InputLimitError`).
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    xml = _xml_bytes(data)
    stack: list[Element] = []
    reader: _Reader | None = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                stack.append(element)
                path = [e.tag for e in stack]
                if reader is None:
                    if element.tag != "xournal":
                        name = element.tag.rsplit("}", 1)[-1]
                        raise InputFileError(f"not a Xournal++ file: the root element is <{name}>")
                    reader = _Reader(dpi, _recorded_dpis(element), max_pages, max_pixels)
                elif path == ["xournal", "page"]:
                    reader.start_page(element)
                continue
            path = [e.tag for e in stack]
            stack.pop()
            assert reader is not None
            if path == ["xournal", "page", "layer", "stroke"]:
                reader.stroke(element)
            elif path == ["xournal", "page", "layer"]:
                reader.end_layer()
            elif path == ["xournal", "page"]:
                reader.end_page()
            element.clear()
            if stack:
                del stack[-1][:]  # drop what has been read: memory stays one element deep
    except DefusedXmlException as exc:
        raise InputFileError(f".xopp refused: it uses a forbidden XML feature ({type(exc).__name__})") from exc
    except InkSightError:
        raise
    except Exception as exc:  # ParseError and friends
        raise InputFileError(f"not a well-formed Xournal++ file: {exc}") from exc
    if reader is None or not reader.pages:
        raise InputFileError("the Xournal++ file has no pages")
    return InkDocument(pages=reader.pages, metadata=DocumentMetadata(source=source))
