"""Builtin output formats: JSON (lossless, schema-valid), InkML, SVG, Xournal++, the transcription as text,
and animated replays (GIF, WebP, APNG)."""

from __future__ import annotations

import functools
from typing import IO

import attrs

from ..formats import inkml, jsonink, replay, xopp
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


def _hex_colour(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if not (
        isinstance(value, str)
        and len(value) == 7
        and value[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    ):
        raise ValueError(f"{attribute.name} must be a colour like #1a237e, got {value!r}")


def _optional_positive(instance: object, attribute: attrs.Attribute, value: float | None) -> None:
    if value is not None and not 0 < value <= 100_000:
        raise ValueError(f"{attribute.name} must be a positive number up to 100000, got {value!r}")


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@attrs.frozen
class XoppOptions:
    """Options of the Xournal++ writer (see :mod:`inksight_sdk.formats.xopp`).

    ``dpi``: pixels per inch of the ink (default: the page's own when at
    least 100, else the page fitted into A4); ``photo``: ``embed`` (the
    converted photo, faded to ``photo_opacity`` and at most ``photo_max_side``
    pixels, inside the file), ``link`` (a background naming the photo's
    path) or ``none``; PDF pages are linked as PDF backgrounds either way.
    ``colour`` of the ink, or ``colour_by_order`` (red to violet);
    ``stroke_width`` in page pixels instead of the strokes' own widths.
    """

    dpi: float | None = attrs.field(default=None, converter=_optional_float, validator=_optional_positive)
    photo: str = attrs.field(default="embed", validator=attrs.validators.in_(xopp.PHOTO_MODES))
    photo_opacity: float = attrs.field(
        default=0.45, converter=float, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    photo_max_side: int = attrs.field(
        default=2000, validator=[attrs.validators.instance_of(int), attrs.validators.ge(16)]
    )
    colour: str = attrs.field(default="#1a237e", validator=_hex_colour)
    colour_by_order: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    stroke_width: float | None = attrs.field(default=None, converter=_optional_float, validator=_optional_positive)


@attrs.frozen
class XoppExporter:
    options: XoppOptions

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        stream.write(xopp.dumps(document, **attrs.asdict(self.options)))


@attrs.frozen
class ReplayExporter:
    """The page being written, animated (see :mod:`inksight_sdk.formats.replay`)."""

    options: replay.ReplayOptions
    fmt: str = "gif"

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        stream.write(replay.encode(document, self.fmt, self.options))


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
    register(
        StageSpec(
            name="xopp",
            description="Xournal++ notes: per-point widths over the photo; options dpi, photo=embed|link|none",
            factory=XoppExporter,
            options=XoppOptions,
            extensions=(".xopp",),
        )
    )
    for fmt, label, extensions in (
        ("gif", "animated GIF", (".gif",)),
        ("webp", "animated WebP", (".webp",)),
        ("apng", "animated PNG", (".apng",)),
    ):
        register(
            StageSpec(
                name=fmt,
                description=f"{label} replay of the writing on the page clock; options speed, fps, max_side, "
                "background=photo|white, colour_by_order, max_bytes (default 8 MB)",
                factory=functools.partial(ReplayExporter, fmt=fmt),
                options=replay.ReplayOptions,
                extensions=extensions,
            )
        )
