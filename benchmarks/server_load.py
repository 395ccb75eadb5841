"""Load benchmark of ``inksight serve``: many requests from concurrent clients on loopback.

Starts a real ``inksight serve`` (on a free port, with a temporary folder of
its own), waits until it is ready, then ``--clients`` threads, each with its
own keep-alive HTTP connection, send ``--requests`` ``POST /v1/convert`` of
one real input (the bundled sample photo unless ``--input``) between them.
Every answer is checked (status 200, an ink JSON document with the expected
words); latency is measured from sending a request to having its whole
answer. Then it checks that nothing leaked: no request folder or scratch file
left after the load, the same worker processes as before it (none died or was
replaced), and after SIGTERM no process of the server alive and its
temporary folder gone. Writes ``benchmarks/results/server_load.json`` (or
``--output``) and exits 1 when a request failed or something leaked.

    python benchmarks/server_load.py                       # 200 requests, 16 clients, 2 workers
    python benchmarks/server_load.py --requests 1000 --clients 32 --workers 4
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"
RESULT = REPO / "benchmarks" / "results" / "server_load.json"


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (from /proc), zombies left out."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier and pid not in found]
        found += frontier
    return found


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                match = re.search(r"^VmRSS:\s+(\d+) kB", fh.read(), re.M)
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """A real ``inksight serve`` subprocess on a free port of 127.0.0.1."""

    def __init__(self, args: list[str], temp_dir: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-c", "from inksight_sdk.cli import main; main()", "serve", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--temp-dir", temp_dir, *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_url()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))
            self.lines.put(line)

    def _wait_url(self, seconds: float = 60.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise RuntimeError(f"inksight serve exited {self.process.returncode}: {self.log}") from None
                continue
            match = re.search(r"serving on (http://\S+) ", line)
            if match:
                return match.group(1)
        raise RuntimeError(f"inksight serve did not start: {self.log}")

    def wait_ready(self, seconds: float = 120.0, headers: dict[str, str] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{self.url}/readyz", headers=headers, timeout=5)
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"inksight serve was not ready within {seconds} s: {self.log}")

    def stop(self, seconds: float = 30.0) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def run_load(
    url: str, data: bytes, name: str, requests: int, clients: int, fields: dict[str, str], words: int | None
) -> tuple[list[float], dict[str, int], list[str], float]:
    """``requests`` conversions from ``clients`` threads; latencies (ms), statuses, failures, wall seconds."""
    todo: queue.Queue[int] = queue.Queue()
    for i in range(requests):
        todo.put(i)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=300) as http:
            while True:
                try:
                    todo.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    response = http.post(f"{url}/v1/convert", files={"file": (name, data)}, data=fields)
                    body = response.content
                    status = str(response.status_code)
                except httpx.HTTPError as exc:
                    body, status = b"", type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                problem = None
                if status != "200":
                    problem = f"status {status}: {body[:200]!r}"
                elif words is not None:
                    document = json.loads(body)
                    found = sum(len(page["words"]) for page in document["pages"])
                    if found != words:
                        problem = f"{found} words, expected {words}"
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    if problem:
                        failures.append(problem)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, failures, time.perf_counter() - started


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            match = re.search(r"^model name\s*:\s*(.+)$", fh.read(), re.M)
            model = match.group(1) if match else ""
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu": model,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    data = args.input.read_bytes()
    fields = {"format": "json", **dict(pair.split("=", 1) for pair in args.field)}
    temp_dir = tempfile.mkdtemp(prefix="inksight-load-")
    server = Server(["--workers", str(args.workers), "--queue", str(args.queue)], temp_dir)
    leaks: dict[str, list[str]] = {"files": [], "processes": []}
    try:
        server.wait_ready()
        root = next(Path(temp_dir).iterdir())
        # warm-up: each worker converts once (its pipeline's helpers start), then the real input's word count
        warm, _, warm_failures, _ = run_load(
            server.url, data, args.input.name, 2 * args.workers, args.workers, fields, None
        )
        if warm_failures:
            raise RuntimeError(f"warm-up failed: {warm_failures[:3]}")
        reference = httpx.post(
            f"{server.url}/v1/convert", files={"file": (args.input.name, data)}, data=fields, timeout=300
        )
        words = sum(len(page["words"]) for page in reference.json()["pages"])
        workers_before = sorted(descendants(server.process.pid))
        rss_before = rss_mib([server.process.pid, *workers_before])
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds([server.process.pid, *workers_before])
        latencies, statuses, failures, wall = run_load(
            server.url, data, args.input.name, args.requests, args.clients, fields, words
        )
        cpu = cpu_seconds([server.process.pid, *workers_before]) - cpu_before
        load_after = os.getloadavg()[0]
        rss_after = rss_mib([server.process.pid, *descendants(server.process.pid)])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (os.listdir(root / "requests") or os.listdir(root / "scratch")):
            time.sleep(0.05)
        leaks["files"] += [f"requests/{n}" for n in os.listdir(root / "requests")]
        leaks["files"] += [f"scratch/{n}" for n in os.listdir(root / "scratch")]
        workers_after = sorted(descendants(server.process.pid))
        if workers_after != workers_before:
            leaks["processes"].append(f"worker processes changed under load: {workers_before} -> {workers_after}")
        status = httpx.get(f"{server.url}/readyz", timeout=10).json()
    finally:
        exit_code = server.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in workers_after):
        time.sleep(0.05)
    leaks["processes"] += [f"process {pid} alive after SIGTERM" for pid in workers_after if _alive(pid)]
    leaks["files"] += [f"after stop: {n}" for n in os.listdir(temp_dir)]
    os.rmdir(temp_dir) if not os.listdir(temp_dir) else None
    return {
        "benchmark": "inksight serve: POST /v1/convert from concurrent clients on loopback",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "input": {"file": _shown(args.input), "bytes": len(data), "words": words, "format": fields["format"]},
        "requests": args.requests,
        "clients": args.clients,
        "workers": args.workers,
        "queue": args.queue,
        "warm_up_requests": len(warm),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(max(latencies), 1),
            "mean": round(statistics.fmean(latencies), 1),
        },
        "throughput_per_s": round(args.requests / wall, 2),
        # CPU time of the server and its workers per request: what the load costs whatever else runs
        "server_cpu_s_per_request": round(cpu / args.requests, 4),
        "wall_s": round(wall, 2),
        "statuses": statuses,
        "failed": len(failures),
        "failures": failures[:10],
        "server_after_load": status,
        "memory_mib": {"before": rss_before, "after": rss_after},
        "leaked_files": leaks["files"],
        "leaked_processes": leaks["processes"],
        "server_exit_code": exit_code,
        "machine": machine(),
        # other work on the machine slows the server: the 1-minute load average before and after the load
        "load_average": {"before": round(load_before, 2), "after": round(load_after, 2)},
    }


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--queue", type=int, default=None, help="default: --clients (no request needs to wait for a place)"
    )
    parser.add_argument("--input", type=Path, default=SAMPLE)
    parser.add_argument("--field", action="append", default=[], metavar="KEY=VALUE", help="an extra form field")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    if args.queue is None:
        args.queue = args.clients
    result = benchmark(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    latency = result["latency_ms"]
    leaked = result["leaked_files"] + result["leaked_processes"]
    print(
        f"{result['requests']} requests, {result['clients']} clients, {result['workers']} workers: "
        f"p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, {result['throughput_per_s']} requests/s "
        f"({result['server_cpu_s_per_request'] * 1000:.0f} ms of server CPU each), "
        f"{result['failed']} failed, {'leaks: ' + '; '.join(leaked) if leaked else 'nothing leaked'} -> {args.output}"
    )
    return 1 if result["failed"] or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
