"""The Ray worker: an actor that builds its pipeline once and converts the parts (pages) it is given.

How a worker gets its input: the driver sends the path with the file's size
and modification time. A worker that sees the same file at that path (one
machine, or a filesystem every node mounts at the same place) reads its page
from there, so a 500-page PDF is never copied whole to every node; a worker
that does not answers :class:`Unreachable`, and the driver puts the file's
bytes in Ray's object store once and sends their reference. The worker then
writes them to a private temporary copy (kept for the next pages of the same
input) and converts that, naming the original path in everything it returns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import OrderedDict
from typing import Any

import attrs

from inksight_sdk.batch import JobSettings, PartResult, convert_part, worker_pipeline

__all__ = ["InputFile", "PartTask", "Unreachable", "PageConverter"]

#: copies of sent inputs a worker keeps at once (the input it is on, and the one before)
COPIES_KEPT = 2


@attrs.frozen
class InputFile:
    """An input as the driver sees it (absolute path): a worker reads it only where the same file is there."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> InputFile:
        status = os.stat(path)
        return cls(os.path.abspath(path), status.st_size, status.st_mtime_ns)

    def here(self) -> bool:
        """Whether this machine sees the same file at the path (same size and modification time)."""
        try:
            status = os.stat(self.path)
        except OSError:
            return False
        return status.st_size == self.size and status.st_mtime_ns == self.mtime_ns


@attrs.frozen
class PartTask:
    """Convert one part of an input.

    ``name`` is the input's path as the user gave it (what the results say);
    ``data`` the reference to the file's bytes when they are sent.
    """

    source: InputFile
    name: str
    part: dict[str, Any]
    data: Any = None


@attrs.frozen
class Unreachable:
    """The worker on ``node`` does not see the input at its path: send its bytes."""

    node: str


class PageConverter:
    """A Ray actor (``ray.remote(PageConverter)``): one pipeline, kept with its stages and models."""

    def __init__(self, settings: JobSettings, recipe: tuple[tuple[str, ...], bool, bool]) -> None:
        self.pipeline = worker_pipeline(settings, recipe)
        self.folder: str | None = None  # for copies of sent inputs, made on the first one
        self.copies: OrderedDict[InputFile, str] = OrderedDict()

    def ready(self) -> str:
        """The node this worker runs on, once the worker is built."""
        import ray

        return str(ray.get_runtime_context().get_node_id())

    def convert(self, task: PartTask) -> PartResult | Unreachable:
        if task.data is not None:
            local = self._copy(task.source, task.data)
        elif task.source.here():
            local = task.source.path
        else:
            return Unreachable(self.ready())
        result = convert_part(self.pipeline, local, task.part)
        return result if local == task.name else _renamed(result, local, task.name)

    def close(self) -> None:
        """Stop the pipeline's helpers and remove the copies (the driver calls it before ending the worker)."""
        self.pipeline.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
            self.copies.clear()

    def _copy(self, source: InputFile, data: Any) -> str:
        """The local copy of a sent input, written on its first part and kept for the next ones."""
        import ray

        if source in self.copies:
            self.copies.move_to_end(source)
            return self.copies[source]
        if self.folder is None:
            import atexit

            self.folder = tempfile.mkdtemp(prefix="inksight-ray-")
            atexit.register(shutil.rmtree, self.folder, True)
        while len(self.copies) >= COPIES_KEPT:
            _, old = self.copies.popitem(last=False)
            shutil.rmtree(os.path.dirname(old), ignore_errors=True)
        folder = tempfile.mkdtemp(dir=self.folder)
        local = os.path.join(folder, os.path.basename(source.path) or "input")
        with open(local, "wb") as stream:
            stream.write(ray.get(data))
        self.copies[source] = local
        return local


def _renamed(result: PartResult, local: str, original: str) -> PartResult:
    """A part converted from a local copy, naming the original path (pages, metadata, error, warnings)."""
    from inksight_sdk.ink import InkDocument

    def text(value: str) -> str:
        return value.replace(local, original)

    document = result.document
    if document is not None:
        metadata = document.metadata
        document = InkDocument(
            pages=tuple(attrs.evolve(page, image=original) if page.image == local else page for page in document),
            metadata=attrs.evolve(
                metadata,
                source=original if metadata.source == local else metadata.source,
                problems=tuple(text(problem) for problem in metadata.problems),
            ),
        )
    return attrs.evolve(
        result,
        document=document,
        error=None if result.error is None else text(result.error),
        warnings=tuple(text(warning) for warning in result.warnings),
    )
