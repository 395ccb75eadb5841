"""The conversion worker: a process that builds pipelines once and converts uploads on request.

The server runs ``--workers`` of these (:mod:`inksight_server.pool`) as
:class:`inksight_sdk.children.Child` processes, so a page that crashes a
native library or hangs costs its request and this process, never the
server. Each worker keeps its pipelines (and the models they load) keyed by
the request's choices, so the second request with the same choices pays no
start-up. A task runs with the request's folder as the working directory and
names the upload by its safe base name: the document then says
``"source": "photo.jpg"``, messages read like the CLI's for that file, and the
exporters that draw the photo under the ink find it, while no path of the
server's own shows up in an answer.

Messages to the parent: ``("ready", pipelines)`` or ``("failed", error)``
once, then per task ``("progress", done, total)`` any number of times and one
``("done", result)`` or ``("error", error)``; ``error`` is
:meth:`ApiError.info`, ``pipelines`` (also in every result) how many pipelines
this worker has built, so the server can show that they are reused.
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from inksight_sdk.errors import StageError
from inksight_sdk.stages import RasterPage

from .errors import ApiError, from_sdk

__all__ = ["main", "full_choices", "WORKER_ENTRY"]

#: how :class:`inksight_sdk.children.Child` finds this module's entry point
WORKER_ENTRY = "inksight_server.worker:main"
#: pipelines one worker keeps (each may hold a model); the least recently used one is closed
PIPELINES_KEPT = 4

Send = Callable[[tuple[Any, ...]], None]


def full_choices(choices: dict[str, Any], defaults: dict[str, str]) -> dict[str, Any]:
    """The choices with the server's defaults filled in: one pipeline per distinct result.

    So the warm-up's pipeline (no choices) is the one a request that names
    nothing, or names the defaults, gets.
    """
    return {
        "detector": choices.get("detector") or defaults["detector"],
        "derenderer": choices.get("derenderer") or defaults["derenderer"],
        "mode": choices.get("mode") or "vanilla",
        "detector_options": choices.get("detector_options") or {},
        "derenderer_options": choices.get("derenderer_options") or {},
        "dpi": choices.get("dpi"),
        "trace_printed": bool(choices.get("trace_printed")),
    }


class _Worker:
    """The state of one worker process: its registry, limits and pipelines."""

    def __init__(self, config: dict[str, Any]) -> None:
        from inksight_sdk import PluginRegistry

        self.registry = PluginRegistry()
        self.limits = config["limits"]
        self.defaults = {"detector": config["detector"], "derenderer": config["derenderer"]}
        self._pipelines: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self.built = 0

    def pipeline(self, choices: dict[str, Any]) -> Any:
        from inksight_sdk import Pipeline

        full = full_choices(choices, self.defaults)
        key = json.dumps(full, sort_keys=True)
        if key in self._pipelines:
            self._pipelines.move_to_end(key)
            return self._pipelines[key]
        dpi = full.pop("dpi")
        pipeline = Pipeline(
            **full, registry=self.registry, limits=self.limits, source_options={"dpi": dpi} if dpi else {}
        )
        self._pipelines[key] = pipeline
        self.built += 1
        while len(self._pipelines) > PIPELINES_KEPT:
            _, old = self._pipelines.popitem(last=False)
            old.close()
        return pipeline

    def warm_up(self) -> None:
        """Build the default pipeline's stages (load its models) on a blank page, before saying ready."""
        pipeline = self.pipeline({})
        try:
            pipeline.convert_page(np.full((48, 48, 3), 255, np.uint8))
        except StageError:
            pass  # the stages are built; a blank page may legitimately fail (no words)

    # -- tasks ---------------------------------------------------------------

    def convert(self, task: dict[str, Any], send: Send) -> dict[str, Any]:
        """Convert the upload; keep its document (jobs) and/or export it (``/v1/convert``)."""
        from inksight_sdk.batch import PageWarnings, summarize

        pipeline = self.pipeline(task["choices"])
        name = task["name"]
        total = _count_pages(name, self.registry)
        send(("progress", 0, total))
        with PageWarnings() as warnings:

            def progress(done: int, _: int | None) -> None:
                warnings.progress(done, _)
                send(("progress", done, total))

            document = pipeline.convert(name, progress=progress)
        problems = list(document.metadata.problems)
        result = {
            "pages": len(document.pages),
            "words": sum(len(page.words) for page in document.pages),
            "problems": problems,
            "warnings": summarize([*problems, *warnings.messages]),
        }
        if task.get("document"):
            _write(task["document"], lambda stream: _export(self.registry, document, "json", {}, stream))
        if task.get("format"):
            fmt, options = task["format"], task.get("export_options") or {}
            _write(task["output"], lambda stream: _export(self.registry, document, fmt, options, stream))
        return result

    def export(self, task: dict[str, Any], send: Send) -> dict[str, Any]:
        """Write a job's kept document in another format."""
        from inksight_sdk.formats import jsonink

        with open(task["document"], "rb") as fh:
            document = jsonink.loads(fh.read())
        fmt, options = task["format"], task.get("export_options") or {}
        _write(task["output"], lambda stream: _export(self.registry, document, fmt, options, stream))
        return {}

    def page_image(self, task: dict[str, Any], send: Send) -> dict[str, Any]:
        """Page ``n`` (1-based) of the upload as the pipeline saw it, as a PNG; 404 for an ink page.

        A reader that reads a page range (the PDF adapter's ``first_page`` and
        ``last_page``) renders page ``n`` alone; other inputs are read up to it.
        """
        from PIL import Image

        from inksight_sdk.errors import BadArgumentsError
        from inksight_sdk.inputs import open_pages

        wanted, name = task["page"], task["name"]
        options = _source_options(task["choices"])
        skip = wanted - 1
        if {"first_page", "last_page"} <= _reader_options(name, self.registry):
            options.update(first_page=wanted, last_page=wanted)
            skip = 0
        count = 0
        try:
            for page in open_pages(name, self.registry, self.limits, options):
                count += 1
                if count <= skip:
                    continue
                if not isinstance(page, RasterPage):
                    raise ApiError(
                        404,
                        f"page {wanted} of {name} is ink, not an image; there is no photo to show",
                        code="NOT_FOUND",
                    )
                picture = Image.fromarray(page.image)
                _write(task["output"], functools.partial(picture.save, format="PNG", compress_level=3))
                return {"width": picture.width, "height": picture.height}
        except BadArgumentsError:  # the reader's page range starts after its last page
            if not skip and "first_page" in options:
                raise ApiError(404, f"{name} has no page {wanted}", code="NOT_FOUND") from None
            raise
        raise ApiError(404, f"{name} has {count} page(s); there is no page {wanted}", code="NOT_FOUND")


def _reader_options(name: str, registry: Any) -> set[str]:
    """The option names of the reader that takes the file (judged by its bytes, as the pipeline does)."""
    import attrs

    from inksight_sdk.inputs import read_head

    sources = registry.sniff(read_head(name))
    options = sources[0].spec.options if sources else None
    return {field.name for field in attrs.fields(options)} if options is not None and attrs.has(options) else set()


def _source_options(choices: dict[str, Any]) -> dict[str, Any]:
    return {"dpi": choices["dpi"]} if choices.get("dpi") is not None else {}


def _export(registry: Any, document: Any, fmt: str, options: dict[str, Any], stream: Any) -> None:
    from inksight_sdk.api import write_document

    write_document(document, stream, fmt, options, registry)


def _write(path: str, fill: Callable[[Any], None]) -> None:
    """Write ``path`` whole or not at all (a reader never sees half a file)."""
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as stream:
            fill(stream)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


def _count_pages(name: str, registry: Any) -> int | None:
    """The input's page count when it is cheap to know (TIFF frames, PDF pages), else ``None``.

    The pipeline's progress callback counts pages done but not the total, so
    the job's ``pages_total`` comes from here: the image header's frame count,
    or poppler's ``pdfinfo`` for a PDF. Anything unusual gives ``None``; the
    conversion itself reports the real problem.
    """
    from inksight_sdk.inputs import read_head

    try:
        sources = registry.sniff(read_head(name))
        kind = sources[0].name if sources else None
        if kind == "image":
            from PIL import Image

            with Image.open(name) as image:
                return int(getattr(image, "n_frames", 1))
        if kind == "pdf":
            import pdf2image

            return int(pdf2image.pdfinfo_from_path(name, timeout=30)["Pages"])
    except Exception:
        return None
    return None


def _leaked_threads() -> bool:
    """Whether a page that ran past ``--page-timeout`` left its thread running (then the worker is replaced)."""
    return any(t.name.startswith("inksight-page-") and t.is_alive() for t in threading.enumerate())


def _settle(config: dict[str, Any]) -> None:
    """Absolute import paths (tasks change the working directory), temporary files under the server's root."""
    sys.path[:] = [os.path.abspath(p) for p in sys.path]
    os.environ["TMPDIR"] = config["scratch"]
    tempfile.tempdir = None
    root = logging.getLogger()
    if config.get("verbose"):
        logging.basicConfig(level=logging.INFO, format="inksight worker: %(levelname)s %(name)s: %(message)s")
    else:
        root.addHandler(logging.NullHandler())  # warnings are gathered per task and answered with it


def main(inbox: Any, outbox: Any) -> None:
    """The worker's loop (the entry point :data:`WORKER_ENTRY`)."""
    config = inbox.recv()
    _settle(config)
    try:
        worker = _Worker(config)
        worker.warm_up()
    except BaseException as exc:
        outbox.send(("failed", _error(exc)))
        return
    outbox.send(("ready", worker.built))
    handlers = {"convert": worker.convert, "export": worker.export, "page_image": worker.page_image}
    home = os.getcwd()
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, task = message
        try:
            os.chdir(task["dir"])
            result = handlers[kind](task, outbox.send)
        except BaseException as exc:
            error = _error(exc)  # the task names its files relative to its folder; a stray path is cut too
            error["message"] = error["message"].replace(task["dir"] + os.sep, "")
            outbox.send(("error", error))
        else:
            result["retire"] = _leaked_threads()
            result["pipelines"] = worker.built
            outbox.send(("done", result))
        finally:
            os.chdir(home)


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return exc.info()
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        exc = RuntimeError(f"the worker was stopped ({type(exc).__name__})")
    if not isinstance(exc, Exception):
        exc = RuntimeError(repr(exc))
    return from_sdk(exc).info()
