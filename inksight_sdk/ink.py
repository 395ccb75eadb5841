"""The ink data model: strokes, words, pages and documents.

Every stage of the pipeline exchanges these plain, immutable values. They are
attrs classes (frozen, slotted) holding numpy arrays; arrays are copied and made
read-only on construction so a value can be shared between threads and
pipelines without defensive copies. Validation happens here, once, so that
exporters and layout code can trust shapes and finiteness.

Coordinates are page pixels: x to the right, y down, origin at the top-left
corner of the input image (for PDFs, of the page rendered at ``dpi``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np

from .errors import InvalidInkError

__all__ = ["WORD_KINDS", "Stroke", "WordInk", "Page", "InkDocument", "DocumentMetadata"]

#: what a word on the page is: written by hand (traced), or printed or stamped (kept as a word, by default
#: without strokes: form labels, headings, typewriting, rubber stamps are not the writer's ink)
WORD_KINDS = ("handwritten", "printed", "stamp")


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _points(value: Any) -> np.ndarray:
    arr = np.array(value, dtype=np.float32, copy=True)
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInkError(f"stroke points must have shape (n, 2), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidInkError("stroke points contain NaN or infinite values")
    return _readonly(arr)


def _channel(dtype: type) -> Any:
    def convert(value: Any) -> np.ndarray | None:
        if value is None:
            return None
        arr = np.array(value, dtype=dtype, copy=True).reshape(-1)
        if not np.isfinite(arr).all():
            raise InvalidInkError("stroke channel contains NaN or infinite values")
        return _readonly(arr)

    return convert


def _quad(value: Any) -> np.ndarray:
    arr = np.array(value, dtype=np.float32, copy=True)
    if arr.shape != (4, 2):
        raise InvalidInkError(f"a word quad needs 4 corner points (4, 2), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidInkError("word quad contains NaN or infinite values")
    return _readonly(arr)


def _stroke_tuple(value: Iterable[Stroke]) -> tuple[Stroke, ...]:
    return tuple(value)


def _word_tuple(value: Iterable[WordInk]) -> tuple[WordInk, ...]:
    return tuple(value)


def _page_tuple(value: Iterable[Page]) -> tuple[Page, ...]:
    return tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _array_eq(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool(np.array_equal(a, b))


@attrs.frozen(eq=False)
class Stroke:
    """One pen-down trajectory.

    ``points`` is ``(n, 2) float32`` in page pixels. ``t`` (seconds, float64)
    is optional; when present it is non-decreasing. ``width`` (pen width in
    pixels) and ``pressure`` (0..1) are optional per-point channels.
    """

    points: np.ndarray = attrs.field(converter=_points)
    t: np.ndarray | None = attrs.field(default=None, converter=_channel(np.float64))
    width: np.ndarray | None = attrs.field(default=None, converter=_channel(np.float32))
    pressure: np.ndarray | None = attrs.field(default=None, converter=_channel(np.float32))

    def __attrs_post_init__(self) -> None:
        n = len(self.points)
        for name in ("t", "width", "pressure"):
            channel = getattr(self, name)
            if channel is not None and len(channel) != n:
                raise InvalidInkError(f"stroke has {n} points but {len(channel)} {name} values")
        if self.t is not None and n > 1 and bool(np.any(np.diff(self.t) < 0)):
            raise InvalidInkError("stroke time values must not decrease")

    def __len__(self) -> int:
        return len(self.points)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stroke):
            return NotImplemented
        return all(_array_eq(getattr(self, f), getattr(other, f)) for f in ("points", "t", "width", "pressure"))

    __hash__ = None  # type: ignore[assignment]

    def transformed(self, matrix: np.ndarray) -> Stroke:
        """Return the stroke mapped by a 2x3 (or 3x3) affine matrix.

        Widths are scaled by the mean linear scale of the matrix so a pen
        width keeps its meaning in the new frame.
        """
        m = np.asarray(matrix, dtype=np.float64)[:2]
        pts = self.points.astype(np.float64) @ m[:, :2].T + m[:, 2]
        width = None
        if self.width is not None:
            width = self.width * float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        return attrs.evolve(self, points=pts, width=width)

    def with_time(self, t: np.ndarray | None) -> Stroke:
        return attrs.evolve(self, t=t)

    def length(self) -> float:
        """Polyline arc length in pixels."""
        if len(self.points) < 2:
            return 0.0
        return float(np.linalg.norm(np.diff(self.points.astype(np.float64), axis=0), axis=1).sum())


@attrs.frozen(eq=False)
class WordInk:
    """The ink of one detected word, in page pixels.

    ``quad`` is the word's box as four corners (top-left, top-right,
    bottom-right, bottom-left in the word's own reading frame, so a rotated
    word has a rotated quad). ``block`` and ``line`` index the layout the
    detector reported; ``detector`` and ``derenderer`` record provenance.
    ``kind`` is one of :data:`WORD_KINDS`: a ``printed`` or ``stamp`` word
    keeps its place and text but, unless the caller asked for them to be
    traced, no strokes.
    """

    quad: np.ndarray = attrs.field(converter=_quad)
    strokes: tuple[Stroke, ...] = attrs.field(default=(), converter=_stroke_tuple)
    text: str | None = None
    confidence: float | None = None
    block: int = 0
    line: int = 0
    detector: str | None = None
    derenderer: str | None = None
    kind: str = attrs.field(default="handwritten", validator=attrs.validators.in_(WORD_KINDS))

    def __attrs_post_init__(self) -> None:
        for stroke in self.strokes:
            if not isinstance(stroke, Stroke):
                raise InvalidInkError(f"word strokes must be Stroke objects, got {type(stroke).__name__}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WordInk):
            return NotImplemented
        return (
            _array_eq(self.quad, other.quad)
            and self.strokes == other.strokes
            and (self.text, self.confidence, self.block, self.line, self.detector, self.derenderer, self.kind)
            == (other.text, other.confidence, other.block, other.line, other.detector, other.derenderer, other.kind)
        )

    __hash__ = None  # type: ignore[assignment]

    def transformed(self, matrix: np.ndarray) -> WordInk:
        m = np.asarray(matrix, dtype=np.float64)[:2]
        quad = self.quad.astype(np.float64) @ m[:, :2].T + m[:, 2]
        return attrs.evolve(self, quad=quad, strokes=tuple(s.transformed(m) for s in self.strokes))

    def _repr_svg_(self) -> str:
        from .formats.svg import render_svg

        return render_svg(InkDocument(pages=(Page.around_words((self,)),)))


@attrs.frozen(eq=False)
class Page:
    """One page of ink: its size in pixels, its words in reading order."""

    width: int
    height: int
    index: int = 0
    words: tuple[WordInk, ...] = attrs.field(default=(), converter=_word_tuple)
    image: str | None = None
    dpi: float | None = None
    direction: str = "ltr"

    def __attrs_post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise InvalidInkError(f"page size must be positive, got {self.width}x{self.height}")
        if self.direction not in ("ltr", "rtl", "ttb"):
            raise InvalidInkError(f"page direction must be ltr, rtl or ttb, got {self.direction!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Page):
            return NotImplemented
        return (self.width, self.height, self.index, self.words, self.image, self.dpi, self.direction) == (
            other.width,
            other.height,
            other.index,
            other.words,
            other.image,
            other.dpi,
            other.direction,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def around_words(cls, words: Sequence[WordInk], margin: float = 4.0) -> Page:
        """A page just large enough to show ``words`` (used to display one word)."""
        corners = [w.quad for w in words] + [s.points for w in words for s in w.strokes if len(s)]
        pts = np.concatenate(corners) if corners else np.zeros((1, 2), np.float32)
        lo = pts.min(axis=0) - margin
        shifted = [w.transformed(np.array([[1, 0, -lo[0]], [0, 1, -lo[1]]])) for w in words]
        size = np.ceil(pts.max(axis=0) - lo + margin)
        return cls(width=max(int(size[0]), 1), height=max(int(size[1]), 1), words=shifted)

    def strokes(self) -> Iterator[Stroke]:
        """All strokes of the page in reading (and writing) order."""
        for word in self.words:
            yield from word.strokes

    def transformed(self, matrix: np.ndarray, width: int, height: int) -> Page:
        return attrs.evolve(self, width=width, height=height, words=tuple(w.transformed(matrix) for w in self.words))

    def _repr_svg_(self) -> str:
        from .formats.svg import render_svg

        return render_svg(InkDocument(pages=(self,)))


@attrs.frozen
class DocumentMetadata:
    """Where a document came from and what made it.

    ``plugins`` maps each stage that ran to ``"name (distribution version)"``;
    ``problems`` lists words or pages that failed and were skipped, so a
    partial document says that it is partial.
    """

    source: str | None = None
    sdk_version: str | None = None
    plugins: dict[str, str] = attrs.field(factory=dict)
    dpi: float | None = None
    problems: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)


@attrs.frozen(eq=False)
class InkDocument:
    """A converted document: pages of ink plus metadata."""

    pages: tuple[Page, ...] = attrs.field(default=(), converter=_page_tuple)
    metadata: DocumentMetadata = attrs.field(factory=DocumentMetadata)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InkDocument):
            return NotImplemented
        return self.pages == other.pages and self.metadata == other.metadata

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[Page]:
        return iter(self.pages)

    def words(self) -> Iterable[WordInk]:
        for page in self.pages:
            yield from page.words

    def strokes(self) -> Iterable[Stroke]:
        for page in self.pages:
            yield from page.strokes()

    @property
    def complete(self) -> bool:
        """False when some word or page failed and was left out."""
        return not self.metadata.problems

    def save(self, path: str, format: str | None = None, **options: Any) -> None:
        """Write the document atomically; the format follows the extension unless given."""
        from .api import save_document

        save_document(self, path, format=format, **options)

    def _repr_svg_(self) -> str:
        from .formats.svg import render_svg

        return render_svg(self)
