"""Ink from the Hershey single-stroke fonts (PyPI ``Hershey-Fonts``, optional).

The package ships the classic Hershey fonts as ASCII-indexed tables. This
module maps real characters onto them (Greek, Cyrillic and Japanese tables
sit on ASCII and Latin-1 slots), converts glyphs to em units (cap height 1,
baseline at y = 0, y down) and cleans them up for handwriting:

* segments that touch are joined into one stroke, including the retrace of a
  stem (``m``, ``n``, ``h`` in the cursive font), so a joined-up word has the
  few pen lifts a hand makes (:func:`~inksight_sdk.synth.glyphs.join_touching`);
* in the doubled-line fonts (Cyrillic and Japanese only come that way, and the
  complex script and italic fonts) a segment that retraces an earlier one at
  a small offset is dropped, and so are the tiny serifs that remain, so every
  font becomes single-line ink.

Font families (``FONT_FAMILIES``): ``cursive`` (joined-up), ``script``
(``scripts``, ``scriptc``), ``print`` (``futural``, ``rowmans``),
``italic`` (``timesi``), ``greek``, ``cyrillic`` and ``japanese`` (hiragana,
katakana and about twenty kanji).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .glyphs import Glyph, SourceWord, layout_word, polyline_distance

__all__ = [
    "FONT_FAMILIES",
    "LATIN_FONTS",
    "HERSHEY_SCRIPTS",
    "HersheyFont",
    "hershey_font",
    "hershey_word",
    "require_hershey",
]

#: environment variable naming a glyph pack to take the fonts from
PACK_ENV = "INKSIGHT_GLYPH_PACK"
LATIN_FONTS = ("cursive", "scripts", "scriptc", "futural", "rowmans", "timesi")
FONT_FAMILIES: dict[str, tuple[str, ...]] = {
    "cursive": ("cursive",),
    "script": ("scripts", "scriptc"),
    "print": ("futural", "rowmans"),
    "italic": ("timesi",),
    "greek": ("greek",),
    "cyrillic": ("cyrillic",),
    "japanese": ("japanese",),
}
HERSHEY_SCRIPTS = {
    **{name: "latin" for name in LATIN_FONTS},
    "greek": "greek",
    "cyrillic": "cyrillic",
    "japanese": "japanese",
}
#: the joined-up fonts: their glyphs touch their neighbours
CONNECTED_FONTS = frozenset({"cursive", "scripts", "scriptc"})
_DOUBLED = {"scriptc", "timesi", "cyrillic", "japanese"}

# Hershey cap line / base line (y down): a capital spans -12 .. 9 in font units.
_CAP, _BASE = -12.0, 9.0
_UNIT = 1.0 / (_BASE - _CAP)

_ASCII_PRINTABLE = {chr(c): chr(c) for c in range(32, 127)}

_GREEK_UPPER = "ΑΒΧΔΕΦΓΗΙ_ΚΛΜΝΟΠΘΡΣΤΥ_ΩΞΨΖ"
_GREEK_LOWER = "αβχδεφγηι_κλμνοπθρστυ_ωξψζ"
_GREEK = {g: a for g, a in zip(_GREEK_UPPER, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") if g != "_"}
_GREEK.update({g: a for g, a in zip(_GREEK_LOWER, "abcdefghijklmnopqrstuvwxyz") if g != "_"})
_GREEK.update({"ς": "s", "ϑ": "q", "φ": "f", "ϕ": "f"})
for _c in "0123456789.,;:!?()-'\"+=/ ":
    _GREEK[_c] = _c

_CYR_UPPER = {
    "А": "A", "Б": "B", "Э": "C", "Д": "D", "Й": "E", "Ф": "F", "Г": "G", "Ж": "H", "И": "I", "Ч": "J",
    "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Ш": "Q", "Р": "R", "С": "S", "Т": "T",
    "Ю": "U", "В": "V", "Щ": "W", "Х": "X", "У": "Y", "З": "Z", "Е": "[", "Ъ": "]", "Я": "^", "Ь": "_",
    "Ц": "`", "Ы": "$", "Ё": "[",
}  # fmt: skip
_CYR_LOWER = {
    "а": "a", "б": "b", "э": "c", "д": "d", "й": "e", "ф": "f", "г": "g", "ж": "h", "и": "i", "ч": "j",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "ш": "q", "р": "r", "с": "s", "т": "t",
    "ю": "u", "в": "v", "щ": "w", "х": "x", "у": "y", "з": "z", "е": "{", "ъ": "|", "я": "}", "ь": "~",
    "ц": "%", "ы": "&", "ё": "{",
}  # fmt: skip
_CYRILLIC = {**_CYR_UPPER, **_CYR_LOWER}
for _c in "0123456789.,;:!?()-'+=/ ":
    _CYRILLIC[_c] = _c

# The Japanese table: kanji and numerals on punctuation slots, hiragana on
# letters, the rest (voiced hiragana, katakana) on Latin-1 slots 127..224.
_JA_SLOTS = {
    "。": " ", "、": "!", "一": '"', "日": "#", "円": "$", "年": "%", "大": "&", "国": "'", "人": "(",
    "東": ")", "中": "*", "本": "+", "京": ",", "出": "-", "時": ".", "上": "/", "者": "0", "十": "1",
    "二": "3", "三": "4", "四": "5", "五": "6", "六": "7", "七": "8", "八": "9", "九": ":",
}  # fmt: skip
_JA_LETTERS = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもや_ゆ_よらりるれろわゐ_ゑをん"
_JA_VOICED_AND_KATAKANA = (
    "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽ"
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤ_ユ_ヨラリルレロワヰ_ヱヲン"
    "____ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポ"
)
_JAPANESE = dict(_JA_SLOTS)
for _ch, _code in zip(_JA_LETTERS, range(ord("A"), ord("s") + 1)):
    if _ch != "_":
        _JAPANESE[_ch] = chr(_code)
for _ch, _code in zip(_JA_VOICED_AND_KATAKANA, range(ord("x"), 225)):
    if _ch != "_":
        _JAPANESE[_ch] = chr(_code)

_CHARMAPS: dict[str, dict[str, str]] = {
    "latin": _ASCII_PRINTABLE,
    "greek": _GREEK,
    "cyrillic": _CYRILLIC,
    "japanese": _JAPANESE,
}


def require_hershey() -> Any:
    """Import the optional ``HersheyFonts`` module or say which package provides it."""
    try:
        import HersheyFonts  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Hershey font ink needs the optional package 'Hershey-Fonts' (pip install Hershey-Fonts)"
        ) from exc
    return HersheyFonts


def _drop_doubled(strokes: list[np.ndarray], tol: float) -> list[np.ndarray]:
    """Drop segments that only retrace kept ones at a small offset (doubled-line fonts)."""
    kept: list[np.ndarray] = []
    for stroke in strokes:
        dense = _densify(stroke, tol)
        if kept and all(min(polyline_distance(p, k)[0] for k in kept) <= tol for p in dense):
            continue
        kept.append(stroke)
    return kept


def _drop_serifs(strokes: list[np.ndarray], length: float, touch: float) -> list[np.ndarray]:
    """Drop short segments that touch a longer one: serifs and double-line ends."""
    out = []
    for i, stroke in enumerate(strokes):
        arc = float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum()) if len(stroke) > 1 else 0.0
        if arc < length:
            others = [s for j, s in enumerate(strokes) if j != i and len(s) > 1]
            longer = [s for s in others if np.linalg.norm(np.diff(s, axis=0), axis=1).sum() > 2 * arc]
            if any(polyline_distance(p, s)[0] <= touch for s in longer for p in stroke):
                continue
        out.append(stroke)
    return out


def _densify(stroke: np.ndarray, step: float) -> np.ndarray:
    if len(stroke) < 2:
        return stroke
    out = [stroke[:1]]
    for a, b in zip(stroke[:-1], stroke[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.vstack(out)


class HersheyFont:
    """One Hershey font as em-unit :class:`~inksight_sdk.synth.glyphs.Glyph` objects.

    Built from the ``Hershey-Fonts`` package, or from ``glyphs`` already in
    em units (a glyph pack, :mod:`inksight_sdk.synth.pack`, on a machine
    without the package).
    """

    def __init__(self, name: str, glyphs: Mapping[str, Glyph] | None = None) -> None:
        if name not in HERSHEY_SCRIPTS:
            raise ValueError(f"unknown Hershey font {name!r}; choose from {', '.join(sorted(HERSHEY_SCRIPTS))}")
        self.name = name
        self.script = HERSHEY_SCRIPTS[name]
        self.connected = name in CONNECTED_FONTS
        self._glyphs: dict[str, Glyph] = dict(glyphs) if glyphs is not None else self._load(name)

    def _load(self, name: str) -> dict[str, Glyph]:
        module = require_hershey()
        font = module.HersheyFonts()
        font.load_default_font(name)
        glyphs: dict[str, Glyph] = {}
        raw = font.all_glyphs
        for char, slot in _CHARMAPS[self.script].items():
            glyph = raw.get(slot)
            if glyph is None:
                continue
            strokes = [np.asarray(s, dtype=np.float64) for s in glyph.strokes if len(s)]
            if name in _DOUBLED:
                strokes = _drop_doubled(strokes, tol=1.3)
                strokes = _drop_serifs(strokes, length=4.5, touch=0.6)
            if not strokes and char != " ":
                continue
            em = [np.column_stack([s[:, 0] * _UNIT, s[:, 1] * _UNIT - _BASE * _UNIT]) for s in strokes]
            glyphs[char] = Glyph(
                char=char,
                strokes=tuple(em),
                advance=glyph.char_width * _UNIT,
                left=glyph.left_offset * _UNIT,
                connected=self.connected,
            )
        return glyphs

    @property
    def glyph_table(self) -> dict[str, Glyph]:
        """Every glyph of the font by character (what a glyph pack stores)."""
        return dict(self._glyphs)

    @property
    def charset(self) -> frozenset[str]:
        """The characters this font can write."""
        return frozenset(self._glyphs)

    def supports(self, text: str) -> bool:
        return bool(text) and all(c in self._glyphs for c in text)

    def glyphs(self, text: str) -> list[Glyph]:
        missing = sorted({c for c in text if c not in self._glyphs})
        if missing:
            raise ValueError(f"font {self.name!r} cannot write {''.join(missing)!r}")
        return [self._glyphs[c] for c in text]

    def word(self, text: str, *, join: bool = True, delay_marks: bool = True) -> SourceWord:
        """The ink of ``text`` in writing order, segments joined into strokes."""
        return layout_word(self.glyphs(text), text, script=self.script, join=join, delay_marks=delay_marks)


_LOCK = threading.Lock()


@functools.cache
def _cached_font(name: str, pack: str | None) -> HersheyFont:
    if pack:
        from .pack import GlyphPack

        return GlyphPack.open(pack).font(name)
    return HersheyFont(name)


def hershey_font(name: str) -> HersheyFont:
    """A cached :class:`HersheyFont` (parsing a font takes a few milliseconds).

    With ``INKSIGHT_GLYPH_PACK`` set to a glyph pack file
    (:mod:`inksight_sdk.synth.pack`), fonts come from the pack, so spawned
    data workers on a machine without ``Hershey-Fonts`` find them too.
    """
    with _LOCK:
        return _cached_font(name, os.environ.get(PACK_ENV) or None)


def hershey_word(text: str, font: str = "cursive", *, join: bool = True) -> SourceWord:
    """Shortcut: the ink of ``text`` in the Hershey font ``font``."""
    return hershey_font(font).word(text, join=join)


def fonts_for(text: str, fonts: Sequence[str] = tuple(HERSHEY_SCRIPTS)) -> list[str]:
    """The fonts among ``fonts`` that can write every character of ``text``."""
    return [f for f in fonts if hershey_font(f).supports(text)]
