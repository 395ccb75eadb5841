"""The ``ray`` batch engine: the pages of every input converted by Ray workers, joined and written here.

- The driver (this process) plans each input's parts with the same page
  source the local engine uses (:meth:`Pipeline.parts
  <inksight_sdk.Pipeline.parts>`: one per page of a PDF, the whole file for an
  image), checking its limits, and queues them in input and page order. An
  input that cannot be planned (damaged, over a limit) fails here with the
  local engine's error.
- ``--jobs`` workers (default: one per CPU of the cluster) are Ray actors
  (:class:`~inksight_ray.worker.PageConverter`), each building its pipeline
  once and keeping its stages and models loaded. A worker holds one part at
  a time, so the part it was on when it died is known, and the cluster's
  free workers take the next parts in order.
- Results come back here; once every part of an input is in, the core joins
  them in page order (:func:`~inksight_sdk.batch.item_entry`), serializes the
  output and writes it atomically: the same files, report and exit codes as
  the local engine.
- A part whose worker was lost (killed, crashed, its node gone) or whose
  conversion failed for a reason other than the input itself (an internal
  error, a plugin that failed, Ray failing to deliver) is run once more, on
  a fresh worker if its worker died, and the first failure is kept in the
  input's warnings. A part that fails again, or fails with a verdict on the
  input (:data:`VERDICTS`: it would fail the same way anywhere), fails its
  input: the first failing part in page order decides, as when the input
  converts whole, and the input's other parts are dropped.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time
import uuid
from typing import Any

import attrs

from inksight_sdk.batch import PartResult, guarded, item_entry
from inksight_sdk.errors import ExitCode, PluginError

from . import RayOptions
from .worker import InputFile, PageConverter, PartTask, Unreachable

__all__ = ["RayEngine"]

log = logging.getLogger(__name__)

#: how many parts are planned ahead of the workers, per worker
PLAN_AHEAD = 2
#: seconds idle workers get to close before they are ended
CLOSE_TIMEOUT = 10.0
#: how Ray says why an actor died, in its error's text
DEAD_BECAUSE = "The actor is dead because "
#: failures that are verdicts on the input (bad arguments, a damaged file, over a limit): the same on any worker
VERDICTS = frozenset({int(ExitCode.BAD_ARGUMENTS), int(ExitCode.INPUT_FILE), int(ExitCode.INPUT_LIMIT)})


class RayEngine:
    """Converts a :class:`~inksight_sdk.engines.BatchJob` on a Ray cluster (see the module)."""

    def __init__(self, options: RayOptions) -> None:
        self.options = options

    def run(self, job: Any) -> None:
        from .cluster import connected

        with connected(self.options, job.settings.verbose) as where:
            _Run(job, self.options, where).run()


@attrs.define(eq=False)
class _Input:
    """An input being converted: its parts, their results so far, and what went wrong."""

    index: int
    source: InputFile
    parts: list[dict[str, Any]]
    results: list[PartResult | None]
    notes: list[str] = attrs.Factory(list)
    data: Any = None  # the reference to the file's bytes, once sent
    failed_at: int | None = None
    finished: bool = False

    def wanted(self, number: int) -> bool:
        """Whether part ``number`` still matters (not after a part that failed)."""
        return not self.finished and (self.failed_at is None or number < self.failed_at)

    def complete(self) -> bool:
        end = len(self.parts) if self.failed_at is None else self.failed_at
        return all(result is not None for result in self.results[:end])

    def outcome(self) -> list[PartResult]:
        """The parts that decide the input, in page order: all of them, or those up to the first failure."""
        if self.failed_at is None:
            return [r for r in self.results if r is not None]
        return [r for r in self.results[: self.failed_at + 1] if r is not None]


@attrs.frozen
class _Task:
    input: _Input
    number: int
    attempt: int = 1


class _Run:
    """One batch on the cluster: workers, the queue of parts, retries, finished inputs."""

    def __init__(self, job: Any, options: RayOptions, where: str) -> None:
        import ray

        self.ray = ray
        self.job = job
        self.options = options
        self.where = where
        self.recipe = job.pipeline.registry.recipe()
        self.name = f"inksight-{uuid.uuid4().hex[:8]}"
        self.actor = ray.remote(PageConverter)
        self.planning = iter(job.todo)
        self.queue: collections.deque[_Task] = collections.deque()
        self.idle: list[Any] = []
        self.starting: dict[Any, Any] = {}  # ready() reference -> worker
        self.busy: dict[Any, tuple[Any, _Task]] = {}  # convert() reference -> (worker, task)
        self.workers = 0
        self.names: dict[Any, str] = {}  # worker -> its actor name (inksight-RUN-N)
        self.planned_all = False
        self.ever_ready = False
        self.start_error = ""

    # -- workers ------------------------------------------------------------------

    def _wanted_workers(self) -> int:
        cpus = float(self.ray.cluster_resources().get("CPU", 0))
        fits = int(cpus // self.options.cpus_per_worker)
        if self.job.jobs is None:
            if fits < 1:
                raise PluginError(
                    f"{self.where} has {cpus:g} CPUs, and a worker asks for {self.options.cpus_per_worker:g}; "
                    "lower --engine-option cpus_per_worker or add nodes"
                )
            return fits
        if self.job.jobs > fits:
            log.warning(
                "--jobs %d: %s holds %d workers of %g CPUs now; the others start when it has room",
                self.job.jobs,
                self.where,
                fits,
                self.options.cpus_per_worker,
            )
        return int(self.job.jobs)

    def _start_worker(self) -> None:
        self.workers += 1
        name = f"{self.name}-{self.workers}"
        worker = self.actor.options(name=name, num_cpus=self.options.cpus_per_worker, max_restarts=0).remote(
            self.job.settings, self.recipe
        )
        self.names[worker] = name
        self.starting[worker.ready.remote()] = worker

    def _started(self, ref: Any) -> None:
        worker = self.starting.pop(ref)
        try:
            node = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            self.start_error = _reason(exc)
            log.warning("a Ray worker could not start: %s", self.start_error)
            if not (self.idle or self.busy or self.starting):
                raise PluginError(
                    f"no Ray worker could start on {self.where}: {self.start_error}; every node needs "
                    "inksight-sdk, inksight-ray and the plugins of this run installed (docs/batches.md)"
                ) from None
            return
        log.info("Ray worker %s ready on node %s", self.names[worker], node)
        self.ever_ready = True
        self.idle.append(worker)

    # -- the queue ------------------------------------------------------------------

    def _plan_ahead(self) -> None:
        """Plan inputs, in order, until the queue holds enough parts for every worker."""
        target = PLAN_AHEAD * max(1, self.workers)
        while len(self.queue) < target:
            index = next(self.planning, None)
            if index is None:
                self.planned_all = True
                return
            self._plan(index)

    def _plan(self, index: int) -> None:
        item = self.job.items[index]
        log.info("planning %s", item.path)
        # the reader first: a missing or damaged input fails with the local engine's words
        planned, failure = guarded(lambda: (self.job.pipeline.parts(item.path), InputFile.of(item.path)), item.path)
        if failure is not None:
            self.job.finish(index, item_entry(item, [PartResult(None, *failure)], *self._entry_args()))
            return
        parts, source = planned
        state = _Input(index, source, parts, [None] * len(parts))
        if self.options.transfer == "bytes":
            self._send_bytes(state)
        self.queue.extend(_Task(state, number) for number in range(len(parts)))

    def _entry_args(self) -> tuple[Any, Any]:
        return self.job.pipeline.registry, self.job.settings

    def _send_bytes(self, state: _Input) -> None:
        if state.data is None:
            with open(state.source.path, "rb") as stream:
                state.data = self.ray.put(stream.read())

    def _dispatch(self) -> None:
        while self.idle and self.queue:
            task = self.queue.popleft()
            if not task.input.wanted(task.number):
                continue
            worker = self.idle.pop()
            state = task.input
            name = self.job.items[state.index].path
            where = _describe(state.parts[task.number], task.number, len(state.parts))
            log.debug("%s, %s: to Ray worker %s (attempt %d)", name, where, self.names[worker], task.attempt)
            payload = PartTask(state.source, name, state.parts[task.number], state.data)
            self.busy[worker.convert.remote(payload)] = (worker, task)

    # -- results --------------------------------------------------------------------

    def _collected(self, ref: Any) -> None:
        worker, task = self.busy.pop(ref)
        exceptions = self.ray.exceptions
        try:
            result = self.ray.get(ref)
        except exceptions.RayActorError as exc:
            with contextlib.suppress(Exception):  # unreachable rather than dead: free its CPU all the same
                self.ray.kill(worker)
            self._start_worker()  # in the lost one's place
            self._retry(task, f"its Ray worker was lost ({_reason(exc)})", int(ExitCode.INCOMPLETE), lost=True)
            return
        except exceptions.RayError as exc:  # the part's objects were lost, or the call could not be made
            self.idle.append(worker)
            self._retry(task, f"the Ray call failed ({_reason(exc)})", int(ExitCode.INCOMPLETE))
            return
        self.idle.append(worker)
        state = task.input
        if not state.wanted(task.number):
            return
        if isinstance(result, Unreachable):
            if self.options.transfer == "path":
                where = f"the Ray node {result.node}"
                error = f"{state.source.path} is not on {where}; put the inputs on a filesystem every node mounts "
                error += "at the same path, or use transfer=auto"
                self._fail(task, PartResult(None, error, int(ExitCode.INPUT_FILE)))
                return
            self._send_bytes(state)
            self.queue.appendleft(task)
            return
        if result.document is None:
            if result.exit_code in VERDICTS:
                self._fail(task, result)
            else:
                self._retry(task, result.error or "failed", result.exit_code, result=result)
            return
        state.results[task.number] = result
        self.job.pages(result.pages)
        self._finish_if_complete(state)

    def _retry(
        self, task: _Task, error: str, code: int, *, lost: bool = False, result: PartResult | None = None
    ) -> None:
        """Run a failed part once more; the second failure fails its input."""
        state = task.input
        if not state.wanted(task.number):
            return
        where = _describe(state.parts[task.number], task.number, len(state.parts))
        if task.attempt == 1:
            state.notes.append(f"{where}: {error}; retried on the Ray cluster")
            self.queue.appendleft(attrs.evolve(task, attempt=2))
            return
        if result is None or lost:
            detail = f"{where}: {error} twice; a page that crashes its worker, or a node out of memory or gone"
            result = PartResult(None, detail, code)
        self._fail(task, result)

    def _fail(self, task: _Task, result: PartResult) -> None:
        state = task.input
        state.results[task.number] = result
        state.failed_at = task.number if state.failed_at is None else min(state.failed_at, task.number)
        self._finish_if_complete(state)

    def _finish_if_complete(self, state: _Input) -> None:
        if state.finished or not state.complete():
            return
        state.finished = True
        state.data = None  # the sent bytes can go
        entry = item_entry(self.job.items[state.index], state.outcome(), *self._entry_args())
        entry["warnings"] = [*entry["warnings"], *state.notes]
        self.job.finish(state.index, entry)

    # -- the loop -------------------------------------------------------------------

    def run(self) -> None:
        for _ in range(self._wanted_workers()):
            self._start_worker()
        began = time.monotonic()
        try:
            while True:
                self._plan_ahead()
                self._dispatch()
                if self.planned_all and not self.busy and not any(t.input.wanted(t.number) for t in self.queue):
                    return
                waiting = [*self.busy, *self.starting]
                if not waiting:
                    raise PluginError(f"no Ray worker is left on {self.where}; {self.start_error or 'see -v'}")
                done, _ = self.ray.wait(waiting, num_returns=1, timeout=5.0)
                for ref in done:
                    if ref in self.starting:
                        self._started(ref)
                    else:
                        self._collected(ref)
                if not self.ever_ready and time.monotonic() - began > self.options.start_timeout:
                    raise PluginError(
                        f"no Ray worker started on {self.where} within {self.options.start_timeout:g} s "
                        f"({self.ray.cluster_resources().get('CPU', 0):g} CPUs; each worker asks for "
                        f"{self.options.cpus_per_worker:g}); {self.start_error or 'is the cluster busy?'}"
                    )
        finally:
            self._end_workers()

    def _end_workers(self) -> None:
        """Idle workers close (their helpers, their copies of sent inputs); then every worker is ended."""
        closing = [worker.close.remote() for worker in self.idle]
        with contextlib.suppress(Exception):
            self.ray.wait(closing, num_returns=len(closing), timeout=CLOSE_TIMEOUT)
        for worker in [*self.idle, *self.starting.values(), *(w for w, _ in self.busy.values())]:
            with contextlib.suppress(Exception):  # already gone
                self.ray.kill(worker)


def _describe(part: dict[str, Any], number: int, count: int) -> str:
    """Where a part is in its input, for messages: ``page 7``, or ``part 2 of 3``, or ``the input``."""
    first, last = part.get("first_page"), part.get("last_page")
    if first is not None and first == last:
        return f"page {first}"
    return "the input" if count == 1 else f"part {number + 1} of {count}"


def _reason(exc: BaseException) -> str:
    """Ray's error as one short line (its messages run to many lines of advice).

    A dead actor's is ``pid N on IP: why`` (``it was killed by `ray.kill```,
    ``its worker process has died ... Worker exit type: SYSTEM_ERROR ...``).
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    fields = dict(line.split(": ", 1) for line in lines if line.startswith(("pid: ", "ip: ")))
    why = next((line for line in lines if line.startswith(DEAD_BECAUSE)), None)
    if why is not None:
        text = why[len(DEAD_BECAUSE) :].split(" Some common causes")[0].rstrip(".")
        if fields:
            text = f"pid {fields.get('pid', '?')} on {fields.get('ip', '?')}: {text}"
    else:
        text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
