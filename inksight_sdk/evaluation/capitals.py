"""Handwritten block capitals, drawn from a small single-stroke alphabet with a hand's wobble.

Forms are often filled in with capitals (the judging form of issue 13 is described so in the data's
NOTICE), and no tuning pen recording holds any: the synthetic forms of ``benchmarks/print_forms.py``
and the tests write them with :func:`write_capitals`. Each capital and digit here is a few strokes in a
box one unit high (y down, the baseline at 1); a written letter gets its own slant, size, tilt and a
smooth wobble of its points, and sits a little off the baseline, so no two letters are alike and no
letter is a face's. Curved strokes are given by a few points and rounded by corner cutting.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GLYPHS", "write_capitals"]

#: strokes of each glyph: (points, curved); x from 0, y from 0 (top) to 1 (baseline)
Glyph = list[tuple[list[tuple[float, float]], bool]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 10) -> list:
    """Points along an ellipse from angle ``start`` to ``stop`` (degrees; 0 to the right, 90 down)."""
    t = np.radians(np.linspace(start, stop, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


GLYPHS: dict[str, Glyph] = {
    "A": [([(0, 1), (0.33, 0), (0.66, 1)], False), ([(0.13, 0.62), (0.53, 0.62)], False)],
    "B": [([(0, 1), (0, 0)], False), ([(0, 0), (0.4, 0.02), (0.48, 0.25), (0.38, 0.46), (0, 0.5)], True),
          ([(0, 0.5), (0.48, 0.55), (0.56, 0.78), (0.44, 0.98), (0, 1)], True)],
    "C": [(_arc(0.34, 0.5, 0.34, 0.5, -40, -320), False)],
    "D": [([(0, 0), (0, 1)], False), ([(0, 0), (0.45, 0.08), (0.62, 0.5), (0.45, 0.92), (0, 1)], True)],
    "E": [([(0.52, 0), (0, 0), (0, 1), (0.54, 1)], False), ([(0, 0.5), (0.42, 0.5)], False)],
    "F": [([(0.52, 0), (0, 0), (0, 1)], False), ([(0, 0.5), (0.42, 0.5)], False)],
    "G": [(_arc(0.34, 0.5, 0.34, 0.5, -40, -350) + [(0.68, 0.55), (0.4, 0.55)], False)],
    "H": [([(0, 0), (0, 1)], False), ([(0.58, 0), (0.58, 1)], False), ([(0, 0.5), (0.58, 0.5)], False)],
    "I": [([(0, 0), (0, 1)], False)],
    "J": [([(0.42, 0)] + _arc(0.21, 0.75, 0.21, 0.25, 0, 180), False)],
    "K": [([(0, 0), (0, 1)], False), ([(0.52, 0), (0, 0.58)], False), ([(0.16, 0.42), (0.56, 1)], False)],
    "L": [([(0, 0), (0, 1), (0.5, 1)], False)],
    "M": [([(0, 1), (0.04, 0), (0.38, 0.68), (0.72, 0), (0.76, 1)], False)],
    "N": [([(0, 1), (0, 0), (0.58, 1), (0.58, 0)], False)],
    "O": [(_arc(0.36, 0.5, 0.36, 0.5, -90, 270, 16), False)],
    "P": [([(0, 1), (0, 0)], False), ([(0, 0), (0.42, 0.03), (0.52, 0.26), (0.4, 0.5), (0, 0.52)], True)],
    "Q": [(_arc(0.36, 0.5, 0.36, 0.5, -90, 270, 16), False), ([(0.42, 0.72), (0.76, 1.04)], False)],
    "R": [([(0, 1), (0, 0)], False), ([(0, 0), (0.42, 0.03), (0.52, 0.26), (0.4, 0.5), (0, 0.52)], True),
          ([(0.2, 0.52), (0.56, 1)], False)],
    "S": [([(0.54, 0.12), (0.3, 0), (0.04, 0.14), (0.1, 0.42), (0.46, 0.56), (0.58, 0.82), (0.36, 1), (0, 0.88)],
           True)],
    "T": [([(0, 0), (0.66, 0)], False), ([(0.33, 0), (0.33, 1)], False)],
    "U": [([(0, 0), (0, 0.7)] + _arc(0.3, 0.7, 0.3, 0.3, 180, 0) + [(0.6, 0)], False)],
    "V": [([(0, 0), (0.32, 1), (0.64, 0)], False)],
    "W": [([(0, 0), (0.2, 1), (0.44, 0.32), (0.68, 1), (0.88, 0)], False)],
    "X": [([(0, 0), (0.6, 1)], False), ([(0.6, 0), (0, 1)], False)],
    "Y": [([(0, 0), (0.32, 0.5), (0.64, 0)], False), ([(0.32, 0.5), (0.32, 1)], False)],
    "Z": [([(0, 0), (0.58, 0), (0, 1), (0.6, 1)], False)],
    "0": [(_arc(0.3, 0.5, 0.3, 0.5, -90, 270, 16), False)],
    "1": [([(0.05, 0.2), (0.28, 0), (0.28, 1)], False)],
    "2": [([(0.02, 0.22), (0.2, 0.02), (0.46, 0.04), (0.54, 0.3), (0.3, 0.62), (0, 1), (0.58, 1)], True)],
    "3": [([(0.04, 0.08), (0.36, 0), (0.52, 0.2), (0.22, 0.46), (0.56, 0.66), (0.44, 0.96), (0, 0.92)], True)],
    "4": [([(0.44, 1), (0.44, 0), (0, 0.68), (0.6, 0.68)], False)],
    "5": [([(0.52, 0), (0.08, 0), (0.04, 0.44), (0.42, 0.42), (0.56, 0.72), (0.36, 1), (0, 0.92)], False)],
    "6": [([(0.5, 0.04), (0.16, 0.2), (0, 0.66), (0.18, 1), (0.5, 0.9), (0.5, 0.58), (0.2, 0.5), (0.02, 0.64)],
           True)],
    "7": [([(0, 0), (0.56, 0), (0.18, 1)], False)],
    "8": [([(0.28, 0.48), (0.04, 0.26), (0.28, 0), (0.5, 0.24), (0.28, 0.48), (0.02, 0.74), (0.28, 1),
            (0.56, 0.74), (0.28, 0.48)], True)],
    "9": [([(0.52, 0.36), (0.3, 0.5), (0.04, 0.3), (0.24, 0), (0.52, 0.16), (0.5, 0.62), (0.4, 1)], True)],
    "/": [([(0.42, -0.05), (0, 1.05)], False)],
    "-": [([(0, 0.55), (0.36, 0.55)], False)],
}  # fmt: skip


def _rounded(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Chaikin corner cutting: a smooth curve through a few points, keeping its ends."""
    for _ in range(rounds):
        a, b = points[:-1], points[1:]
        cut = np.empty((2 * len(a), 2))
        cut[0::2], cut[1::2] = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
        points = np.vstack([points[:1], cut, points[-1:]])
    return points


def _dense(points: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Points every ``step`` along a polyline (so that a wobble bends its straight parts too)."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(int(np.ceil(np.linalg.norm(b - a) / step)), 1)
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.vstack(out)


def write_capitals(text: str, height: float, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """``text``'s words in block capitals ``height`` px high: per word, its strokes (baseline at y = 0)."""
    slant = float(rng.uniform(-0.05, 0.2))  # a writer's slant, the same for all their letters
    words = []
    for word in text.split():
        strokes: list[np.ndarray] = []
        x = 0.0
        for char in word:
            glyph = GLYPHS.get(char)
            if glyph is None:  # a full stop (or any other mark): a small loop on the baseline
                glyph = [(_arc(0.1, 0.9, 0.08, 0.08, 0, 360, 8), False)]
            size = height * rng.uniform(0.88, 1.12)
            tilt = np.radians(rng.uniform(-3, 3))
            lift = rng.uniform(-0.06, 0.06) * height
            turn = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
            width = 0.0
            for points, curved in glyph:
                p = np.asarray(points, np.float64)
                p = _rounded(p) if curved else p
                p = _dense(p)
                # a smooth wobble: a few random offsets, interpolated along the stroke
                knots = rng.normal(0, 0.035, (4, 2))
                along = np.linspace(0, 3, len(p))
                p = p + np.stack([np.interp(along, np.arange(4), knots[:, k]) for k in (0, 1)], axis=1)
                p = p * size
                p[:, 0] += slant * (size - p[:, 1])
                p = (p - [0, size]) @ turn.T + [x, lift]
                strokes.append(p)
                width = max(width, float(p[:, 0].max()) - x)
            x += width + height * rng.uniform(0.12, 0.38)
        words.append(strokes)
    return words
