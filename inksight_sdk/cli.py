"""The ``inksight`` command line.

Every failure is one line on stderr (``inksight: error: ...``) that says what
to do next, and a stable exit code from :class:`~inksight_sdk.errors.ExitCode`
(documented in docs/exit-codes.md). ``-v`` adds logging and tracebacks.
stdout carries only document output (``-o -``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import click

from .batch import capturing
from .batch_run import say_warnings
from .engines import ENGINE_FLAGS, given_engine_options
from .errors import (
    BadArgumentsError,
    ExitCode,
    IncompleteOutputError,
    InkSightError,
    InputFileError,
    MissingPluginError,
)
from .stages import Mode

if TYPE_CHECKING:
    from .ink import Page

__all__ = ["main", "cli", "plugin_rows"]

log = logging.getLogger("inksight_sdk.cli")


def _parse_options(pairs: Sequence[str], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse as JSON, else strings."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadArgumentsError(f"{flag} expects KEY=VALUE, got {pair!r}")
        try:
            out[key.replace("-", "_")] = json.loads(value)
        except ValueError:
            out[key.replace("-", "_")] = value
    return out


class _Progress:
    """A one-line page counter on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pages = 0

    def __call__(self, done: int, total: int | None) -> None:
        self.pages += 1
        if self.enabled:
            suffix = f"/{total}" if total else ""
            sys.stderr.write(f"\rinksight: page {self.pages}{suffix} converted")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.pages:
            sys.stderr.write("\n")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="inksight-sdk", prog_name="inksight")
def cli() -> None:
    """Turn photos, scans and PDFs of handwriting into digital ink."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", required=True, help="Output file, '-' for stdout, or an existing folder.")
@click.option("-f", "--format", "fmt", default=None, help="Output format (default: from the extension).")
@click.option("--detector", default="auto", show_default=True, help="Word detector name.")
@click.option("--derenderer", default="auto", show_default=True, help="Derenderer name.")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.VANILLA.value,
    show_default=True,
    help="vanilla: image only; text: use the detector's text; recognize: derenderer reads and writes.",
)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 4096))
@click.option("--detector-option", "detector_opts", multiple=True, metavar="KEY=VALUE")
@click.option("--derenderer-option", "derenderer_opts", multiple=True, metavar="KEY=VALUE")
@click.option("--export-option", "export_opts", multiple=True, metavar="KEY=VALUE")
@click.option(
    "--input-option",
    "input_opts",
    multiple=True,
    metavar="KEY=VALUE",
    help="Reader option, e.g. first_page=2 for PDFs; readers ignore keys they do not take.",
)
@click.option(
    "--dpi",
    type=click.FloatRange(min=1, max=2400),
    default=None,
    help="Render PDFs at this DPI (default 300); read Xournal++ files at it (default: recorded, else 144).",
)
@click.option("--max-bytes", type=click.IntRange(min=1), default=None, help="Limit: bytes per input file [1 GiB].")
@click.option(
    "--max-pixels", type=click.IntRange(min=1), default=None, help="Limit: pixels per image or PDF page [400M]."
)
@click.option("--max-pages", type=click.IntRange(min=1), default=None, help="Limit: pages per input [10000].")
@click.option(
    "--max-words", type=click.IntRange(min=1), default=None, help="Limit: words a detector may find on a page [100000]."
)
@click.option(
    "--page-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Skip a page whose detector+derenderer take longer (reported, exit 6). Default: no limit.",
)
@click.option(
    "--isolation",
    type=click.Choice(["thread", "process"]),
    default="thread",
    show_default=True,
    help="How pages run under --page-timeout: a thread, or a worker process that is killed on timeout or crash.",
)
@click.option(
    "--refine-words/--no-refine-words",
    default=None,
    help="Fit each detected word's quad to its ink (grow over clipped strokes, shrink off paper). "
    "Default: on for detectors that ask for it (OCR engines).",
)
@click.option(
    "--debug-dir",
    default=None,
    metavar="DIR",
    help="Write per page PNG masks of what was taken for the sheet, structure and ink, and of the traced "
    "strokes, named <input>-p<page>-<mask>.png (docs/debugging.md).",
)
@click.option(
    "--trace-printed",
    is_flag=True,
    help="Trace printed words (form labels, headings, typewriting) and stamps too. By default they are kept "
    "as words with their text but no strokes.",
)
@click.option("-r", "--recursive", is_flag=True, help="Folder inputs: take files in sub-folders too.")
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Folder inputs: only files matching (path in the folder or name; repeatable). "
    "Default: the extensions installed readers take.",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Folder inputs: leave out matching files (repeatable).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Folder output: convert this many inputs at once, in worker processes [default: 1]; "
    "with --engine ray, this many Ray workers [default: one per CPU of the cluster].",
)
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Folder output: skip an input whose output exists and is newer (resume an interrupted run).",
)
@click.option(
    "--report",
    "report_path",
    default=None,
    metavar="FILE",
    help="Folder output: write a JSON run report (per input: status, pages, words, seconds, problems).",
)
@click.option(
    "--engine",
    default="local",
    show_default=True,
    help="Folder output: what converts the batch: local (this machine), or ray (a Ray cluster; inksight-ray).",
)
@click.option("--engine-option", "engine_opts", multiple=True, metavar="KEY=VALUE", help="An option of the engine.")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) and debug details (-vv); show tracebacks.")
def convert(
    inputs: tuple[str, ...],
    output: str,
    fmt: str | None,
    detector: str,
    derenderer: str,
    mode: str,
    batch_size: int,
    detector_opts: tuple[str, ...],
    derenderer_opts: tuple[str, ...],
    export_opts: tuple[str, ...],
    input_opts: tuple[str, ...],
    dpi: float | None,
    max_bytes: int | None,
    max_pixels: int | None,
    max_pages: int | None,
    max_words: int | None,
    page_timeout: float | None,
    isolation: str,
    refine_words: bool | None,
    debug_dir: str | None,
    trace_printed: bool,
    recursive: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    skip_existing: bool,
    report_path: str | None,
    engine: str,
    engine_opts: tuple[str, ...],
    verbose: int,
) -> None:
    """Convert INPUTS (images, PDFs, InkML or ink JSON, or folders of them) to ink.

    One output file gets every page of every input, in order; '-' writes to
    stdout. A folder (an existing one, or a new name ending in '/', created)
    gets one file per input, named after it with --format's
    extension, in the input's sub-folder: a batch, where an input that fails
    is reported and the others go on (exit 6 at the end; see docs/batches.md).
    """
    from .limits import Limits
    from .pipeline import Pipeline, default_registry

    registry = default_registry()
    given = {"max_bytes": max_bytes, "max_pixels": max_pixels, "max_pages": max_pages, "max_words": max_words}
    limits = Limits(page_timeout=page_timeout, **{k: v for k, v in given.items() if v is not None})
    source_options = _parse_options(input_opts, "--input-option")
    if dpi is not None:
        source_options["dpi"] = dpi
    settings = {
        "detector": detector,
        "derenderer": derenderer,
        "mode": mode,
        "detector_options": _parse_options(detector_opts, "--detector-option"),
        "derenderer_options": _parse_options(derenderer_opts, "--derenderer-option"),
        "batch_size": batch_size,
        "limits": limits,
        "source_options": source_options,
        "isolation": isolation,
        "refine_words": refine_words,
        "debug_dir": debug_dir,
        "trace_printed": trace_printed,
    }
    pipeline = Pipeline(registry=registry, **settings)
    with pipeline:
        folders = [path for path in inputs if os.path.isdir(path)]
        if os.path.isdir(output) or output.endswith(("/", os.sep)):
            from .batch_run import BatchFlags, run_batch

            engine_options = _parse_options(engine_opts, "--engine-option")
            engine_options.update(given_engine_options(click.get_current_context().meta, engine))
            flags = BatchFlags(
                recursive, include, exclude, jobs, skip_existing, report_path, settings, engine, engine_options
            )
            export_options = _parse_options(export_opts, "--export-option")
            run_batch(pipeline, registry, flags, inputs, output, fmt, export_options, verbose)
            return
        batch_flags = {
            "--recursive": recursive,
            "--include": include,
            "--exclude": exclude,
            "--jobs": (jobs or 1) > 1,
            "--skip-existing": skip_existing,
            "--report": report_path,
            "--engine": engine != "local",
            "--engine-option": engine_opts,
            **{flag: True for _, flag, _ in click.get_current_context().meta.get(ENGINE_FLAGS, {}).values()},
        }
        if folders:
            raise InputFileError(
                f"{folders[0]} is a directory; to convert the files in it, give -o a folder "
                "(an existing one, or a new name ending in '/')"
            )
        given_flags = [flag for flag, value in batch_flags.items() if value]
        if given_flags:
            raise BadArgumentsError(
                f"{', '.join(given_flags)} need a folder output; give -o an existing folder or a new name ending in '/'"
            )
        _convert_all(pipeline, registry, inputs, output, fmt, export_opts, verbose)


def _convert_all(
    pipeline: Any,
    registry: Any,
    inputs: tuple[str, ...],
    output: str,
    fmt: str | None,
    export_opts: tuple[str, ...],
    verbose: int,
) -> None:
    from .api import exporter_for, write_document
    from .atomic import atomic_output
    from .ink import DocumentMetadata, InkDocument

    export_options = _parse_options(export_opts, "--export-option")
    if output == "-":
        if not fmt:
            raise BadArgumentsError("writing to stdout needs --format (e.g. --format inkml)")
        name = registry.select("exporter", fmt).name
    else:
        name = exporter_for(output, fmt, registry)
    # build the exporter up front so bad options fail before any work
    registry.create("exporter", name, export_options)

    from .batch import PageWarnings

    progress = _Progress(sys.stderr.isatty() and verbose == 0)
    documents = []
    gathered: list[tuple[str, list[str]]] = []  # each input's warnings, with their pages
    try:
        for path in inputs:
            log.info("converting %s", path)
            warnings = PageWarnings()
            gathered.append((path, warnings.messages))

            def step(done: int, total: int | None, warnings: PageWarnings = warnings) -> None:
                warnings.progress(done, total)
                progress(done, total)

            with warnings:
                documents.append(pipeline.convert(path, progress=step))
    except BaseException:
        progress.close()
        say_warnings(gathered)
        raise
    progress.close()
    pages: list[Page] = []
    for document in documents:
        for page in document.pages:
            pages.append(page if len(documents) == 1 else _reindexed(page, len(pages)))
    first = documents[0].metadata
    metadata = DocumentMetadata(
        source=first.source if len(documents) == 1 else None,
        sdk_version=first.sdk_version,
        plugins=first.plugins,
        dpi=first.dpi,
        problems=tuple(p for d in documents for p in d.metadata.problems),
    )
    combined = InkDocument(pages=pages, metadata=metadata)
    if output == "-":
        write_document(combined, sys.stdout.buffer, name, export_options, registry)
        sys.stdout.buffer.flush()
    else:
        with atomic_output(output) as stream:
            write_document(combined, stream, name, export_options, registry)
    say_warnings([(path, [*d.metadata.problems, *said]) for (path, said), d in zip(gathered, documents)])
    problems = [p for d in documents for p in d.metadata.problems]
    if problems:
        from .pipeline import PARTIAL_INK

        partial = sum(PARTIAL_INK in p for p in problems)
        failed = len(problems) - partial
        parts = [f"without {failed} failed word(s)/page(s)"] if failed else []
        parts += [f"with {partial} partial word(s)"] if partial else []
        details = "the warnings above say which" if verbose else "rerun with -v for details"
        raise IncompleteOutputError(f"output written {' and '.join(parts)}; {details}")


def _reindexed(page: Page, index: int) -> Page:

    return attrs.evolve(page, index=index)


def plugin_rows(registry: Any = None) -> list[dict[str, Any]]:
    """What ``inksight plugins --json`` lists: every registered stage, then first-party ones not installed.

    Shared with ``inksight serve``'s ``GET /v1/plugins`` so both say the same.
    """
    from .catalog import KNOWN_PLUGINS
    from .pipeline import default_registry
    from .registry import STAGE_KINDS

    registry = registry or default_registry()
    rows = []
    for kind in STAGE_KINDS:
        for stage in registry.stages(kind):
            rows.append(
                {
                    "kind": kind,
                    "name": stage.name,
                    "available": stage.available(),
                    "priority": stage.spec.priority,
                    "distribution": stage.distribution,
                    "conflicts_with": list(stage.conflicts_with),
                    "description": stage.spec.description,
                    "extensions": list(stage.spec.extensions),
                    "install_hint": stage.spec.install_hint,
                }
            )
    registered = {(row["kind"], row["name"]) for row in rows}
    for plugin in KNOWN_PLUGINS:
        if (plugin.kind, plugin.name) not in registered:
            rows.append(
                {
                    "kind": plugin.kind,
                    "name": plugin.name,
                    "available": False,
                    "priority": None,
                    "distribution": plugin.distribution,
                    "conflicts_with": [],
                    "description": plugin.description,
                    "extensions": [],
                    "install_hint": plugin.install_hint,
                }
            )
    return rows


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List detectors, derenderers, exporters and page sources."""
    from .registry import STAGE_KINDS

    rows = plugin_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for kind in STAGE_KINDS:
        click.echo(f"{kind.replace('_', ' ')}s:")
        for row in (r for r in rows if r["kind"] == kind):
            status = "available" if row["available"] else "not installed"
            line = f"  {row['name']:<14} {status:<13} [{row['distribution']}] {row['description']}"
            if row["conflicts_with"]:
                line += f"  CONFLICT: also registered by {', '.join(row['conflicts_with'])}"
            if not row["available"] and row["install_hint"]:
                line += f"  (install: {row['install_hint']})"
            click.echo(line)


def _fail(code: int, message: str) -> NoReturn:
    message = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())  # always one line
    click.echo(f"inksight: error: {message}", err=True)
    sys.exit(int(code))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: add plugin commands, run, map errors to exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose", "-vv") or a.startswith("-vv") for a in args)
    if verbose:
        level = logging.DEBUG if any(a.startswith("-vv") for a in args) else logging.INFO
        logging.basicConfig(level=level, format="inksight: %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    else:
        logging.getLogger().addHandler(_warnings_handler())
    restore = _stop_on_sigterm()
    try:
        from .pipeline import default_registry

        default_registry().add_commands(cli)
        refuse_missing_command(cli, args)
        code = cli.main(args=args, prog_name="inksight", standalone_mode=False)
    except click.exceptions.Abort:
        _fail(ExitCode.INTERRUPTED, "interrupted; no partial output was left behind")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.BAD_ARGUMENTS)
    except KeyboardInterrupt:
        _fail(ExitCode.INTERRUPTED, "interrupted; no partial output was left behind")
    except InkSightError as exc:
        if verbose and not isinstance(exc, IncompleteOutputError):  # an expected outcome, not a failure to trace
            traceback.print_exc()
        _fail(exc.exit_code, str(exc))
    except MemoryError:
        _fail(ExitCode.INPUT_LIMIT, "out of memory; the input is too large for this machine, downscale it")
    except Exception as exc:  # a bug: say so plainly, show details only with -v
        if verbose:
            traceback.print_exc()
        _fail(ExitCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}; rerun with -v and report it")
    finally:
        restore()
    sys.exit(code if isinstance(code, int) else 0)


def refuse_missing_command(group: click.Group, args: Sequence[str]) -> None:
    """A first-party command whose distribution is not installed: say what to install."""
    from .catalog import KNOWN_COMMANDS

    name = next((a for a in args if not a.startswith("-")), None)
    for command in KNOWN_COMMANDS:
        if name == command.name and name not in group.commands:
            raise MissingPluginError(f"'inksight {name}' is not installed; install it: {command.install_hint}")


def _warnings_handler() -> logging.Handler:
    """Without ``-v``: warnings as one ``inksight: warning:`` line each, every problem said once.

    A record marked :data:`~inksight_sdk.stages.REPORTED` is left out: its news is in the
    document's problems, which the CLI prints itself after the run; so is every record while
    a batch gathers warnings (it prints them per file and page, repeats summarized).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("inksight: warning: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, "inksight_reported", False) and not capturing())
    return handler


def _stop_on_sigterm() -> Any:
    """Treat SIGTERM (kill, a service manager stopping us) like Ctrl-C: clean up, exit 130.

    Returns a function that puts the previous handler back.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)
