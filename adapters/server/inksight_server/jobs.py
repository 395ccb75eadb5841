"""Jobs: conversions that outlive their request, with state, progress, a result and an expiry.

A job owns a folder under the server's temporary root holding the upload,
the document (ink JSON) once done, and the results and page images made from
it on request. It moves ``queued -> running -> done | failed``, or to
``cancelled`` by ``DELETE``; ``job_ttl`` seconds after it ends it expires and
its folder is removed. The worker's progress callback and the task's end
arrive on a pool thread, the API reads on the event loop: every change goes
through the store's lock.
"""

from __future__ import annotations

import datetime
import secrets
import shutil
import threading
import time
from typing import Any

import attrs

from .errors import ApiError

__all__ = ["Job", "JobStore", "STATES"]

STATES = ("queued", "running", "done", "failed", "cancelled")
#: the document of a finished job, in its folder (a dot name: no upload can be called that)
DOCUMENT = ".document.json"


@attrs.define(eq=False)
class Job:
    id: str
    folder: str
    name: str
    choices: dict[str, Any]
    export_options: dict[str, Any]
    state: str = "queued"
    pages_done: int = 0
    pages_total: int | None = None
    words: int = 0
    error: dict[str, Any] | None = None
    warnings: list[str] = attrs.Factory(list)
    formats: list[str] = attrs.Factory(list)
    finished: float | None = None  # time.time() when it ended
    expires: float | None = None
    task: Any = None

    @property
    def finished_state(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def view(self) -> dict[str, Any]:
        """The job as ``GET /v1/jobs/{id}`` answers it."""
        return {
            "id": self.id,
            "state": self.state,
            "pages_done": self.pages_done,
            "pages_total": self.pages_total,
            "words": self.words,
            "error": self.error,
            "warnings": list(self.warnings),
            "formats": list(self.formats) if self.state == "done" else [],
            "expires_at": _iso(self.expires),
        }


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat(timespec="seconds")


class JobStore:
    """Every job of this server by id; ids are random (128 bits): knowing one is the key to it."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(16)

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no job {job_id!r}: it never existed, expired or was removed", code="NOT_FOUND")
        return job

    def view(self, job_id: str) -> dict[str, Any]:
        job = self.get(job_id)
        with self._lock:
            return job.view()

    # -- changes (from pool threads and the event loop) -------------------------

    def progress(self, job: Job, done: int, total: int | None) -> None:
        with self._lock:
            if job.state in ("queued", "running"):
                job.state = "running"
                job.pages_done = done
                job.pages_total = total

    def finish(self, job: Job, *, result: dict[str, Any] | None = None, error: ApiError | None = None) -> None:
        """The job's conversion ended (a cancelled job stays cancelled)."""
        with self._lock:
            if job.finished_state:
                return
            if result is not None:
                job.state = "done"
                job.pages_done = job.pages_total = result["pages"]
                job.words = result["words"]
                job.warnings = list(result["warnings"])
                job.formats = list(result.get("formats", ()))
            else:
                job.state = "failed"
                job.error = error.info() if error is not None else None
            self._ended(job)

    def cancel(self, job: Job) -> bool:
        """Mark a queued or running job cancelled; False when it had already ended."""
        with self._lock:
            if job.finished_state:
                return False
            job.state = "cancelled"
            self._ended(job)
        shutil.rmtree(job.folder, ignore_errors=True)
        return True

    def remove(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def _ended(self, job: Job) -> None:
        job.finished = time.time()
        job.expires = job.finished + self.ttl

    def expire(self, now: float | None = None) -> int:
        """Remove the jobs whose time is up, with their folders; returns how many."""
        now = time.time() if now is None else now
        with self._lock:
            gone = [job for job in self._jobs.values() if job.expires is not None and job.expires <= now]
            for job in gone:
                del self._jobs[job.id]
        for job in gone:
            shutil.rmtree(job.folder, ignore_errors=True)
        return len(gone)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())
