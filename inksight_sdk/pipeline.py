"""The orchestrator: page sources -> detector -> crops -> derenderer -> merge.

A :class:`Pipeline` holds its own plugin registry and lazily built stage
objects, so several pipelines with different plugins can live in one process
and one pipeline can be used from several threads. Failures are contained: a
derenderer that fails on a batch is retried word by word, and a word or page
that still fails is recorded in ``metadata.problems`` while the rest of the
document is kept.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ._version import __version__
from .errors import BadArgumentsError, InkSightError, StageError
from .geometry import CropTransform, crop_word, plan_crop
from .ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from .inputs import open_pages, raster_from_array
from .layout import assign_time, reading_order, remove_duplicate_strokes
from .registry import PluginRegistry
from .stages import DerenderedWord, Layout, Mode, RasterPage, WordCrop

__all__ = ["Pipeline", "ProgressCallback", "default_registry"]

log = logging.getLogger(__name__)

#: called as ``progress(pages_done, pages_total_or_None)`` after each page
ProgressCallback = Callable[[int, "int | None"], None]

_default_lock = threading.Lock()
_default: PluginRegistry | None = None


def default_registry() -> PluginRegistry:
    """The registry of builtin and installed plugins, built once per process.

    A registry is immutable after construction, so sharing it is safe; build
    your own :class:`PluginRegistry` for a pipeline with other plugins.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = PluginRegistry()
        return _default


class Pipeline:
    """A reusable converter. ``Pipeline().convert("page.jpg")`` -> :class:`InkDocument`.

    ``detector`` and ``derenderer`` are stage names or ``"auto"``; options
    are passed to the stage's typed options class. ``batch_size`` is how many
    word crops one derenderer call receives.
    """

    def __init__(
        self,
        *,
        detector: str = "auto",
        derenderer: str = "auto",
        mode: Mode | str = Mode.VANILLA,
        detector_options: Mapping[str, Any] | None = None,
        derenderer_options: Mapping[str, Any] | None = None,
        batch_size: int = 32,
        registry: PluginRegistry | None = None,
    ) -> None:
        try:
            self.mode = Mode(mode)
        except ValueError:
            raise BadArgumentsError(f"unknown mode {mode!r}; use one of {', '.join(m.value for m in Mode)}") from None
        if batch_size < 1:
            raise BadArgumentsError(f"batch size must be at least 1, got {batch_size}")
        self.registry = registry or default_registry()
        self.batch_size = batch_size
        self._requested = {"detector": detector, "derenderer": derenderer}
        self._options = {"detector": dict(detector_options or {}), "derenderer": dict(derenderer_options or {})}
        self._stages: dict[str, tuple[str, Any]] = {}
        self._lock = threading.Lock()
        # fail fast on unknown names, before any page is read
        for kind, name in self._requested.items():
            self.registry.select(kind, name)

    def _stage(self, kind: str) -> tuple[str, Any]:
        with self._lock:
            if kind not in self._stages:
                self._stages[kind] = self.registry.create(kind, self._requested[kind], self._options[kind])
            return self._stages[kind]

    # -- public API ---------------------------------------------------------

    def convert(self, source: Any, *, progress: ProgressCallback | None = None) -> InkDocument:
        """Convert a file path, a numpy image or a PIL image to an ink document."""
        pages: list[Page] = []
        problems: list[str] = []
        used: dict[str, str] = {}
        dpi = None
        for done, item in enumerate(self._page_inputs(source), start=1):
            if isinstance(item, Page):
                pages.append(item)
            else:
                dpi = dpi or item.dpi
                page = self._convert_raster(item, problems, used)
                if page is not None:
                    pages.append(page)
            if progress is not None:
                progress(done, None)
        versions = self.registry.versions()
        metadata = DocumentMetadata(
            source=source
            if isinstance(source, str)
            else (os.fspath(source) if isinstance(source, os.PathLike) else None),
            sdk_version=__version__,
            plugins={
                kind: f"{name} ({self._distribution(kind, name, versions)})" for kind, name in sorted(used.items())
            },
            dpi=dpi,
            problems=tuple(problems),
        )
        return InkDocument(pages=tuple(pages), metadata=metadata)

    def convert_page(self, image: np.ndarray, index: int = 0) -> Page:
        """Convert one ``(h, w, 3) uint8`` page image; raises if anything fails."""
        problems: list[str] = []
        page = self._convert_raster(raster_from_array(image, index=index), problems, {})
        if problems or page is None:
            raise StageError("; ".join(problems))
        return page

    # -- internals ----------------------------------------------------------

    def _distribution(self, kind: str, name: str, versions: Mapping[str, str]) -> str:
        dist = self.registry.select(kind, name).distribution
        return f"{dist} {versions[dist]}" if dist in versions else dist

    def _page_inputs(self, source: Any) -> Iterator[RasterPage | Page]:
        if isinstance(source, (str, os.PathLike)):
            yield from open_pages(os.fspath(source), self.registry)
        else:
            yield raster_from_array(source)

    def _convert_raster(self, raster: RasterPage, problems: list[str], used: dict[str, str]) -> Page | None:
        where = f"page {raster.index + 1}"
        height, width = raster.image.shape[:2]
        try:
            detector_name, detector = self._stage("detector")
            used["detector"] = detector_name
            layout = _checked_layout(detector.detect(raster.image), detector_name)
        except InkSightError as exc:
            if not isinstance(exc, StageError):
                raise
            problems.append(f"{where}: {exc}")
            log.warning("%s skipped: %s", where, exc)
            return None
        except Exception as exc:  # a plugin bug on one page must not lose the others
            problems.append(f"{where}: detector failed: {type(exc).__name__}: {exc}")
            log.warning("%s skipped: detector failed: %s", where, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            return None
        derenderer_name, derenderer = self._stage("derenderer")
        used["derenderer"] = derenderer_name
        words = self._derender_words(raster, layout, detector_name, derenderer_name, derenderer, problems)
        ordered = reading_order(
            [w for w, _, _ in words],
            layout.direction,
            blocks=[b for _, b, _ in words],
            lines=[ln for _, _, ln in words],
        )
        merged = assign_time(remove_duplicate_strokes(ordered))
        return Page(
            width=width,
            height=height,
            index=raster.index,
            words=tuple(merged),
            image=raster.source,
            dpi=raster.dpi,
            direction=layout.direction,
        )

    def _derender_words(
        self,
        raster: RasterPage,
        layout: Layout,
        detector_name: str,
        derenderer_name: str,
        derenderer: Any,
        problems: list[str],
    ) -> list[tuple[WordInk, int | None, int | None]]:
        spec = derenderer.crop_spec
        jobs: list[tuple[int, CropTransform, WordCrop]] = []
        for i, word in enumerate(layout.words):
            transform = plan_crop(word.quad, spec)
            image = crop_word(raster.image, transform, spec.fill)
            jobs.append((i, transform, WordCrop(image=image, content=transform.to_crop(word.quad), text=word.text)))
        results: dict[int, DerenderedWord] = {}
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start : start + self.batch_size]
            results.update(self._derender_batch(batch, derenderer, derenderer_name, raster.index, problems))
        out = []
        for i, transform, _ in jobs:
            if i not in results:
                continue
            detected = layout.words[i]
            result = results[i]
            strokes = tuple(_to_page(s, transform) for s in result.strokes if len(s.points))
            text = detected.text if detected.text is not None else result.text
            ink = WordInk(
                quad=detected.quad,
                strokes=strokes,
                text=text,
                confidence=detected.confidence,
                detector=detector_name,
                derenderer=derenderer_name,
            )
            out.append((ink, detected.block, detected.line))
        return out

    def _derender_batch(
        self,
        batch: Sequence[tuple[int, CropTransform, WordCrop]],
        derenderer: Any,
        name: str,
        page_index: int,
        problems: list[str],
    ) -> dict[int, DerenderedWord]:
        crops = [crop for _, _, crop in batch]
        try:
            results = _checked_results(derenderer.derender(crops, self.mode), len(crops), name)
            return {i: r for (i, _, _), r in zip(batch, results)}
        except Exception as exc:
            if len(batch) == 1:
                i = batch[0][0]
                problems.append(f"page {page_index + 1}, word {i + 1}: derenderer {name} failed: {_describe(exc)}")
                log.warning("page %d word %d skipped: %s", page_index + 1, i + 1, _describe(exc))
                return {}
            log.info("derenderer %s failed on a batch of %d (%s); retrying word by word", name, len(batch), exc)
        out: dict[int, DerenderedWord] = {}
        for job in batch:
            out.update(self._derender_batch([job], derenderer, name, page_index, problems))
        return out


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, InkSightError) else f"{type(exc).__name__}: {exc}"


def _checked_layout(layout: Any, name: str) -> Layout:
    if not isinstance(layout, Layout):
        raise StageError(f"detector {name} returned {type(layout).__name__}, expected inksight_sdk.Layout")
    return layout


def _checked_results(results: Any, expected: int, name: str) -> list[DerenderedWord]:
    results = list(results)
    if len(results) != expected:
        raise StageError(f"derenderer {name} returned {len(results)} results for {expected} crops")
    for r in results:
        if not isinstance(r, DerenderedWord):
            raise StageError(f"derenderer {name} returned {type(r).__name__}, expected DerenderedWord")
        for stroke in r.strokes:
            points = np.asarray(stroke.points, dtype=np.float64)
            if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
                raise StageError(f"derenderer {name} returned malformed stroke points (shape {points.shape} or NaN)")
    return results


def _to_page(stroke: Any, transform: CropTransform) -> Stroke:
    """Map a derendered stroke from crop pixels back to page pixels."""
    points = np.asarray(stroke.points, dtype=np.float64)
    scale = transform.scale
    width = None if stroke.width is None else np.asarray(stroke.width, np.float64) / scale
    return Stroke(points=transform.to_page(points), t=stroke.t, width=width, pressure=stroke.pressure)
