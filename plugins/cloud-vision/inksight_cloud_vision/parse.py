"""Vision's ``full_text_annotation`` as an inksight :class:`~inksight_sdk.stages.Layout`.

The hierarchy is pages -> blocks -> paragraphs -> words -> symbols. Per word:

- **quad**: ``bounding_box.vertices``, which Vision gives "in the order of
  top-left, top-right, bottom-right, bottom-left" of the text read in its
  natural orientation, a rotated word keeping that order (the
  ``TextAnnotation.Word.bounding_box`` reference). That is the order of an
  inksight quad, so the vertices are only moved to the input's pixels.
  Vision's integers are pixel edges of the sent image; proto3 leaves a zero
  coordinate out of the wire and the message reads it back as 0, which is
  what Google documents for an absent coordinate. A box given only as
  ``normalized_vertices`` (0..1 of the sent size) is used the same way.
- **text**: the symbols' text joined; **confidence**: Vision's (0..1).
- **block**: Vision's text blocks in its order; **line**: counted within the
  block, a line ending after a word whose last symbol has a detected break
  ``EOL_SURE_SPACE`` (line wrap), ``LINE_BREAK`` (end of paragraph) or
  ``HYPHEN`` (end-of-line hyphen), and at each new paragraph.
- **script**: ``cjk`` for Chinese, Japanese or Korean text, ``latin`` for
  text in Latin letters, else unknown; the layout is ``rtl`` when most words
  are in a right-to-left language.

A word whose box is missing, not finite, degenerate, or further outside the
page than the page's own size is malformed: it is dropped and counted, the
page's other words kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from inksight_sdk.stages import DetectedWord, Layout

from .sending import SentImage

__all__ = ["ParsedPage", "parse_annotation", "LINE_ENDING_BREAKS"]

#: DetectedBreak.BreakType values after which a line ends: EOL_SURE_SPACE (3), HYPHEN (4), LINE_BREAK (5)
LINE_ENDING_BREAKS = frozenset({3, 4, 5})
#: Block.BlockType.TEXT; other blocks (tables, pictures, rulers, barcodes) carry no words of their own text
_TEXT_BLOCK = 1
_UNKNOWN_BLOCK = 0

_RTL = frozenset({"ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"})
_CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@attrs.frozen
class ParsedPage:
    """A page's layout and how many of Vision's words were dropped as malformed."""

    layout: Layout
    dropped: int = 0
    found: int = 0


def _languages(*properties: Any) -> list[str]:
    """The detected language codes of the innermost element that has any."""
    for prop in properties:
        codes = [lang.language_code.split("-")[0].lower() for lang in prop.detected_languages if lang.language_code]
        if codes:
            return codes
    return []


def _script(text: str, languages: Sequence[str]) -> str | None:
    if _CJK.search(text) or any(code in _CJK_LANGUAGES for code in languages):
        return "cjk"
    letters = [c for c in text if c.isalpha()]
    if letters and all(ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF for c in letters):
        return "latin"
    return None


def _box(poly: Any, sent: SentImage) -> np.ndarray | None:
    """The word's four vertices in sent-image pixels, or None when the answer has none usable."""
    if len(poly.vertices) == 4:
        return np.array([[v.x, v.y] for v in poly.vertices], np.float64)
    if len(poly.normalized_vertices) == 4:
        unit = np.array([[v.x, v.y] for v in poly.normalized_vertices], np.float64)
        return unit * np.array([sent.width, sent.height])
    return None


def _usable(quad: np.ndarray, width: int, height: int) -> bool:
    """Finite, with an area, and no corner further outside the page than its own size."""
    if not np.isfinite(quad).all():
        return False
    reach = float(max(width, height))
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    if (lo < -reach).any() or hi[0] > width - 1 + reach or hi[1] > height - 1 + reach:
        return False
    if hi[0] < 0 or hi[1] < 0 or lo[0] > width - 1 or lo[1] > height - 1:
        return False
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) >= 1.0


def _confidence(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    return min(1.0, max(0.0, float(value)))


def _blocks(annotation: Any) -> Iterable[tuple[Any, Any]]:
    for page in annotation.pages:
        for block in page.blocks:
            if block.block_type in (_TEXT_BLOCK, _UNKNOWN_BLOCK):
                yield page, block


def parse_annotation(annotation: Any, sent: SentImage) -> ParsedPage:
    """Words of a ``TextAnnotation`` (the raw protobuf message) answered for ``sent``, in the input's pixels."""
    words: list[DetectedWord] = []
    rtl = found = 0
    for block_index, (page, block) in enumerate(_blocks(annotation)):
        line = 0
        for paragraph in block.paragraphs:
            line_has_words = False
            for word in paragraph.words:
                found += 1
                box = _box(word.bounding_box, sent)
                quad = None if box is None else sent.to_input(box)
                if quad is None or not _usable(quad, sent.input_width, sent.input_height):
                    continue
                text = "".join(symbol.text for symbol in word.symbols)
                languages = _languages(word.property, paragraph.property, block.property, page.property)
                rtl += any(code in _RTL for code in languages)
                words.append(
                    DetectedWord(
                        quad=quad,
                        text=text or None,
                        confidence=_confidence(word.confidence),
                        block=block_index,
                        line=line,
                        script=_script(text, languages),
                    )
                )
                line_has_words = True
                if word.symbols and word.symbols[-1].property.detected_break.type_ in LINE_ENDING_BREAKS:
                    line += 1
                    line_has_words = False
            if line_has_words:
                line += 1  # a paragraph that does not end with a line break still ends its line
    direction = "rtl" if words and rtl * 2 > len(words) else "ltr"
    return ParsedPage(Layout(words=words, direction=direction), dropped=found - len(words), found=found)
