"""Builtin readers for existing ink: InkML (standard and InkSight's), JSON and Xournal++.

They make ink documents inputs as well as outputs, so ``inksight convert
notes.inkml -o notes.svg`` re-exports ink without touching a model.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ..formats import inkml, jsonink, xopp
from ..hookspecs import hookimpl
from ..ink import Page
from ..inputs import read_limited
from ..limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS
from ..registry import StageSpec


@attrs.frozen
class InkmlSource:
    options: None = None

    def pages(self, path: str) -> Iterator[Page]:
        document = inkml.loads(read_limited(path, inkml.MAX_INKML_BYTES), source=path)
        yield from document.pages


@attrs.frozen
class JsonInkSource:
    options: None = None

    def pages(self, path: str) -> Iterator[Page]:
        document = jsonink.loads(read_limited(path, jsonink.MAX_JSON_BYTES))
        yield from document.pages


@attrs.frozen
class XoppSourceOptions:
    """``dpi``: page pixels per inch to read at (default: what the file records, else 144)."""

    dpi: float | None = attrs.field(
        default=None,
        converter=lambda v: None if v is None else float(v),
        validator=attrs.validators.optional([attrs.validators.gt(0), attrs.validators.le(2400)]),
    )
    # limit fields: the pipeline fills them from its Limits (docs/limits.md)
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=attrs.validators.gt(0))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=attrs.validators.gt(0))
    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=attrs.validators.gt(0))


@attrs.frozen
class XoppSource:
    options: XoppSourceOptions

    def pages(self, path: str) -> Iterator[Page]:
        opts = self.options
        data = read_limited(path, min(opts.max_bytes, xopp.MAX_XOPP_BYTES), "Xournal++ files")
        document = xopp.loads(data, dpi=opts.dpi, max_pages=opts.max_pages, max_pixels=opts.max_pixels, source=path)
        yield from document.pages


@hookimpl
def register_page_sources(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="inkml",
            description="InkML ink files (W3C, and InkSight's released files)",
            factory=InkmlSource,
            extensions=(".inkml",),
            sniff=inkml.looks_like_inkml,
        )
    )
    register(
        StageSpec(
            name="ink-json",
            description="inksight-sdk JSON ink documents (validated against the schema)",
            factory=JsonInkSource,
            extensions=(".json",),
            sniff=jsonink.looks_like_ink_json,
        )
    )
    register(
        StageSpec(
            name="xopp",
            description="Xournal++ and Xournal notes (.xopp, .xoj): pen strokes, a word per layer",
            factory=XoppSource,
            options=XoppSourceOptions,
            extensions=(".xopp", ".xoj"),
            sniff=xopp.looks_like_xopp,
        )
    )
