"""The builtin ``local`` batch engine: this process, or ``--jobs`` worker processes on this machine."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..registry import StageSpec


def _factory(options: None):  # type: ignore[no-untyped-def]
    from ..batch_run import LocalEngine

    return LocalEngine()


@hookimpl
def register_engines(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="local",
            description="This machine: inputs one after another, or --jobs worker processes",
            factory=_factory,
            priority=100,
        )
    )
