"""Running a batch (``inksight convert FOLDER -o OUT/``): engines, progress, the outcome.

:mod:`inksight_sdk.batch` finds the inputs, converts one input and writes the
report; this module drives a whole run for the CLI and for
:func:`convert_batch`: the engine converts (:mod:`~inksight_sdk.engines`; the
builtin ``local`` one takes the inputs in order or in a pool of spawned
workers, where a worker that dies costs only the input it was on), and here
every output is written by this process as its input finishes, one progress
line runs over files and pages, the warnings are said once per repeat, and
the exit code of the run is picked.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import attrs
import click

from .errors import ExitCode, IncompleteOutputError, InkSightError, InputFileError, OutputFileError

__all__ = [
    "BatchFlags",
    "BatchProgress",
    "LocalEngine",
    "batch_outcome",
    "convert_batch",
    "execute_batch",
    "run_batch",
    "run_workers",
    "say_warnings",
]

log = logging.getLogger("inksight_sdk.cli")  # the command's own news, as before the move


@attrs.frozen
class BatchFlags:
    """The batch flags of ``convert`` and the pipeline settings a worker rebuilds.

    ``jobs`` is None when not given (the engine's default: 1 for ``local``);
    ``engine`` names the engine that converts (``--engine``) and
    ``engine_options`` are its options.
    """

    recursive: bool
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    jobs: int | None
    skip_existing: bool
    report: str | None
    pipeline: dict[str, Any]
    engine: str = "local"
    engine_options: dict[str, Any] = attrs.field(factory=dict)


class BatchProgress:
    """One line on stderr over files and pages, only when stderr is a terminal."""

    def __init__(self, enabled: bool, files: int) -> None:
        self.enabled = enabled
        self.files = files
        self.done = 0
        self.pages = 0
        self.shown = False

    def page(self, count: int = 1) -> None:
        self.pages += count
        self._show()

    def file(self) -> None:
        self.done += 1
        self._show()

    def _show(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\rinksight: {self.done}/{self.files} files, {self.pages} pages converted")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def run_batch(
    pipeline: Any,
    registry: Any,
    batch: BatchFlags,
    inputs: tuple[str, ...],
    output: str,
    fmt: str | None,
    export_options: dict[str, Any],
    verbose: int,
) -> None:
    """One output per input into the folder ``output`` (:mod:`inksight_sdk.batch`); warnings said, exit code raised."""
    entries, _ = execute_batch(
        pipeline, registry, batch, inputs, output, fmt, export_options, verbose, sys.stderr.isatty() and verbose == 0
    )
    batch_outcome(entries, batch.report)


def execute_batch(
    pipeline: Any,
    registry: Any,
    batch: BatchFlags,
    inputs: Sequence[str],
    output: str,
    fmt: str | None,
    export_options: dict[str, Any],
    verbose: int,
    show_progress: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run a batch with its engine: every input's entry (with ``exit_code``) and the run report.

    Everything but the conversions happens here, whichever engine converts:
    finding the inputs, planning the outputs, ``--skip-existing``, writing each
    output atomically as its input finishes, and the report (written also when
    the run is interrupted or the engine fails).
    """
    import time

    from .atomic import atomic_output
    from .batch import JobSettings, find_inputs, plan_outputs, run_report, skipped, write_report
    from .engines import BatchJob

    name = registry.select("exporter", fmt or "json").name
    extension = (registry.select("exporter", name).spec.extensions or (f".{name}",))[0]
    registry.create("exporter", name, export_options)  # bad options fail before any work
    _, engine = registry.create("engine", batch.engine, batch.engine_options)
    extensions = [e for stage in registry.stages("page_source") for e in stage.spec.extensions]
    found = find_inputs(
        inputs,
        extensions,
        recursive=batch.recursive,
        include=batch.include,
        exclude=batch.exclude,
        skip_dirs=[output],
    )
    if not found:
        raise InputFileError(
            f"no inputs found in {', '.join(inputs)}; check --include/--exclude, or add --recursive for sub-folders"
        )
    items = plan_outputs(found, output, extension)
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as exc:
        raise OutputFileError(f"cannot create the output folder {output}: {exc.strerror or exc}") from exc
    settings = JobSettings(batch.pipeline, name, export_options, verbose)

    started = time.time()
    entries: list[dict[str, Any] | None] = [skipped(item) if batch.skip_existing else None for item in items]
    todo = [i for i, entry in enumerate(entries) if entry is None]
    progress = BatchProgress(show_progress, len(items))
    progress.done = len(items) - len(todo)

    def finish(index: int, entry: dict[str, Any]) -> None:
        data = entry.pop("data", None)
        if data is not None:
            try:
                os.makedirs(os.path.dirname(entry["output"]) or ".", exist_ok=True)
                with atomic_output(entry["output"]) as stream:
                    stream.write(data)
            except (InkSightError, OSError) as exc:
                entry.update(status="failed", error=str(exc), exit_code=int(ExitCode.OUTPUT_FILE))
        entries[index] = entry
        progress.file()

    report: dict[str, Any] = {}
    try:
        if todo:
            engine.run(BatchJob(pipeline, settings, items, todo, batch.jobs, finish, progress.page))
    finally:
        progress.close()
        for index, item in enumerate(items):
            if entries[index] is None:
                entries[index] = {"path": item.path, "output": item.output, "status": "interrupted"}
        done = [entry for entry in entries if entry is not None]
        report = run_report(done, started=started, finished=time.time(), command=sys.argv)
        if batch.report:
            write_report(batch.report, report)
    return [entry for entry in entries if entry is not None], report


def convert_batch(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    format: str | None = None,
    engine: str = "local",
    engine_options: dict[str, Any] | None = None,
    jobs: int | None = None,
    recursive: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    skip_existing: bool = False,
    report: str | os.PathLike[str] | None = None,
    export_options: dict[str, Any] | None = None,
    registry: Any = None,
    **pipeline_settings: Any,
) -> dict[str, Any]:
    """Convert files and folders into the folder ``output``, one file each; returns the run report.

    The Python form of ``inksight convert INPUTS -o OUTPUT/``: the same
    outputs, ``skip_existing``, report (also written to ``report`` when
    given) and engines (``engine="ray"`` with inksight-ray). An input that
    fails is in the report (status ``failed``), not raised; what stops the
    whole run (bad arguments, no inputs, an engine that cannot start) raises
    :class:`~inksight_sdk.InkSightError`. ``pipeline_settings`` are
    :class:`~inksight_sdk.Pipeline`'s (``detector``, ``derenderer``,
    ``source_options``, ``limits`` ...).
    """
    from .pipeline import Pipeline, default_registry

    registry = registry or default_registry()
    flags = BatchFlags(
        recursive=recursive,
        include=tuple(include),
        exclude=tuple(exclude),
        jobs=jobs,
        skip_existing=skip_existing,
        report=None if report is None else os.fspath(report),
        pipeline=dict(pipeline_settings),
        engine=engine,
        engine_options=dict(engine_options or {}),
    )
    with Pipeline(registry=registry, **pipeline_settings) as pipeline:
        folder = os.fspath(output)
        paths = [os.fspath(path) for path in inputs]
        _, run = execute_batch(pipeline, registry, flags, paths, folder, format, dict(export_options or {}), 0)
    return run


class LocalEngine:
    """The builtin engine: inputs one after another in this process, or ``--jobs`` worker processes."""

    def run(self, job: Any) -> None:
        jobs = job.jobs or 1
        if jobs == 1 or len(job.todo) <= 1:
            from .batch import convert_item

            for index in job.todo:
                log.info("converting %s", job.items[index].path)
                item = job.items[index]
                entry = convert_item(job.pipeline, job.pipeline.registry, job.settings, item, _each_page(job.pages))
                job.finish(index, entry)
        else:

            def finish(index: int, entry: dict[str, Any]) -> None:
                job.pages(entry.get("pages") or 0)
                job.finish(index, entry)

            run_workers(job.settings, job.items, job.todo, min(jobs, len(job.todo)), finish)


def _each_page(pages: Any) -> Any:
    """A pipeline progress callback that counts each page once."""
    return lambda done, total: pages(1)


def run_workers(settings: Any, items: Sequence[Any], todo: Sequence[int], jobs: int, finish: Any) -> None:
    """Convert ``items[todo]`` in ``jobs`` spawned worker processes; Ctrl-C stops them at once.

    A worker that dies (a crash in native code, the out-of-memory killer)
    breaks the whole pool, and every input it had not finished with it. Those
    are run again by a single worker, which takes them in order: when it
    dies, the input it was on is the culprit (reported failed), and the rest
    go on in a fresh worker. So one crashing input costs only itself.
    """
    pending = list(todo)
    while pending:
        broken = _run_pool(settings, items, pending, jobs, finish)
        if jobs == 1 and broken:
            culprit = broken.pop(0)
            finish(culprit, _crashed(items[culprit]))
        pending, jobs = broken, 1


def _crashed(item: Any) -> dict[str, Any]:
    return {
        "path": item.path,
        "output": item.output,
        "status": "failed",
        "pages": 0,
        "words": 0,
        "seconds": 0.0,
        "problems": [],
        "warnings": [],
        "error": "the worker process converting it died (a crash, or the system ran out of memory)",
        "exit_code": int(ExitCode.INCOMPLETE),
    }


def _run_pool(settings: Any, items: Sequence[Any], todo: Sequence[int], jobs: int, finish: Any) -> list[int]:
    """One pool over ``items[todo]``; returns the inputs (in order) left unfinished when a worker died."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from .batch import init_worker, work

    executor = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(settings,),
    )
    broken: list[int] = []
    try:
        futures = {executor.submit(work, items[index]): index for index in todo}
        for future in as_completed(futures):
            index = futures[future]
            try:
                finish(index, future.result())
            except BrokenProcessPool:
                broken.append(index)
    except BaseException:  # Ctrl-C: stop the workers now; the main process writes every output, so none is partial
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(5)
        raise
    executor.shutdown(wait=True)
    return sorted(broken, key=list(todo).index)


def batch_outcome(entries: Sequence[dict[str, Any]], report: str | None) -> None:
    """Say what went wrong per input (repeats summarized) and pick the exit code."""
    said = []
    for entry in entries:
        failure = [f"failed: {entry['error']}"] if entry["status"] == "failed" and len(entries) > 1 else []
        said.append((entry["path"], [*failure, *entry.get("problems", ()), *entry.get("warnings", ())]))
    say_warnings(said)
    failed = [e for e in entries if e["status"] == "failed"]
    incomplete = [e for e in entries if e["status"] == "incomplete"]
    if not failed and not incomplete:
        return
    codes = {e["exit_code"] for e in failed}
    if len(failed) == len(entries) and len(codes) == 1:  # nothing converted: the inputs' own error
        message = failed[0]["error"] if len(failed) == 1 else f"none of the {len(failed)} inputs converted"
        error = InkSightError(message if len(failed) == 1 else f"{message}; the warnings above say why")
        error.exit_code = ExitCode(codes.pop())
        raise error
    parts = [f"{len(failed)} of {len(entries)} input(s) failed"] if failed else []
    parts += [f"{len(incomplete)} incomplete"] if incomplete else []
    where = f"the report {report} and the warnings above" if report else "the warnings above"
    raise IncompleteOutputError(f"{' and '.join(parts)}; the others were written; {where} say which")


def say_warnings(gathered: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Each input's problems and warnings on stderr, naming the file; a repeat across pages said once."""
    from .batch import summarize

    for path, messages in gathered:
        for line in summarize(messages):
            click.echo(f"inksight: warning: {path}: {line}", err=True)
