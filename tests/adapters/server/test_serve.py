"""``inksight serve`` as a real process on 127.0.0.1: disconnects, a flood, SIGTERM, bad starts, the load test.

The server is started the way a user starts it (the ``inksight`` entry point,
``--port 0``, its own ``--temp-dir``) by the ``Server`` helper of
``benchmarks/server_load.py``, which the load test runs whole.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, SUPPORT, shared

from .conftest import SAMPLE

_spec = importlib.util.spec_from_file_location("server_load", REPO / "benchmarks" / "server_load.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)
descendants = load.descendants  # the benchmark's /proc walk: one copy for both


def plugin_env(site: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(SUPPORT), str(REPO)]))


@pytest.fixture(scope="module")
def served(test_plugins, tmp_path_factory):
    temp = tmp_path_factory.mktemp("serve")
    server = load.Server(["--workers", "2", "--queue", "2"], str(temp), env=plugin_env(test_plugins))
    server.wait_ready()
    root = next(temp.iterdir())
    yield server, root
    server.stop()


def status(server) -> dict:
    return httpx.get(f"{server.url}/readyz", timeout=10).json()


def wait_for(check, seconds: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def multipart(fields: dict[str, str], name: str, data: bytes, boundary: str = "inksight-test-boundary") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
    head += "Content-Type: application/octet-stream\r\n\r\n"
    return b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


def raw_request(url: str, body: bytes, boundary: str = "inksight-test-boundary", length: int | None = None) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    return (
        f"POST /v1/convert HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length if length is not None else len(body)}\r\n\r\n"
    ).encode() + body


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def test_a_real_process_on_a_free_port_converts(served):
    server, _ = served
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":8000")
    response = httpx.post(
        f"{server.url}/v1/convert", files={"file": ("fox.jpg", SAMPLE.read_bytes())}, data={"format": "svg"}, timeout=60
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_a_client_that_disconnects_mid_upload_leaves_nothing_behind(served):
    server, root = served
    photo = SAMPLE.read_bytes() * 20  # about 1.9 MB announced, a third of it sent
    body = multipart({"format": "json"}, "partial.jpg", photo)
    with connect(server.url) as sock:
        sock.sendall(raw_request(server.url, body[: len(body) // 3], length=len(body)))
        wait_for(lambda: any((root / "requests").iterdir()), what="the upload's folder")
        folder = next((root / "requests").iterdir())
        wait_for(lambda: (folder / "partial.jpg").exists(), what="the partial upload on disk")
        assert status(server)["places_taken"] == 1
    wait_for(lambda: not any((root / "requests").iterdir()), what="the partial upload removed")
    wait_for(lambda: status(server)["places_taken"] == 0, what="its place given back")


def test_a_client_that_disconnects_mid_conversion_frees_its_worker(served):
    server, root = served
    before = status(server)
    workers = set(descendants(server.process.pid))
    fields = {"detector": "whole-page", "derenderer": "slow", "derenderer_options": '{"seconds": 60}'}
    with connect(server.url) as sock:
        sock.sendall(raw_request(server.url, multipart(fields, "slow.jpg", SAMPLE.read_bytes())))
        wait_for(lambda: status(server)["running"] == 1, what="the conversion running")
    wait_for(lambda: status(server)["replaced"] == before["replaced"] + 1, what="the worker stopped and replaced")
    wait_for(lambda: status(server)["workers_up"] == 2, seconds=60, what="a new worker up")
    after = status(server)
    assert (after["running"], after["places_taken"]) == (0, 0)
    assert not any((root / "requests").iterdir())
    now = set(descendants(server.process.pid))
    assert len(now - workers) >= 1 and len(workers - now) >= 1  # one worker (and its helpers) replaced


def test_a_flood_gets_429_with_retry_after_and_the_server_stays_up(served):
    server, root = served
    workers = sorted(descendants(server.process.pid))
    memory = load.rss_mib([server.process.pid, *workers])
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    fields = {"detector": "whole-page", "derenderer": "slow", "derenderer_options": '{"seconds": 0.5}'}

    def client() -> None:
        response = httpx.post(
            f"{server.url}/v1/convert", files={"file": ("fox.jpg", SAMPLE.read_bytes())}, data=fields, timeout=120
        )
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=client) for _ in range(48)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted({r.status_code for r in answers})
    busy = [r for r in answers if r.status_code == 429]
    assert statuses == [200, 429], statuses
    assert 4 <= len(answers) - len(busy) < 48  # the two workers and two queue places, then more as they free
    for response in busy:
        assert int(response.headers["retry-after"]) >= 1
        error = response.json()["error"]
        assert (error["code"], error["exit_code"], error["status"]) == ("BUSY", 130, 429)
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    after = status(server)
    assert (after["running"], after["queued"], after["places_taken"], after["workers_up"]) == (0, 0, 0, 2)
    assert sorted(descendants(server.process.pid)) == workers  # no worker died or was added
    assert load.rss_mib([server.process.pid, *workers]) < memory + 100
    assert not any((root / "requests").iterdir())


def test_sigterm_stops_the_workers_and_removes_the_temporary_folder(tmp_path):
    server = load.Server(["--workers", "1"], str(tmp_path))
    server.wait_ready()
    assert len(os.listdir(tmp_path)) == 1
    children = descendants(server.process.pid)
    assert children
    assert server.stop() == 130
    assert server.log[-1] == "inksight: error: interrupted; no partial output was left behind"
    wait_for(lambda: not any(load._alive(pid) for pid in children), what="the workers gone")
    assert os.listdir(tmp_path) == []


def test_refuses_to_start_on_a_busy_port_or_with_an_unknown_stage():
    command = [sys.executable, "-c", "from inksight_sdk.cli import main; main()", "serve"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = subprocess.run([*command, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert taken.returncode == 2
    assert taken.stderr.strip().splitlines()[-1].startswith(f"inksight: error: cannot listen on 127.0.0.1:{port}: ")
    unknown = subprocess.run([*command, "--detector", "nope"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 5
    assert "inksight: error: unknown detector 'nope'" in unknown.stderr


def test_load_200_requests_from_16_clients_without_a_failure_or_a_leak(tmp_path, capsys):
    """The benchmark script itself, on a small real photo: p50/p95 printed, zero failures, nothing leaked."""
    photo = shared("photos", "inksight_word.jpg")
    output = tmp_path / "server_load.json"
    code = load.main(
        ["--requests", "200", "--clients", "16", "--workers", "2", "--input", str(photo), "--output", str(output)]
    )
    result = json.loads(output.read_text())
    with capsys.disabled():
        latency = result["latency_ms"]
        print(
            f"\nserver load: {result['requests']} requests, {result['clients']} clients: p50 {latency['p50']} ms, "
            f"p95 {latency['p95']} ms, {result['throughput_per_s']} requests/s, {result['failed']} failed"
        )
    assert code == 0, result
    assert result["statuses"] == {"200": 200} and result["failed"] == 0
    assert result["leaked_files"] == [] and result["leaked_processes"] == []
    assert result["server_after_load"]["replaced"] == 0 and result["server_exit_code"] == 130
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
