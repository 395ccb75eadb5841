"""Batch engines: what runs the conversions of a batch (``inksight convert FOLDER -o OUT/ --engine NAME``).

The core finds the inputs, plans their outputs, skips finished ones, writes
every output atomically, keeps the report and picks the exit code
(:mod:`~inksight_sdk.batch_run`); an engine only converts. The builtin
``local`` engine converts in this process or in ``--jobs`` worker processes;
``ray`` (the ``inksight-ray`` distribution) spreads the pages over a Ray
cluster. Engines register through the ``register_engines`` hook, so the core
never imports what an engine needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import click

    from .batch import BatchItem, JobSettings

__all__ = ["BatchJob", "Engine", "ENGINE_FLAGS", "engine_flag", "given_engine_options"]

#: where :func:`engine_flag` options leave their values in the click context's ``meta``
ENGINE_FLAGS = "inksight_sdk.engine_flags"


@attrs.frozen
class BatchJob:
    """What an engine is asked to do: convert ``items[i]`` for each ``i`` in ``todo``.

    ``pipeline`` is the caller's :class:`~inksight_sdk.Pipeline`: its
    registry, limits and reader options, and the local engine converts with
    it. ``settings`` rebuilds the same pipeline and exporter in a worker.
    ``jobs`` is ``--jobs`` (None: the engine's own default). For each input,
    the engine calls ``finish(i, entry)`` once with the entry of
    :func:`~inksight_sdk.batch.item_entry` (the caller writes its ``data``), and
    ``pages(n)`` as pages are converted, for the progress line.
    """

    pipeline: Any
    settings: JobSettings
    items: Sequence[BatchItem]
    todo: Sequence[int]
    jobs: int | None
    finish: Callable[[int, dict[str, Any]], None]
    pages: Callable[[int], None]


@runtime_checkable
class Engine(Protocol):
    """Runs a :class:`BatchJob`; returns when every input of ``todo`` is finished.

    An input that fails is an entry with status ``failed``, never an
    exception; an exception stops the whole run (the caller still writes the
    report, with the unfinished inputs ``interrupted``).
    """

    def run(self, job: BatchJob) -> None: ...


def engine_flag(cli: click.Group, engine: str, key: str, *decls: str, **settings: Any) -> None:
    """Add an option to ``inksight convert`` whose value is the engine option ``key`` of ``engine``.

    For a plugin's ``register_commands`` hook (``--ray-address`` is
    ``engine_flag(cli, "ray", "address", "--ray-address")``). The flag is
    refused with another ``--engine``; adding it twice does nothing.
    """
    import click

    command = cli.commands["convert"]
    option = click.Option(list(decls), expose_value=False, callback=_remember(engine, key), **settings)
    if option.name not in {param.name for param in command.params}:
        command.params.append(option)


def _remember(engine: str, key: str) -> Callable[[Any, Any, Any], Any]:
    def store(ctx: Any, param: Any, value: Any) -> Any:
        if value is not None:
            ctx.meta.setdefault(ENGINE_FLAGS, {})[key] = (engine, param.opts[0], value)
        return value

    return store


def given_engine_options(meta: dict[str, Any], engine: str) -> dict[str, Any]:
    """The options of :func:`engine_flag` flags on this command line, refused when they are for another engine."""
    from .errors import BadArgumentsError

    options = {}
    for key, (owner, flag, value) in meta.get(ENGINE_FLAGS, {}).items():
        if owner != engine:
            raise BadArgumentsError(f"{flag} goes with --engine {owner}; add --engine {owner} or leave {flag} out")
        options[key] = value
    return options
