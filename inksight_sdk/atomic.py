"""Atomic output: write a temporary file beside the target, then rename.

A failed or interrupted run never truncates or half-writes an existing
output; the temporary file is removed on any error, Ctrl-C included.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

from .errors import OutputFileError

__all__ = ["atomic_output"]


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """Yield a binary stream; on success it replaces ``path`` in one step."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputFileError(f"output folder does not exist: {directory}; create it first")
    if os.path.isdir(path):
        raise OutputFileError(f"output path is a directory: {path}; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise OutputFileError(f"cannot write to {directory}: {exc.strerror or exc}; check permissions") from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(path):
            with contextlib.suppress(OSError):
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
