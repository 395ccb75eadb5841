"""Joining a Ray cluster for one run, or starting a Ray instance on this machine for it.

A run started without an address gets a private Ray instance sized for a
shared machine: no dashboard, no usage statistics sent anywhere, an object
store of ``object_store_memory`` bytes, and Ray's own chatter only with
``-v``. Ray's failures to connect become one-line errors (exit 5) that say
what to check. The SIGTERM handler Ray installs when it starts an instance
is replaced by the caller's again, after ``ray.init()`` and after
``ray.shutdown()`` (which resets it to the default in Ray's native code), so
``kill`` still stops a run as Ctrl-C does (exit 130, the report written),
except while Ray itself shuts down (about a second at the end). What Ray's driver threads print on
stdout (a dead worker's story) goes to stderr with ``-v``, else nowhere:
stdout stays the documents'.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from inksight_sdk.errors import PluginError

from . import RayOptions

__all__ = ["connected"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def connected(options: RayOptions, verbose: int) -> Iterator[str]:
    """Ray connected for the block; yields where (``a Ray instance on this machine`` or the address).

    Inside a program that already called ``ray.init()`` that session is used
    and left open; otherwise the connection (and an instance started here)
    ends with the block.
    """
    import ray

    if ray.is_initialized():
        yield "the Ray session of this program"
        return
    address = options.address or os.environ.get("RAY_ADDRESS") or None
    settings: dict[str, object] = {
        "log_to_driver": verbose > 0,  # workers' output; warnings reach the report anyway
        "logging_level": logging.INFO if verbose else logging.ERROR,
    }
    if address is None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # the instance we start never reports usage
        settings.update(include_dashboard=False, object_store_memory=options.object_store_memory)
    where = "a Ray instance on this machine" if address is None else f"the Ray cluster at {address}"
    sigterm = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    try:
        ray.init(address=address or "local", **settings)  # "local": a new instance, never one found by chance
    except Exception as exc:
        with contextlib.suppress(Exception):  # whatever half-started
            ray.shutdown()
        raise PluginError(_connect_error(where, address, exc)) from None
    finally:
        if sigterm is not None:
            signal.signal(signal.SIGTERM, sigterm)
    log.info("converting on %s: %s", where, ray.cluster_resources())
    stdout = sys.stdout
    sys.stdout = news = _RayNewsToStderr(stdout, verbose)  # type: ignore[assignment]
    try:
        yield where
    finally:
        news.all_ray = True  # ray.shutdown() prints what Ray held back, from this thread
        ray.shutdown()
        if sigterm is not None:  # Ray's shutdown sets SIGTERM to the default (kill) under Python's feet
            signal.signal(signal.SIGTERM, sigterm)
        if sys.stdout is news:
            sys.stdout = stdout


class _RayNewsToStderr(io.TextIOBase):
    """stdout, except for what Ray's own threads print there: to stderr with ``-v``, else nowhere.

    Ray's driver prints its raylets' news (a worker that died, with advice)
    on stdout, which the CLI keeps for documents; the run reports each lost
    worker itself, in one line per page.
    """

    def __init__(self, stream: TextIO, verbose: int) -> None:
        self.stream = stream
        self.verbose = verbose
        self.all_ray = False

    def write(self, text: str) -> int:
        if not self.all_ray and not threading.current_thread().name.startswith("ray_"):
            return self.stream.write(text)
        return sys.stderr.write(text) if self.verbose else len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def _connect_error(where: str, address: str | None, exc: Exception) -> str:
    from ray.exceptions import AuthenticationError

    reason = " ".join(str(exc).split()) or type(exc).__name__
    cause = exc.__cause__
    if isinstance(exc, AuthenticationError) or isinstance(cause, AuthenticationError):
        return (
            f"{where} asks for its token: set RAY_AUTH_MODE=token and give this machine the cluster's token "
            "(~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN)"
        )
    if address is None:
        return f"cannot start a Ray instance on this machine: {reason}"
    return (
        f"cannot join {where}: {reason}; check --ray-address, that the cluster is up (ray status --address "
        f"{address}) and that this machine has the same Python and Ray versions"
    )
