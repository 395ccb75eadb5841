"""PDF input and output for inksight-sdk (registered through the ``inksight_sdk`` entry point).

The page source renders pages with poppler (pdf2image) and reads the ink of
pages that already carry ``/Ink`` annotations; the exporter writes ink as
``/Ink`` annotations with an invisible text layer (pypdf). Registration is
cheap: pdf2image and pypdf are imported only when a PDF is read or written.
"""

from __future__ import annotations

import importlib.util
import shutil

import attrs

from inksight_sdk import StageSpec, hookimpl
from inksight_sdk.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS

__all__ = ["PdfOptions", "PdfExportOptions", "is_pdf", "is_available", "INSTALL_HINT", "PDF_INK"]

INSTALL_HINT = "pip install ./adapters/pdf (pdf2image, pypdf) and the poppler tools: apt-get install poppler-utils"
EXPORT_INSTALL_HINT = "pip install ./adapters/pdf (pypdf)"

#: ``detector`` and ``derenderer`` of words read from a PDF's own ``/Ink`` annotations (no stage ran)
PDF_INK = "pdf-annotation"
#: ink points one page's annotations may hold before the PDF is refused
DEFAULT_MAX_INK_POINTS = 2_000_000


def is_pdf(head: bytes) -> bool:
    """A PDF starts with ``%PDF-``; readers tolerate junk before it within the first 1024 bytes."""
    return b"%PDF-" in head[:1024]


def is_available() -> bool:
    """pdf2image and pypdf importable, poppler's pdftoppm and pdfinfo on PATH (nothing is imported)."""
    return (
        importlib.util.find_spec("pdf2image") is not None
        and importlib.util.find_spec("pypdf") is not None
        and shutil.which("pdftoppm") is not None
        and shutil.which("pdfinfo") is not None
    )


def _optional_page(instance: object, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{attribute.name} must be a page number >= 1, got {value!r}")


def exporter_available() -> bool:
    """pypdf importable (the exporter needs nothing else)."""
    return importlib.util.find_spec("pypdf") is not None


def _one_of(*values: str):  # type: ignore[no-untyped-def]
    """A validator with a one-line message (attrs' own puts its whole Attribute record in the message)."""

    def check(instance: object, attribute: attrs.Attribute, value: object) -> None:
        if value not in values:
            raise ValueError(f"{attribute.name} must be one of {', '.join(values)}, got {value!r}")

    return check


def _boolean(instance: object, attribute: attrs.Attribute, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name} must be true or false, got {value!r}")


def _hex_colour(instance: object, attribute: attrs.Attribute, value: str) -> None:
    text = value.lstrip("#") if isinstance(value, str) else ""
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"{attribute.name} must be a colour like #1a237e, got {value!r}")


@attrs.frozen
class PdfOptions:
    """Reader options (``--input-option KEY=VALUE``).

    ``ink_annotations``: ``read`` (default) takes the strokes of a page's
    ``/Ink`` annotations as its ink, and such a page is not rendered, detected
    or derendered; ``ignore`` renders and converts every page.
    ``max_ink_points``: the most ink points one page's annotations may hold.
    """

    dpi: float = attrs.field(
        default=300.0, converter=float, validator=[attrs.validators.gt(0), attrs.validators.le(2400)]
    )
    first_page: int | None = attrs.field(default=None, validator=_optional_page)
    last_page: int | None = attrs.field(default=None, validator=_optional_page)
    render_timeout: float = attrs.field(default=120.0, converter=float, validator=attrs.validators.gt(0))
    ink_annotations: str = attrs.field(default="read", validator=_one_of("read", "ignore"))
    max_ink_points: int = attrs.field(default=DEFAULT_MAX_INK_POINTS, converter=int, validator=attrs.validators.gt(0))
    # limit fields: the pipeline fills them from its Limits (docs/limits.md)
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=attrs.validators.gt(0))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=attrs.validators.gt(0))
    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=attrs.validators.gt(0))


@attrs.frozen
class PdfExportOptions:
    """Exporter options (``--export-option KEY=VALUE``).

    ``ink``: ``annotations`` (default): one ``/Ink`` annotation per word, which
    viewers can show, hide, edit or delete; ``flatten``: the ink drawn into the
    page content. ``text_layer``: invisible, searchable text where the detector
    read words (default true). ``colour``: ``#rrggbb`` (default the SVG
    exporter's navy). ``stroke_width``: one pen width in page pixels for all
    ink (default: each word's strokes' own width, else 2 px, as in SVG).
    """

    ink: str = attrs.field(default="annotations", validator=_one_of("annotations", "flatten"))
    text_layer: bool = attrs.field(default=True, validator=_boolean)
    colour: str = attrs.field(default="#1a237e", validator=_hex_colour)
    stroke_width: float | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(float),
        validator=attrs.validators.optional(attrs.validators.gt(0)),
    )


def _export_factory(options: PdfExportOptions):  # type: ignore[no-untyped-def]
    from .exporter import PdfExporter

    return PdfExporter(options)


def _factory(options: PdfOptions):  # type: ignore[no-untyped-def]
    from .source import PdfSource

    return PdfSource(options)


@hookimpl
def register_page_sources(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="pdf",
            description="PDF documents, rendered page by page with poppler at a recorded DPI",
            factory=_factory,
            options=PdfOptions,
            is_available=is_available,
            install_hint=INSTALL_HINT,
            extensions=(".pdf",),
            sniff=is_pdf,
        )
    )


@hookimpl
def register_exporters(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="pdf",
            description="PDF: the input PDF (or image) with the ink as /Ink annotations and an invisible text layer",
            factory=_export_factory,
            options=PdfExportOptions,
            is_available=exporter_available,
            install_hint=EXPORT_INSTALL_HINT,
            extensions=(".pdf",),
        )
    )
