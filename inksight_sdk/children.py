"""Helper processes: a ``python -c`` child that talks pickles over its stdin and stdout.

Both the page worker (``isolation="process"``) and the word pool of the
``skeleton`` derenderer run their work in such a child. It is a plain
subprocess rather than :mod:`multiprocessing`: spawn and forkserver re-run
the caller's ``__main__`` in the child (a user's script without an
``if __name__ == "__main__"`` guard would start converting again), and fork
would copy a process that may hold threads and locks. The child reads the
parent's ``sys.path`` first, so it imports the same SDK and plugins; what it
prints goes to stderr, never into the message stream. It runs in its own
process group, so a Ctrl-C at the terminal reaches only the parent (which
stops it), and on Linux it is killed when the thread that started it ends,
so a killed parent leaves no child behind.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import weakref
from multiprocessing.connection import Connection
from typing import Any

_BOOT = (
    "import os, sys\n"
    "from multiprocessing.connection import Connection\n"
    "inbox = Connection(os.dup(0), writable=False)\n"
    "outbox = Connection(os.dup(1), readable=False)\n"
    "os.dup2(2, 1)\n"
    "sys.path[:] = inbox.recv()\n"
    "from inksight_sdk.children import _child_main\n"
    "_child_main(inbox, outbox)\n"
)


class Child:
    """One child process running ``entry(inbox, outbox)``; ``entry`` is ``"module:function"``."""

    def __init__(self, entry: str) -> None:
        # its own process group: a Ctrl-C at the terminal goes to the parent alone, which stops the child
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, process_group=0
        )
        # killed when the owner is collected or the interpreter exits, whichever comes first
        self._finalizer = weakref.finalize(self, _kill, self._process)
        assert self._process.stdin is not None and self._process.stdout is not None
        self.outbox = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self.inbox = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        try:
            self.outbox.send(list(sys.path))
            self.outbox.send(entry)
        except OSError:
            pass  # it died at once: the first receive says so

    def alive(self) -> bool:
        return self._process.poll() is None

    def exit_code(self) -> int | None:
        try:
            return self._process.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        self._finalizer()
        for conn in (self.inbox, self.outbox):
            try:
                conn.close()
            except OSError:
                pass


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass


def _child_main(inbox: Connection, outbox: Connection) -> None:
    try:  # Linux: die with the parent's thread, even when it is killed (PR_SET_PDEATHSIG = 1)
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except Exception:
        pass
    module, _, function = inbox.recv().partition(":")
    entry: Any = getattr(importlib.import_module(module), function)
    entry(inbox, outbox)
