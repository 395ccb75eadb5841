"""Handwriting-like variation of glyph ink, and a pen-speed time channel.

:func:`vary` takes a :class:`~inksight_sdk.synth.glyphs.SourceWord` (font or
hanzi ink in em units) and a numpy ``Generator`` and returns a
:class:`HandwrittenWord`: the same strokes, in the same order and direction,
bent the way a hand bends them, with time and pressure per point.

Everything is a *continuous* function of position, so strokes that were
joined across letters stay joined:

* letter spacing: a monotone warp of x that stretches the gaps (the cursive
  connectors) between characters by a random amount per gap;
* per-character size, vertical jitter and slant: drawn per character and
  interpolated along x between character centres;
* global slant (shear), width (x scale), baseline drift (tilt plus a slow wave);
* elastic distortion: a smooth random displacement field (a few random
  low-frequency Fourier modes), plus a faint tremor along each stroke;
* corners are slightly rounded (arc-length resampling and smoothing).

Time follows the two-thirds power law of handwriting: the pen slows where
the path curves (corners, loops) and at the start and end of a stroke; pen
lifts take time proportional to the air distance. ``t`` is in seconds and
never decreases across the whole word.
"""

from __future__ import annotations

import attrs
import numpy as np

from .glyphs import SourceWord
from .runs import cumsum_runs, gaussian_runs, resample_runs, split_runs, starts_of, steps_within

__all__ = ["StyleParams", "HandwrittenWord", "sample_style", "vary", "pen_timing"]


@attrs.frozen
class StyleParams:
    """One writer's habits for one word (em units, radians, seconds)."""

    slant: float = 0.0
    width: float = 1.0
    spacing: float = 0.0
    spacing_jitter: float = 0.03
    size_jitter: float = 0.05
    char_dy: float = 0.03
    char_slant: float = 0.04
    tilt: float = 0.0
    wave: float = 0.0
    wave_length: float = 3.0
    elastic: float = 0.03
    elastic_scale: float = 0.8
    tremor: float = 0.003
    smooth: float = 0.02
    speed: float = 5.0
    step: float = 0.02


def sample_style(rng: np.random.Generator, script: str = "latin") -> StyleParams:
    """Draw a plausible writer for a word of ``script``."""
    cjk = script in ("hanzi", "japanese")
    return StyleParams(
        slant=float(rng.normal(0.12, 0.14)) if not cjk else float(rng.normal(0.02, 0.06)),
        width=float(rng.uniform(0.85, 1.15)),
        spacing=float(rng.normal(0.05, 0.06)) if not cjk else float(rng.uniform(0.0, 0.25)),
        spacing_jitter=float(rng.uniform(0.0, 0.06)),
        size_jitter=float(rng.uniform(0.0, 0.08)),
        char_dy=float(rng.uniform(0.0, 0.05)),
        char_slant=float(rng.uniform(0.0, 0.08)),
        tilt=float(rng.normal(0.0, 0.03)),
        wave=float(rng.uniform(0.0, 0.06)),
        wave_length=float(rng.uniform(2.0, 6.0)),
        elastic=float(rng.uniform(0.005, 0.04)),
        elastic_scale=float(rng.uniform(0.5, 1.3)),
        tremor=float(rng.uniform(0.0, 0.004)),
        smooth=float(rng.uniform(0.012, 0.03)),
        speed=float(rng.uniform(3.5, 7.0)),
    )


@attrs.frozen(eq=False)
class HandwrittenWord:
    """Varied ink in em units (y down, baseline near 0): strokes in writing order with time and pressure."""

    text: str
    strokes: list[np.ndarray]
    t: list[np.ndarray]
    pressure: list[np.ndarray]
    script: str
    style: StyleParams


def _smooth_runs(points: np.ndarray, lengths: np.ndarray, sigma_pts: float) -> np.ndarray:
    """Round corners: a Gaussian along each stroke of five points or more, its ends kept in place."""
    long_runs = lengths >= 5
    if sigma_pts <= 0.3 or not long_runs.any():
        return points
    rows = np.repeat(long_runs, lengths)
    inner = points[rows]
    smoothed = gaussian_runs(inner, lengths[long_runs], sigma_pts, "nearest")
    kept = lengths[long_runs]
    firsts = starts_of(kept)
    ends = np.concatenate([firsts, firsts + kept - 1])
    smoothed[ends] = inner[ends]
    out = points.copy()
    out[rows] = smoothed
    return out


def _fourier_field(rng: np.random.Generator, amplitude: float, scale: float, modes: int = 4):
    """A smooth random 2-D displacement field as a function of points."""
    k = rng.normal(0.0, 1.0, size=(modes, 2)) * (2 * np.pi / max(scale, 1e-3))
    phase = rng.uniform(0, 2 * np.pi, size=(modes, 2))
    amp = rng.normal(0.0, amplitude / np.sqrt(modes), size=(modes, 2))

    def field(p: np.ndarray) -> np.ndarray:
        arg = p @ k.T  # (n, modes)
        return np.stack(
            [(amp[:, 0] * np.sin(arg + phase[:, 0])).sum(1), (amp[:, 1] * np.sin(arg + phase[:, 1])).sum(1)], axis=1
        )

    return field


def vary(word: SourceWord, rng: np.random.Generator, style: StyleParams | None = None) -> HandwrittenWord:
    """Bend ``word`` like a hand would; keeps stroke order, direction and joins."""
    style = style or sample_style(rng, word.script)
    n_chars = max(1, len(word.char_bounds))
    bounds = word.char_bounds if len(word.char_bounds) else np.array([[0.0, 1.0]])

    # letter spacing: monotone x warp, extra space ramps in across each gap
    gaps = style.spacing + rng.normal(0.0, style.spacing_jitter, size=n_chars)
    gaps[0] = 0.0
    extra = np.maximum(np.cumsum(gaps), -0.3 * np.arange(n_chars))
    knots_x: list[float] = []
    knots_e: list[float] = []
    ramp = 0.08
    for i in range(n_chars):
        left = bounds[i, 0]
        if i > 0:
            knots_x += [left - ramp, left + ramp]
            knots_e += [extra[i - 1], extra[i]]
        else:
            knots_x.append(left)
            knots_e.append(extra[0])
    knots_x.append(bounds[-1, 1] + 1.0)
    knots_e.append(extra[-1])
    kx = np.maximum.accumulate(np.asarray(knots_x))
    ke = np.asarray(knots_e)

    centres = bounds.mean(axis=1)
    sizes = np.exp(rng.normal(0.0, style.size_jitter, size=n_chars))
    dys = rng.normal(0.0, style.char_dy, size=n_chars)
    shears = rng.normal(0.0, style.char_slant, size=n_chars)
    if n_chars == 1:
        centres = np.array([centres[0], centres[0] + 1.0])
        sizes, dys, shears = np.repeat(sizes, 2), np.repeat(dys, 2), np.repeat(shears, 2)

    elastic = _fourier_field(rng, style.elastic, style.elastic_scale)
    wave_phase = rng.uniform(0, 2 * np.pi)
    slant = np.tan(style.slant)

    # every stroke at once (bit for bit what doing them one by one gives: .runs)
    source = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in word.strokes]
    pts, lengths = resample_runs(
        np.concatenate(source) if source else np.zeros((0, 2)), np.array([len(s) for s in source]), style.step * 0.5
    )
    x, y = pts[:, 0].copy(), pts[:, 1].copy()
    size = np.interp(x, centres, sizes)
    dy = np.interp(x, centres, dys)
    shear = np.interp(x, centres, shears)
    y_mid = -0.35
    y = y_mid + (y - y_mid) * size
    x = x - (y - y_mid) * shear
    x = x + np.interp(pts[:, 0], kx, ke)
    y = y + dy
    x = x * style.width
    x = x - y * slant
    y = y + style.tilt * x + style.wave * np.sin(2 * np.pi * x / style.wave_length + wave_phase)
    p = np.column_stack([x, y])
    p = p + elastic(p)
    shaky = lengths > 3
    if style.tremor > 0 and shaky.any():
        rows = np.repeat(shaky, lengths)
        noise = rng.normal(0.0, style.tremor * 3, size=(int(lengths[shaky].sum()), 2))
        p[rows] = p[rows] + gaussian_runs(noise, lengths[shaky], 2.0, "reflect")
    p = _smooth_runs(p, lengths, style.smooth / (style.step * 0.5))
    p, lengths = resample_runs(p, lengths, style.step)
    strokes = split_runs(p, lengths)

    t, pressure = pen_timing(strokes, rng, style.speed)
    return HandwrittenWord(text=word.text, strokes=strokes, t=t, pressure=pressure, script=word.script, style=style)


def pen_timing(
    strokes: list[np.ndarray], rng: np.random.Generator, speed: float = 5.0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Time (s) and pressure (0..1) per point: slower in curves and at stroke ends.

    Speed follows the two-thirds power law, ``v ~ curvature ** (-1/3)``
    (capped), times a soft start and stop; a pen lift costs a reaction time
    plus the air distance at a brisk speed. ``speed`` is em per second.
    """
    strokes = [np.asarray(pts, dtype=np.float64).reshape(-1, 2) for pts in strokes]
    lengths = np.array([len(pts) for pts in strokes], dtype=np.int64)
    # the random draws, in the order a stroke-by-stroke loop makes them: a pause before each stroke after
    # the first that has points, then the pressure wobble of each stroke of two points or more
    pauses = np.zeros(len(strokes))
    wobble_noise: list[np.ndarray] = []
    for k, n in enumerate(lengths):
        if n and lengths[:k].any():
            pauses[k] = float(rng.uniform(0.06, 0.18))
        if n >= 2:
            wobble_noise.append(rng.normal(0.0, 0.25, size=n))

    # speed and pressure of all strokes of two points or more at once (.runs: bit for bit the per-stroke sums)
    moving = lengths >= 2
    n_pts = lengths[moving]
    pts = np.concatenate([p for p, m in zip(strokes, moving) if m]) if moving.any() else np.zeros((0, 2))
    d, n_seg = steps_within(pts, n_pts)
    ds = np.sqrt(np.add.reduce(d * d, axis=1))
    heading = np.arctan2(d[:, 1], d[:, 0])
    turn_steps, _ = steps_within(heading, n_seg)
    turn = np.abs(np.angle(np.exp(1j * turn_steps)))
    pair_start = np.ones(len(ds), dtype=bool)  # segment i and i + 1 lie in one stroke
    pair_start[(starts_of(n_seg) + n_seg - 1)[n_seg > 0]] = False
    mean_ds = 0.5 * (ds[:-1][pair_start[:-1]] + ds[1:][pair_start[:-1]])
    firsts, lasts = starts_of(n_pts), starts_of(n_pts) + n_pts - 1
    interior = np.ones(len(pts), dtype=bool)
    interior[firsts] = False
    interior[lasts] = False
    curvature = np.zeros(len(pts))
    curvature[interior] = turn / np.maximum(mean_ds, 1e-6)
    curvature = gaussian_runs(curvature, n_pts, 1.5, "nearest")
    v = speed * np.clip((1.0 + 0.15 * curvature) ** (-1.0 / 3.0), 0.25, 1.0)
    arc = np.zeros(len(pts))
    not_first = np.ones(len(pts), dtype=bool)
    not_first[firsts] = False
    arc[not_first] = cumsum_runs(ds, n_seg)
    total = np.repeat(arc[lasts], n_pts)
    ends = np.minimum(arc, total - arc)
    v = v * (0.35 + 0.65 * np.clip(ends / 0.12, 0.0, 1.0) ** 0.5)
    seg_of = np.ones(len(pts), dtype=bool)  # point i starts a segment of its stroke
    seg_of[lasts] = False
    v_seg = np.maximum(0.5 * (v[:-1][seg_of[:-1]] + v[1:][seg_of[:-1]]), 1e-3)
    elapsed = cumsum_runs(ds / v_seg, n_seg)
    bell = np.clip(ends / 0.1, 0.0, 1.0)
    wobble = gaussian_runs(np.concatenate(wobble_noise) if wobble_noise else np.zeros(0), n_pts, 4.0, "nearest")
    pressure = np.clip(0.45 + 0.35 * bell + 0.2 * (1.0 - v / speed) + wobble, 0.1, 1.0)

    times: list[np.ndarray] = []
    pressures: list[np.ndarray] = []
    clock = 0.0
    prev_end: np.ndarray | None = None
    row = seg_row = 0
    for k, stroke in enumerate(strokes):
        n = len(stroke)
        if prev_end is not None and n:
            clock += pauses[k] + float(np.linalg.norm(stroke[0] - prev_end)) / (1.6 * speed)
        if n < 2:
            times.append(np.full(n, clock))
            pressures.append(np.full(n, 0.6))
            if n:
                prev_end = stroke[-1]
            continue
        t = clock + np.concatenate([[0.0], elapsed[seg_row : seg_row + n - 1]])
        times.append(t)
        pressures.append(pressure[row : row + n])
        clock = float(t[-1])
        prev_end = stroke[-1]
        row, seg_row = row + n, seg_row + n - 1
    return times, pressures
