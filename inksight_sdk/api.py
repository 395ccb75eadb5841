"""The short public API: ``convert``, ``load`` and saving documents."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

from .atomic import atomic_output
from .errors import BadArgumentsError
from .ink import InkDocument
from .limits import Limits
from .pipeline import Pipeline, ProgressCallback, default_registry
from .registry import PluginRegistry
from .stages import Mode

__all__ = ["convert", "load", "save_document", "write_document", "exporter_for"]


def convert(
    source: Any,
    *,
    detector: str = "auto",
    derenderer: str = "auto",
    mode: Mode | str = Mode.VANILLA,
    detector_options: Mapping[str, Any] | None = None,
    derenderer_options: Mapping[str, Any] | None = None,
    batch_size: int = 32,
    registry: PluginRegistry | None = None,
    progress: ProgressCallback | None = None,
    limits: Limits | Mapping[str, Any] | None = None,
    source_options: Mapping[str, Any] | None = None,
    isolation: str = "thread",
    refine_words: bool | None = None,
    debug_dir: str | os.PathLike[str] | None = None,
    trace_printed: bool = False,
) -> InkDocument:
    """Convert an image file, PDF, ink file, numpy array or PIL image to ink.

    ``limits`` (a :class:`~inksight_sdk.limits.Limits` or a dict of its
    fields, see docs/limits.md) bounds what the input may cost;
    ``source_options`` go to the file's reader (e.g. ``{"dpi": 200}`` for a
    PDF); ``isolation`` is how pages run under ``limits.page_timeout``;
    ``refine_words`` fits detected quads to their ink (``None``: when the
    detector asks for it; see :class:`Pipeline`); ``debug_dir`` gets PNG masks
    of each page's sheet, structure, ink and traced strokes (docs/debugging.md);
    ``trace_printed`` traces printed words and stamps too (by default they are
    kept as words without strokes).
    For repeated conversions build a :class:`Pipeline` once instead: it keeps
    its stages (and any loaded model) between calls.
    """
    with Pipeline(
        detector=detector,
        derenderer=derenderer,
        mode=mode,
        detector_options=detector_options,
        derenderer_options=derenderer_options,
        batch_size=batch_size,
        registry=registry,
        limits=limits,
        source_options=source_options,
        isolation=isolation,
        refine_words=refine_words,
        debug_dir=debug_dir,
        trace_printed=trace_printed,
    ) as pipeline:
        return pipeline.convert(source, progress=progress)


def load(path: str | os.PathLike[str], *, registry: PluginRegistry | None = None) -> InkDocument:
    """Read an existing ink file (InkML or JSON) without converting anything."""
    from .ink import DocumentMetadata, Page
    from .inputs import open_pages

    pages = []
    for page in open_pages(os.fspath(path), registry or default_registry()):
        if not isinstance(page, Page):
            raise BadArgumentsError(f"{path} is an image, not an ink file; use inksight_sdk.convert() for images")
        pages.append(page)
    return InkDocument(pages=pages, metadata=DocumentMetadata(source=os.fspath(path)))


def exporter_for(path: str, format: str | None = None, registry: PluginRegistry | None = None) -> str:
    """The exporter name for an output path (explicit ``format`` wins)."""
    registry = registry or default_registry()
    if format:
        return registry.select("exporter", format).name
    stage = registry.for_extension("exporter", path)
    if stage is None:
        known = ", ".join(sorted(ext for s in registry.stages("exporter") for ext in s.spec.extensions))
        raise BadArgumentsError(f"cannot tell the output format from {path!r}; use one of {known} or pass --format")
    return stage.name


def write_document(
    document: InkDocument,
    stream: IO[bytes],
    format: str,
    options: Mapping[str, Any] | None = None,
    registry: PluginRegistry | None = None,
) -> None:
    """Serialize to an open binary stream with the named exporter."""
    _, exporter = (registry or default_registry()).create("exporter", format, options)
    exporter.write(document, stream)


def save_document(
    document: InkDocument,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    registry: PluginRegistry | None = None,
    **options: Any,
) -> None:
    """Write ``document`` to ``path`` atomically (temporary file, then rename)."""
    path = os.fspath(path)
    registry = registry or default_registry()
    name = exporter_for(path, format, registry)
    _, exporter = registry.create("exporter", name, options)
    with atomic_output(path) as stream:
        exporter.write(document, stream)
