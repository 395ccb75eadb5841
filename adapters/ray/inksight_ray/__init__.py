"""Batch conversion on a Ray cluster for inksight-sdk: ``inksight convert INPUTS -o OUT/ --engine ray``.

Registered through the ``inksight_sdk`` entry point as the batch engine
``ray`` (and the ``--ray-address`` flag). Registration is cheap: Ray is
imported only when a run starts (:mod:`inksight_ray.engine`). The driver
plans every input's pages, Ray workers convert them with a pipeline each
keeps loaded, and the driver joins, writes and reports them exactly as the
local engine does (docs/batches.md, "On a Ray cluster").
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any

import attrs

from inksight_sdk import StageSpec, hookimpl

__all__ = ["RayOptions", "convert_archive", "INSTALL_HINT"]

INSTALL_HINT = "pip install inksight-ray, or pip install -e adapters/ray from a checkout (it brings ray)"

#: the object store of a Ray instance this engine starts itself (not of a cluster it joins)
DEFAULT_OBJECT_STORE_BYTES = 1 << 30


@attrs.frozen
class RayOptions:
    """Options of the ``ray`` engine (``--engine-option KEY=VALUE``; ``--ray-address`` sets ``address``).

    ``address``: the cluster to join (``HOST:PORT`` of its head, ``auto`` for
    the cluster this machine is a node of, ``ray://HOST:10001`` through Ray
    Client); unset: ``RAY_ADDRESS`` if set, else a Ray instance started on
    this machine for the run and stopped after it. ``cpus_per_worker``: the
    CPUs each worker reserves (more for a stage that uses several threads).
    ``transfer``: how a worker gets its input: ``auto`` (default) reads the
    path when the worker sees the same file there (a shared filesystem) and
    is sent the file's bytes otherwise; ``path`` never sends bytes (an input
    a worker cannot see fails); ``bytes`` always sends them.
    ``object_store_memory``: bytes of the object store of a Ray instance
    started here. ``start_timeout``: seconds to wait for the first worker.
    """

    address: str | None = None
    cpus_per_worker: float = attrs.field(default=1.0, converter=float, validator=attrs.validators.gt(0))
    transfer: str = attrs.field(default="auto", validator=attrs.validators.in_(("auto", "path", "bytes")))
    object_store_memory: int = attrs.field(
        default=DEFAULT_OBJECT_STORE_BYTES, converter=int, validator=attrs.validators.ge(78 << 20)
    )
    start_timeout: float = attrs.field(default=300.0, converter=float, validator=attrs.validators.gt(0))


def is_available() -> bool:
    """Ray importable (nothing is imported)."""
    return importlib.util.find_spec("ray") is not None


def _factory(options: RayOptions):  # type: ignore[no-untyped-def]
    from .engine import RayEngine

    return RayEngine(options)


@hookimpl
def register_engines(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="ray",
            description="A Ray cluster: the pages of every input spread over its workers (--ray-address)",
            factory=_factory,
            options=RayOptions,
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from inksight_sdk.engines import engine_flag

    engine_flag(
        cli,
        "ray",
        "address",
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="With --engine ray: the Ray cluster to join (HOST:PORT of its head, or auto). "
        "Default: RAY_ADDRESS, else a Ray instance on this machine for this run.",
    )


def convert_archive(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    address: str | None = None,
    workers: int | None = None,
    transfer: str = "auto",
    cpus_per_worker: float = 1.0,
    **settings: Any,
) -> dict[str, Any]:
    """Convert files and folders into the folder ``output`` on a Ray cluster; returns the run report.

    The same run as ``inksight convert INPUTS -o OUTPUT/ --engine ray
    [--ray-address ADDRESS] [--jobs WORKERS]``: the same outputs and report
    as the local engine. ``settings`` are those of
    :func:`inksight_sdk.batch_run.convert_batch` (``format``, ``recursive``,
    ``skip_existing``, ``report``, ``detector``, ``source_options`` ...).
    Inside a program that already called ``ray.init()``, that cluster is used.
    """
    from inksight_sdk.batch_run import convert_batch

    options = {"address": address, "transfer": transfer, "cpus_per_worker": cpus_per_worker}
    return convert_batch(inputs, output, engine="ray", engine_options=options, jobs=workers, **settings)
