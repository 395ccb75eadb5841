"""Synthetic training data for the learned derenderer: ink, handwriting variation, photo-like crops.

* ink sources: :mod:`~inksight_sdk.synth.hershey` (Hershey single-stroke fonts,
  optional package ``Hershey-Fonts``) and :mod:`~inksight_sdk.synth.hanzi`
  (hanzi-writer-data stroke medians; odd code points are the evaluation split
  and are refused for training);
* :func:`vary`: slant, jitter, elastic distortion, baseline drift, spacing,
  size, pen speed -> time and pressure;
* :func:`render_word`: a photographed crop on the 224 canvas with the strokes
  in its pixels (:func:`place_on_canvas`, then :func:`paint_photo`);
* :class:`SyntheticWords`: a deterministic, indexable sampler of all of it.

See ``docs/synthetic-data.md``.
"""

from .glyphs import Glyph, SourceWord, join_touching, layout_word
from .hanzi import (
    HanziData,
    check_training_character,
    default_hanzi_dir,
    ensure_hanzi_data,
    is_evaluation_character,
    training_characters,
)
from .hershey import FONT_FAMILIES, HersheyFont, hershey_font, hershey_word
from .photo import CanvasInk, PhotoParams, paint_photo, place_on_canvas, render_word, sample_photo
from .sampler import DEFAULT_FONTS, SyntheticExample, SyntheticWords
from .style import HandwrittenWord, StyleParams, pen_timing, sample_style, vary

__all__ = [
    "Glyph",
    "SourceWord",
    "join_touching",
    "layout_word",
    "HanziData",
    "ensure_hanzi_data",
    "default_hanzi_dir",
    "is_evaluation_character",
    "check_training_character",
    "training_characters",
    "FONT_FAMILIES",
    "HersheyFont",
    "hershey_font",
    "hershey_word",
    "StyleParams",
    "HandwrittenWord",
    "sample_style",
    "vary",
    "pen_timing",
    "PhotoParams",
    "sample_photo",
    "CanvasInk",
    "place_on_canvas",
    "paint_photo",
    "render_word",
    "SyntheticExample",
    "SyntheticWords",
    "DEFAULT_FONTS",
]
