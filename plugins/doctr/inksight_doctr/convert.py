"""docTR's ``Document`` (pages -> blocks -> lines -> words) as inksight :class:`Layout` objects.

docTR gives each word's geometry relative to the page it was handed (0..1
of its width and height, after its detector removed its own resize and
padding): a straight box ``((xmin, ymin), (xmax, ymax))``, or with
``assume_straight_pages=False`` a ``(4, 2)`` polygon ordered top-left,
top-right, bottom-right, bottom-left of the word as it reads (docTR cuts
the recognition crop from corners 0, 1, 2 and turns the polygon with the
crop orientation). The coordinates sit on pixel edges: docTR's detector
divides bounding-rectangle edges ``x`` and ``x + w`` by the map's size and
cuts crops from ``xmin * width``. So a corner maps to the input image's
pixel centres as ``relative * size - 0.5``, with the size of the input
image, whatever size docTR ran its models at.

Only duck typing on docTR's elements: this module imports neither docTR
nor torch, so documents built by docTR's own classes in tests convert
exactly as the predictor's do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from inksight_sdk.stages import DetectedWord, Layout

__all__ = ["document_to_layouts", "page_to_layout", "relative_corners"]


def relative_corners(geometry: Any) -> np.ndarray:
    """A docTR geometry as ``(4, 2)`` relative corners, TL TR BR BL (straight boxes are expanded)."""
    points = np.asarray(geometry, dtype=np.float64)
    if points.shape == (2, 2):
        (x0, y0), (x1, y1) = points
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    if points.shape == (4, 2):
        return points
    raise ValueError(f"a docTR word geometry is ((xmin, ymin), (xmax, ymax)) or (4, 2) corners, got {points.shape}")


def _script(text: str) -> str | None:
    """``cjk`` or ``latin`` from the letters of a word; ``None`` when it has neither (digits, signs)."""
    latin = False
    for char in text:
        name = unicodedata.name(char, "")
        if name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL")):
            return "cjk"
        latin = latin or name.startswith("LATIN ")
    return "latin" if latin else None


def _area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def page_to_layout(page: Any, shape: tuple[int, ...], min_confidence: float = 0.0) -> Layout:
    """The words of one docTR ``Page`` with quads in the pixel centres of an input image of ``shape`` (h, w, ...).

    Words whose text confidence is under ``min_confidence`` are left out,
    and so are words whose quad has less than a pixel of area (docTR clips
    corners to the page, so a box it found off the page, in the padding of
    a page it scaled or straightened, comes back flattened onto the
    border); a word read as nothing keeps its quad with no text. Block ids
    count docTR's blocks in its order, line ids the lines within their
    block, both skipping blocks and lines left without a word.
    """
    height, width = shape[:2]
    size = np.array([width, height], dtype=np.float64)
    words: list[DetectedWord] = []
    block_id = 0
    for block in page.blocks:
        line_id = 0
        for line in block.lines:
            kept = [w for w in (_word(word, size, min_confidence) for word in line.words) if w is not None]
            words.extend(attrs.evolve(w, block=block_id, line=line_id) for w in kept)
            line_id += bool(kept)
        block_id += bool(line_id)
    return Layout(words=words)


def _word(word: Any, size: np.ndarray, min_confidence: float) -> DetectedWord | None:
    confidence = float(word.confidence)
    if confidence < min_confidence:
        return None
    quad = relative_corners(word.geometry) * size - 0.5
    if _area(quad) < 1.0:
        return None
    text = word.value or None
    return DetectedWord(quad=quad, text=text, confidence=min(max(confidence, 0.0), 1.0), script=_script(text or ""))


def document_to_layouts(document: Any, shapes: Sequence[tuple[int, ...]], min_confidence: float = 0.0) -> list[Layout]:
    """One :class:`Layout` per page of a docTR ``Document``, page ``i`` mapped to ``shapes[i]``."""
    if len(document.pages) != len(shapes):
        raise ValueError(f"the document has {len(document.pages)} pages for {len(shapes)} images")
    return [page_to_layout(page, shape, min_confidence) for page, shape in zip(document.pages, shapes)]
