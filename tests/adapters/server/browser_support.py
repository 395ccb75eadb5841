"""Helpers of the browser test: the real server as a process, Debian's headless Chromium, canvas pixels.

Kept apart from the test so the test reads as what a person does on the page.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: the flags the project runs Chromium with: headless, and nothing that talks to the network by itself
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
#: how the tests start the server: the installed ``inksight serve`` command of this interpreter
SERVE = (sys.executable, "-m", "inksight_sdk", "serve")


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    log: Path, *args: str, token: str | None = None, pythonpath: Sequence[Path] = (), wait_s: float = 60.0
) -> Iterator[str]:
    """``inksight serve`` on 127.0.0.1 and a free port, ready (``/readyz``); yields its base URL, stops it on exit.

    ``token``: the server requires it (given through its environment variable);
    ``pythonpath``: folders put first on the server's ``sys.path`` (test plugins).
    The server's output goes to ``log``, shown when it fails to come up.
    A server still running after SIGTERM and 15 s is killed and the test fails:
    a server that cannot stop would leak workers in production too.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    if token:
        env["INKSIGHT_SERVER_TOKEN"] = token
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), *filter(None, [env.get("PYTHONPATH")])])
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", str(port), *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        _wait_until_ready(process, base, log, wait_s, {"Authorization": f"Bearer {token}"} if token else {})
        yield base
    finally:
        stopped = _stop(process)
    assert stopped, f"the server did not stop within 15 s of SIGTERM:\n{log.read_text(errors='replace')}"


def _wait_until_ready(process: subprocess.Popen, base: str, log: Path, wait_s: float, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/readyz", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server was not ready within {wait_s:g} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        return True
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


def chromium(profile: Path, downloads: Path, window: tuple[int, int] = (1280, 860)):  # type: ignore[no-untyped-def]
    """Debian's Chromium, headless, with a fresh profile, saving downloads to ``downloads`` unasked."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})  # requests, console
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def requested_urls(driver, origin: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The URLs that pages of ``origin`` asked for since the last call (from Chromium's performance log).

    Requests of the browser's own pages (its new-tab page) are not the page's doing and are left out.
    """
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            if params.get("documentURL", "").startswith(origin + "/"):
                urls.append(params["request"]["url"])
    return urls


_CANVAS_PIXELS = """
const canvas = document.getElementById(arguments[0]);
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let text = '';
for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
return [canvas.width, canvas.height, btoa(text)];
"""


def canvas_pixels(driver, element_id: str = "canvas") -> np.ndarray:  # type: ignore[no-untyped-def]
    """The canvas's backing-store pixels (``getImageData``) as an ``(h, w, 3)`` uint8 RGB array."""
    width, height, data = driver.execute_script(_CANVAS_PIXELS, element_id)
    rgba = np.frombuffer(base64.b64decode(data), np.uint8).reshape(height, width, 4)
    return rgba[:, :, :3].copy()


def changed(a: np.ndarray, b: np.ndarray, threshold: int = 90) -> np.ndarray:
    """Pixels that differ clearly between two renderings (sum of channel differences over ``threshold``)."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).sum(axis=2) > threshold


def stroke_points(page: dict) -> list[np.ndarray]:
    """Every stroke of an ink-JSON page as an ``(n, 2)`` array of page pixels, in reading order."""
    return [np.asarray(s["points"], np.float64) for w in page["words"] for s in w["strokes"] if s["points"]]


def on_canvas(points: np.ndarray, page: dict, canvas_width: int) -> np.ndarray:
    """Page pixels to canvas pixel indices (pixel centres on integers: drawn at (x + 0.5) * scale)."""
    scale = canvas_width / page["width"]
    return np.floor((points + 0.5) * scale).astype(int)


def wait_for_file(folder: Path, suffix: str, timeout_s: float = 20.0) -> Path:
    """The first finished download in ``folder`` ending with ``suffix``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} download in {folder} within {timeout_s:g} s: {sorted(os.listdir(folder))}")


def crowded(driver, selectors: Sequence[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Among the shown elements ``selectors`` pick: pairs whose boxes overlap, and those whose
    content is wider than their box (text spilling over its neighbours)."""
    return driver.execute_script(
        """
        const boxes = arguments[0].map(s => [s, document.querySelector(s)])
          .filter(([, el]) => el && el.offsetParent).map(([s, el]) => [s, el, el.getBoundingClientRect()])
          .filter(([, , r]) => r.width > 1 && r.height > 1);  // visually hidden labels are not in the way
        const out = [];
        boxes.forEach(([a, el, p], i) => {
          const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible';
          if (spills) out.push(`${a} spills`);
          boxes.slice(i + 1).forEach(([b, , q]) => {
            if (p.left < q.right - 0.5 && q.left < p.right - 0.5 && p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5) {
              out.push(`${a} overlaps ${b}`);
            }
          });
        });
        return out;
        """,
        list(selectors),
    )


def visible_overflow(driver, ids: Sequence[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The elements among ``ids`` (shown ones) that stick out of the viewport sideways."""
    return driver.execute_script(
        """
        const out = [];
        for (const id of arguments[0]) {
          const el = document.getElementById(id);
          if (!el || !el.offsetParent) continue;
          const r = el.getBoundingClientRect();
          if (r.left < -0.5 || r.right > window.innerWidth + 0.5) out.push(`${id}: ${r.left}..${r.right}`);
        }
        return out;
        """,
        list(ids),
    )
