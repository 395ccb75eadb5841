"""Fixtures of the server tests: real apps with real worker processes, real inputs, the test plugins.

The test plugins (``tests/support/inksight_test_plugins.py``: a detector
that crashes or hangs on a marked page, a derenderer that sleeps) are put on
``sys.path`` with a distribution record before an app is built, so the
server's registry and its worker processes (which take the parent's
``sys.path``) find them through the real entry-point mechanism.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, SUPPORT, shared, write_dist

pytest.importorskip("inksight_server", reason="the server is not installed: pip install -e adapters/server")

from fastapi.testclient import TestClient  # noqa: E402
from inksight_server.app import create_app  # noqa: E402
from inksight_server.settings import ServerSettings  # noqa: E402

SAMPLE = REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"


@pytest.fixture(scope="module")
def test_plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The test plugins as an installed distribution, for this module's apps and their workers."""
    site = tmp_path_factory.mktemp("site")
    write_dist(site, "inksight-test-plugins", {"testing": "inksight_test_plugins"})
    saved = list(sys.path)
    sys.path[:0] = [str(site), str(SUPPORT)]
    importlib.invalidate_caches()
    yield site
    sys.path[:] = saved
    importlib.invalidate_caches()


def wait_ready(client: TestClient, seconds: float = 60.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/readyz", headers=headers or {}).status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server was not ready within {seconds} s: {client.get('/readyz').text}")


@contextlib.contextmanager
def running_app(settings: ServerSettings, headers: dict[str, str] | None = None) -> Iterator[TestClient]:
    """A real app (lifespan run: temporary root, worker processes) behind FastAPI's test client."""
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client, headers=headers)
        yield client


def server_root(client: TestClient) -> Path:
    return Path(client.app.state.server.root)


def pool_status(client: TestClient) -> dict:
    return client.app.state.server.pool.status()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def marked(path: Path) -> bytes:
    """A real photo as PNG with its top-left pixel pure red: the ``marker`` test detector's poison page."""
    from inksight_test_plugins import mark_page

    return png_bytes(Image.fromarray(mark_page(np.asarray(Image.open(path).convert("RGB")))))


def word_photo() -> Path:
    """A small real photo: one handwritten word (google-research/inksight, Apache-2.0; see shared NOTICE.md)."""
    return shared("photos", "inksight_word.jpg")


def pdf_of_sample(pages: int = 2) -> bytes:
    """A real PDF (Pillow writes it) whose pages are the bundled sample photo at 100 dpi."""
    image = Image.open(SAMPLE).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=100.0, save_all=True, append_images=[image] * (pages - 1))
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_error(*args: str, env_paths: list[Path] = (), cwd: Path | None = None) -> str:
    """The one-line message the real CLI prints for a failing run (text after 'inksight: error: ')."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in env_paths] + [str(REPO)])
    result = subprocess.run(
        [sys.executable, "-c", "from inksight_sdk.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("inksight: error: ")]
    assert lines, result.stderr
    return lines[-1].removeprefix("inksight: error: ")
