"""Running a batch (``inksight convert FOLDER -o OUT/``): worker processes, progress, the outcome.

:mod:`inksight_sdk.batch` finds the inputs, converts one input and writes the
report; this module drives a whole run for the CLI: inputs in order or in a
pool of spawned workers (a worker that dies costs only the input it was on),
one progress line over files and pages, every output written by the main
process, the warnings said once per repeat, and the exit code of the run.
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

__all__ = ["BatchFlags", "BatchProgress", "run_batch", "run_workers", "batch_outcome", "say_warnings"]

log = logging.getLogger("inksight_sdk.cli")  # the command's own news, as before the move


@attrs.frozen
class BatchFlags:
    """The batch flags of ``convert`` and the pipeline settings a worker rebuilds."""

    recursive: bool
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    jobs: int
    skip_existing: bool
    report: str | None
    pipeline: dict[str, Any]


class BatchProgress:
    """One line on stderr over files and pages, only when stderr is a terminal."""

    def __init__(self, enabled: bool, files: int) -> None:
        self.enabled = enabled
        self.files = files
        self.done = 0
        self.pages = 0
        self.shown = False

    def page(self, done: int, total: int | None) -> None:
        self.pages += 1
        self._show()

    def file(self, pages: int) -> None:
        self.done += 1
        self.pages += pages
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
    """One output per input into the folder ``output``; see :mod:`inksight_sdk.batch`."""
    import time

    from .batch import JobSettings, find_inputs, plan_outputs, run_report, skipped, write_report

    name = registry.select("exporter", fmt or "json").name
    extension = (registry.select("exporter", name).spec.extensions or (f".{name}",))[0]
    registry.create("exporter", name, export_options)  # bad options fail before any work
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
    progress = BatchProgress(sys.stderr.isatty() and verbose == 0, len(items))
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
        progress.file(0 if batch.jobs == 1 else entry.get("pages") or 0)

    from .atomic import atomic_output

    try:
        if batch.jobs == 1 or len(todo) <= 1:
            from .batch import convert_item

            for index in todo:
                log.info("converting %s", items[index].path)
                finish(index, convert_item(pipeline, registry, settings, items[index], on_page=progress.page))
        else:
            run_workers(settings, items, todo, min(batch.jobs, len(todo)), finish)
    finally:
        progress.close()
        for index, item in enumerate(items):
            if entries[index] is None:
                entries[index] = {"path": item.path, "output": item.output, "status": "interrupted"}
        if batch.report:
            done = [entry for entry in entries if entry is not None]
            write_report(batch.report, run_report(done, started=started, finished=time.time(), command=sys.argv))
    batch_outcome([entry for entry in entries if entry is not None], batch.report)


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
