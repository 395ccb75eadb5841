"""Shared pieces of the benchmarks: tracers, the naive baseline, overlays, tables, data paths.

A *tracer* is any function ``image (H, W, 3) uint8 RGB -> strokes`` (a list of
``(n, 2)`` arrays in image pixels, in the order it thinks they were written),
so the harness can score the SDK pipeline, the naive baseline, or the true
strokes themselves (a sanity check that must score 1.0) in the same way.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

Tracer = Callable[[np.ndarray], list[np.ndarray]]

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
IMAGES = REPO / "docs" / "images"
CACHE = Path.home() / ".cache" / "inksight-bench"

HANZI_PACKAGE = "hanzi-writer-data@2.0.1"


#: Python source of ``descendants(root) -> list[int]`` (every process below ``root``, from /proc), for the
#: probe scripts that the memory benchmarks run inside the measured process tree
DESCENDANTS_SOURCE = """
import os


def descendants(root):
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier and pid not in found]
        found += frontier
    return found
"""


def shared(*parts: str) -> Path:
    """A file of the shared real data (``../shared/data``), with a clear error when it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise SystemExit(f"missing {path}: the benchmarks read the shared data beside the checkout")
    return path


def pipeline_tracer(
    detector: str = "layout", derenderer: str = "skeleton", derenderer_options: Mapping[str, Any] | None = None
) -> Tracer:
    """The SDK pipeline as a tracer (one pipeline kept across images, like an application would)."""
    from inksight_sdk import Pipeline

    pipeline = Pipeline(detector=detector, derenderer=derenderer, derenderer_options=derenderer_options)

    def trace(image: np.ndarray) -> list[np.ndarray]:
        doc = pipeline.convert(image)
        if doc.metadata.problems:  # a partial document: say so, the scores will show what is missing
            print(f"warning: {len(doc.metadata.problems)} problem(s): {doc.metadata.problems[0]}", file=sys.stderr)
        return [np.asarray(s.points, dtype=np.float64) for s in doc.strokes() if len(s.points)]

    return trace


# --- the naive baseline ------------------------------------------------------------------------

_NEIGHBOURS = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]  # 4-neighbours first


def naive_tracer(image: np.ndarray, min_length: int = 4) -> list[np.ndarray]:
    """What a first attempt does: threshold, thin, walk the skeleton from its end points, sort by x.

    Adaptive threshold (OpenCV, 31 px block), scikit-image thinning, then each
    walk starts at the leftmost unvisited end point (then at any leftover pixel,
    for closed loops) and follows unvisited neighbours until it is stuck;
    walks shorter than ``min_length`` pixels are dropped; strokes are ordered
    by their leftmost x. It knows nothing of rules, lines, junctions or
    writing order: it is the comparison column the SDK must beat.
    """
    from skimage.morphology import skeletonize

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    skeleton = skeletonize(binary > 0)
    ys, xs = np.nonzero(skeleton)
    unvisited = set(zip(ys.tolist(), xs.tolist()))

    def free_neighbours(p: tuple[int, int]) -> list[tuple[int, int]]:
        return [(p[0] + dy, p[1] + dx) for dy, dx in _NEIGHBOURS if (p[0] + dy, p[1] + dx) in unvisited]

    ends = sorted((p for p in unvisited if len(free_neighbours(p)) == 1), key=lambda p: (p[1], p[0]))
    strokes: list[np.ndarray] = []

    def walk(start: tuple[int, int]) -> None:
        path = [start]
        unvisited.discard(start)
        while nxt := free_neighbours(path[-1]):
            path.append(nxt[0])
            unvisited.discard(nxt[0])
        if len(path) >= min_length:
            strokes.append(np.array([(x, y) for y, x in path], dtype=np.float64))

    for p in ends:
        if p in unvisited:
            walk(p)
    for p in sorted(unvisited, key=lambda p: (p[1], p[0])):
        if p in unvisited:
            walk(p)
    strokes.sort(key=lambda s: float(s[:, 0].min()))
    return strokes


# --- data ----------------------------------------------------------------------------------------


def hanzi_tarball() -> Path:
    """The hanzi-writer-data npm package, fetched once into the cache with ``npm pack``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("hanzi-writer-data-*.tgz"))
    if found:
        return found[-1]
    print(f"fetching {HANZI_PACKAGE} from the npm registry into {CACHE} ...", flush=True)
    done = subprocess.run(
        ["npm", "pack", HANZI_PACKAGE, "--pack-destination", str(CACHE)], cwd=CACHE, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"npm pack {HANZI_PACKAGE} failed:\n{done.stderr[-2000:]}")
    found = sorted(CACHE.glob("hanzi-writer-data-*.tgz"))
    if not found:
        raise SystemExit(f"npm pack {HANZI_PACKAGE} produced no tarball in {CACHE}")
    return found[-1]


# --- overlays and tables ---------------------------------------------------------------------------


def time_colours(n: int) -> list[tuple[int, int, int]]:
    """``n`` RGB colours from red (first) to violet (last)."""
    hues = np.linspace(0, 135, max(n, 1))  # OpenCV hue is 0..180; 135 is violet
    hsv = np.stack([hues, np.full_like(hues, 255), np.full_like(hues, 230)], axis=1).astype(np.uint8)[None]
    return [tuple(int(c) for c in rgb) for rgb in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]]


def overlay(
    image: np.ndarray,
    pred: Sequence[np.ndarray],
    true: Sequence[np.ndarray] | None = None,
    pen_width: float = 3.0,
    max_side: int = 1000,
) -> np.ndarray:
    """A faded grey copy of ``image`` with true ink as a grey band and output strokes coloured by time.

    Output strokes go red -> violet in output order; a dot marks where each one
    starts, so order, direction and pen lifts can be read off the picture.
    """
    scale = min(1.0, max_side / max(image.shape[:2]))
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    faded = ((255 - 0.3 * (255 - gray)) // 6 * 6).astype(np.uint8)  # coarse levels keep the PNG small
    canvas = cv2.cvtColor(faded, cv2.COLOR_GRAY2RGB)
    if scale < 1.0:
        canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    def pix(points: np.ndarray) -> np.ndarray:
        return np.rint(((points + 0.5) * scale - 0.5) * 16).astype(np.int32)

    band = max(1, int(round(pen_width * scale * 1.2)))
    for s in true or []:
        cv2.polylines(canvas, [pix(s)], False, (170, 170, 170), band, cv2.LINE_AA, shift=4)
    line = max(1, int(round(0.45 * pen_width * scale)))
    for s, colour in zip(pred, time_colours(len(pred))):
        cv2.polylines(canvas, [pix(s)], False, colour, line, cv2.LINE_AA, shift=4)
        cv2.circle(canvas, tuple(int(v) for v in pix(s[:1])[0]), (line + 1) * 16, colour, -1, cv2.LINE_AA, shift=4)
    return canvas


def save_png(image: np.ndarray, path: Path, max_bytes: int = 300_000) -> None:
    """Save an RGB image as PNG, halving it until it fits ``max_bytes`` (docs stay small)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        ok, buf = cv2.imencode(".png", image[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if not ok:
            raise RuntimeError(f"could not encode {path}")
        if len(buf) <= max_bytes or min(image.shape[:2]) < 64:
            break
        image = cv2.resize(image, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    path.write_bytes(buf.tobytes())


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "n/a" if not np.isfinite(v) else f"{v:.3f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line() -> str:
    """CPU model and core count, for the header of a results file."""
    import os
    import platform

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}"
