"""Harder rendered pages: real users' paper, print, stamps, objects, boards and shadows around true strokes.

:func:`render_page` covers a good scan, a ruled notebook and a dim rotated
photo. Users also bring pages with rules tinted by warm light, squared paper,
printed forms, stamps, a string lying on the sheet, blackboards and heavy
shadows (issue 13). Each condition here draws the same true strokes with the
same round pen as :func:`render_page` and adds one such difficulty, so a
benchmark can say what the difficulty costs against exact ground truth.

Conditions (all seeded, deterministic, never rotated):

``rules_warm_grey``, ``rules_warm_brown``, ``rules_warm_blue``
    thin (1-1.4 px) periodic rules of that colour, the blue ones with a red
    margin line, photographed under warm indoor light (orange cast, uneven).
``grid``
    squared paper: thin light lines both ways, every ``8 * pen_width`` px.
``form``
    a printed form: a heading, a label left of each line of writing, field
    lines under the writing, a table border and a small printed note, in a
    real TrueType face (Aileron, bundled with Pillow: nothing is downloaded).
``stamp``
    a red, blue or violet ink stamp (a ring with text round it, or a double
    box with two lines of text) pressed over a word: translucent, grainy,
    slightly turned; it darkens what it covers, so the ink stays the darkest.
``string``
    a 6-12 px coloured string across the page: a smooth curve shaded like a
    twisted cylinder, with a highlight and a soft shadow on the paper. It is
    painted under the ink, so every true stroke stays visible and the
    ground truth stays exact (a real string would hide a few pixels).
``blackboard``
    light, grainy chalk strokes on a dark green or black board with wiped
    chalk dust and a patch of glare.
``shadow``
    a soft, bluish shadow darkening a third of the page to about 40%.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import attrs
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.interpolate import CubicSpline
from scipy.ndimage import distance_transform_edt

from .metrics import text_lines
from .render import _SS, RenderedPage, Setup, _downsample, _hires, jpeg, over, smooth_noise, stroke_coverage

__all__ = ["CONDITIONS", "ConditionPage", "render_condition"]

CONDITIONS = (
    "rules_warm_grey",
    "rules_warm_brown",
    "rules_warm_blue",
    "grid",
    "form",
    "stamp",
    "string",
    "blackboard",
    "shadow",
)

_RULE_COLOURS = {"grey": (146, 146, 150), "brown": (166, 122, 86), "blue": (122, 162, 206)}
_MARGIN_RGB = (222, 128, 132)
_PRINT_RGB = (30, 30, 34)
_STAMP_COLOURS = ((196, 36, 48), (36, 72, 184), (112, 48, 160))  # red, blue, violet
_STRING_COLOURS = ((196, 40, 40), (40, 140, 64), (40, 84, 184), (222, 178, 40), (226, 110, 30))
_CHALK_COLOURS = ((238, 238, 230), (236, 226, 160))
_BOARD_COLOURS = ((40, 66, 52), (36, 40, 40))
_FORM_LABELS = ("Subject:", "Topic:", "Notes:", "Details:", "Remarks:", "Other:")


@attrs.frozen(eq=False)
class ConditionPage(RenderedPage):
    """A rendered condition: the page, plus what a test needs to check it.

    ``ink`` is the coverage (0..1) of the true strokes in image pixels;
    ``distractor`` the coverage of what the condition added that is not
    handwriting (rules, grid, print, stamp, string, the shadowed region; chalk
    dust on a board is texture and not marked); ``ink_rgb`` the pen's colour
    before light and camera.
    """

    ink: np.ndarray
    distractor: np.ndarray
    ink_rgb: tuple[int, int, int]


@attrs.frozen(eq=False)
class _Canvas:
    """Everything a condition builder needs: geometry, the ink, the rules' grid, the random source."""

    shape: tuple[int, int]
    strokes: list[np.ndarray]
    pen_width: float
    ink: np.ndarray
    ink_rgb: np.ndarray
    spacing: float  # rule spacing in page pixels
    offset: float  # y of one rule in page pixels
    left: float  # x where the writing area starts (the margin left of the strokes)
    rng: np.random.Generator


_Builder = Callable[[_Canvas], tuple[np.ndarray, np.ndarray]]


def render_condition(
    strokes: Sequence[np.ndarray],
    condition: str,
    *,
    pen_width: float = 4.0,
    seed: int = 0,
    scale: float = 1.0,
    margin: float | None = None,
    ink: str | None = None,
    rules: tuple[float, float] | None = None,
) -> ConditionPage:
    """Draw ``strokes`` as a page of ``condition`` (one of :data:`CONDITIONS`).

    The arguments mean what they mean for :func:`render_page`: ``rules =
    (spacing, y)`` in the strokes' frame places rules, grid lines and form
    field lines under the text baselines (default: every ``12 * pen_width``
    px from the top margin). ``ink`` is ignored on a blackboard (chalk).
    The ``form`` condition widens the page on the left, top and bottom for its
    print, so its strokes are shifted further than ``margin``.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    setup = Setup.of(strokes, pen_width=pen_width, seed=seed, scale=scale, margin=margin, ink=ink, rules=rules)
    rng, margin, ink_rgb, spacing, offset = setup.rng, setup.margin, setup.ink_rgb, setup.spacing, setup.offset
    pad = _form_pad(setup.placed, spacing) if condition == "form" else (0.0, 0.0, 0.0)
    placed = [p + [pad[0], pad[1]] for p in setup.placed]
    every = np.concatenate(placed) if placed else np.zeros((1, 2))
    width = int(np.ceil(every[:, 0].max() + margin)) + 1
    height = int(np.ceil(every[:, 1].max() + margin + pad[2])) + 1
    canvas = _Canvas(
        shape=(height, width),
        strokes=placed,
        pen_width=float(pen_width),
        ink=stroke_coverage(placed, pen_width, (height, width)),
        ink_rgb=ink_rgb,
        spacing=spacing,
        offset=offset + pad[1],
        left=margin + pad[0],
        rng=rng,
    )
    image, distractor = _BUILDERS[condition](canvas)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    colour = tuple(int(v) for v in canvas.ink_rgb)
    return ConditionPage(
        image=image,
        strokes=placed,
        pen_width=float(pen_width),
        ink=canvas.ink,
        distractor=distractor.astype(np.float32),
        ink_rgb=(colour[0], colour[1], colour[2]),
    )


# --- drawing helpers -------------------------------------------------------------------------------


def _paper(rng: np.random.Generator, shape: tuple[int, int], rgb: Sequence[float]) -> np.ndarray:
    """Paper of colour ``rgb`` (jittered by ``rng``) with fibre and cockling texture."""
    tint = np.array(rgb, np.float32) + rng.normal(0.0, 3.0, size=3).astype(np.float32)
    texture = 2.5 * smooth_noise(rng, shape, 24) + 1.2 * smooth_noise(rng, shape, 3)
    return tint + texture[..., None]


def _segments(shape: tuple[int, int], segments: Sequence[Sequence[float]], thickness: float) -> np.ndarray:
    """Coverage of straight lines ``(x0, y0, x1, y1)`` (page pixels), drawn 4x supersampled."""
    big = np.zeros((shape[0] * _SS, shape[1] * _SS), dtype=np.uint8)
    t = max(1, int(round(thickness * _SS)))
    for x0, y0, x1, y1 in segments:
        a, b = _hires(np.array([[x0, y0], [x1, y1]], dtype=np.float64))
        cv2.line(big, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 255, t, cv2.LINE_AA, shift=4)
    return _downsample(big, shape)


def _rows(shape: tuple[int, int], spacing: float, offset: float) -> np.ndarray:
    """The y of every rule ``spacing`` apart through ``offset`` that lies on the page."""
    first = offset - np.floor(offset / spacing) * spacing
    return np.arange(first, shape[0], spacing)


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    """Aileron Regular at ``size`` px: the TrueType face Pillow itself ships (no system font, no download)."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType: no real face to draw
        raise RuntimeError("printed text needs Pillow with FreeType support")
    return font


def _text_size(text: str, size: float) -> tuple[float, float]:
    """Width and height (page pixels) of ``text`` printed ``size`` px high."""
    left, top, right, bottom = _font(int(round(size * _SS))).getbbox(text)
    return (right - left) / _SS, (bottom - top) / _SS


def _print(shape: tuple[int, int], items: Sequence[tuple[str, float, float, float]], bold: bool = False) -> np.ndarray:
    """Coverage of printed ``(text, x, baseline_y, size)`` items, rendered 4x supersampled then reduced."""
    big = Image.new("L", (shape[1] * _SS, shape[0] * _SS), 0)
    draw = ImageDraw.Draw(big)
    for text, x, y, size in items:
        font = _font(int(round(size * _SS)))
        draw.text((x * _SS, y * _SS), text, font=font, fill=255, anchor="ls", stroke_width=_SS // 2 if bold else 0)
    return _downsample(np.asarray(big), shape)


def _camera(image: np.ndarray, rng: np.random.Generator, noise: float, quality: tuple[int, int]) -> np.ndarray:
    """What a phone adds last: sensor noise and JPEG at a quality drawn from ``quality``."""
    image = image + rng.normal(0.0, noise, size=image.shape).astype(np.float32)
    return jpeg(image, quality=int(rng.integers(*quality)))


def _light(rng: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """Uneven brightness (1 at best): a gradient across the page and a vignette, ``strength`` deep."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / max(w - 1, 1) - 0.5, yy / max(h - 1, 1) - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    slope = 0.5 + 0.7 * (u * np.cos(theta) + v * np.sin(theta))  # 0..1 across the page
    field = 1.0 - strength * slope - 0.6 * strength * (u**2 + v**2)
    return field.astype(np.float32)


def _ink_over(canvas: _Canvas, image: np.ndarray) -> np.ndarray:
    """The pen's ink on ``image``, with the same slight colour noise and opacity as :func:`render_page`."""
    h, w = canvas.shape
    field = canvas.ink_rgb + canvas.rng.normal(0.0, 6.0, size=(h, w, 1)).astype(np.float32)
    return over(image, canvas.ink * canvas.rng.uniform(0.9, 0.97), field)


# --- the conditions --------------------------------------------------------------------------------


def _rules_warm(colour: str) -> _Builder:
    def build(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
        rng, shape = canvas.rng, canvas.shape
        image = _paper(rng, shape, (243, 239, 228))
        thickness = rng.uniform(1.0, 1.4)
        rules = _segments(
            shape, [(0, y, shape[1] - 1, y) for y in _rows(shape, canvas.spacing, canvas.offset)], thickness
        )
        image = over(image, rules * rng.uniform(0.55, 0.75), np.array(_RULE_COLOURS[colour], np.float32))
        distractor = rules
        if colour == "blue":  # a school notebook: blue rules and a red margin line
            x = 0.6 * canvas.left
            red = _segments(shape, [(x, 0, x, shape[0] - 1)], thickness)
            image = over(image, red * 0.8, np.array(_MARGIN_RGB, np.float32))
            distractor = np.maximum(distractor, red)
        image = cv2.GaussianBlur(_ink_over(canvas, image), (0, 0), 0.7)
        # incandescent light: an orange cast (blue at about 60%), dimmer towards one side
        cast = np.array([1.0, rng.uniform(0.82, 0.88), rng.uniform(0.56, 0.66)], np.float32)
        image = image * (0.92 * _light(rng, shape, 0.25))[..., None] * cast
        return _camera(image, rng, 2.5, (78, 90)), distractor

    return build


def _grid(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    image = _paper(rng, shape, (246, 246, 242))
    step = 8.0 * canvas.pen_width
    rows = _rows(shape, step, canvas.offset)
    cols = _rows((shape[1], shape[0]), step, canvas.left)
    lines = [(0, y, shape[1] - 1, y) for y in rows] + [(x, 0, x, shape[0] - 1) for x in cols]
    grid = _segments(shape, lines, rng.uniform(0.9, 1.2))
    colour = np.array(((150, 176, 204), (150, 190, 170), (160, 160, 164))[rng.integers(3)], np.float32)
    image = over(image, grid * rng.uniform(0.5, 0.7), colour)
    image = cv2.GaussianBlur(_ink_over(canvas, image), (0, 0), 0.6)
    image = image * (0.97 * _light(rng, shape, 0.12))[..., None]
    return _camera(image, rng, 2.0, (80, 92)), grid


def _label_size(spacing: float) -> float:
    """Printed label height: about a third of the line spacing (8-9 pt beside a 7 mm rule)."""
    return 0.3 * spacing


def _form_pad(strokes: list[np.ndarray], spacing: float) -> tuple[float, float, float]:
    """Room (left, top, bottom) a form needs around the writing for its labels, heading and note."""
    size = _label_size(spacing)
    left = max(_text_size(label, size)[0] for label in _FORM_LABELS[: len(_baselines(strokes, spacing, None))])
    return left + 1.2 * size, 3.0 * size, 2.0 * size


def _baselines(strokes: list[np.ndarray], spacing: float, offset: float | None) -> list[tuple[float, float]]:
    """Per text line: its baseline (85th percentile of y, moved onto the nearest rule through ``offset``) and left x."""
    out = []
    for line in text_lines(strokes, 0.4 * spacing):
        pts = np.concatenate([strokes[i] for i in line])
        y = float(np.percentile(pts[:, 1], 85))
        if offset is not None:
            y = offset + round((y - offset) / spacing) * spacing
        out.append((y, float(pts[:, 0].min())))
    return out


def _form(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    h, w = shape
    image = _paper(rng, shape, (247, 247, 244))
    size = _label_size(canvas.spacing)
    lines = _baselines(canvas.strokes, canvas.spacing, canvas.offset)
    x0 = canvas.left - 1.0 * size  # labels end here: about a letter before the writing starts
    items, fields = [], []
    for (y, _), label in zip(lines, _FORM_LABELS):
        items.append((label, x0 - _text_size(label, size)[0], y - 0.15 * size, size))
        fields.append((x0 + 0.3 * size, y, w - 0.5 * size, y))
    top = min(float(s[:, 1].min()) for s in canvas.strokes if len(s)) - 1.4 * size
    bottom = max(float(s[:, 1].max()) for s in canvas.strokes if len(s)) + 1.0 * size
    items.append(
        (
            "Ref. 2024/118   Page 1 of 1",
            w - 0.4 * size - _text_size("Ref. 2024/118   Page 1 of 1", 0.8 * size)[0],
            top - 0.3 * size,
            0.8 * size,
        )
    )
    items.append(("Please write clearly in ink. Office use only.", 0.6 * size, bottom + 1.2 * size, 0.8 * size))
    heading = _print(shape, [("MEETING RECORD", 0.6 * size, top - 0.3 * size, 1.3 * size)], bold=True)
    box = [(0.3 * size, top, w - 0.3 * size, top), (0.3 * size, bottom, w - 0.3 * size, bottom)]
    box += [(0.3 * size, top, 0.3 * size, bottom), (w - 0.3 * size, top, w - 0.3 * size, bottom)]
    structure = np.maximum(_segments(shape, fields, 1.0), _segments(shape, box, 1.5))
    printed = np.maximum(_print(shape, items), heading)
    distractor = np.maximum(structure, printed)
    image = over(image, distractor * rng.uniform(0.85, 0.95), np.array(_PRINT_RGB, np.float32))
    image = cv2.GaussianBlur(_ink_over(canvas, image), (0, 0), 0.6)
    image = image * (0.96 * _light(rng, (h, w), 0.12))[..., None]
    return _camera(image, rng, 2.0, (80, 92)), distractor


def _stamp_patch(rng: np.random.Generator, radius: float) -> np.ndarray:
    """An unrotated stamp (coverage, ``2 * radius + 1`` px square): a ring with text round it, or a double box."""
    side = int(2 * radius) + 1
    big = Image.new("L", (side * _SS, side * _SS), 0)
    draw = ImageDraw.Draw(big)
    r, c = radius * _SS, side * _SS / 2.0
    if rng.random() < 0.5:
        draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=int(0.08 * r))
        inner = 0.68 * r
        draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=int(0.035 * r))
        text_size = int(0.2 * r)
        font = _font(text_size)
        ring = "CITY REGISTRY OFFICE * RECEIVED * "
        for i, ch in enumerate(ring):  # each letter upright towards the rim, clockwise from the top
            angle = 2 * np.pi * i / len(ring)
            glyph = Image.new("L", (2 * text_size, 2 * text_size), 0)
            ImageDraw.Draw(glyph).text((text_size, text_size), ch, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(-np.degrees(angle), resample=Image.Resampling.BICUBIC)
            rr = 0.84 * r
            x, y = c + rr * np.sin(angle) - text_size, c - rr * np.cos(angle) - text_size
            big.paste(255, (int(x), int(y)), glyph)
        draw.text((c, c - 0.12 * r), "12 MAR", font=_font(int(0.26 * r)), fill=255, anchor="mm")
        draw.text((c, c + 0.2 * r), "2024", font=_font(int(0.26 * r)), fill=255, anchor="mm")
    else:
        half = 0.45 * r
        for inset, width in ((0.0, 0.06 * r), (0.09 * r, 0.025 * r)):
            draw.rectangle(
                (c - r + inset, c - half + inset, c + r - inset, c + half - inset), outline=255, width=int(width)
            )
        draw.text((c, c - 0.12 * r), "RECEIVED", font=_font(int(0.3 * r)), fill=255, anchor="mm", stroke_width=_SS // 2)
        draw.text((c, c + 0.24 * r), "14 MAY 2024", font=_font(int(0.2 * r)), fill=255, anchor="mm")
    return _downsample(np.asarray(big), (side, side))


def _stamp(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    h, w = shape
    image = _ink_over(canvas, _paper(rng, shape, (245, 244, 240)))
    radius = min(25.0 * canvas.pen_width, 0.35 * min(h, w))
    patch = _stamp_patch(rng, radius)
    # over a word: near the centre of a stroke drawn by the seed, pressed a little off it
    long = [s for s in canvas.strokes if len(s) > 1] or canvas.strokes
    target = long[int(rng.integers(len(long)))].mean(axis=0)
    angle = rng.uniform(0, 2 * np.pi)
    centre = target + 0.4 * radius * np.array([np.cos(angle), np.sin(angle)])
    low = np.minimum([radius, radius], [w / 2, h / 2])  # the whole stamp on the page when it fits
    centre = np.clip(centre, low, [w, h] - low)
    m = cv2.getRotationMatrix2D(((patch.shape[1] - 1) / 2.0, (patch.shape[0] - 1) / 2.0), rng.uniform(-20, 20), 1.0)
    m[:, 2] += centre - (np.array(patch.shape[::-1]) - 1) / 2.0
    mask = cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
    grain = np.clip(0.75 + 0.3 * smooth_noise(rng, shape, 3) + 0.15 * smooth_noise(rng, shape, 20), 0.2, 1.0)
    alpha = mask * grain * rng.uniform(0.7, 0.85)
    colour = np.array(_STAMP_COLOURS[rng.integers(len(_STAMP_COLOURS))], np.float32) / 255.0
    image = image * (1.0 - alpha[..., None] * (1.0 - colour))  # stamp ink multiplies: what it covers stays darker
    image = cv2.GaussianBlur(image, (0, 0), 0.6) * (0.97 * _light(rng, shape, 0.12))[..., None]
    return _camera(image, rng, 2.0, (80, 92)), mask


def _string_path(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A string's centre line: a smooth sag from the left edge to the right edge through the middle band."""
    h, w = shape
    xs = np.linspace(-0.05 * w, 1.05 * w, 5)
    ys = rng.uniform(0.25 * h, 0.75 * h, size=len(xs))
    x = np.arange(xs[0], xs[-1], 0.5)
    return np.column_stack([x, CubicSpline(xs, ys, bc_type="natural")(x)])


def _string(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    h, w = shape
    image = _paper(rng, shape, (245, 243, 238))
    path = _string_path(rng, shape)
    width = rng.uniform(6.0, 12.0)
    body = stroke_coverage([path], width, shape)
    # where the nearest centre-line point is, how far along the string it lies, which way its normal points
    centre = np.zeros(shape, bool)
    along = np.zeros(shape, np.float32)
    normal = np.zeros(shape + (2,), np.float32)
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    ix, iy = np.rint(path[:, 0]).astype(int), np.rint(path[:, 1]).astype(int)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    centre[iy[inside], ix[inside]] = True
    along[iy[inside], ix[inside]] = length[inside]
    normal[iy[inside], ix[inside]] = np.column_stack([-tangent[inside, 1], tangent[inside, 0]])
    _, (ny, nx) = distance_transform_edt(~centre, return_indices=True)
    yy, xx = np.mgrid[0:h, 0:w]
    n = normal[ny, nx]
    across = ((xx - nx) * n[..., 0] + (yy - ny) * n[..., 1]) / (0.5 * width)  # -1..1 across the string
    across = np.clip(across, -1.0, 1.0).astype(np.float32)
    roundness = np.sqrt(1.0 - across**2)
    twist = 0.86 + 0.14 * np.sin(2 * np.pi * (along[ny, nx] + 0.5 * width * across) / (1.3 * width))
    highlight = 80.0 * np.exp(-(((across + 0.35) / 0.2) ** 2))
    colour = np.array(_STRING_COLOURS[rng.integers(len(_STRING_COLOURS))], np.float32)
    shaded = colour * ((0.45 + 0.55 * roundness) * twist)[..., None] + highlight[..., None]
    shadow = cv2.GaussianBlur(np.roll(body, (3, 2), axis=(0, 1)), (0, 0), 2.5)
    image = image * (1.0 - 0.35 * shadow)[..., None]
    image = over(image, body, shaded)
    image = cv2.GaussianBlur(_ink_over(canvas, image), (0, 0), 0.6)
    image = image * (0.97 * _light(rng, shape, 0.12))[..., None]
    return _camera(image, rng, 2.0, (80, 92)), body


def _blackboard(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    h, w = shape
    board = np.array(_BOARD_COLOURS[rng.integers(len(_BOARD_COLOURS))], np.float32)
    chalk = np.array(_CHALK_COLOURS[0 if rng.random() < 0.75 else 1], np.float32)
    canvas = attrs.evolve(canvas, ink_rgb=chalk)
    image = board + (3.0 * smooth_noise(rng, shape, 3) + 4.0 * smooth_noise(rng, shape, 30))[..., None]
    # wiped chalk dust: faint, smeared sideways, like a board cleaned with a sponge
    wiped = cv2.GaussianBlur(smooth_noise(rng, shape, 40), (0, 0), sigmaX=25.0, sigmaY=3.0)
    image = over(image, np.clip(0.07 + 0.06 * wiped, 0.0, 0.18), chalk)
    grain = np.clip(0.8 + 0.35 * smooth_noise(rng, shape, 2), 0.45, 1.0)  # chalk skips on the board's grain
    image = over(
        image, canvas.ink * grain * rng.uniform(0.85, 0.95), chalk + rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    )
    image = cv2.GaussianBlur(image, (0, 0), 0.8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    glare = 60.0 * np.exp(-(((xx - gx) / (0.25 * w)) ** 2 + ((yy - gy) / (0.3 * h)) ** 2))
    image = image * _light(rng, shape, 0.15)[..., None] + glare[..., None]
    return _camera(image, rng, 3.0, (75, 88)), np.zeros(shape, np.float32)


def _shadow(canvas: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    rng, shape = canvas.rng, canvas.shape
    h, w = shape
    image = _ink_over(canvas, _paper(rng, shape, (246, 245, 241)))
    image = cv2.GaussianBlur(image, (0, 0), 0.6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phi = rng.uniform(0, 2 * np.pi)
    side = (xx - w / 2) * np.cos(phi) + (yy - h / 2) * np.sin(phi)
    side += 0.04 * max(h, w) * smooth_noise(rng, shape, max(8, max(h, w) // 6))  # a hand's or a phone's wavy edge
    edge = float(np.quantile(side, 2 / 3))  # the far third of the page along a drawn direction
    soft = 0.03 * np.hypot(h, w)
    region = (1.0 / (1.0 + np.exp(-(side - edge) / soft))).astype(np.float32)
    depth = np.array([0.62, 0.60, 0.54], np.float32) * rng.uniform(0.95, 1.05)  # down to about 40%, bluish
    image = image * (1.0 - region[..., None] * depth) * (0.97 * _light(rng, shape, 0.1))[..., None]
    return _camera(image, rng, 3.0, (75, 88)), region


_BUILDERS: dict[str, _Builder] = {
    "rules_warm_grey": _rules_warm("grey"),
    "rules_warm_brown": _rules_warm("brown"),
    "rules_warm_blue": _rules_warm("blue"),
    "grid": _grid,
    "form": _form,
    "stamp": _stamp,
    "string": _string,
    "blackboard": _blackboard,
    "shadow": _shadow,
}
