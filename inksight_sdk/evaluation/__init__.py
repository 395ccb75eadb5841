"""Evaluation of derendered ink against ground truth.

``compare_ink`` scores traced strokes against the pen's true strokes (the
metrics of issue 3: precision/recall/F1 within a tolerance, order, direction,
pen lifts); ``load_wacom_strokes``, ``load_hanzi_strokes`` and
``load_unipen_strokes`` read real pen recordings; ``render_page`` turns true
strokes into a photo-like image whose ink geometry is known exactly;
``write_capitals`` draws a hand's block capitals. The benchmarks in ``benchmarks/`` use them.
"""

from .capitals import write_capitals
from .groundtruth import catmull_rom, load_hanzi_strokes, load_myscript_strokes, load_unipen_strokes, load_wacom_strokes
from .metrics import InkScores, compare_by_line, compare_ink, resample, text_lines
from .render import STYLES, RenderedPage, render_page, stroke_coverage

__all__ = [
    "InkScores",
    "compare_ink",
    "compare_by_line",
    "text_lines",
    "resample",
    "load_wacom_strokes",
    "load_hanzi_strokes",
    "load_unipen_strokes",
    "load_myscript_strokes",
    "catmull_rom",
    "RenderedPage",
    "render_page",
    "stroke_coverage",
    "STYLES",
    "write_capitals",
]
