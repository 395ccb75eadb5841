"""Render varied ink as a photographed word crop on the model's 224-pixel canvas.

The crop follows the inference convention exactly: the word's box (ink plus
a random amount of context around it, as a detector would draw it) is mapped
by :func:`~inksight_sdk.geometry.plan_crop` with ``CropSpec(size=224)``: scaled
to fit keeping its aspect ratio and centred on the square canvas. As in
:func:`~inksight_sdk.geometry.crop_word`, the rest of the canvas shows more of
the page (paper, rules, sometimes a neighbouring word), not a flat fill.

What a phone photo does is simulated: paper colour and texture, ruled or
squared paper with a margin line, ink colour (black, blue, violet, red,
pencil grey) with pen width following pressure and a grainy density, blur and
loss of resolution, uneven light and shadows, sensor noise and JPEG. The
returned strokes are the centre lines of the drawn ink in canvas pixels
(pixel centres on integers, the convention of :mod:`inksight_sdk.geometry`),
so they match the image to the sub-pixel.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import cv2
import numpy as np

from ..evaluation.render import jpeg, over, smooth_noise
from ..geometry import apply_affine, plan_crop
from ..stages import CropSpec
from .style import HandwrittenWord

__all__ = [
    "PhotoParams",
    "CanvasInk",
    "sample_photo",
    "place_on_canvas",
    "paint_photo",
    "render_word",
    "INK_COLOURS",
    "INK_WEIGHTS",
    "PAPER_COLOURS",
    "PAPER_WEIGHTS",
]

_SS = 4  # supersampling of the ink mask

INK_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (28, 28, 34),
    "blue": (30, 50, 145),
    "navy": (25, 32, 85),
    "violet": (85, 45, 130),
    "red": (175, 30, 40),
    "pencil": (80, 80, 88),
}
INK_WEIGHTS = {"black": 0.34, "blue": 0.28, "navy": 0.12, "violet": 0.1, "red": 0.08, "pencil": 0.08}

PAPER_COLOURS: dict[str, tuple[int, int, int]] = {
    "white": (244, 243, 238),
    "cream": (240, 230, 208),
    "grey": (214, 212, 204),
    "cool": (232, 236, 240),
    "yellow": (245, 233, 165),
    "recycled": (222, 214, 196),
}
PAPER_WEIGHTS = {"white": 0.32, "cream": 0.22, "grey": 0.2, "cool": 0.1, "yellow": 0.06, "recycled": 0.1}


@attrs.frozen
class PhotoParams:
    """How one crop is photographed (sizes in em units unless noted)."""

    pen_width: float = 0.09
    ink: str = "black"
    ink_density: float = 0.92
    paper: str = "white"
    margin_x: tuple[float, float] = (0.3, 0.3)
    margin_y: tuple[float, float] = (0.4, 0.4)
    ruling: str = "none"  # none | lines | grid
    rule_spacing: float = 1.9
    rule_offset: float = 0.05
    rule_alpha: float = 0.5
    margin_line: float | None = None
    rotation: float = 0.0
    neighbours: bool = False
    exposure: float = 0.95
    gradient: float = 0.1
    shadow: float = 0.0
    blur: float = 0.6
    downscale: float = 1.0
    noise: float = 2.0
    jpeg: int | None = 85


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def sample_photo(rng: np.random.Generator) -> PhotoParams:
    """Draw the circumstances of one photographed crop."""
    ruling = _choice(rng, {"none": 0.45, "lines": 0.45, "grid": 0.1})
    return PhotoParams(
        pen_width=float(rng.uniform(0.05, 0.14)),
        ink=_choice(rng, INK_WEIGHTS),
        ink_density=float(rng.uniform(0.78, 0.97)),
        paper=_choice(rng, PAPER_WEIGHTS),
        margin_x=(float(rng.uniform(0.05, 0.8)), float(rng.uniform(0.05, 0.8))),
        margin_y=(float(rng.uniform(0.1, 0.8)), float(rng.uniform(0.1, 0.7))),
        ruling=ruling,
        rule_spacing=float(rng.uniform(1.6, 2.6)) if ruling == "lines" else float(rng.uniform(0.7, 1.2)),
        rule_offset=float(rng.uniform(-0.05, 0.25)),
        rule_alpha=float(rng.uniform(0.25, 0.8)),
        margin_line=float(rng.uniform(-1.0, 0.5)) if rng.random() < 0.12 else None,
        rotation=float(rng.normal(0.0, 0.025)),
        neighbours=bool(rng.random() < 0.2),
        exposure=float(rng.uniform(0.68, 1.04)),
        gradient=float(rng.uniform(0.0, 0.25)),
        shadow=float(rng.uniform(0.1, 0.35)) if rng.random() < 0.25 else 0.0,
        blur=float(rng.uniform(0.2, 1.3)),
        downscale=float(rng.uniform(0.3, 0.85)) if rng.random() < 0.4 else 1.0,
        noise=float(rng.uniform(0.5, 7.0)),
        jpeg=int(rng.integers(30, 96)) if rng.random() < 0.85 else None,
    )


def _fixed(points: np.ndarray) -> np.ndarray:
    """Canvas pixels (centres on integers) to fixed-point (4 fractional bits) supersampled pixels."""
    return np.rint(((points + 0.5) * _SS - 0.5) * 16).astype(np.int32)


def _draw_ink(mask: np.ndarray, strokes: Sequence[np.ndarray], widths: Sequence[np.ndarray], value: int = 255) -> None:
    """Round-pen ink with per-point width into a supersampled uint8 ``mask`` (in place)."""
    for pts, width in zip(strokes, widths):
        if len(pts) == 0:
            continue
        fixed = _fixed(pts)
        thick = np.maximum(1, np.rint(np.asarray(width) * _SS)).astype(np.int32)
        if len(pts) == 1:
            cv2.circle(mask, tuple(int(v) for v in fixed[0]), int(thick[0]) * 8, value, -1, cv2.LINE_AA, shift=4)
            continue
        seg_thick = np.maximum(thick[:-1], thick[1:])
        start = 0
        for i in range(1, len(seg_thick) + 1):
            if i == len(seg_thick) or seg_thick[i] != seg_thick[start]:
                cv2.polylines(mask, [fixed[start : i + 1]], False, value, int(seg_thick[start]), cv2.LINE_AA, shift=4)
                start = i


def _rules(shape: tuple[int, int], params: PhotoParams, to_canvas: np.ndarray, scale: float) -> np.ndarray:
    """Coverage of the ruling (horizontal rules, grid) in canvas pixels."""
    big = np.zeros((shape[0] * _SS, shape[1] * _SS), dtype=np.uint8)
    inv = np.linalg.inv(np.vstack([to_canvas, [0, 0, 1]]))[:2]
    corners = apply_affine(inv, np.array([[0, 0], [shape[1], 0], [0, shape[0]], [shape[1], shape[0]]], float))
    lo, hi = corners.min(axis=0) - params.rule_spacing, corners.max(axis=0) + params.rule_spacing
    thickness = max(1, int(round(max(0.8, 0.012 * scale) * _SS)))
    sp = params.rule_spacing
    ys = np.arange(np.floor((lo[1] - params.rule_offset) / sp), np.ceil((hi[1] - params.rule_offset) / sp) + 1)
    lines = [np.array([[lo[0], params.rule_offset + k * sp], [hi[0], params.rule_offset + k * sp]]) for k in ys]
    if params.ruling == "grid":
        xs = np.arange(np.floor(lo[0] / sp), np.ceil(hi[0] / sp) + 1)
        lines += [np.array([[k * sp, lo[1]], [k * sp, hi[1]]]) for k in xs]
    for line in lines:
        a, b = _fixed(apply_affine(to_canvas, line))
        cv2.line(big, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, thickness, cv2.LINE_AA, shift=4)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _margin_line(shape: tuple[int, int], x_em: float, to_canvas: np.ndarray, scale: float) -> np.ndarray:
    big = np.zeros((shape[0] * _SS, shape[1] * _SS), dtype=np.uint8)
    line = apply_affine(to_canvas, np.array([[x_em, -50.0], [x_em, 50.0]]))
    a, b = _fixed(line)
    thickness = max(1, int(round(max(0.8, 0.012 * scale) * _SS)))
    cv2.line(big, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, thickness, cv2.LINE_AA, shift=4)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _lighting(rng: np.random.Generator, size: int, params: PhotoParams) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1) - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    light = params.exposure + params.gradient * (xx * np.cos(theta) + yy * np.sin(theta))
    light = light - rng.uniform(0.0, 0.25) * (xx**2 + yy**2)
    if params.shadow > 0:
        phi = rng.uniform(0, 2 * np.pi)
        side = xx * np.cos(phi) + yy * np.sin(phi) - rng.uniform(-0.3, 0.4)
        light = light - params.shadow / (1.0 + np.exp(-side / rng.uniform(0.03, 0.12)))
    return np.clip(light, 0.3, 1.1).astype(np.float32)


@attrs.frozen(eq=False)
class CanvasInk:
    """Where a word's ink lies on the canvas: what :func:`paint_photo` (or a device renderer) draws.

    ``strokes`` and ``widths`` are the word's centre lines and pen widths in
    canvas pixels (the training target); ``context`` and ``context_widths``
    are neighbouring words drawn as page context, not part of the target.
    ``matrix`` maps em units to canvas pixels (scale and shift only: the
    word's box is axis-aligned); ``box_left`` and ``height`` (em) place a
    margin line relative to the word.
    """

    strokes: list[np.ndarray]
    widths: list[np.ndarray]
    context: list[np.ndarray]
    context_widths: list[np.ndarray]
    matrix: np.ndarray
    scale: float
    box_left: float
    height: float

    def frame(self) -> np.ndarray:
        """``(8,) float32``: the em->canvas matrix (row-major), the box's left edge and the word's height (em)."""
        return np.concatenate([np.asarray(self.matrix, np.float64).reshape(6), [self.box_left, self.height]]).astype(
            np.float32
        )

    def segments(self, capacity: int) -> tuple[np.ndarray, np.ndarray]:
        """The drawn ink as ``capacity`` pen segments for a renderer on the accelerator.

        Returns ``(capacity, 4) float32`` segments ``x0, y0, x1, y1`` (canvas
        pixels; a lone point is a segment of length 0) and their ``(capacity,)``
        pen widths (the wider end's, as :func:`_draw_ink` draws them); unused
        rows have width 0. Ink too finely sampled to fit is thinned (every
        other point, ends kept) until it fits.
        """
        lines = [
            (np.asarray(p, np.float64), np.asarray(w, np.float64))
            for p, w in zip(self.strokes + self.context, self.widths + self.context_widths)
            if len(p)
        ]
        while sum(max(1, len(p) - 1) for p, _ in lines) > capacity and any(len(p) > 2 for p, _ in lines):
            lines = [(_thin(p), _thin(w)) for p, w in lines]
        ends = [
            np.concatenate([p, p], axis=1) if len(p) == 1 else np.concatenate([p[:-1], p[1:]], axis=1) for p, _ in lines
        ]
        widths = [w[:1] if len(w) == 1 else np.maximum(w[:-1], w[1:]) for _, w in lines]
        seg = np.zeros((capacity, 4), np.float32)
        width = np.zeros(capacity, np.float32)
        if ends:
            all_ends, all_widths = np.concatenate(ends)[:capacity], np.concatenate(widths)[:capacity]
            seg[: len(all_ends)] = all_ends
            width[: len(all_widths)] = all_widths
        return seg, width


def _thin(values: np.ndarray) -> np.ndarray:
    """Every other row, the last one kept."""
    if len(values) <= 2:
        return values
    kept = values[::2]
    return kept if (len(values) - 1) % 2 == 0 else np.concatenate([kept, values[-1:]])


def place_on_canvas(
    word: HandwrittenWord,
    rng: np.random.Generator,
    params: PhotoParams,
    *,
    size: int = 224,
    fill: tuple[int, int, int] = (255, 255, 255),
    neighbours: Sequence[HandwrittenWord] = (),
) -> CanvasInk:
    """Rotate ``word``, choose its crop box (ink plus context margins) and map it and its neighbours to the canvas."""
    pen = params.pen_width
    pts = np.concatenate([s for s in word.strokes if len(s)]) if any(len(s) for s in word.strokes) else np.zeros((1, 2))
    if params.rotation:
        c, s_ = np.cos(params.rotation), np.sin(params.rotation)
        rot = np.array([[c, -s_], [s_, c]])
        centre = pts.mean(axis=0)
        word_strokes = [(s - centre) @ rot.T + centre for s in word.strokes]
        pts = (pts - centre) @ rot.T + centre
    else:
        word_strokes = [np.asarray(s, dtype=np.float64) for s in word.strokes]
    lo = pts.min(axis=0) - pen
    hi = pts.max(axis=0) + pen
    h = max(hi[1] - lo[1], 0.3)
    x0, x1 = lo[0] - params.margin_x[0] * h, hi[0] + params.margin_x[1] * h
    y0, y1 = lo[1] - params.margin_y[0] * h, hi[1] + params.margin_y[1] * h
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    transform = plan_crop(quad, CropSpec(size=size, fill=fill))
    matrix = np.asarray(transform.matrix, dtype=np.float64)
    scale = transform.scale

    def pen_px(pressure: np.ndarray) -> np.ndarray:
        return np.maximum(0.8, pen * scale * (0.6 + 0.55 * np.asarray(pressure, dtype=np.float64)))

    # page context: neighbouring words beyond the box
    context: list[np.ndarray] = []
    context_widths: list[np.ndarray] = []
    box_w, box_h = x1 - x0, y1 - y0
    for k, other in enumerate(neighbours):
        if not other.strokes or not any(len(s) for s in other.strokes):
            continue
        opts = np.concatenate([s for s in other.strokes if len(s)])
        olo, ohi = opts.min(axis=0), opts.max(axis=0)
        gap = rng.uniform(0.3, 0.7)
        if box_w >= box_h:  # wide crop: words on the lines above and below, never overlapping the word
            dx = lo[0] - olo[0] + rng.uniform(-1.0, 1.0)
            dy = lo[1] - gap - ohi[1] if k % 2 == 0 else hi[1] + gap - olo[1]
            shift = np.array([dx, dy])
        else:  # tall crop: words left and right on the same line
            shift = np.array([hi[0] + gap - olo[0] if k % 2 == 0 else lo[0] - gap - ohi[0], 0.0])
        context += [apply_affine(matrix, s + shift) for s in other.strokes]
        context_widths += [pen_px(p) for p in other.pressure]
    return CanvasInk(
        strokes=[apply_affine(matrix, s) for s in word_strokes],
        widths=[pen_px(p) for p in word.pressure],
        context=context,
        context_widths=context_widths,
        matrix=matrix,
        scale=float(scale),
        box_left=float(x0),
        height=float(h),
    )


def paint_photo(ink: CanvasInk, rng: np.random.Generator, params: PhotoParams, *, size: int = 224) -> np.ndarray:
    """The ``(size, size, 3) uint8`` photo of ``ink``: paper, ruling, ink, light, blur, noise, JPEG."""
    big = np.zeros((size * _SS, size * _SS), dtype=np.uint8)
    _draw_ink(big, ink.strokes, ink.widths)
    _draw_ink(big, ink.context, ink.context_widths)
    coverage = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    matrix, scale = ink.matrix, ink.scale

    paper_rgb = np.array(PAPER_COLOURS[params.paper], np.float32) + rng.normal(0.0, 4.0, size=3).astype(np.float32)
    texture = rng.uniform(1.0, 4.0) * smooth_noise(rng, (size, size), 24) + rng.uniform(0.5, 2.5) * smooth_noise(
        rng, (size, size), 3
    )
    image = paper_rgb + texture[..., None]
    if params.ruling != "none":
        rule_rgb = np.array((130, 170, 205) if rng.random() < 0.75 else (150, 150, 150), np.float32)
        image = over(image, _rules((size, size), params, matrix, scale) * params.rule_alpha, rule_rgb)
    if params.margin_line is not None:
        margin_x = ink.box_left + params.margin_line * ink.height
        image = over(image, _margin_line((size, size), margin_x, matrix, scale) * 0.7, np.array((220, 120, 125)))

    ink_rgb = np.array(INK_COLOURS[params.ink], np.float32) + rng.normal(0.0, 6.0, size=3).astype(np.float32)
    grain = 1.0 - rng.uniform(0.0, 0.15) * np.clip(smooth_noise(rng, (size, size), 2), 0.0, None)
    if params.ink == "pencil":
        grain = grain * (0.8 + 0.2 * rng.random((size, size)).astype(np.float32))
    alpha = np.clip(coverage * params.ink_density * grain, 0.0, 1.0)
    image = over(image, alpha, np.clip(ink_rgb, 0, 255))

    image = image * _lighting(rng, size, params)[..., None]
    if params.downscale < 1.0:
        small = max(16, int(round(size * params.downscale)))
        image = cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA)
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
    if params.blur > 0.25:
        image = cv2.GaussianBlur(image, (0, 0), params.blur)
    image = image + rng.normal(0.0, params.noise, size=image.shape).astype(np.float32)
    if params.jpeg is not None:
        image = jpeg(image, quality=params.jpeg)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image


def render_word(
    word: HandwrittenWord,
    rng: np.random.Generator,
    params: PhotoParams | None = None,
    *,
    size: int = 224,
    fill: tuple[int, int, int] = (255, 255, 255),
    neighbours: Sequence[HandwrittenWord] = (),
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Draw ``word`` as a photographed crop.

    Returns the ``(size, size, 3) uint8`` image, the word's strokes in canvas
    pixels (writing order, exactly the drawn centre lines) and the pen width
    per point in canvas pixels. ``neighbours`` are other words drawn left and
    right of the word's box (or above and below for a tall box) as page
    context; they are not part of the returned strokes.
    """
    params = params or sample_photo(rng)
    ink = place_on_canvas(word, rng, params, size=size, fill=fill, neighbours=neighbours)
    image = paint_photo(ink, rng, params, size=size)
    return image, [s.astype(np.float32) for s in ink.strokes], [w.astype(np.float32) for w in ink.widths]
