"""The word pool: same results wherever an item runs, and nothing lost when a child fails."""

from __future__ import annotations

import os
import threading

import pytest

from inksight_sdk import Pipeline
from inksight_sdk.word_pool import WordPool

from ..conftest import shared

ITEMS = [(i, os.getpid()) for i in range(40)]
EXPECTED = [i * 2 for i in range(40)]


def _pool(function: str, workers: int = 1) -> WordPool:
    pool = WordPool(f"tests.core.pool_functions:{function}", workers)
    assert pool.start() == workers
    return pool


def test_children_take_a_share_and_results_keep_their_order() -> None:
    pool = _pool("where", workers=1)
    try:
        results = pool.map(ITEMS)
    finally:
        pool.close()
    assert [value for value, _ in results] == EXPECTED
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2  # the caller and one child both worked


def test_no_workers_runs_everything_in_the_caller() -> None:
    pool = WordPool("tests.core.pool_functions:where", 0)
    results = pool.map(ITEMS)
    assert [value for value, _ in results] == EXPECTED
    assert {pid for _, pid in results} == {os.getpid()}


def test_warm_starts_the_children_without_waiting_and_they_take_work() -> None:
    pool = WordPool("tests.core.pool_functions:where", 1)
    try:
        pool.warm()
        assert len(pool._children) == 1 and pool._children[0].child.alive()
        pool.warm()  # a second call starts no more
        assert len(pool._children) == 1
        results = pool.map(ITEMS)
    finally:
        pool.close()
    assert [value for value, _ in results] == EXPECTED
    assert len({pid for _, pid in results}) in (1, 2)  # the child may or may not be up in time


def test_warm_without_workers_starts_nothing() -> None:
    pool = WordPool("tests.core.pool_functions:where", 0)
    pool.warm()
    assert pool._children == []


def test_an_item_that_fails_in_a_child_is_retried_by_the_caller() -> None:
    pool = _pool("fails_in_children")
    try:
        results = pool.map(ITEMS)
        assert [value for value, _ in results] == EXPECTED
        assert results[3][1] == os.getpid()
    finally:
        pool.close()


def test_a_child_that_dies_loses_nothing_and_is_replaced() -> None:
    pool = _pool("kills_children")
    try:
        # item 5 must reach the child: hand it the front of the list by starting there
        items = [ITEMS[5], *ITEMS[:5], *ITEMS[6:]]
        first = pool.map(items)
        assert sorted(value for value, _ in first) == EXPECTED
        assert first[0][1] == os.getpid()  # the dead child's item was done by the caller
        assert pool.start() == 1  # a fresh child
        second = pool.map(ITEMS[6:])
        assert [value for value, _ in second] == EXPECTED[6:]
        assert len({pid for _, pid in second}) == 2
    finally:
        pool.close()


def test_an_item_that_fails_everywhere_raises_and_the_pool_recovers() -> None:
    pool = _pool("fails_everywhere")
    try:
        with pytest.raises(ValueError, match="item 7 is bad"):
            pool.map(ITEMS)
        items = ITEMS[:7] + ITEMS[8:]
        assert [value for value, _ in pool.map(items)] == [i * 2 for i in range(40) if i != 7]
    finally:
        pool.close()


def test_two_threads_share_one_pool() -> None:
    pool = _pool("where")
    out: dict[int, list[tuple[int, int]]] = {}

    def run(k: int) -> None:
        out[k] = pool.map(ITEMS)

    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        pool.close()
    assert [[value for value, _ in out[k]] for k in range(2)] == [EXPECTED, EXPECTED]


def test_skeleton_strokes_are_the_same_with_and_without_helpers() -> None:
    photo = str(shared("photos", "testaments_AD78_0054-0.jpg"))
    alone = Pipeline(detector="layout", derenderer="skeleton", derenderer_options={"workers": 0})
    helped = Pipeline(detector="layout", derenderer="skeleton", derenderer_options={"workers": 1})
    _, derenderer = helped._stage("derenderer")
    assert derenderer._pool.start() == 1  # so the helper surely takes words
    a = alone.convert(photo).pages[0]
    b = helped.convert(photo).pages[0]
    assert len(a.words) == len(b.words) > 40
    for x, y in zip(a.words, b.words):
        assert len(x.strokes) == len(y.strokes)
        for s, t in zip(x.strokes, y.strokes):
            assert (s.points == t.points).all() and (s.t == t.t).all()


def test_workers_option_is_checked() -> None:
    from inksight_sdk.errors import InkSightError

    with pytest.raises(InkSightError, match="workers"):
        Pipeline(derenderer="skeleton", derenderer_options={"workers": -1})._stage("derenderer")


def test_closing_the_pipeline_stops_the_helpers() -> None:
    pipeline = Pipeline(detector="layout", derenderer="skeleton", derenderer_options={"workers": 1})
    _, derenderer = pipeline._stage("derenderer")
    assert derenderer._pool.start() == 1
    child = derenderer._pool._children[0].child
    pipeline.close()
    assert not child.alive()
    assert pipeline._stage("derenderer")[1] is not derenderer  # built again on the next use


@pytest.mark.parametrize(
    "text,cpus",
    [("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000\n", 1), ("max 100000\n", None), ("", None)],
)
def test_a_container_cpu_quota_caps_the_helpers(tmp_path, text, cpus) -> None:
    from inksight_sdk.word_pool import cgroup_cpu_quota

    limit = tmp_path / "cpu.max"
    limit.write_text(text)
    assert cgroup_cpu_quota(str(limit)) == cpus
    assert cgroup_cpu_quota(str(tmp_path / "missing")) is None
