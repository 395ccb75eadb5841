"""Animated replays of a page being written: GIF, WebP and APNG.

Like the figures of the InkSight paper: the page (its photo faded under the
ink, or white paper) and the strokes appearing as the page clock (the
strokes' time channel, see :func:`inksight_sdk.layout.assign_time`) runs.
Pages without a clock (ink read from files that have none) are timed the
same way the pipeline times converted ink. Pages play one after another.

Frames are drawn incrementally: each frame adds only the segments whose
time fell in it (anti-aliased OpenCV polylines, the strokes' own width) and
re-maps only the changed rectangle to the palette, so a frame costs what
its new ink costs. All frames share one palette made from the finished
pages, so pixels that do not change keep their index and the encoders
(Pillow's) store only the changed rectangles.

The file must fit ``max_bytes``: when it does not, the replay is encoded
again smaller (frame size, then frame rate, then colours) until it does, or
an :class:`~inksight_sdk.errors.OutputFileError` says it cannot and nothing
is written. The default, 8 MB, is below the smallest upload limit of the
common chat apps (10 MB on Discord without a subscription; WhatsApp takes
16 MB, Telegram, Signal and Slack far more).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator, Sequence

import attrs
import numpy as np
from PIL import Image

from ..errors import OutputFileError
from ..ink import InkDocument, Page, Stroke
from .photo import faded, load_photo, source_path

__all__ = ["FORMATS", "ReplayOptions", "frames", "frame_count", "encode", "DEFAULT_MAX_BYTES"]

log = logging.getLogger(__name__)

#: the animated formats (exporter names)
FORMATS = ("gif", "webp", "apng")
#: default size limit of a replay file (bytes)
DEFAULT_MAX_BYTES = 8_000_000
_MIN_SIDE = 200
_MIN_FPS = 4.0
_MIN_COLOURS = 16
_SUBPIXEL = 4  # OpenCV fixed-point bits: coordinates to 1/16 pixel


def _hex_colour(instance: object, attribute: attrs.Attribute, value: str) -> None:
    digits = "0123456789abcdefABCDEF"
    if not (isinstance(value, str) and len(value) == 7 and value[0] == "#" and all(c in digits for c in value[1:])):
        raise ValueError(f"{attribute.name} must be a colour like #1a237e, got {value!r}")


def _between(low: float, high: float):  # type: ignore[no-untyped-def]
    def check(instance: object, attribute: attrs.Attribute, value: float | None) -> None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"{attribute.name} must be between {low:g} and {high:g}, got {value!r}")

    return check


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@attrs.frozen
class ReplayOptions:
    """Options of the animated exporters (``--export-option key=value``).

    ``speed``: page clock seconds per second of replay (2: twice as fast);
    ``max_duration``: seconds the writing may take at most, the clock runs
    faster beyond (``None``: no cap); ``hold``: seconds the finished page
    stays; ``fps``: frames per second; ``max_side``: largest frame side in
    pixels (pages are never enlarged); ``background``: ``photo`` (the
    converted photo faded to ``photo_opacity``; white when there is none)
    or ``white``; ``colour`` of the ink or ``colour_by_order`` (red to
    violet); ``stroke_width`` in page pixels instead of the strokes' own;
    ``loop``: times to play, 0 forever; ``max_bytes``: the file size limit;
    ``colours``: palette size.
    """

    speed: float = attrs.field(default=1.0, converter=float, validator=_between(0.001, 10_000))
    max_duration: float | None = attrs.field(default=30.0, converter=_optional_float, validator=_between(0.1, 3600))
    hold: float = attrs.field(default=2.0, converter=float, validator=_between(0, 600))
    fps: float = attrs.field(default=15.0, converter=float, validator=_between(1, 50))
    max_side: int = attrs.field(default=800, converter=_whole, validator=_between(16, 4096))
    background: str = attrs.field(default="photo", validator=attrs.validators.in_(("photo", "white")))
    photo_opacity: float = attrs.field(default=0.45, converter=float, validator=_between(0, 1))
    colour: str = attrs.field(default="#1a237e", validator=_hex_colour)
    colour_by_order: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    stroke_width: float | None = attrs.field(default=None, converter=_optional_float, validator=_between(0.01, 1000))
    loop: int = attrs.field(default=0, converter=_whole, validator=_between(0, 65535))
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, converter=_whole, validator=_between(1024, 1 << 40))
    colours: int = attrs.field(default=256, converter=_whole, validator=_between(2, 256))


def _rgb(hex_rgb: str) -> tuple[int, int, int]:
    return int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16)


@attrs.frozen
class _Timed:
    """A page's strokes on its clock, in canvas pixels, with their pen."""

    points: tuple[np.ndarray, ...]  # (n, 2) float64 canvas coordinates
    times: tuple[np.ndarray, ...]  # (n,) float64 page clock
    colours: tuple[tuple[int, int, int], ...]
    thickness: tuple[int, ...]

    @property
    def start(self) -> float:
        return min((float(t[0]) for t in self.times), default=0.0)

    @property
    def end(self) -> float:
        return max((float(t[-1]) for t in self.times), default=0.0)


def _clocked(page: Page) -> list[Stroke]:
    """The page's non-empty strokes with a time channel (timed like the pipeline when some lack one)."""
    strokes = [s for s in page.strokes() if len(s)]
    if all(s.t is not None for s in strokes):
        return strokes
    from ..layout import assign_time

    return [s for w in assign_time(page.words) for s in w.strokes if len(s)]


def _timed(page: Page, scale: float, options: ReplayOptions) -> _Timed:
    from .svg import _order_colour

    strokes = _clocked(page)
    n = len(strokes)
    colours, thickness = [], []
    for i, stroke in enumerate(strokes):
        colours.append(_rgb(_order_colour(i, n) if options.colour_by_order else options.colour))
        width = options.stroke_width or (float(np.median(stroke.width)) if stroke.width is not None else 2.0)
        thickness.append(max(1, round(width * scale)))
    return _Timed(
        points=tuple((s.points.astype(np.float64) + 0.5) * scale - 0.5 for s in strokes),
        times=tuple(np.asarray(s.t, dtype=np.float64) for s in strokes),
        colours=tuple(colours),
        thickness=tuple(thickness),
    )


def _draw(canvas: np.ndarray, pts: np.ndarray, colour: tuple[int, int, int], thickness: int) -> tuple[int, ...]:
    """Draw a polyline (or a dot) anti-aliased; returns the changed box (x0, y0, x1, y1)."""
    import cv2

    fixed = np.round(pts * (1 << _SUBPIXEL)).astype(np.int32)
    if len(pts) == 1:
        radius = max(1, thickness // 2) << _SUBPIXEL
        cv2.circle(canvas, tuple(fixed[0].tolist()), radius, colour, -1, cv2.LINE_AA, _SUBPIXEL)
    else:
        cv2.polylines(canvas, [fixed.reshape(-1, 1, 2)], False, colour, thickness, cv2.LINE_AA, _SUBPIXEL)
    pad = thickness + 2
    h, w = canvas.shape[:2]
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + pad + 1
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


class _Player:
    """Adds a page's ink to its canvas up to a clock time: the pen moves between points as the clock runs."""

    def __init__(self, timed: _Timed, canvas: np.ndarray) -> None:
        self.timed = timed
        self.canvas = canvas
        self.drawn = [0] * len(timed.points)  # points passed, per stroke
        self.pen: dict[int, np.ndarray] = {}  # where the pen of each stroke being written is
        starts = np.array([t[0] for t in timed.times], dtype=np.float64)
        self.order = np.argsort(starts, kind="stable")
        self.starts = starts[self.order]
        self.started = 0

    def advance(self, until: float) -> list[tuple[int, ...]]:
        """Draw everything written up to ``until``; the boxes that changed."""
        stop = int(np.searchsorted(self.starts, until, side="right"))
        for i in self.order[self.started : stop].tolist():
            self.pen[i] = self.timed.points[i][0]
        self.started = stop
        boxes = []
        for i in sorted(self.pen):
            box = self._extend(i, until)
            if box is not None:
                boxes.append(box)
        return boxes

    def _extend(self, i: int, until: float) -> tuple[int, ...] | None:
        t, pts = self.timed.times[i], self.timed.points[i]
        reached = int(np.searchsorted(t, until, side="right"))
        path = [self.pen[i][None], pts[max(self.drawn[i], 1) : reached]]
        if reached < len(pts):  # between two points: the pen is part of the way along
            frac = (until - t[reached - 1]) / (t[reached] - t[reached - 1])
            path.append((pts[reached - 1] + frac * (pts[reached] - pts[reached - 1]))[None])
        else:
            del self.pen[i]
        line = np.concatenate(path)
        self.drawn[i] = reached
        if len(pts) > 1 and np.array_equal(line[0], line[-1]) and len(line) <= 2:
            return None  # the pen has not moved
        if i in self.pen:
            self.pen[i] = line[-1]
        return _draw(self.canvas, line[:1] if len(pts) == 1 else line, self.timed.colours[i], self.timed.thickness[i])


@attrs.frozen
class _Plan:
    """Sizes and timing of one replay."""

    pages: tuple[Page, ...]
    scales: tuple[float, ...]
    size: tuple[int, int]  # canvas width, height
    fps: float
    speed: float  # effective: clock seconds per replay second
    colours: int


def _plan(document: InkDocument, options: ReplayOptions, side: int, fps: float, colours: int) -> _Plan:
    pages = document.pages or (Page(width=1, height=1),)
    scales = tuple(min(1.0, side / max(p.width, p.height)) for p in pages)
    width = max(max(1, round(p.width * s)) for p, s in zip(pages, scales))
    height = max(max(1, round(p.height * s)) for p, s in zip(pages, scales))
    clock = sum(_span(p) for p in pages)
    speed = options.speed
    if options.max_duration is not None and clock / speed > options.max_duration:
        speed = clock / options.max_duration
    return _Plan(pages=pages, scales=scales, size=(width, height), fps=fps, speed=speed, colours=colours)


def _span(page: Page) -> float:
    strokes = _clocked(page)
    if not strokes:
        return 0.0
    return max(float(s.t[-1]) for s in strokes) - min(float(s.t[0]) for s in strokes)  # type: ignore[index]


def frame_count(span: float, speed: float, fps: float) -> int:
    """Frames that show a page whose clock runs ``span`` seconds: one per ``1/fps`` of replay, at least one."""
    return max(1, math.ceil(span / speed * fps - 1e-9))


def _background(document: InkDocument, page: Page, size: tuple[int, int], options: ReplayOptions) -> np.ndarray:
    """The canvas of one page: its faded photo (or white) at the top left of a white frame."""
    canvas = np.full((size[1], size[0], 3), 255, np.uint8)
    path = source_path(document, page) if options.background == "photo" else None
    return canvas if path is None else _with_photo(canvas, path, page, options)


def _with_photo(canvas: np.ndarray, path: str, page: Page, options: ReplayOptions) -> np.ndarray:
    scale = min(1.0, canvas.shape[1] / page.width, canvas.shape[0] / page.height)
    w, h = max(1, round(page.width * scale)), max(1, round(page.height * scale))
    photo = load_photo(path, page.index, (w, h))
    if photo is not None:
        canvas[:h, :w] = np.asarray(faded(photo, options.photo_opacity))
    return canvas


def _finished(document: InkDocument, plan: _Plan, options: ReplayOptions) -> list[np.ndarray]:
    """Every page bare and with all its ink: the colours the palette must hold."""
    out = []
    for page, scale in zip(plan.pages, plan.scales):
        canvas = _background(document, page, plan.size, options)
        out.append(canvas.copy())  # the photo under the ink shows while the page is being written
        _Player(_timed(page, scale, options), canvas).advance(math.inf)
        out.append(canvas)
    return out


def _palette(finished: Sequence[np.ndarray], colours: int) -> Image.Image:
    stacked = Image.fromarray(np.concatenate(finished, axis=0))
    if stacked.width * stacked.height > 4_000_000:
        factor = math.sqrt(4_000_000 / (stacked.width * stacked.height))
        stacked = stacked.resize((max(1, int(stacked.width * factor)), max(1, int(stacked.height * factor))))
    return stacked.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)


def _indexed(rgb: np.ndarray, palette: Image.Image) -> np.ndarray:
    return np.array(Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE))


def _rendered(
    document: InkDocument, plan: _Plan, options: ReplayOptions
) -> Iterator[tuple[np.ndarray, list[tuple[int, ...]], float, bool]]:
    """Each frame: the canvas (one array per page, updated in place), the boxes that changed,
    its duration in seconds, and whether it is a page's first."""
    step = 1.0 / plan.fps
    for page, scale in zip(plan.pages, plan.scales):
        timed = _timed(page, scale, options)
        canvas = _background(document, page, plan.size, options)
        player = _Player(timed, canvas)
        n = frame_count(timed.end - timed.start, plan.speed, plan.fps)
        for k in range(n):
            last = k == n - 1
            boxes = player.advance(math.inf if last else timed.start + (k + 1) * step * plan.speed)
            yield canvas, boxes, step + (options.hold if last else 0.0), k == 0


def frames(document: InkDocument, options: ReplayOptions | None = None) -> Iterator[tuple[np.ndarray, float]]:
    """The replay's frames as ``(h, w, 3) uint8`` RGB copies with their durations in seconds.

    Full size and colour, one per ``1/fps`` of replay: what the encoders
    start from (they merge frames where nothing changed).
    """
    options = options or ReplayOptions()
    plan = _plan(document, options, options.max_side, options.fps, options.colours)
    for canvas, _, seconds, _ in _rendered(document, plan, options):
        yield canvas.copy(), seconds


def _palette_frames(
    document: InkDocument, plan: _Plan, options: ReplayOptions, grid_ms: int
) -> tuple[list[Image.Image], list[int]]:
    """Palette images of the frames and their durations on a ``grid_ms`` grid (identical neighbours merged)."""
    palette = _palette(_finished(document, plan, options), plan.colours)
    flat_palette = palette.getpalette()
    images: list[Image.Image] = []
    ends: list[float] = []
    clock = 0.0
    index = np.zeros(0, np.uint8)
    for canvas, boxes, seconds, first in _rendered(document, plan, options):
        clock += seconds
        if first:
            index = _indexed(canvas, palette)
        elif not boxes:
            ends[-1] = clock  # nothing new: the previous frame stays longer
            continue
        for x0, y0, x1, y1 in boxes:
            if x1 > x0 and y1 > y0 and not first:
                index[y0:y1, x0:x1] = _indexed(np.ascontiguousarray(canvas[y0:y1, x0:x1]), palette)
        image = Image.fromarray(index.copy())
        image.putpalette(flat_palette)
        images.append(image)
        ends.append(clock)
    cumulative = [round(e * 1000 / grid_ms) * grid_ms for e in ends]
    durations = [max(grid_ms, b - a) for a, b in zip([0, *cumulative[:-1]], cumulative)]
    return images, durations


def _encode_once(document: InkDocument, options: ReplayOptions, fmt: str, side: int, fps: float, colours: int) -> bytes:
    plan = _plan(document, options, side, fps, colours)
    images, durations = _palette_frames(document, plan, options, grid_ms=10 if fmt == "gif" else 1)
    buffer = io.BytesIO()
    first, rest = images[0], images[1:]
    if fmt == "gif":
        first.save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=rest,
            duration=durations,
            # GIF counts repeats after the first play (0: forever); without the count it plays once
            loop=None if options.loop == 1 else max(options.loop - 1, 0),
            palette=bytes(first.getpalette() or ()),  # one global table, none per frame
            optimize=True,  # unchanged pixels inside a frame's box become transparent: smaller LZW
        )
    elif fmt == "webp":
        first.save(
            buffer,
            format="WEBP",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=options.loop,
            lossless=True,  # exact palette frames: smaller than lossy here, and no colour drift
            kmin=0,
            kmax=0,  # no key frames: each frame stores only its new ink
        )
    else:
        first.save(buffer, format="PNG", save_all=True, append_images=rest, duration=durations, loop=options.loop)
    return buffer.getvalue()


def encode(document: InkDocument, fmt: str, options: ReplayOptions | None = None) -> bytes:
    """The replay as a ``fmt`` file (one of :data:`FORMATS`) of at most ``options.max_bytes``.

    Too large, it is encoded again with a smaller frame (down to 200 pixels),
    then a lower frame rate (down to 4 fps), then fewer colours (down to 16);
    if it still does not fit, :class:`OutputFileError`.
    """
    options = options or ReplayOptions()
    if fmt not in FORMATS:
        raise ValueError(f"unknown replay format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pages = document.pages or (Page(width=1, height=1),)
    side = min(options.max_side, max(max(p.width, p.height) for p in pages))
    fps, colours = options.fps, options.colours
    while True:
        data = _encode_once(document, options, fmt, side, fps, colours)
        log.info("%s replay: %d px, %g fps, %d colours: %d bytes", fmt, side, fps, colours, len(data))
        if len(data) <= options.max_bytes:
            return data
        ratio = options.max_bytes / len(data)
        if side > _MIN_SIDE:
            side = max(_MIN_SIDE, int(side * math.sqrt(ratio) * 0.95))
        elif fps > _MIN_FPS:
            fps = max(_MIN_FPS, fps * ratio * 0.9)
        elif colours > _MIN_COLOURS:
            colours = max(_MIN_COLOURS, colours // 2)
        else:
            raise OutputFileError(
                f"the {fmt} replay is {len(data):,} bytes even at {side} px, {fps:g} fps and {colours} colours, "
                f"over max_bytes={options.max_bytes:,}; raise max_bytes, or lower max_duration or hold"
            )
