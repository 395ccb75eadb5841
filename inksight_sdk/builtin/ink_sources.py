"""Builtin readers for existing ink: InkML (standard and InkSight's) and JSON.

They make ink documents inputs as well as outputs, so ``inksight convert
notes.inkml -o notes.svg`` re-exports ink without touching a model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import attrs

from ..errors import InputFileError, InputLimitError
from ..formats import inkml, jsonink
from ..hookspecs import hookimpl
from ..ink import Page
from ..registry import StageSpec


def _read_limited(path: str, limit: int) -> bytes:
    size = os.path.getsize(path)
    if size > limit:
        raise InputLimitError(f"{path} is {size:,} bytes, over the limit of {limit:,} for ink files")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc


@attrs.frozen
class InkmlSource:
    options: None = None

    def pages(self, path: str) -> Iterator[Page]:
        document = inkml.loads(_read_limited(path, inkml.MAX_INKML_BYTES), source=path)
        yield from document.pages


@attrs.frozen
class JsonInkSource:
    options: None = None

    def pages(self, path: str) -> Iterator[Page]:
        document = jsonink.loads(_read_limited(path, jsonink.MAX_JSON_BYTES))
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
