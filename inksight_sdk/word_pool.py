"""Words in parallel: one function over many word crops, on helper processes and the caller's thread.

Classical tracing is pure Python and numpy, so threads do not help (the GIL);
a page of 50-100 words is worth spreading over the machine's cores. The pool
keeps a few :class:`~inksight_sdk.children.Child` processes for the life of
the stage that owns it. The caller's thread works too, from the back of the
list, while a dispatcher thread feeds the children from the front, two items
each, as they answer. Children are used only once they have started (a
Python start plus imports, a few tenths of a second), so a short list is never
slower than doing it alone, and the caller's thread takes back the work of a
child that dies or fails. The results are the same wherever an item ran.
"""

from __future__ import annotations

import collections
import importlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from .children import Child

__all__ = ["WordPool", "cgroup_cpu_quota", "usable_cpus"]

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

#: items a child holds at once: one in work and one waiting, so it never idles between answers
_DEPTH = 2


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a container's CPU quota.

    A container limited to two CPUs on a 64-core host still sees 64 in its
    affinity mask; more helpers than its quota would only queue for it.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    return min(cpus, quota) if quota else cpus


def cgroup_cpu_quota(path: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """The cgroup v2 CPU limit in whole CPUs (rounded up), ``None`` where there is none or no such file."""
    try:
        with open(path, encoding="ascii") as fh:
            fields = fh.read().split()
        quota, period = int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):  # no cgroup v2 here, or "max" (no limit)
        return None
    return max(1, math.ceil(quota / period)) if quota > 0 and period > 0 else None


class WordPool(Generic[Item, Result]):
    """``map`` a module-level ``function`` over items on up to ``workers`` children plus the caller.

    ``function`` is ``"module:name"`` so a child can import it; it must be
    deterministic and take and return picklable values. One call to ``map``
    runs at a time; a second thread calling meanwhile works alone.
    """

    def __init__(self, function: str, workers: int) -> None:
        module, _, name = function.partition(":")
        self._local: Callable[[Item], Result] = getattr(importlib.import_module(module), name)
        self._function = function
        self._workers = workers
        self._children: list[_Helper] = []
        self._busy = threading.Lock()

    def map(self, items: Sequence[Item]) -> list[Result]:
        if self._workers < 1 or len(items) < 2 or not self._busy.acquire(blocking=False):
            return [self._local(item) for item in items]
        try:
            return self._map(items)
        finally:
            self._busy.release()

    def start(self, timeout: float = 60.0) -> int:
        """Start the children now and wait up to ``timeout`` s for them; returns how many are ready.

        ``map`` starts them by itself; an application that wants them up
        before its first page (a server) calls this first.
        """
        with self._busy:
            self._start_children()
            deadline = time.monotonic() + timeout
            for helper in self._children:
                while not helper.ready and helper.child.inbox.poll(max(0.0, deadline - time.monotonic())):
                    try:
                        helper.ready = helper.child.inbox.recv() == "ready"
                    except (EOFError, OSError):
                        break
            return sum(h.ready for h in self._children)

    def warm(self) -> None:
        """Start the children now without waiting for them: their start-up overlaps the caller's own work.

        A converter calls this before it looks at the page, so that the
        children's Python start and imports (a few tenths of a second) run on
        the other cores while the page is being read and its words found.
        """
        if self._workers >= 1 and self._busy.acquire(blocking=False):
            try:
                self._start_children()
            finally:
                self._busy.release()

    def close(self) -> None:
        """Stop the children (they also stop when the pool is collected or the process exits)."""
        for helper in self._children:
            helper.child.stop()
        self._children = []

    def _map(self, items: Sequence[Item]) -> list[Result]:
        self._start_children()
        todo = collections.deque(range(len(items)))
        results: dict[int, Result] = {}
        dispatcher = _Dispatcher(items, todo, results, self._children)
        dispatcher.start()
        try:
            self._work(items, todo, results)
            dispatcher.finish()
        except BaseException:
            # an item that failed here fails alone too (the caller retries item by item), and Ctrl-C stops
            # everything: children that still hold items of this call are stopped, never asked again
            dispatcher.stop()
            self.close()
            raise
        if dispatcher.broken:
            self.close()
        # what children gave back (an item failed there, or the child died) runs here, after the rest
        todo.extend(dispatcher.given_back)
        self._work(items, todo, results)
        return [results[i] for i in range(len(items))]

    def _start_children(self) -> None:
        # a child dies with the thread that started it (see children.py): start it from the caller's thread
        self._children = [h for h in self._children if h.child.alive()]
        while len(self._children) < self._workers:
            self._children.append(_Helper(Child("inksight_sdk.word_pool:_serve"), self._function))

    def _work(self, items: Sequence[Item], todo: collections.deque[int], results: dict[int, Result]) -> None:
        while True:
            try:
                i = todo.pop()
            except IndexError:
                return
            results[i] = self._local(items[i])


class _Helper:
    """A child and what the dispatcher knows of it."""

    def __init__(self, child: Child, function: str) -> None:
        self.child = child
        self.ready = False
        self.holding: list[int] = []
        try:
            child.outbox.send(function)
        except OSError:
            pass  # it died at once: the dispatcher sees it


class _Dispatcher(Generic[Item, Result]):
    """Feeds ready children from the front of ``todo`` and files their answers, on its own thread."""

    def __init__(
        self,
        items: Sequence[Item],
        todo: collections.deque[int],
        results: dict[int, Result],
        helpers: list[_Helper],
    ) -> None:
        self._items = items
        self._todo = todo
        self._results = results
        self._helpers = list(helpers)
        self._stop = False
        #: the dispatcher itself failed: the children's state is unknown and they are replaced
        self.broken = False
        #: items a child failed on or held when it died; never fed to another child
        self.given_back: list[int] = []
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="inksight-word-pool", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        """The caller ran out of items: wait for the children's last answers."""
        if self._wake_write < 0:
            return
        os.write(self._wake_write, b"x")
        self._thread.join()
        os.close(self._wake_read)
        os.close(self._wake_write)
        self._wake_write = -1

    def stop(self) -> None:
        """Stop feeding and answering; the caller stops the children."""
        self._stop = True
        self.finish()

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a bug here must not lose items: the caller does what is left
            log.debug("word pool dispatcher failed: %s", exc, exc_info=True)
            self.broken = True
        finally:
            for helper in self._helpers:  # anything still held goes back to the caller
                self.given_back.extend(helper.holding)
                helper.holding = []

    def _loop(self) -> None:
        by_inbox = {h.child.inbox: h for h in self._helpers}
        for helper in self._helpers:
            if helper.ready:
                self._feed(helper)
        while by_inbox and not self._stop:
            holding = any(h.holding for h in by_inbox.values())
            if not holding and not self._todo:
                return
            ready = wait([*by_inbox, self._wake_read])
            if self._wake_read in ready:
                os.read(self._wake_read, 64)
                if not any(h.holding for h in by_inbox.values()):
                    return  # the caller is done and no child holds an item
            for inbox in ready:
                if inbox == self._wake_read:
                    continue
                assert isinstance(inbox, Connection)
                helper = by_inbox[inbox]
                if not self._answer(helper):
                    del by_inbox[inbox]
                    self.given_back.extend(helper.holding)
                    helper.holding = []
                    helper.child.stop()  # the next call starts a fresh one
                elif not self._stop:
                    self._feed(helper)

    def _answer(self, helper: _Helper) -> bool:
        """File one message from a child; False when the child is gone."""
        try:
            message = helper.child.inbox.recv()
        except (EOFError, OSError):
            return False
        if message == "ready":
            helper.ready = True
            return True
        i, ok, value = message
        helper.holding.remove(i)
        if ok:
            self._results[i] = value
        else:
            log.debug("word pool: item %d failed in a child (%s); the caller retries it", i, value)
            self.given_back.append(i)
        return True

    def _feed(self, helper: _Helper) -> None:
        while helper.ready and len(helper.holding) < _DEPTH:
            try:
                i = self._todo.popleft()
            except IndexError:
                return
            helper.holding.append(i)
            helper.child.outbox.send((i, self._items[i]))


def _serve(inbox: Connection, outbox: Connection) -> None:
    """The child: import the function, say ready, then answer items until the parent goes.

    A reader thread takes items off the pipe as they come: the parent may be
    sending the next item while this child sends an answer, and with both
    pipes full each would wait for the other.
    """
    import queue

    module, _, name = inbox.recv().partition(":")
    function = getattr(importlib.import_module(module), name)
    items: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                items.put(inbox.recv())
        except (EOFError, OSError):
            items.put(None)

    threading.Thread(target=read, daemon=True).start()
    outbox.send("ready")
    while (message := items.get()) is not None:
        i, item = message
        try:
            answer = (i, True, function(item))
        except Exception as exc:
            answer = (i, False, f"{type(exc).__name__}: {exc}")
        outbox.send(answer)
