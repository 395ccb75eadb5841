"""A deterministic, indexable stream of synthetic training words.

``SyntheticWords(seed)[i]`` is a :class:`SyntheticExample`: a photographed
word crop on the 224 canvas, its strokes in canvas pixels (writing order,
with time and pressure) and its text. Example ``i`` depends only on
``(seed, i)`` and the sampler's arguments, never on what was drawn before,
so workers can split indices freely and a resumed run sees the same data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import attrs
import numpy as np

from ..errors import BadArgumentsError
from .glyphs import SourceWord
from .hanzi import HanziData, check_training_character, is_evaluation_character
from .hershey import HERSHEY_SCRIPTS, LATIN_FONTS, hershey_font
from .photo import CanvasInk, PhotoParams, paint_photo, place_on_canvas, sample_photo
from .style import HandwrittenWord, StyleParams, sample_style, vary

__all__ = ["SyntheticExample", "SyntheticWords", "DEFAULT_FONTS", "is_cjk_ideograph"]

DEFAULT_FONTS = (*LATIN_FONTS, "greek", "cyrillic", "japanese")

_ENGLISH = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use an each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number no "
    "way could people my than first water been call who oil its now find long down day did get come made may part "
    "over new sound take only little work know place year live me back give most very after thing our just name "
    "good sentence man think say great where help through much before line right too mean old any same tell boy "
    "follow came want show also around form three small set put end does another well large must big even such "
    "because turn here why ask went men read need land different home us move try kind hand picture again change "
    "off play spell air away animal house point page letter mother answer found study still learn should America "
    "world Neat: quick brown fox jumps over lazy dog minimum handwriting ink pen paper notes Monday January London "
    "Hello Thanks! (draft) 2024 3.14 e-mail don't it's OK? #42 50% a+b=c x/y"
).split()
_GREEK_WORDS = "λόγος καλημέρα ευχαριστώ θάλασσα ήλιος φως νερό ζωή αγάπη σοφία ψυχή χρόνος Αθήνα Ελλάδα".split()
_CYRILLIC_WORDS = (
    "привет мир спасибо книга ручка бумага Москва вода день ночь жизнь школа слово язык письмо друг дом "
    "человек время рука чай хлеб улица город Россия"
).split()
_JAPANESE_WORDS = (
    "ひらがな カタカナ にほん ありがとう さくら やま かわ そら ねこ いぬ すし てがみ ことば ともだち "
    "日本 東京 大人 中国 上手 一人 二人 三日 十年 円 コーヒー テレビ ノート ペン"
).split()
_SCRIPT_WEIGHTS = {"latin": 6.0, "greek": 1.0, "cyrillic": 1.5, "japanese": 1.5}
"""How often each script's vocabulary is drawn (Latin dominates, as in the evaluation data)."""
_BUILTIN = {"latin": _ENGLISH, "greek": _GREEK_WORDS, "cyrillic": _CYRILLIC_WORDS, "japanese": _JAPANESE_WORDS}


def _strip_unsupported(words: Sequence[str], script: str) -> list[str]:
    if script == "greek":  # the Hershey Greek tables have no accents: write the bare letters
        table = str.maketrans("άέήίόύώΆΈΉΊΌΎΏϊϋΐΰ", "αεηιουωΑΕΗΙΟΥΩιυιυ")
        return [w.translate(table) for w in words]
    return list(words)


def is_cjk_ideograph(char: str) -> bool:
    """A CJK unified ideograph (the characters hanzi-writer-data covers)."""
    code = ord(char)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


@attrs.frozen(eq=False)
class SyntheticExample:
    """One training word.

    ``image`` is ``(224, 224, 3) uint8``; ``strokes`` are ``(n, 2) float32``
    canvas pixels in writing order and direction, exactly on the drawn ink;
    ``t`` (seconds, non-decreasing across the word), ``pressure`` (0..1) and
    ``width`` (pen width in canvas pixels) are per point.
    """

    image: np.ndarray
    strokes: list[np.ndarray]
    t: list[np.ndarray]
    pressure: list[np.ndarray]
    width: list[np.ndarray]
    text: str
    script: str
    source: str
    index: int
    style: StyleParams
    photo: PhotoParams


class SyntheticWords:
    """Deterministic synthetic word crops: ``sampler[i]``, ``iter(sampler)``, ``len(sampler)``.

    ``fonts`` are Hershey font names (see :data:`~inksight_sdk.synth.hershey.FONT_FAMILIES`);
    ``hanzi_dir`` a directory of hanzi-writer-data JSON files (see
    :func:`~inksight_sdk.synth.hanzi.ensure_hanzi_data`), used for a
    ``hanzi_fraction`` of the examples; ``vocabulary`` the words to write
    (default: a small built-in list per script, plus random strings of each
    font's characters for ``random_fraction`` of the examples). Words whose
    characters no chosen font supports are written with a font that does, or
    skipped. Hanzi with an odd code point are the evaluation split: asking
    for one (in ``vocabulary`` or ``hanzi_chars``) raises
    :class:`~inksight_sdk.errors.BadArgumentsError`; the defaults use only
    even code points, and no ideograph with an odd code point is written
    from any source (the Japanese Hershey kanji included).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        fonts: Sequence[str] | None = None,
        hanzi_dir: str | os.PathLike[str] | None = None,
        vocabulary: Sequence[str] | None = None,
        hanzi_chars: Sequence[str] | None = None,
        hanzi_fraction: float = 0.2,
        random_fraction: float = 0.25,
        neighbour_words: bool = True,
        size: int = 224,
        length: int = 2**31 - 1,
    ) -> None:
        self.seed = int(seed)
        self.size = int(size)
        self.length = int(length)
        self.random_fraction = float(random_fraction)
        self.neighbour_words = neighbour_words
        self.fonts = tuple(DEFAULT_FONTS if fonts is None else fonts)
        for name in self.fonts:
            if name not in HERSHEY_SCRIPTS:
                raise BadArgumentsError(f"unknown Hershey font {name!r}; choose from {', '.join(HERSHEY_SCRIPTS)}")
        self._fonts = {name: hershey_font(name) for name in self.fonts}
        self.hanzi = HanziData(hanzi_dir) if hanzi_dir is not None else None

        # the evaluation split is never used for training: refuse it outright
        if vocabulary is not None:
            for word in vocabulary:
                for char in word:
                    if is_cjk_ideograph(char):
                        check_training_character(char)
        if hanzi_chars is not None:
            for char in hanzi_chars:
                check_training_character(char)

        self._hanzi_chars: list[str] = []
        if self.hanzi is not None:
            pool = self.hanzi.training_characters() if hanzi_chars is None else list(hanzi_chars)
            missing = [c for c in pool if c not in self.hanzi]
            if missing:
                raise BadArgumentsError(f"hanzi not in {self.hanzi.directory}: {''.join(missing[:20])}")
            self._hanzi_chars = pool
        self.hanzi_fraction = float(hanzi_fraction) if self._hanzi_chars else 0.0

        # (word, candidate fonts) pairs, per script
        self._vocab: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._hanzi_words: list[str] = []
        words_by_script = (
            {script: _strip_unsupported(words, script) for script, words in _BUILTIN.items()}
            if vocabulary is None
            else {"any": list(vocabulary)}
        )
        for words in words_by_script.values():
            for word in words:
                if not word or any(is_cjk_ideograph(c) and is_evaluation_character(c) for c in word):
                    continue  # (only the built-in list can get here: a given vocabulary was checked above)
                if self.hanzi is not None and all(is_cjk_ideograph(c) for c in word):
                    if all(c in self.hanzi for c in word):
                        self._hanzi_words.append(word)
                        continue
                able = tuple(f for f in self.fonts if self._fonts[f].supports(word))
                if able:
                    self._vocab.setdefault(self._fonts[able[0]].script, []).append((word, able))
        self._scripts = sorted(self._vocab)
        if not self._scripts and not self._hanzi_chars and not self._hanzi_words:
            raise BadArgumentsError("no word of the vocabulary can be written with the chosen fonts or hanzi data")
        self._random_charsets = {
            name: sorted(
                c
                for c in font.charset
                if c != " "
                and (font.script != "latin" or c.isalnum())
                and not (is_cjk_ideograph(c) and is_evaluation_character(c))
            )
            for name, font in self._fonts.items()
        }

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[SyntheticExample]:
        for i in range(self.length):
            yield self[i]

    def __getitem__(self, index: int) -> SyntheticExample:
        rng, source, hand, photo, ink = self._place(index)
        image = paint_photo(ink, rng, photo, size=self.size)
        return SyntheticExample(
            image=image,
            strokes=[s.astype(np.float32) for s in ink.strokes],
            t=hand.t,
            pressure=[p.astype(np.float32) for p in hand.pressure],
            width=[w.astype(np.float32) for w in ink.widths],
            text=hand.text,
            script=hand.script,
            source=source,
            index=index,
            style=hand.style,
            photo=photo,
        )

    def placed(self, index: int) -> tuple[HandwrittenWord, PhotoParams, CanvasInk]:
        """Example ``index`` short of its photo: the varied word, how it is photographed, where its ink lies.

        What a renderer on the accelerator needs (it paints the photo itself,
        :mod:`inksight_jax.device_photo`); ``sampler[index]`` paints the same
        ink here, so the two share the word, its crop and its target.
        """
        _rng, _source, hand, photo, ink = self._place(index)
        return hand, photo, ink

    def _place(self, index: int) -> tuple[np.random.Generator, str, HandwrittenWord, PhotoParams, CanvasInk]:
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        source_word, source = self._pick(rng)
        style = sample_style(rng, source_word.script)
        hand = vary(source_word, rng, style)
        photo = sample_photo(rng)
        neighbours: list[HandwrittenWord] = []
        if self.neighbour_words and photo.neighbours:
            for _ in range(int(rng.integers(1, 3))):
                other, _src = self._pick(rng)
                neighbours.append(vary(other, rng, style))
        ink = place_on_canvas(hand, rng, photo, size=self.size, neighbours=neighbours)
        return rng, source, hand, photo, ink

    def batch(self, indices: Sequence[int]) -> tuple[np.ndarray, list[SyntheticExample]]:
        """Examples for ``indices`` and their images stacked as ``(b, size, size, 3) uint8``."""
        examples = [self[i] for i in indices]
        return np.stack([e.image for e in examples]), examples

    # -- choosing what to write -------------------------------------------------

    def _pick(self, rng: np.random.Generator) -> tuple[SourceWord, str]:
        if self.hanzi is not None and rng.random() < self.hanzi_fraction:
            if self._hanzi_words and rng.random() < 0.5:
                text = self._hanzi_words[int(rng.integers(len(self._hanzi_words)))]
            else:
                n = int(rng.choice([1, 2, 2, 3, 4]))
                text = "".join(self._hanzi_chars[int(k)] for k in rng.integers(len(self._hanzi_chars), size=n))
            return self.hanzi.word(text, training=True), "hanzi-writer-data"
        if not self._scripts or rng.random() < self.random_fraction:
            font = self.fonts[int(rng.integers(len(self.fonts)))]
            chars = self._random_charsets[font]
            n = int(rng.integers(1, 9))
            text = "".join(chars[int(k)] for k in rng.integers(len(chars), size=n))
            return self._fonts[font].word(text), f"hershey:{font}"
        weights = np.array([_SCRIPT_WEIGHTS.get(sc, 1.0) for sc in self._scripts])
        script = self._scripts[int(rng.choice(len(self._scripts), p=weights / weights.sum()))]
        word, able = self._vocab[script][int(rng.integers(len(self._vocab[script])))]
        font = able[int(rng.integers(len(able)))]
        return self._fonts[font].word(word), f"hershey:{font}"
