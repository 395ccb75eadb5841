"""Every hook a plugin can implement, in one place.

A plugin is a module (or object) with functions decorated by
``inksight_sdk.hookimpl`` whose names match the specs below; it is found
through the ``inksight_sdk`` entry-point group or passed to a
:class:`~inksight_sdk.registry.PluginRegistry` directly. Hook names are checked
when the registry is built (``check_pending``), so a misspelled hook is an
error rather than silently ignored.

Stage hooks receive a ``register`` callable and call it once per stage they
provide, with a :class:`~inksight_sdk.registry.StageSpec`. Registration must
stay cheap: import heavy libraries inside the spec's ``factory``, never at
module top, so ``import inksight_sdk`` and ``inksight --help`` stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .registry import StageSpec

PROJECT = "inksight_sdk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_detectors(register: Callable[[StageSpec], None]) -> None:
    """Register word detectors.

    Called once per registry build. ``register(spec)`` takes a
    :class:`StageSpec` whose factory returns an object with
    ``detect(image) -> Layout`` (see :class:`inksight_sdk.stages.Detector`).
    """


@hookspec
def register_derenderers(register: Callable[[StageSpec], None]) -> None:
    """Register derenderers (word image to strokes).

    The factory returns an object with a ``crop_spec`` attribute and
    ``derender(crops, mode) -> list[DerenderedWord]``, called with batches.
    """


@hookspec
def register_exporters(register: Callable[[StageSpec], None]) -> None:
    """Register output formats.

    The spec's ``extensions`` (e.g. ``(".inkml",)``) let the CLI infer the
    format from the output name; the factory returns an object with
    ``write(document, stream)``.
    """


@hookspec
def register_page_sources(register: Callable[[StageSpec], None]) -> None:
    """Register input readers (images, PDFs, existing ink files).

    The spec's ``sniff(head: bytes) -> bool`` recognises the file by its first
    bytes (never by its name alone); the factory returns an object with
    ``pages(path)`` yielding :class:`~inksight_sdk.stages.RasterPage` or
    :class:`~inksight_sdk.ink.Page` values.
    """


@hookspec
def register_engines(register: Callable[[StageSpec], None]) -> None:
    """Register batch engines (``inksight convert FOLDER -o OUT/ --engine NAME``).

    An engine runs the conversions of a batch: the builtin ``local`` one in
    this process or in ``--jobs`` worker processes, ``ray`` (inksight-ray) on
    a Ray cluster. The factory returns an object with ``run(job)`` taking a
    :class:`~inksight_sdk.engines.BatchJob` (see :class:`~inksight_sdk.engines.Engine`);
    its options come from ``--engine-option KEY=VALUE`` and from flags the
    plugin adds with :func:`~inksight_sdk.engines.engine_flag`.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands or options to the ``inksight`` command line.

    Called when the CLI starts, with the root ``click.Group``; use
    ``@cli.command()`` to add a command. Keep heavy imports inside the command.
    """
