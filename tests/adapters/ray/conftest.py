"""Ray clusters for the engine tests, started here and stopped cleanly.

- ``cluster``: ``ray.init(num_cpus=2)`` in this process (the Python API
  joins it), its workers seeing the test plugins through ``PYTHONPATH``.
- ``head``: ``ray start --head`` in a subprocess of its own session, joined
  by the CLI with ``--ray-address``; stopped with SIGTERM to ``ray start``
  (which stops its raylet, GCS and workers), then anything left of its session
  is killed, and the test fails if anything was left.

Nothing reaches the network: usage statistics are off, there is no
dashboard, and token authentication uses a token made here (never
``~/.ray``). Object stores are capped for a shared 24 GiB machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inksight_sdk import pipeline
from tests.conftest import SUPPORT, write_dist

OBJECT_STORE_BYTES = 200 * 1024 * 1024
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory) -> Iterator[Path]:
    """Environment of every Ray process of the module: no usage stats, a private token, test plugins importable."""
    site = tmp_path_factory.mktemp("site")
    write_dist(site, "inksight-test-plugins", {"testing": "inksight_test_plugins"})
    saved = dict(os.environ)
    paths = [str(site), str(SUPPORT), *filter(None, [os.environ.get("PYTHONPATH")])]
    os.environ.update(
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0",
        PYTHONPATH=os.pathsep.join(paths),
    )
    os.environ.pop("RAY_ADDRESS", None)
    sys.path[:0] = [str(site), str(SUPPORT)]
    registry_before = pipeline._default
    try:
        yield site
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for path in (str(site), str(SUPPORT)):
            sys.path.remove(path)
        if registry_before is None:  # built here, with the test plugins: later modules build their own
            pipeline._default = None


def short_temp_dir() -> str:
    """A short folder for Ray's sockets (a Unix socket path must stay under about 100 bytes)."""
    return tempfile.mkdtemp(prefix="ir-", dir="/tmp")


def _processes() -> dict[int, tuple[int, int, str]]:
    """Every live process: pid -> (parent pid, session id, command line); zombies left out."""
    table = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z":
            table[int(name)] = (int(fields[1]), int(fields[3]), command)
    return table


def ray_family(temp: str) -> set[int]:
    """The processes of the Ray instance whose folder is ``temp`` (they name it), and their descendants (workers)."""
    table = _processes()
    family = {pid for pid, (_, _, command) in table.items() if temp in command}
    grown = True
    while grown:
        more = {pid for pid, (parent, _, _) in table.items() if parent in family} - family
        family |= more
        grown = bool(more)
    return family


def with_variable(name: str, value: str) -> set[int]:
    """Live processes whose environment has ``name=value`` (children inherit it)."""
    wanted = f"{name}={value}".encode()
    found = set()
    for pid in _processes():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if wanted in fh.read().split(b"\0"):
                    found.add(pid)
        except OSError:
            continue
    return found


def session(sid: int) -> set[int]:
    return {pid for pid, (_, member, _) in _processes().items() if member == sid}


def wait_gone(pids: set[int], seconds: float = 20.0) -> set[int]:
    """Which of ``pids`` are still alive after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (alive := pids & set(_processes())) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


@pytest.fixture(scope="module")
def cluster(ray_env) -> Iterator[None]:
    """A 2-CPU Ray instance in this process."""
    import ray

    temp = short_temp_dir()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=OBJECT_STORE_BYTES,
        log_to_driver=False,
        logging_level="ERROR",
        _temp_dir=temp,
    )
    try:
        yield
    finally:
        family = ray_family(temp)
        ray.shutdown()
        left = wait_gone(family)
        shutil.rmtree(temp, ignore_errors=True)
        assert family and not left, f"ray.shutdown() left processes behind: {sorted(left)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def head(ray_env, tmp_path_factory) -> Iterator[str]:
    """``ray start --head`` with 2 CPUs in a subprocess; yields its address for ``--ray-address``."""
    port, temp = free_port(), short_temp_dir()
    log = tmp_path_factory.mktemp("head") / "ray-start.log"
    command = [str(RAY), "start", "--head", "--block", "--port", str(port), "--num-cpus", "2"]
    command += ["--include-dashboard=false", "--disable-usage-stats", "--temp-dir", temp]
    command += ["--object-store-memory", str(OBJECT_STORE_BYTES), "--node-ip-address", "127.0.0.1"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while b"Ray runtime started" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start --head did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)  # ray start stops its own processes (drain timeout 0)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        left = wait_gone(session(process.pid), 10)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
        assert not left, f"ray start left processes behind: {sorted(left)}"
