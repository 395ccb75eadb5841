"""Builtin readers for existing ink: InkML (standard and InkSight's) and JSON.

They make ink documents inputs as well as outputs, so ``inksight convert
notes.inkml -o notes.svg`` re-exports ink without touching a model.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ..formats import inkml, jsonink
from ..hookspecs import hookimpl
from ..ink import Page
from ..inputs import read_limited
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
