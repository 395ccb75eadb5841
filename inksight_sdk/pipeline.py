"""The orchestrator: page sources -> detector -> crops -> derenderer -> merge.

A :class:`Pipeline` holds its own plugin registry and lazily built stage
objects, so several pipelines with different plugins can live in one process
and one pipeline can be used from several threads. Failures are contained: a
derenderer that fails on a batch is retried word by word, and a word or page
that still fails is recorded in ``metadata.problems`` while the rest of the
document is kept. Malformed stage output (NaN, points or quads far outside the
page, the wrong number of results, absurd word counts) is treated as a
failure of that word or page.

Limits (:class:`~inksight_sdk.limits.Limits`) are enforced on every page,
whichever source produced it. With ``limits.page_timeout`` set, each page's
detector and derenderer calls run in a worker and a page that does not finish
in time is reported and skipped:

- ``isolation="thread"`` (default): a daemon thread per page. Cheap, works
  with any registry, but a Python thread cannot be killed: a hung stage keeps
  its thread (and CPU) until the process ends, so the pipeline drops that
  stage object and builds a fresh one for the next page. A stage stuck in C
  code that holds the GIL cannot be interrupted this way.
- ``isolation="process"``: one worker process (spawned, with its own stages)
  converts the pages; a page over time is stopped by killing the worker, and a
  worker that crashes (a segfault in a native library) costs only its page. A
  new worker starts for the next page, so the stage's start-up cost is paid
  again after each kill. Plugins must be loadable in the worker (installed
  entry points or importable modules).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._version import __version__
from .children import Child
from .errors import BadArgumentsError, InkSightError, OutputFileError, StageError
from .geometry import CropTransform, crop_mask, crop_word, plan_crop
from .imaging import check_pixels
from .ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from .inputs import check_source_options, input_parts, open_pages, raster_from_array
from .layout import assign_time, reading_order, remove_duplicate_strokes
from .limits import Limits
from .registry import PluginRegistry
from .stages import REPORTED, DerenderedWord, DetectedWord, Layout, Mode, RasterPage, WordCrop

__all__ = ["Pipeline", "ProgressCallback", "default_registry", "join_parts"]

log = logging.getLogger(__name__)

#: the words of a problem that kept a word's partial ink (not a lost word): the CLI counts them apart
PARTIAL_INK = "kept partial ink"

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
    word crops one derenderer call receives. ``source_options`` go to the
    page source that reads each file (e.g. ``{"dpi": 200}`` for PDFs; a
    source ignores keys it does not declare). ``limits`` is a
    :class:`~inksight_sdk.limits.Limits` or a dict of its fields;
    ``isolation`` (``"thread"`` or ``"process"``) says how a page runs when
    ``limits.page_timeout`` is set. Call :meth:`close` (or use ``with``) to
    stop a worker process early; it also stops when the process exits.
    ``refine_words`` fits each detected quad to the ink of its word
    (:mod:`~inksight_sdk.vision.refine`); ``None`` refines for detectors that
    ask for it (a ``refine_words = True`` attribute: OCR engines whose boxes
    clip handwriting). ``debug_dir`` (a folder, created if needed) gets, per
    page, PNG masks of what the detector took for the sheet, the structure
    and the ink when it can say (``detect_explained``), and of the traced
    strokes (:mod:`~inksight_sdk.debug_masks`). Words the detector marks
    ``printed`` or ``stamp`` (:attr:`DetectedWord.kind`) are kept without
    strokes unless ``trace_printed`` is true: they are not the writer's ink.
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
        limits: Limits | Mapping[str, Any] | None = None,
        source_options: Mapping[str, Any] | None = None,
        isolation: str = "thread",
        refine_words: bool | None = None,
        debug_dir: str | os.PathLike[str] | None = None,
        trace_printed: bool = False,
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
        self.limits = Limits.of(dict(limits) if isinstance(limits, Mapping) else limits)
        if isolation not in ("thread", "process"):
            raise BadArgumentsError(f"unknown isolation {isolation!r}; use thread or process")
        self.isolation = isolation
        self.refine_words = refine_words
        self.debug_dir = None if debug_dir is None else _debug_folder(debug_dir)
        self.trace_printed = trace_printed
        self._source_options = dict(source_options or {})
        check_source_options(self._source_options, self.registry)
        self._worker: _PageWorker | None = None
        self._worker_lock = threading.Lock()
        # fail fast on unknown names, before any page is read
        for kind, name in self._requested.items():
            self.registry.select(kind, name)
        if isolation == "process":
            self.registry.recipe()  # plugins must be loadable in a worker: fail now, not on page 1

    def _worker_args(self) -> dict[str, Any]:
        return {
            "detector": self._requested["detector"],
            "derenderer": self._requested["derenderer"],
            "mode": self.mode.value,
            "detector_options": self._options["detector"],
            "derenderer_options": self._options["derenderer"],
            "batch_size": self.batch_size,
            "refine_words": self.refine_words,
            "debug_dir": self.debug_dir,
            "trace_printed": self.trace_printed,
            "limits": attrs.evolve(self.limits, page_timeout=None),
        }

    def close(self) -> None:
        """Stop the worker process, if one runs, and close the stages that hold resources.

        A stage with a ``close()`` method (the ``skeleton`` derenderer's word
        helpers) is closed and dropped; using the pipeline again builds it anew.
        """
        with self._worker_lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
        with self._lock:
            stages, self._stages = self._stages, {}
        for _, stage in stages.values():
            close = getattr(stage, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _discard_stage(self, kind: str) -> None:
        with self._lock:
            self._stages.pop(kind, None)

    def _stage(self, kind: str) -> tuple[str, Any]:
        with self._lock:
            if kind not in self._stages:
                self._stages[kind] = self.registry.create(kind, self._requested[kind], self._options[kind])
            return self._stages[kind]

    # -- public API ---------------------------------------------------------

    def convert(
        self, source: Any, *, progress: ProgressCallback | None = None, part: Mapping[str, Any] | None = None
    ) -> InkDocument:
        """Convert a file path, a numpy image or a PIL image to an ink document.

        ``part`` (one of :meth:`parts`) converts only that part of a file: an
        engine that spreads one input's pages over many workers converts each
        part apart and joins the documents with :func:`join_parts`.
        """
        pages: list[Page] = []
        problems: list[str] = []
        used: dict[str, str] = {}
        dpi = None
        done = 0
        for group in self._page_groups(self._page_inputs(source, part)):
            detected = self._detect_together(group) if len(group) > 1 else [None]
            for item, layout in zip(group, detected):
                dpi = dpi or item.dpi
                if isinstance(item, Page):
                    pages.append(item)
                else:
                    page = self._convert_guarded(item, problems, used, layout)
                    if page is not None:
                        pages.append(page)
                done += 1
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
        page = self._convert_guarded(raster_from_array(image, index=index), problems, {})
        if problems or page is None:
            raise StageError("; ".join(problems))
        return page

    # -- internals ----------------------------------------------------------

    def _distribution(self, kind: str, name: str, versions: Mapping[str, str]) -> str:
        dist = self.registry.select(kind, name).distribution
        return f"{dist} {versions[dist]}" if dist in versions else dist

    def parts(self, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
        """The parts of a file that can be converted apart, in order, for :meth:`convert`'s ``part``.

        Each part is the reader options that read it (a PDF: one per page,
        ``{"first_page": n, "last_page": n}``), planned without rendering and
        with the input's limits checked; ``[{}]`` (the whole file) when its
        reader cannot split it. Raises what converting the file would for a
        file that cannot be opened.
        """
        return input_parts(os.fspath(path), self.registry, self.limits, self._source_options)

    def _page_inputs(self, source: Any, part: Mapping[str, Any] | None = None) -> Iterator[RasterPage | Page]:
        if isinstance(source, (str, os.PathLike)):
            options = {**self._source_options, **(part or {})}
            yield from open_pages(os.fspath(source), self.registry, self.limits, options)
        else:
            yield raster_from_array(source)

    def _page_groups(self, items: Iterator[RasterPage | Page]) -> Iterator[list[RasterPage | Page]]:
        """Consecutive raster pages in groups the detector takes at once (see :class:`~.stages.Detector`).

        Ink pages travel alone; the detector is only built (and asked) once a
        raster page comes, so converting an ink file never loads a model.
        """
        size: int | None = None
        group: list[RasterPage | Page] = []
        for item in items:
            if isinstance(item, Page):
                if group:
                    yield group
                    group = []
                yield [item]
                continue
            height, width = item.image.shape[:2]
            check_pixels(f"page {item.index + 1}", width, height, self.limits.max_pixels)  # before any detector
            if size is None:
                size = self._pages_per_detection()
            group.append(item)
            if len(group) >= size:
                yield group
                group = []
        if group:
            yield group

    def _pages_per_detection(self) -> int:
        if self.limits.page_timeout is not None:
            return 1
        detector = self._stage("detector")[1]
        if not callable(getattr(detector, "detect_batch", None)):
            return 1
        return max(1, int(getattr(detector, "batch_pages", 1)))

    def _detect_together(self, group: Sequence[RasterPage | Page]) -> list[Layout | BaseException | None]:
        """The detector's ``detect_batch`` over a group of raster pages; None (detect alone) if it fails whole."""
        name, detector = self._stage("detector")
        images = [item.image for item in group if isinstance(item, RasterPage)]
        try:
            results = list(detector.detect_batch(images))
        except InkSightError as exc:
            if not isinstance(exc, StageError):
                raise
            results = []
        except Exception as exc:  # a plugin bug: each page gets its own chance
            log.info("detector %s failed on %d pages at once (%s); detecting page by page", name, len(images), exc)
            results = []
        if len(results) != len(images):
            return [None] * len(group)
        return results

    def _convert_guarded(
        self,
        raster: RasterPage,
        problems: list[str],
        used: dict[str, str],
        detected: Layout | BaseException | None = None,
    ) -> Page | None:
        """Convert one page, within ``limits.page_timeout`` when it is set.

        ``detected`` is the page's layout (or the error that cost it) when the
        detector already saw the page among others; None: detect it here.
        """
        height, width = raster.image.shape[:2]
        check_pixels(f"page {raster.index + 1}", width, height, self.limits.max_pixels)
        timeout = self.limits.page_timeout
        if timeout is not None and self.isolation == "process":
            return self._convert_in_process(raster, problems, used, timeout)
        self._warm_derenderer()
        if timeout is None:
            return self._convert_raster(raster, problems, used, detected=detected)
        return self._convert_in_thread(raster, problems, used, timeout)

    def _warm_derenderer(self) -> None:
        """Build the derenderer and let it start its helpers, so they come up while the detector reads the page.

        Called on the thread that owns the pipeline: a helper process dies
        with the thread that started it (see :mod:`inksight_sdk.children`),
        and a page thread under ``page_timeout`` ends with its page.
        """
        warm = getattr(self._stage("derenderer")[1], "warm", None)
        if callable(warm):
            warm()

    def _convert_in_thread(
        self, raster: RasterPage, problems: list[str], used: dict[str, str], timeout: float
    ) -> Page | None:
        # stages are built here, outside the clock: loading a model is not the page's time (the derenderer
        # was built, and its helpers started, by the caller)
        self._stage("detector")
        box: dict[str, Any] = {"stage": "detector"}
        local_problems: list[str] = []
        local_used: dict[str, str] = {}

        def on_stage(kind: str) -> None:
            box["stage"] = kind

        def run() -> None:
            try:
                box["page"] = self._convert_raster(raster, local_problems, local_used, on_stage)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"inksight-page-{raster.index + 1}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            kind = box["stage"]
            name = self._requested[kind] if kind not in used else used[kind]
            name = self._stages.get(kind, (name,))[0]
            problems.append(_timeout_message(raster.index, kind, name, timeout))
            log.warning("%s", problems[-1], extra=REPORTED)
            # the stuck thread keeps its stage object; later pages get a fresh one
            self._discard_stage(kind)
            return None
        if "error" in box:
            raise box["error"]
        problems.extend(local_problems)
        used.update(local_used)
        return box.get("page")

    def _convert_in_process(
        self, raster: RasterPage, problems: list[str], used: dict[str, str], timeout: float
    ) -> Page | None:
        with self._worker_lock:
            if self._worker is not None and not self._worker.alive():
                self._worker.stop()  # died between pages (e.g. its parent thread ended): replace it
                self._worker = None
            if self._worker is None:
                self._worker = _PageWorker(self.registry.recipe(), self._worker_args())
            worker = self._worker
            try:
                outcome = worker.convert(raster, timeout)
            except BaseException:
                # an error (or Ctrl-C) mid-page leaves the worker in an unknown state
                worker.stop()
                self._worker = None
                raise
            if outcome.failure is not None:
                worker.stop()
                self._worker = None
                problems.append(outcome.failure)
                log.warning("%s", outcome.failure, extra=REPORTED)
                return None
            problems.extend(outcome.problems)
            used.update(outcome.used)
            return outcome.page

    def _convert_raster(
        self,
        raster: RasterPage,
        problems: list[str],
        used: dict[str, str],
        on_stage: Callable[[str], None] | None = None,
        detected: Layout | BaseException | None = None,
    ) -> Page | None:
        where = f"page {raster.index + 1}"
        height, width = raster.image.shape[:2]
        on_stage = on_stage or _ignore_stage
        masks: Mapping[str, np.ndarray] = {}  # the detector's explanation, for debug_dir
        try:
            on_stage("detector")
            detector_name, detector = self._stage("detector")
            used["detector"] = detector_name
            if isinstance(detected, BaseException):
                raise detected
            if detected is not None:
                found = detected
            elif self.debug_dir is not None and callable(getattr(detector, "detect_explained", None)):
                found, masks = detector.detect_explained(raster.image)
            else:
                found = detector.detect(raster.image)
            layout = _checked_layout(found, detector_name, self.limits.max_words)
            if self._refines(detector):
                from .vision.refine import refine_layout  # OpenCV: imported by the pages that need it

                layout, report = refine_layout(raster.image, layout)
                log.info("%s: quads refined to their ink: %s", where, report)
        except InkSightError as exc:
            if not isinstance(exc, StageError):
                raise
            problems.append(f"{where}: {exc}")
            log.warning("%s skipped: %s", where, exc, extra=REPORTED)
            return None
        except Exception as exc:  # a plugin bug on one page must not lose the others
            problems.append(f"{where}: detector failed: {type(exc).__name__}: {exc}")
            debug = log.isEnabledFor(logging.DEBUG)
            log.warning("%s skipped: detector failed: %s", where, exc, exc_info=debug, extra=REPORTED)
            return None
        on_stage("derenderer")
        derenderer_name, derenderer = self._stage("derenderer")
        used["derenderer"] = derenderer_name
        words = self._derender_words(raster, layout, detector_name, derenderer_name, derenderer, problems)
        if layout.words and not self.trace_printed and all(w.kind != "handwritten" for w in layout.words):
            kinds = sorted({w.kind for w in layout.words})
            log.warning(
                "page %d: only %s found (%d words), no handwriting; they are kept as words without strokes "
                "(trace them with --trace-printed)",
                raster.index + 1,
                " and ".join("print" if k == "printed" else "stamps" for k in kinds),
                len(layout.words),
            )
        ordered = reading_order(
            [w for w, _, _ in words],
            layout.direction,
            blocks=[b for _, b, _ in words],
            lines=[ln for _, _, ln in words],
        )
        merged = assign_time(remove_duplicate_strokes(ordered))
        if self.debug_dir is not None:
            from pathlib import Path

            from .debug_masks import write_page_masks

            strokes = [np.asarray(s.points) for word in merged for s in word.strokes]
            write_page_masks(Path(self.debug_dir), raster.source, raster.index, raster.image, masks, strokes)
        return Page(
            width=width,
            height=height,
            index=raster.index,
            words=tuple(merged),
            image=raster.source,
            dpi=raster.dpi,
            direction=layout.direction,
        )

    def _refines(self, detector: Any) -> bool:
        wanted = self.refine_words
        return bool(getattr(detector, "refine_words", False)) if wanted is None else wanted

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
        where = f"page {raster.index + 1}"
        height, width = raster.image.shape[:2]
        jobs: list[tuple[int, CropTransform, WordCrop]] = []
        untraced: dict[int, WordInk] = {}  # printed words and stamps, kept as words without strokes
        turned: np.ndarray | None = None  # the page turned over, for words lighter than their ground (chalk)
        page_ink = None if layout.ink is None else np.asarray(layout.ink, dtype=np.uint8)  # converted once a page
        for i, word in enumerate(layout.words):
            try:
                _check_word(word, width, height)
                if word.kind != "handwritten" and not self.trace_printed:
                    untraced[i] = WordInk(
                        quad=word.quad,
                        text=word.text,
                        confidence=word.confidence,
                        detector=detector_name,
                        kind=word.kind,
                    )
                    continue
                transform = plan_crop(word.quad, spec)
                page_image = raster.image
                if word.polarity == "light":
                    turned = 255 - raster.image if turned is None else turned
                    page_image = turned
                image = crop_word(page_image, transform, spec.fill)
                # the page's ink mask is the handwriting's: a stamp traced on request is not in it
                traced_as_is = page_ink is None or word.kind != "handwritten"
                hint = None if traced_as_is else crop_mask(page_ink, transform, (height, width))
                crop = WordCrop(
                    image=image, content=transform.to_crop(word.quad), text=word.text, script=word.script, ink=hint
                )
            except Exception as exc:
                problems.append(f"{where}, word {i + 1}: detector {detector_name} gave a bad word: {_describe(exc)}")
                log.warning("%s", problems[-1], extra=REPORTED)
                continue
            jobs.append((i, transform, crop))
        results: dict[int, DerenderedWord] = {}
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start : start + self.batch_size]
            results.update(self._derender_batch(batch, derenderer, derenderer_name, raster.index, problems))
        kept: dict[int, WordInk] = dict(untraced)
        for i, transform, _ in jobs:
            if i not in results:
                continue
            detected = layout.words[i]
            result = results[i]
            try:
                strokes = tuple(_to_page(s, transform) for s in result.strokes if len(s.points))
                _check_on_page(strokes, detected.quad, width, height)
                text = detected.text if detected.text is not None else result.text
                ink = WordInk(
                    quad=detected.quad,
                    strokes=strokes,
                    text=text,
                    confidence=detected.confidence,
                    detector=detector_name,
                    derenderer=derenderer_name,
                    kind=detected.kind,
                )
            except Exception as exc:
                problems.append(
                    f"{where}, word {i + 1}: derenderer {derenderer_name} returned bad ink: {_describe(exc)}"
                )
                log.warning("%s", problems[-1], extra=REPORTED)
                continue
            if result.warning:
                problems.append(f"{where}, word {i + 1}: derenderer {derenderer_name} {PARTIAL_INK}: {result.warning}")
                log.warning("%s", problems[-1], extra=REPORTED)
            kept[i] = ink
        return [(kept[i], layout.words[i].block, layout.words[i].line) for i in sorted(kept)]

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
                log.warning("page %d word %d skipped: %s", page_index + 1, i + 1, _describe(exc), extra=REPORTED)
                return {}
            log.info("derenderer %s failed on a batch of %d (%s); retrying word by word", name, len(batch), exc)
        out: dict[int, DerenderedWord] = {}
        for job in batch:
            out.update(self._derender_batch([job], derenderer, name, page_index, problems))
        return out


def _debug_folder(folder: str | os.PathLike[str]) -> str:
    """``debug_dir`` checked (created if needed) before any page is converted."""
    from .debug_masks import check_debug_dir

    try:
        return os.fspath(check_debug_dir(folder))
    except OSError as exc:
        raise OutputFileError(
            f"cannot use {os.fspath(folder)!r} as the debug folder: {exc.strerror or exc}; give a writable folder"
        ) from None


def join_parts(documents: Sequence[InkDocument]) -> InkDocument:
    """One input's document from the documents of its parts, in order (see :meth:`Pipeline.parts`).

    The same document :meth:`Pipeline.convert` gives for the whole input:
    pages and problems in part order, every stage that ran on some part, the
    first part's DPI that has one.
    """
    plugins: dict[str, str] = {}
    for document in documents:
        plugins.update(document.metadata.plugins)
    first = documents[0].metadata
    return InkDocument(
        pages=tuple(page for document in documents for page in document.pages),
        metadata=attrs.evolve(
            first,
            plugins=dict(sorted(plugins.items())),
            dpi=next((d.metadata.dpi for d in documents if d.metadata.dpi), None),
            problems=tuple(p for document in documents for p in document.metadata.problems),
        ),
    )


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, InkSightError) else f"{type(exc).__name__}: {exc}"


def _ignore_stage(kind: str) -> None:
    return None


def _timeout_message(index: int, kind: str, name: str, timeout: float) -> str:
    return f"page {index + 1}: {kind} {name} did not finish within {timeout:g} s (--page-timeout); page skipped"


def _checked_layout(layout: Any, name: str, max_words: int) -> Layout:
    if not isinstance(layout, Layout):
        raise StageError(f"detector {name} returned {type(layout).__name__}, expected inksight_sdk.Layout")
    if len(layout.words) > max_words:
        raise StageError(
            f"detector {name} returned {len(layout.words):,} words, over the limit of {max_words:,} (--max-words)"
        )
    return layout


def _outside(points: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return (points[:, 0] < x0) | (points[:, 0] > x1) | (points[:, 1] < y0) | (points[:, 1] > y1)


def _check_word(word: Any, width: int, height: int) -> None:
    """A detected word must be a DetectedWord whose quad has an area and overlaps the page.

    Corners may stick out (a rotated word at the edge), but not by more than
    the page's own size: a quad at (1e6, 1e6) is garbage, not a word.
    """
    if not isinstance(word, DetectedWord):
        raise StageError(f"a {type(word).__name__} instead of a DetectedWord")
    quad = np.asarray(word.quad, dtype=np.float64)
    reach = float(max(width, height))
    bad = _outside(quad, (-reach, -reach, width - 1 + reach, height - 1 + reach))
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    if bad.any() or hi[0] < 0 or hi[1] < 0 or lo[0] > width - 1 or lo[1] > height - 1:
        x, y = quad[int(np.argmax(bad))]
        raise StageError(f"quad corner ({x:.4g}, {y:.4g}) far outside the {width}x{height} page")
    x, y = quad[:, 0], quad[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    if area < 1.0:
        raise StageError(f"degenerate quad (area {area:.3g} px^2)")


def _check_on_page(strokes: Sequence[Stroke], quad: np.ndarray, width: int, height: int) -> None:
    """Ink must lie on the page or the word's quad, give or take 10% (at least 16 px)."""
    q = np.asarray(quad, dtype=np.float64)
    x0, y0 = min(0.0, float(q[:, 0].min())), min(0.0, float(q[:, 1].min()))
    x1, y1 = max(width - 1.0, float(q[:, 0].max())), max(height - 1.0, float(q[:, 1].max()))
    tol = max(16.0, 0.1 * max(x1 - x0, y1 - y0))
    box = (x0 - tol, y0 - tol, x1 + tol, y1 + tol)
    for stroke in strokes:
        points = np.asarray(stroke.points, dtype=np.float64)
        bad = _outside(points, box)
        if bad.any():
            x, y = points[int(np.argmax(bad))]
            raise StageError(f"point ({x:.4g}, {y:.4g}) far outside the {width}x{height} page")


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


# -- process isolation ------------------------------------------------------


@attrs.frozen
class _Outcome:
    page: Page | None = None
    problems: tuple[str, ...] = ()
    used: Mapping[str, str] = attrs.field(factory=dict)
    failure: str | None = None  # the page was lost (timeout, worker died); the worker must be replaced


#: how long a worker may take to start (imports, building stages, loading a model)
WORKER_START_TIMEOUT = 600.0


class _PageWorker:
    """One child process (:class:`~inksight_sdk.children.Child`) that converts pages with its own pipeline."""

    def __init__(self, recipe: tuple[tuple[str, ...], bool, bool], pipeline_args: dict[str, Any]) -> None:
        self._child = Child("inksight_sdk.pipeline:_worker_main")
        self._inbox = self._child.inbox
        self._started = False
        try:
            self._child.outbox.send((recipe, pipeline_args))
        except OSError:
            pass  # the worker died at once; _start reports it

    def _receive(self, deadline: float) -> Any:
        """The next message, ``None`` on timeout; raises EOFError when the worker died."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                if self._inbox.poll(min(remaining, 1.0)):
                    return self._inbox.recv()
            except (OSError, EOFError) as exc:
                raise EOFError from exc
            if not self._child.alive() and not self._inbox.poll(0):
                raise EOFError

    def _exit_code(self) -> int | None:
        return self._child.exit_code()

    def _start(self) -> None:
        try:
            message = self._receive(time.monotonic() + WORKER_START_TIMEOUT)
        except EOFError:
            message = ("error", StageError(f"the page worker exited while starting (exit code {self._exit_code()})"))
        if message is None:
            raise StageError(f"the page worker did not start within {WORKER_START_TIMEOUT:g} s")
        if message[0] == "error":
            raise message[1]
        self._started = True

    def convert(self, raster: RasterPage, timeout: float) -> _Outcome:
        if not self._started:
            self._start()
        stage, name = "detector", "?"
        try:
            self._child.outbox.send(("page", raster))
        except OSError:
            return _Outcome(failure=f"page {raster.index + 1}: the worker process died (exit code {self._exit_code()})")
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._receive(deadline)
            except EOFError:
                return _Outcome(
                    failure=f"page {raster.index + 1}: the worker process died (exit code {self._exit_code()}) "
                    f"in {stage} {name}; page skipped"
                )
            if message is None:
                return _Outcome(failure=_timeout_message(raster.index, stage, name, timeout))
            if message[0] == "stage":
                stage, name = message[1], message[2]
            elif message[0] == "done":
                return _Outcome(page=message[1], problems=tuple(message[2]), used=message[3])
            else:
                raise message[1]

    def alive(self) -> bool:
        return self._child.alive()

    def stop(self) -> None:
        self._child.stop()


def _portable_error(exc: BaseException) -> BaseException:
    """An exception that survives pickling back to the parent."""
    import pickle

    if isinstance(exc, InkSightError):
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception:
            return InkSightError(str(exc))
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _worker_main(inbox: Any, outbox: Any) -> None:
    """The worker process: build the stages once, then convert pages until the parent goes."""
    try:
        recipe, pipeline_args = inbox.recv()
        registry = PluginRegistry.from_recipe(recipe)
        pipeline = Pipeline(registry=registry, **pipeline_args)
        pipeline._stage("detector")
        pipeline._warm_derenderer()
    except BaseException as exc:
        outbox.send(("error", _portable_error(exc)))
        return
    outbox.send(("ready",))

    def on_stage(kind: str) -> None:
        outbox.send(("stage", kind, pipeline._stage(kind)[0]))

    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        problems: list[str] = []
        used: dict[str, str] = {}
        try:
            page = pipeline._convert_raster(message[1], problems, used, on_stage)
        except BaseException as exc:
            outbox.send(("error", _portable_error(exc)))
            continue
        outbox.send(("done", page, problems, used))
