"""Batch conversion: folders of inputs, worker processes, resumable runs, a run report.

``inksight convert scans/ -o out/ --recursive --jobs 2 --report run.json`` goes
through here. Each input is converted on its own: one that fails is recorded
(status ``failed`` with its one-line error) and the others go on; the CLI exits
6 at the end when anything was incomplete. Workers convert and serialize; only
the main process writes files, each atomically, so an interrupted run leaves
finished outputs whole and no partial ones. Warnings are gathered per input
with their page number, summarized on the terminal and kept in full in the report.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .errors import BadArgumentsError, ExitCode, InkSightError
from .ink import InkDocument

__all__ = [
    "BatchItem",
    "JobSettings",
    "PageWarnings",
    "PartResult",
    "capturing",
    "convert_item",
    "convert_part",
    "failed_entry",
    "guarded",
    "item_entry",
    "find_inputs",
    "plan_outputs",
    "run_report",
    "summarize",
    "worker_pipeline",
]

log = logging.getLogger(__name__)

_capture_depth = 0


def capturing() -> bool:
    """Whether a batch gathers this process's warnings (the CLI then does not print them as they come)."""
    return _capture_depth > 0


@attrs.frozen
class BatchItem:
    """One input of a batch and the file it is converted to."""

    path: str
    output: str


@attrs.frozen
class JobSettings:
    """What a worker process needs to build its pipeline and exporter once (picklable)."""

    pipeline: dict[str, Any]
    exporter: str
    export_options: dict[str, Any]
    verbose: int = 0


def find_inputs(
    inputs: Sequence[str],
    extensions: Iterable[str],
    *,
    recursive: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    skip_dirs: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """``(path, name relative to its folder input)`` for every input, folders expanded.

    Files named on the command line are taken as given, in order. A folder
    gives its files sorted by their path in it (sub-folders too with ``recursive``):
    those matching an ``include`` glob, or without ``include`` those with an
    extension some reader takes, minus those matching an ``exclude`` glob.
    Globs match the path relative to the folder (``drafts/*``) or the file
    name (``*.jpg``). Hidden files and folders, and ``skip_dirs`` (the output
    folder, when it is inside an input folder), are left out.
    """
    known = tuple(e.lower() for e in extensions)
    skip = {os.path.realpath(d) for d in skip_dirs}
    found: list[tuple[str, str]] = []
    for given in inputs:
        if not os.path.isdir(given):
            found.append((given, os.path.basename(given)))
            continue
        in_folder: list[tuple[str, str]] = []
        for directory, subdirs, files in os.walk(given):
            subdirs[:] = sorted(
                d
                for d in subdirs
                if recursive and not d.startswith(".") and os.path.realpath(os.path.join(directory, d)) not in skip
            )
            for name in sorted(files):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, given).replace(os.sep, "/")
                if name.startswith(".") or not os.path.isfile(path):
                    continue
                if include:
                    if not _matches(relative, include):
                        continue
                elif not name.lower().endswith(known):
                    continue
                if _matches(relative, exclude):
                    continue
                in_folder.append((path, relative))
        found.extend(sorted(in_folder, key=lambda pair: pair[1]))
    return found


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def plan_outputs(found: Sequence[tuple[str, str]], folder: str, extension: str) -> list[BatchItem]:
    """Each input's output: its relative sub-folder under ``folder``, its stem with ``extension``.

    Two inputs that would write the same file (``a.jpg`` and ``a.png``) are refused up front,
    rather than one silently overwriting the other.
    """
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    for path, relative in found:
        stem = os.path.splitext(relative)[0]
        output = os.path.join(folder, *stem.split("/")) + extension
        key = os.path.normcase(os.path.abspath(output))
        if key in seen:
            raise BadArgumentsError(
                f"{seen[key]} and {path} would both be written to {output}; convert them in separate runs "
                "or leave one out with --exclude"
            )
        seen[key] = path
        items.append(BatchItem(path, output))
    return items


class PageWarnings(logging.Handler):
    """Gathers warnings logged while one input converts, each with the page it came from.

    Stages log without knowing the file or page (the layout detector's "no
    handwriting found"); the pipeline's progress callback moves :attr:`page`
    on after each page, so a record logged meanwhile belongs to it. Records
    already in the document's problems (marked ``inksight_reported``) are left out.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.page = 1
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "inksight_reported", False):
            return
        try:
            text = " ".join(record.getMessage().split())
        except Exception:  # a bad log call must not stop the batch
            text = str(record.msg)
        prefix = f"page {self.page}: "
        # the pipeline's own warnings already name their page
        self.messages.append(text if text.startswith(prefix) else prefix + text)

    def progress(self, done: int, total: int | None) -> None:
        self.page = done + 1

    def __enter__(self) -> PageWarnings:
        global _capture_depth
        logging.getLogger().addHandler(self)
        _capture_depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _capture_depth
        _capture_depth -= 1
        logging.getLogger().removeHandler(self)


@attrs.frozen
class PartResult:
    """One input converted, or one part of it (:meth:`Pipeline.parts <inksight_sdk.Pipeline.parts>`).

    ``document`` is None when it failed; then ``error`` is the one-line reason
    and ``exit_code`` what a run of this input alone would exit with.
    ``warnings`` are ``page N: ...`` with N counted from the part's first page;
    ``pages`` is how many pages it went through (failed ones included).
    """

    document: InkDocument | None
    error: str | None = None
    exit_code: int = int(ExitCode.OK)
    warnings: tuple[str, ...] = ()
    pages: int = 0
    seconds: float = 0.0


def convert_part(
    pipeline: Any,
    path: str,
    part: dict[str, Any] | None = None,
    on_page: Callable[[int, int | None], None] | None = None,
) -> PartResult:
    """Convert one input, or one part of it, gathering its warnings; never raises for a bad input."""
    start = time.monotonic()
    pages = 0
    with PageWarnings() as warnings:

        def progress(done: int, total: int | None) -> None:
            nonlocal pages
            pages = done
            warnings.progress(done, total)
            if on_page is not None:
                on_page(done, total)

        document, failure = guarded(lambda: pipeline.convert(path, progress=progress, part=part), path)
    error, code = failure or (None, int(ExitCode.OK))
    return PartResult(document, error, code, tuple(warnings.messages), pages, time.monotonic() - start)


def item_entry(
    item: BatchItem, parts: Sequence[PartResult], registry: Any, settings: JobSettings, seconds: float | None = None
) -> dict[str, Any]:
    """The report entry of an input from its parts, in order, plus ``data`` (the output's bytes) and ``exit_code``.

    A part that failed fails the input with its error, as the input converted
    whole would; otherwise the parts' documents are joined and serialized here.
    ``seconds`` defaults to the parts' own time plus the serializing.
    """
    import io

    from .api import write_document
    from .pipeline import join_parts

    start = time.monotonic()
    entry: dict[str, Any] = {"path": item.path, "output": item.output}
    warnings: list[str] = []
    offset = 0
    for part in parts:
        warnings.extend(_renumbered(part.warnings, offset))
        offset += part.pages
    failed = next((part for part in parts if part.document is None), None)
    if failed is None:
        document = join_parts([part.document for part in parts if part.document is not None])
        buffer = io.BytesIO()
        _, failure = guarded(
            lambda: write_document(document, buffer, settings.exporter, settings.export_options, registry), item.path
        )
        if failure is None:
            problems = list(document.metadata.problems)
            entry.update(
                status="incomplete" if problems else "ok",
                pages=len(document.pages),
                words=sum(len(page.words) for page in document.pages),
                problems=problems,
                error=None,
                data=buffer.getvalue(),
                exit_code=int(ExitCode.INCOMPLETE if problems else ExitCode.OK),
            )
    else:
        failure = (failed.error or "failed", failed.exit_code)
    if failure is not None:
        entry.update(failed_entry(*failure))
    entry["warnings"] = warnings
    spent = sum(part.seconds for part in parts) + time.monotonic() - start
    entry["seconds"] = round(spent if seconds is None else seconds, 3)
    return entry


def convert_item(
    pipeline: Any,
    registry: Any,
    settings: JobSettings,
    item: BatchItem,
    on_page: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Convert one input whole to its serialized output (:func:`item_entry`); never raises for a bad input."""
    return item_entry(item, [convert_part(pipeline, item.path, on_page=on_page)], registry, settings)


def guarded(work: Callable[[], Any], path: str) -> tuple[Any, tuple[str, int] | None]:
    """``work()``'s value, or None and the one-line error and exit code it failed with."""
    try:
        return work(), None
    except InkSightError as exc:
        return None, (_one_line(exc), int(exc.exit_code))
    except MemoryError:
        return None, ("out of memory; the input is too large for this machine", int(ExitCode.INPUT_LIMIT))
    except Exception as exc:  # a bug on one input: say so, keep the batch going
        log.debug("internal error on %s", path, exc_info=True)
        return None, (f"internal error: {type(exc).__name__}: {exc}; report it", int(ExitCode.INTERNAL))


def _renumbered(messages: Sequence[str], offset: int) -> list[str]:
    """``page N: ...`` lines of a part as pages of its input (the part starts after ``offset`` pages)."""
    if not offset:
        return list(messages)
    out = []
    for message in messages:
        match = _PAGE.match(message)
        out.append(f"page {int(match.group(1)) + offset}: {match.group(2)}" if match else message)
    return out


def _one_line(error: object) -> str:
    return "; ".join(line.strip() for line in str(error).splitlines() if line.strip())


def failed_entry(error: object, code: int) -> dict[str, Any]:
    """The fields of a failed input's report entry (nothing written: ``data`` None)."""
    return {
        "status": "failed",
        "pages": 0,
        "words": 0,
        "problems": [],
        "error": _one_line(error),
        "data": None,
        "exit_code": int(code),
    }


def skipped(item: BatchItem) -> dict[str, Any] | None:
    """The entry of an input whose output exists and is newer than it (``--skip-existing``), else None."""
    try:
        if os.path.getmtime(item.output) < os.path.getmtime(item.path):
            return None
    except OSError:
        return None
    return {
        "path": item.path,
        "output": item.output,
        "status": "skipped",
        "pages": None,
        "words": None,
        "seconds": 0.0,
        "problems": [],
        "warnings": [],
        "error": None,
    }


_PAGE = re.compile(r"^page (\d+): (.*)$", re.DOTALL)


def summarize(messages: Sequence[str]) -> list[str]:
    """Repeated ``page N: message`` lines as one, with the count and page ranges, in first-seen order.

    ``page 3: x``, ``page 4: x``, ``page 5: x`` become ``pages 3-5 (3 pages): x``;
    lines without a page prefix stay as they are (once each, with a count if repeated).
    """
    groups: dict[str, list[int]] = {}
    plain: dict[str, int] = {}
    order: list[tuple[str, str]] = []
    for message in messages:
        match = _PAGE.match(message)
        if match:
            text = match.group(2)
            if text not in groups:
                groups[text] = []
                order.append(("page", text))
            groups[text].append(int(match.group(1)))
        else:
            if message not in plain:
                plain[message] = 0
                order.append(("plain", message))
            plain[message] += 1
    lines = []
    for kind, text in order:
        if kind == "plain":
            count = plain[text]
            lines.append(text if count == 1 else f"{text} ({count} times)")
            continue
        pages = sorted(set(groups[text]))
        if len(pages) == 1:
            lines.append(f"page {pages[0]}: {text}")
        else:
            lines.append(f"pages {_ranges(pages)} ({len(pages)} pages): {text}")
    return lines


def _ranges(pages: Sequence[int]) -> str:
    spans: list[list[int]] = []
    for page in pages:
        if spans and page == spans[-1][1] + 1:
            spans[-1][1] = page
        else:
            spans.append([page, page])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


STATUSES = ("ok", "incomplete", "failed", "skipped", "interrupted")
_FIELDS = ("path", "output", "status", "pages", "words", "seconds", "problems", "warnings", "error")
_EMPTY: dict[str, Any] = {"problems": [], "warnings": []}


def run_report(
    entries: Sequence[dict[str, Any]], *, started: float, finished: float, command: Sequence[str]
) -> dict[str, Any]:
    """The run report: every input in input order, totals, when and how it ran."""
    inputs = [{key: e.get(key, _EMPTY.get(key)) for key in _FIELDS} for e in entries]
    totals: dict[str, Any] = {"inputs": len(inputs)}
    totals.update({status: sum(e["status"] == status for e in inputs) for status in STATUSES})
    totals["pages"] = sum(e.get("pages") or 0 for e in inputs)
    totals["words"] = sum(e.get("words") or 0 for e in inputs)
    totals["problems"] = sum(len(e.get("problems") or ()) for e in inputs)
    totals["warnings"] = sum(len(e.get("warnings") or ()) for e in inputs)
    totals["seconds"] = round(finished - started, 3)
    return {
        "inputs": inputs,
        "totals": totals,
        "started": _iso(started),
        "finished": _iso(finished),
        "command": list(command),
    }


def write_report(path: str, report: dict[str, Any]) -> None:
    """Write the report atomically (a reader never sees half of it)."""
    from .atomic import atomic_output

    with atomic_output(path) as stream:
        stream.write(json.dumps(report, indent=2).encode() + b"\n")


def _iso(timestamp: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat(timespec="seconds")


# -- worker processes ---------------------------------------------------------

_worker: dict[str, Any] = {}


def init_worker(settings: JobSettings) -> None:
    """Build this worker's pipeline once; Ctrl-C is left to the main process, which stops the workers."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pipeline = worker_pipeline(settings)
    _worker.update(pipeline=pipeline, registry=pipeline.registry, settings=settings)


def worker_pipeline(settings: JobSettings, recipe: tuple[tuple[str, ...], bool, bool] | None = None) -> Any:
    """The pipeline a worker process builds once and keeps (its stages, and any model, stay loaded).

    The worker logs only with ``-v``: warnings are gathered per input and said
    by the main process. ``recipe`` (:meth:`PluginRegistry.recipe
    <inksight_sdk.PluginRegistry.recipe>`) rebuilds the caller's plugins;
    without it, the installed ones.
    """
    import atexit

    from .pipeline import Pipeline, default_registry
    from .registry import PluginRegistry

    root = logging.getLogger()
    if settings.verbose:
        level = logging.DEBUG if settings.verbose > 1 else logging.INFO
        logging.basicConfig(level=level, format="inksight: %(levelname)s %(name)s: %(message)s")
    else:
        root.addHandler(logging.NullHandler())  # warnings are gathered per input, not printed by the worker
    registry = default_registry() if recipe is None else PluginRegistry.from_recipe(recipe)
    pipeline = Pipeline(registry=registry, **settings.pipeline)
    atexit.register(pipeline.close)
    return pipeline


def work(item: BatchItem) -> dict[str, Any]:
    """Convert one input in a worker process (see :func:`init_worker`)."""
    return convert_item(_worker["pipeline"], _worker["registry"], _worker["settings"], item)
