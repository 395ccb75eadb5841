"""The worker pool: ``--workers`` conversion processes, a bounded queue, backpressure.

Each worker process (:mod:`inksight_server.worker`) belongs to a *slot*: a
long-lived thread of the server that starts it, hands it one task at a time,
watches it and replaces it. A worker that dies (a segfault in a native
library, the out-of-memory killer) or overruns its task's time limit is
killed and started again by its slot; the task ends with an error and the
server goes on. The slot thread, not a passing request's thread, starts each
worker because :class:`~inksight_sdk.children.Child` ties a child's life to
the thread that started it.

Admission is by *tickets*: a request takes one before its upload is read and
gives it back when its task ends, and there are ``workers + queue`` of them.
With none left the request is refused at once (429 with ``Retry-After``), so a
flood costs neither disk nor memory, and the queue can never overflow.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from inksight_sdk.children import Child
from inksight_sdk.errors import ExitCode

from .errors import ApiError
from .worker import WORKER_ENTRY

__all__ = ["WorkerPool", "Ticket", "Task", "WORKER_START_TIMEOUT"]

log = logging.getLogger("inksight_server")

#: seconds a worker may take to start (imports, building the default pipeline, loading its models)
WORKER_START_TIMEOUT = 600.0
#: how often a slot looks at a running task's cancel flag and deadline (seconds)
WATCH_INTERVAL = 0.1

Progress = Callable[[int, "int | None"], None]


class Ticket:
    """A place in the pool (running or queued), held from before the upload until the task ends."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._released = False

    def release(self) -> None:
        """Give the place back (idempotent)."""
        with self._pool._cond:
            if self._released:
                return
            self._released = True
            self._pool._tickets -= 1


class Task:
    """One unit of work for a worker; ``future`` gets the worker's result or an :class:`ApiError`."""

    def __init__(
        self, kind: str, payload: dict[str, Any], timeout: float, timeout_flag: str, progress: Progress | None
    ) -> None:
        self.kind = kind
        self.payload = payload
        self.timeout = timeout
        self.timeout_flag = timeout_flag
        self.progress = progress
        self.future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        self.cancelled = threading.Event()
        self.ticket: Ticket | None = None

    @property
    def label(self) -> str:
        return str(self.payload.get("name") or "the input")

    def succeed(self, result: dict[str, Any]) -> None:
        if not self.future.done():
            try:
                self.future.set_result(result)
            except concurrent.futures.InvalidStateError:  # cancelled meanwhile
                pass

    def fail(self, error: ApiError) -> None:
        if not self.future.done():
            try:
                self.future.set_exception(error)
            except concurrent.futures.InvalidStateError:
                pass


class _Slot:
    """One worker process and the thread that owns it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.child: Child | None = None
        self.started_once = False
        self.pipelines = 0  # pipelines its worker has built (reused ones are not built again)
        self.error: dict[str, Any] | None = None
        self.thread: threading.Thread | None = None


def _shutting_down() -> ApiError:
    return ApiError(
        503,
        "the server is shutting down; retry on another instance",
        exit_code=ExitCode.INTERRUPTED,
        code="NOT_READY",
    )


class WorkerPool:
    """``size`` worker processes behind a queue of at most ``queue`` waiting tasks.

    ``config`` is what each worker is started with (see
    :func:`inksight_server.worker.main`). Thread-safe; :meth:`start` and
    :meth:`stop` bracket its life.
    """

    def __init__(self, size: int, queue: int, config: dict[str, Any]) -> None:
        self.size = size
        self.capacity = size + queue
        self._config = config
        self._slots = [_Slot(i) for i in range(size)]
        self._queue: collections.deque[Task] = collections.deque()
        self._cond = threading.Condition()
        self._tickets = 0
        self._running = 0
        self._stopping = threading.Event()
        self._mean_seconds = 1.0
        self.completed = 0
        self.replaced = 0

    # -- life -----------------------------------------------------------------

    def start(self) -> None:
        for slot in self._slots:
            slot.thread = threading.Thread(
                target=self._serve, args=(slot,), name=f"inksight-slot-{slot.index}", daemon=True
            )
            slot.thread.start()

    def stop(self) -> None:
        """Fail what waits, stop every worker, end the slot threads."""
        self._stopping.set()
        with self._cond:
            waiting = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for task in waiting:
            task.fail(_shutting_down())
            if task.ticket is not None:
                task.ticket.release()
        for slot in self._slots:
            self._kill(slot)
        for slot in self._slots:
            if slot.thread is not None:
                slot.thread.join(10)

    # -- admission ------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every worker has started once (its default pipeline built) and not all are failing to start."""
        return all(s.started_once for s in self._slots) and not all(s.error for s in self._slots)

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "ready": self.ready,
                "workers": self.size,
                "workers_up": sum(s.child is not None for s in self._slots),
                "running": self._running,
                "queued": len(self._queue),
                "places_taken": self._tickets,
                "capacity": self.capacity,
                "completed": self.completed,
                "replaced": self.replaced,
                "pipelines_built": sum(s.pipelines for s in self._slots if s.child is not None),
            }

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the mean task time times the queue ahead, per worker."""
        with self._cond:
            ahead = len(self._queue) + 1
        return max(1, min(120, math.ceil(self._mean_seconds * ahead / self.size)))

    def not_ready(self) -> ApiError:
        errors = [s.error for s in self._slots if s.error]
        up = sum(s.child is not None for s in self._slots)
        if self._stopping.is_set():
            return _shutting_down()
        if errors and not up:
            message = f"the conversion workers cannot start: {errors[0]['message']}"
        else:
            message = f"the conversion workers are starting ({up} of {self.size} ready); retry shortly"
        return ApiError(503, message, exit_code=ExitCode.INTERRUPTED, code="NOT_READY", headers={"Retry-After": "2"})

    def reserve(self) -> Ticket:
        """A place for one task, or 503 (not ready) / 429 (every place taken)."""
        if self._stopping.is_set() or not self.ready:
            raise self.not_ready()
        with self._cond:
            if self._tickets < self.capacity:
                self._tickets += 1
                return Ticket(self)
        seconds = self.retry_after()
        raise ApiError(
            429,
            f"the server is busy ({self.size} conversion(s) running, {self.capacity - self.size} waiting); "
            f"retry in {seconds} s",
            exit_code=ExitCode.INTERRUPTED,
            code="BUSY",
            headers={"Retry-After": str(seconds)},
        )

    def submit(
        self,
        ticket: Ticket,
        kind: str,
        payload: dict[str, Any],
        *,
        timeout: float,
        timeout_flag: str,
        progress: Progress | None = None,
    ) -> Task:
        """Queue a task on a reserved place; the ticket is released when the task ends."""
        task = Task(kind, payload, timeout, timeout_flag, progress)
        task.ticket = ticket
        task.future.add_done_callback(lambda future: future.cancelled() and self.cancel(task))
        with self._cond:
            if self._stopping.is_set():
                ticket.release()
                raise _shutting_down()
            self._queue.append(task)
            self._cond.notify()
        return task

    def cancel(self, task: Task) -> None:
        """Drop a queued task, or stop a running one (its worker is killed and replaced)."""
        task.cancelled.set()
        with self._cond:
            queued = task in self._queue
            if queued:
                self._queue.remove(task)
        if queued:
            task.future.cancel()
            if task.ticket is not None:
                task.ticket.release()

    # -- the slot threads -----------------------------------------------------

    def _serve(self, slot: _Slot) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            if slot.child is None:
                if not self._start(slot):
                    self._stopping.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 1.0
            task = self._take()
            if task is None:
                break
            self._run(slot, task)
        self._kill(slot)

    def _take(self) -> Task | None:
        with self._cond:
            while not self._queue and not self._stopping.is_set():
                self._cond.wait()
            if self._stopping.is_set():
                return None
            self._running += 1
            return self._queue.popleft()

    def _start(self, slot: _Slot) -> bool:
        child = Child(WORKER_ENTRY)
        try:
            child.outbox.send(self._config)
        except OSError:
            pass  # it died at once: the wait below says so
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        message: tuple[Any, ...] | None = None
        while message is None and not self._stopping.is_set():
            try:
                if child.inbox.poll(WATCH_INTERVAL * 2):
                    message = child.inbox.recv()
                elif not child.alive() and not child.inbox.poll(0):
                    raise EOFError
                elif time.monotonic() > deadline:
                    message = ("failed", _start_error(f"did not start within {WORKER_START_TIMEOUT:g} s"))
            except (EOFError, OSError):
                message = ("failed", _start_error(f"exited while starting (exit code {child.exit_code()})"))
        if message is None or message[0] != "ready":
            child.stop()
            if message is not None:
                slot.error = message[1]
                log.warning("inksight serve: worker %d did not start: %s", slot.index, slot.error["message"])
            return False
        with self._cond:
            slot.child = child
            slot.started_once = True
            slot.pipelines = message[1]
            slot.error = None
        return True

    def _kill(self, slot: _Slot) -> None:
        with self._cond:
            child, slot.child = slot.child, None
        if child is not None:
            child.stop()

    def _run(self, slot: _Slot, task: Task) -> None:
        """Run one task; the worker is replaced (when it must be) and the place given back before the
        task's outcome is told, so a client that hears it can come back at once to a ready pool."""
        started = time.monotonic()
        settle: Callable[[], object] = task.future.cancel
        try:
            if not task.cancelled.is_set():
                reason, settle = self._watch(slot, task, started + task.timeout)
                if reason is not None:  # the worker is gone or must go
                    self._kill(slot)
                    with self._cond:
                        self.replaced += 1
                    if reason:
                        log.warning("inksight serve: worker %d replaced: %s", slot.index, reason)
        finally:
            seconds = time.monotonic() - started
            with self._cond:
                self._running -= 1
                self.completed += 1
                self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
            if task.ticket is not None:
                task.ticket.release()
            settle()

    def _watch(self, slot: _Slot, task: Task, deadline: float) -> tuple[str | None, Callable[[], object]]:
        """Run ``task`` on the slot's worker; returns why the worker must be replaced (or None) and how to
        tell the task its outcome.

        An empty reason asks for a quiet replacement (a cancelled task, a
        worker that leaked a hung page's thread).
        """
        child = slot.child
        assert child is not None
        try:
            child.outbox.send((task.kind, task.payload))
        except OSError:
            return "it died before taking a task", functools.partial(task.fail, self._died(task, child))
        while True:
            if task.cancelled.is_set():
                return "", task.future.cancel
            if self._stopping.is_set():
                return "", functools.partial(task.fail, _shutting_down())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error = ApiError(
                    504,
                    f"{task.label} did not finish within {task.timeout:g} s ({task.timeout_flag}); "
                    "the conversion was stopped",
                    exit_code=ExitCode.INTERRUPTED,
                    code="TIMEOUT",
                )
                return f"{task.label} ran past {task.timeout:g} s", functools.partial(task.fail, error)
            try:
                if not child.inbox.poll(min(WATCH_INTERVAL, remaining)):
                    if not child.alive() and not child.inbox.poll(0):
                        raise EOFError
                    continue
                message = child.inbox.recv()
            except (EOFError, OSError):
                if self._stopping.is_set():
                    return "", functools.partial(task.fail, _shutting_down())
                return f"it died converting {task.label}", functools.partial(task.fail, self._died(task, child))
            if message[0] == "progress":
                if task.progress is not None:
                    task.progress(message[1], message[2])
            elif message[0] == "done":
                slot.pipelines = message[1]["pipelines"]
                return ("" if message[1].get("retire") else None), functools.partial(task.succeed, message[1])
            else:
                return None, functools.partial(task.fail, ApiError.from_info(message[1]))

    def _died(self, task: Task, child: Child) -> ApiError:
        return ApiError(
            422,
            f"the worker process converting {task.label} died (exit code {child.exit_code()}): "
            "a crash in a stage, or the machine ran out of memory; nothing was kept, the worker was replaced",
            exit_code=ExitCode.INCOMPLETE,
        )


def _start_error(why: str) -> dict[str, Any]:
    return ApiError(500, f"a conversion worker {why}", exit_code=ExitCode.INTERNAL).info()
