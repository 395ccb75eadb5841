"""Builtin output formats: JSON (lossless, schema-valid), InkML, SVG, and the transcription as text."""

from __future__ import annotations

from typing import IO

import attrs

from ..formats import inkml, jsonink
from ..formats.svg import render_svg
from ..formats.text import document_text
from ..hookspecs import hookimpl
from ..ink import InkDocument
from ..registry import StageSpec


@attrs.frozen
class JsonOptions:
    indent: int | None = None


@attrs.frozen
class JsonExporter:
    options: JsonOptions

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        stream.write(jsonink.dumps(document, indent=self.options.indent).encode("utf-8"))
        stream.write(b"\n")


@attrs.frozen
class InkmlOptions:
    """``standard``: W3C InkML read by Wacom's library and CROHME-style readers; ``inksight``: InkSight's form."""

    flavour: str = attrs.field(default="standard", validator=attrs.validators.in_(inkml.FLAVOURS))


@attrs.frozen
class InkmlExporter:
    options: InkmlOptions

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        stream.write(inkml.dumps(document, flavour=self.options.flavour).encode("utf-8"))


@attrs.frozen
class TextExporter:
    """The transcription alone (see :mod:`inksight_sdk.formats.text`)."""

    options: None = None

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        stream.write(document_text(document).encode("utf-8"))


@attrs.frozen
class SvgOptions:
    colour_by_order: bool = False
    with_image: bool = False
    stroke_width: float | None = None


@attrs.frozen
class SvgExporter:
    options: SvgOptions

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        svg = render_svg(
            document,
            colour_by_order=self.options.colour_by_order,
            with_image=self.options.with_image,
            stroke_width=self.options.stroke_width,
        )
        stream.write(svg.encode("utf-8"))


@hookimpl
def register_exporters(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="json",
            description="JSON form of the ink document (lossless; schemas/ink-document.schema.json)",
            factory=JsonExporter,
            options=JsonOptions,
            extensions=(".json", ".ink.json"),
        )
    )
    register(
        StageSpec(
            name="inkml",
            description="W3C InkML: traces X Y T in page pixels, words as traceGroups; option flavour=inksight",
            factory=InkmlExporter,
            options=InkmlOptions,
            extensions=(".inkml",),
        )
    )
    register(
        StageSpec(
            name="txt",
            description="the transcription in reading order: a line per text line, pages by form feeds",
            factory=TextExporter,
            extensions=(".txt",),
        )
    )
    register(
        StageSpec(
            name="svg",
            description="SVG paths; options colour_by_order (red to violet) and with_image",
            factory=SvgExporter,
            options=SvgOptions,
            extensions=(".svg",),
        )
    )
