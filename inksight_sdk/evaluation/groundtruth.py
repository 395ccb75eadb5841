"""Readers for real pen recordings used as ground truth.

Four sources (see ``../shared/data/NOTICE.md``): a Wacom Universal Ink Model
note (JSON export, strokes stored as Catmull-Rom splines), hanzi-writer-data
characters (stroke medians in canonical stroke order and direction), UNIPEN
recordings (tablet samples in pen-down blocks) and MyScript browser captures
(JSON lists of pointer events). All readers return
strokes in writing order as ``(n, 2) float64`` arrays of ``(x, y)`` with y
pointing down, like image pixels.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["load_wacom_strokes", "load_hanzi_strokes", "load_unipen_strokes", "load_myscript_strokes", "catmull_rom"]

# hanzi-writer-data draws in a 1024 box with y up and the baseline at 900
# (its README: "transform: scale(1, -1) translate(0, -900)").
_HANZI_FLIP = 900.0


def catmull_rom(control: np.ndarray, step: float = 0.5) -> np.ndarray:
    """Sample a uniform Catmull-Rom spline about every ``step`` pixels.

    WILL/UIM strokes repeat their first and last control points so that the
    curve runs from the second to the second-to-last point; each segment
    ``P[i+1] -> P[i+2]`` is shaped by ``P[i]`` and ``P[i+3]``. With fewer than
    four points the control polygon itself is returned.
    """
    p = np.asarray(control, dtype=np.float64).reshape(-1, 2)
    if len(p) < 4:
        return p.copy()
    out = [p[1:2]]
    for i in range(len(p) - 3):
        p0, p1, p2, p3 = p[i], p[i + 1], p[i + 2], p[i + 3]
        n = max(1, int(np.ceil(np.linalg.norm(p2 - p1) / step)))
        t = (np.arange(1, n + 1) / n)[:, None]
        seg = 0.5 * (
            2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
        )
        out.append(seg)
    return np.concatenate(out)


def load_wacom_strokes(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """Strokes of a Universal Ink Model JSON note, in writing order.

    The order is taken from the sensor timestamps of each stroke (stable, so
    the file order breaks ties); the list order of the file agrees with them
    for the shared note. Coordinates are the note's own pixels (96 dpi).
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    timestamps = {s["id"]: int(s["timestamp"]) for s in data.get("inputData", {}).get("sensorData", [])}
    strokes = data["inkData"]["strokes"]
    order = sorted(range(len(strokes)), key=lambda i: timestamps.get(strokes[i].get("sensorDataID"), 0))
    out = []
    for i in order:
        s = strokes[i]
        xs, ys = _number_list(s["splineX"]), _number_list(s["splineY"])
        out.append(catmull_rom(np.column_stack([xs, ys])))
    return out


def _number_list(value: Any) -> np.ndarray:
    """A coordinate list stored either as a JSON array or as a JSON-encoded string."""
    if isinstance(value, str):
        value = json.loads(value)
    return np.asarray(value, dtype=np.float64)


def load_hanzi_strokes(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[np.ndarray]:
    """The stroke medians of a hanzi-writer-data character (file path or parsed dict).

    Medians run in the stroke's writing direction and the list is in canonical
    stroke order. Returned in the 1024 box with y down (``y = 900 - y_data``).
    """
    if isinstance(source, Mapping):
        data = source
    else:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    out = []
    for median in data["medians"]:
        pts = np.asarray(median, dtype=np.float64).reshape(-1, 2)
        out.append(np.column_stack([pts[:, 0], _HANZI_FLIP - pts[:, 1]]))
    return out


def load_unipen_strokes(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The pen-down strokes of a UNIPEN text file, in writing order, y flipped to point down.

    Each ``.PEN_DOWN`` block of ``x y`` lines is one stroke (``.PEN_UP``
    blocks are pen movement in the air, not ink). A block of only ``0 0``
    points is a placeholder some files carry and is skipped. UNIPEN's y
    points up; the result is shifted so the highest point is at y = 0.
    """
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] | None = None
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith("."):
                if points and any(p != (0.0, 0.0) for p in points):
                    strokes.append(np.asarray(points, dtype=np.float64))
                points = [] if line.startswith(".PEN_DOWN") else None
            elif points is not None and line.split():
                x, y = line.split()[:2]
                points.append((float(x), float(y)))
    if points and any(p != (0.0, 0.0) for p in points):
        strokes.append(np.asarray(points, dtype=np.float64))
    if not strokes:
        return []
    top = max(float(s[:, 1].max()) for s in strokes)
    return [np.column_stack([s[:, 0], top - s[:, 1]]) for s in strokes]


def load_myscript_strokes(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The strokes of a MyScript JSON capture, in writing order (screen pixels, y already down).

    The file is a list of ``{"type": "stroke", "pointers": [{"x", "y", "t", "p"}, ...]}``;
    other item types carry no ink and are skipped, as are strokes without points.
    Strokes are sorted by the time of their first pointer (stable, so the file
    order decides ties and files without ``t``, whose list order is the writing order).
    """
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    found: list[tuple[float, np.ndarray]] = []
    for item in items:
        pointers = item.get("pointers") or []
        if item.get("type") != "stroke" or not pointers:
            continue
        points = np.array([(float(p["x"]), float(p["y"])) for p in pointers], dtype=np.float64)
        found.append((float(pointers[0].get("t", 0.0)), points))
    found.sort(key=lambda pair: pair[0])
    return [points for _, points in found]
