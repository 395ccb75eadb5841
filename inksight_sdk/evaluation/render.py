"""Render true strokes as a photo-like page, keeping the strokes' exact geometry.

The ground-truth benchmarks need images whose pen trajectories are known to
the pixel: this module draws strokes with a round pen (antialiased, 4x
supersampled so fractional pen widths are honest) over synthetic paper, then
applies what phones and scanners do to a page — paper tint and texture,
ruling, blur, uneven light, a small rotation, sensor noise and JPEG — and
returns the strokes mapped by the same transform as the image.

Styles:

``clean``
    white-ish paper, slight texture and blur (a good scan).
``ruled``
    cream notebook paper with light blue rules and a red margin line under the
    ink (like ``photos/inksight_page.jpg``).
``dim_rotated``
    plain paper photographed in poor light: darker, a light gradient with a
    vignette and a soft shadow, rotated by 2-4 degrees, noisy, JPEG-compressed.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import cv2
import numpy as np

__all__ = ["RenderedPage", "render_page", "stroke_coverage", "STYLES"]

STYLES = ("clean", "ruled", "dim_rotated")

_SS = 4  # supersampling factor of the ink and rule masks
_INKS = {"blue": (28, 48, 150), "black": (32, 32, 38)}
_RULE_RGB = (140, 178, 212)
_MARGIN_RGB = (222, 128, 132)


@attrs.frozen(eq=False)
class RenderedPage:
    """A rendered page: RGB image, the true strokes in its pixels (same order), pen width in pixels."""

    image: np.ndarray
    strokes: list[np.ndarray]
    pen_width: float


def render_page(
    strokes: Sequence[np.ndarray],
    *,
    style: str = "clean",
    pen_width: float = 4.0,
    seed: int = 0,
    scale: float = 1.0,
    margin: float | None = None,
    ink: str | None = None,
    rules: tuple[float, float] | None = None,
) -> RenderedPage:
    """Draw ``strokes`` (``(n, 2)`` arrays, any pixel frame) as a photo-like page.

    The strokes are scaled by ``scale`` and placed ``margin`` pixels (default
    ``max(12, 5 * pen_width)``) from the page edges; ``pen_width`` is in output
    pixels. ``ink`` is ``"blue"`` or ``"black"`` (default: chosen by ``seed``).
    For ``ruled``, ``rules = (spacing, y)`` in the strokes' own frame puts
    rules ``spacing`` apart with one through ``y``, so a caller can put them
    under the text baselines (default: every ``12 * pen_width`` output pixels
    from the top margin). Everything random derives from ``seed``.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    setup = Setup.of(strokes, pen_width=pen_width, seed=seed, scale=scale, margin=margin, ink=ink, rules=rules)
    rng, margin, ink_rgb, placed = setup.rng, setup.margin, setup.ink_rgb, setup.placed
    every = np.concatenate(placed) if placed else np.zeros((1, 2))
    width = int(np.ceil(every[:, 0].max() + margin)) + 1
    height = int(np.ceil(every[:, 1].max() + margin)) + 1

    ink_mask = stroke_coverage(placed, pen_width, (height, width))
    layers: list[tuple[np.ndarray, np.ndarray]] = []  # (coverage mask, RGB) painted under the ink
    if style == "ruled":
        lines, red = _ruling((height, width), setup.spacing, setup.offset, margin_x=0.5 * margin, thickness=1.6)
        layers = [(lines, np.array(_RULE_RGB, np.float32)), (red, np.array(_MARGIN_RGB, np.float32))]

    matrix = np.eye(3)
    if style == "dim_rotated":
        angle = rng.uniform(2.0, 4.0) * rng.choice([-1.0, 1.0])
        matrix, (width, height) = _rotation(angle, width, height)
        ink_mask = _warp(ink_mask, matrix, width, height)
    placed = [p @ matrix[:2, :2].T + matrix[:2, 2] for p in placed]

    paper = _paper(rng, (height, width), style)
    image = paper
    for mask, rgb in layers:
        image = over(image, mask * 0.85, rgb)
    ink_field = ink_rgb + rng.normal(0.0, 6.0, size=(height, width, 1)).astype(np.float32)
    image = over(image, ink_mask * rng.uniform(0.9, 0.97), ink_field)

    blur = {"clean": 0.5, "ruled": 0.7, "dim_rotated": 0.9}[style]
    image = cv2.GaussianBlur(image, (0, 0), blur)
    if style == "dim_rotated":
        image = image * _lighting(rng, (height, width))[..., None]
        image = image + rng.normal(0.0, 4.0, size=image.shape).astype(np.float32)
        image = jpeg(image, quality=int(rng.integers(55, 75)))
    else:
        image = image + rng.normal(0.0, 1.5, size=image.shape).astype(np.float32)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return RenderedPage(image=image, strokes=placed, pen_width=float(pen_width))


@attrs.frozen(eq=False)
class Setup:
    """What every rendered page starts from: its random stream, margin, ink colour, placed strokes and rules.

    Shared by :func:`render_page` and the harder conditions
    (:func:`~inksight_sdk.evaluation.conditions.render_condition`), so that one
    seed and one set of arguments place the same strokes in the same ink.
    """

    rng: np.random.Generator
    margin: float
    ink_rgb: np.ndarray
    placed: list[np.ndarray]
    spacing: float  # rule spacing in page pixels
    offset: float  # y of one rule in page pixels

    @classmethod
    def of(
        cls,
        strokes: Sequence[np.ndarray],
        *,
        pen_width: float,
        seed: int,
        scale: float,
        margin: float | None,
        ink: str | None,
        rules: tuple[float, float] | None,
    ) -> Setup:
        if pen_width <= 0 or scale <= 0:
            raise ValueError("pen_width and scale must be positive")
        rng = np.random.default_rng(seed)
        margin = max(12.0, 5.0 * pen_width) if margin is None else float(margin)
        ink_rgb = np.array(_INKS[ink or rng.choice(sorted(_INKS))], dtype=np.float32)
        placed, shift = _place(strokes, scale, margin)
        spacing, offset = (12.0 * pen_width, margin) if rules is None else (rules[0] * scale, rules[1] * scale + shift)
        return cls(rng=rng, margin=margin, ink_rgb=ink_rgb, placed=placed, spacing=spacing, offset=offset)


def _place(strokes: Sequence[np.ndarray], scale: float, margin: float) -> tuple[list[np.ndarray], float]:
    """Scale the strokes and move their bounding box to ``margin``; also return the y shift applied."""
    pts = [np.asarray(s, dtype=np.float64).reshape(-1, 2) * scale for s in strokes]
    nonempty = [p for p in pts if len(p)]
    low = np.concatenate(nonempty).min(axis=0) if nonempty else np.zeros(2)
    return [p - low + margin for p in pts], float(margin - low[1])


def _hires(points: np.ndarray) -> np.ndarray:
    """Page pixels to fixed-point (4 fractional bits) supersampled pixel centres."""
    return np.rint(((points + 0.5) * _SS - 0.5) * 16).astype(np.int32)


def _downsample(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    small = cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


def stroke_coverage(strokes: Sequence[np.ndarray], pen_width: float, shape: tuple[int, int]) -> np.ndarray:
    """Coverage (0..1) of a round pen of diameter ``pen_width`` along the strokes (pixel frame of ``shape``).

    Drawn 4x supersampled with anti-aliased polylines, so the result depends
    only on the strokes' geometry, never on how a library draws text.
    """
    big = np.zeros((shape[0] * _SS, shape[1] * _SS), dtype=np.uint8)
    thickness = max(1, int(round(pen_width * _SS)))
    for stroke in strokes:
        if len(stroke) == 0:
            continue
        if len(stroke) == 1 or np.ptp(stroke, axis=0).max() == 0:
            centre = tuple(int(v) for v in _hires(stroke[:1])[0])
            cv2.circle(big, centre, (thickness // 2) * 16, 255, -1, cv2.LINE_AA, shift=4)
        else:
            cv2.polylines(big, [_hires(stroke)], False, 255, thickness, cv2.LINE_AA, shift=4)
    return _downsample(big, shape)


def _ruling(
    shape: tuple[int, int], spacing: float, offset: float, margin_x: float, thickness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of horizontal rules every ``spacing`` px through ``offset``, and a vertical margin line."""
    big_rules = np.zeros((shape[0] * _SS, shape[1] * _SS), dtype=np.uint8)
    big_red = np.zeros_like(big_rules)
    t = max(1, int(round(thickness * _SS)))
    first = offset - np.floor(offset / spacing) * spacing
    for y in np.arange(first, shape[0], spacing):
        a, b = _hires(np.array([[0.0, y], [shape[1] - 1.0, y]]))
        cv2.line(big_rules, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, t, cv2.LINE_AA, shift=4)
    a, b = _hires(np.array([[margin_x, 0.0], [margin_x, shape[0] - 1.0]]))
    cv2.line(big_red, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, t, cv2.LINE_AA, shift=4)
    return _downsample(big_rules, shape), _downsample(big_red, shape)


def _rotation(angle_deg: float, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """A 3x3 rotation about the page centre, onto a canvas that holds the whole rotated page."""
    m = cv2.getRotationMatrix2D(((width - 1) / 2.0, (height - 1) / 2.0), angle_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w = int(np.ceil(height * sin + width * cos))
    new_h = int(np.ceil(height * cos + width * sin))
    m[0, 2] += (new_w - width) / 2.0
    m[1, 2] += (new_h - height) / 2.0
    return np.vstack([m, [0.0, 0.0, 1.0]]), (new_w, new_h)


def _warp(mask: np.ndarray, matrix: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.warpAffine(mask, matrix[:2], (width, height), flags=cv2.INTER_LINEAR, borderValue=0.0)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Zero-mean, unit-ish noise varying over about ``cell`` pixels (paper fibre, cockling)."""
    small = rng.normal(size=(max(2, shape[0] // cell + 2), max(2, shape[1] // cell + 2))).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _paper(rng: np.random.Generator, shape: tuple[int, int], style: str) -> np.ndarray:
    base = {
        "clean": (246, 245, 241),
        "ruled": (242, 231, 212),
        "dim_rotated": (236, 232, 222),
    }[style]
    tint = np.array(base, np.float32) + rng.normal(0.0, 3.0, size=3).astype(np.float32)
    texture = 2.5 * smooth_noise(rng, shape, 24) + 1.2 * smooth_noise(rng, shape, 3)
    return tint + texture[..., None]


def over(image: np.ndarray, alpha: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return image * (1.0 - a) + rgb * a


def _lighting(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Multiplicative light: dim overall, a gradient, a vignette and a soft shadow edge."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / max(w - 1, 1) - 0.5, yy / max(h - 1, 1) - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    gradient = 0.22 * (u * np.cos(theta) + v * np.sin(theta))
    vignette = -0.35 * (u**2 + v**2)
    phi = rng.uniform(0, 2 * np.pi)
    side = u * np.cos(phi) + v * np.sin(phi) - rng.uniform(0.15, 0.35)
    shadow = -0.18 / (1.0 + np.exp(-side / 0.04))
    return (rng.uniform(0.62, 0.72) + gradient + vignette + shadow).astype(np.float32)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    rgb = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("JPEG round trip failed")
    return decoded[..., ::-1].astype(np.float32)
