"""PDF page source for inksight-sdk (registered through the ``inksight_sdk`` entry point).

Registration is cheap: pdf2image is imported only when a PDF is opened.
"""

from __future__ import annotations

import importlib.util
import shutil

import attrs

from inksight_sdk import StageSpec, hookimpl
from inksight_sdk.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS

__all__ = ["PdfOptions", "is_pdf", "is_available", "INSTALL_HINT"]

INSTALL_HINT = "pip install ./adapters/pdf (pdf2image) and the poppler tools: apt-get install poppler-utils"


def is_pdf(head: bytes) -> bool:
    """A PDF starts with ``%PDF-``; readers tolerate junk before it within the first 1024 bytes."""
    return b"%PDF-" in head[:1024]


def is_available() -> bool:
    """pdf2image importable and poppler's pdftoppm and pdfinfo on PATH (nothing is imported)."""
    return (
        importlib.util.find_spec("pdf2image") is not None
        and shutil.which("pdftoppm") is not None
        and shutil.which("pdfinfo") is not None
    )


def _optional_page(instance: object, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{attribute.name} must be a page number >= 1, got {value!r}")


@attrs.frozen
class PdfOptions:
    dpi: float = attrs.field(
        default=300.0, converter=float, validator=[attrs.validators.gt(0), attrs.validators.le(2400)]
    )
    first_page: int | None = attrs.field(default=None, validator=_optional_page)
    last_page: int | None = attrs.field(default=None, validator=_optional_page)
    render_timeout: float = attrs.field(default=120.0, converter=float, validator=attrs.validators.gt(0))
    # limit fields: the pipeline fills them from its Limits (docs/limits.md)
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=attrs.validators.gt(0))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=attrs.validators.gt(0))
    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=attrs.validators.gt(0))


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
