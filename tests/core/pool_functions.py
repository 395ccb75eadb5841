"""Functions the word-pool tests run in helper processes (they must be importable there)."""

from __future__ import annotations

import os
import time


def where(item: tuple[int, int]) -> tuple[int, int]:
    """``(value * 2, pid)`` after a little work, so several processes get a share."""
    value, _ = item
    time.sleep(0.02)
    return value * 2, os.getpid()


def fails_in_children(item: tuple[int, int]) -> tuple[int, int]:
    """Item 3 raises anywhere but in the parent (``item[1]`` is the parent's pid)."""
    value, parent = item
    if value == 3 and os.getpid() != parent:
        raise ValueError("only in a child")
    return where(item)


def kills_children(item: tuple[int, int]) -> tuple[int, int]:
    """Item 5 kills any child that gets it, like a segfault would."""
    value, parent = item
    if value == 5 and os.getpid() != parent:
        os._exit(70)
    return where(item)


def fails_everywhere(item: tuple[int, int]) -> tuple[int, int]:
    if item[0] == 7:
        raise ValueError("item 7 is bad")
    return where(item)
