"""Properties of the PDF output and the ink reader, over many generated cases (hypothesis, derandomized).

1. Any ink on any page geometry (``/Rotate`` 0-270 and off multiples of 90, crop boxes offset, clipped by
   or larger than the media box, any DPI) written by the exporter is read back to the same points (under
   0.01 px), and the file passes ``qpdf --check``.
2. Mutated PDFs holding ink annotations are read into ink or refused with an InkSightError, nothing else.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from inksight_sdk import convert
from inksight_sdk.errors import InkSightError
from inksight_sdk.ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk

from .pdfbuild import ink_annotation, raw_pdf

pytest.importorskip("inksight_pdf", reason="the PDF adapter is not installed: pip install -e adapters/pdf")
pytestmark = [
    pytest.mark.poppler,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed"),
]

CASES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def geometry(draw):
    """A page dictionary's boxes and rotation, and a DPI."""
    x0, y0 = draw(st.floats(-500, 500)), draw(st.floats(-500, 500))
    w, h = draw(st.floats(20, 300)), draw(st.floats(20, 300))
    media = (x0, y0, x0 + w, y0 + h)
    crop = None
    if draw(st.booleans()):  # a crop box inside, across or beyond the media box
        cx, cy = x0 + draw(st.floats(-30, w - 10)), y0 + draw(st.floats(-30, h - 10))
        crop = (cx, cy, cx + draw(st.floats(10, w + 40)), cy + draw(st.floats(10, h + 40)))
    rotate = draw(st.sampled_from([0, 90, 180, 270, -90, 450, 45]))
    dpi = draw(st.sampled_from([36.0, 72.0, 96.012, 100.0, 150.0, 200.5]))
    return media, crop, rotate, dpi


def box(values):
    return "[" + " ".join(f"{v:.4f}" for v in values) + "]"


@CASES
@given(geometry(), st.data())
def test_any_ink_on_any_page_round_trips(tmp_path_factory, case, data):
    media, crop, rotate, dpi = case
    folder = tmp_path_factory.mktemp("case")
    keys = f"/MediaBox {box(media)} /Rotate {rotate}" + (f" /CropBox {box(crop)}" if crop else "")
    source = raw_pdf(folder / "in.pdf", keys, [], b"0 0 0 RG 1 w 0 0 m 10 10 l S")
    drawn = subprocess.run(["pdftoppm", "-r", f"{dpi:g}", "-cropbox", "-png", str(source)], capture_output=True)
    width, height = Image.open(io.BytesIO(drawn.stdout)).size  # the page as poppler draws it
    words = []
    for _ in range(data.draw(st.integers(1, 3))):
        strokes = []
        for _ in range(data.draw(st.integers(1, 3))):
            n = data.draw(st.integers(1, 6))
            xs = data.draw(st.lists(st.floats(-0.5, width - 0.5), min_size=n, max_size=n))
            ys = data.draw(st.lists(st.floats(-0.5, height - 0.5), min_size=n, max_size=n))
            strokes.append(Stroke(points=np.column_stack([xs, ys]), width=np.full(n, 1.5)))
        quad = [[0, 0], [width, 0], [width, height], [0, height]]
        words.append(WordInk(quad=quad, strokes=strokes, text=data.draw(st.sampled_from([None, "a", "ж字"]))))
    page = Page(width=width, height=height, words=words, image=str(source), dpi=dpi)
    out = folder / "out.pdf"
    InkDocument(pages=[page], metadata=DocumentMetadata(source=str(source))).save(str(out))
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    back = convert(str(out), source_options={"dpi": dpi})
    (read,) = back.pages
    assert (read.width, read.height) == (width, height)
    written = [s.points.astype(np.float64) for s in page.strokes()]
    found = [s.points.astype(np.float64) for s in read.strokes()]
    assert len(found) == len(written)
    assert max(float(np.abs(a - b).max()) for a, b in zip(written, found)) < 0.01


@st.composite
def mutated_annotated_pdf(draw):
    strokes = [[50, 30, 100, 70, 150, 40], [60, 50]]
    annotations = [ink_annotation(strokes, "/BS << /W 3 >> /Contents (hi)"), ink_annotation([[10, 10, 20, 20]])]
    keys = "/MediaBox [0 0 200 100] /CropBox [20 10 180 90] /Rotate 90"
    return keys, annotations, [draw(st.integers(0, 10_000)) for _ in range(3)], draw(st.binary(min_size=1, max_size=8))


@CASES
@given(mutated_annotated_pdf())
def test_mutated_ink_annotations_are_read_or_refused(tmp_path_factory, case):
    keys, annotations, places, junk = case
    path = raw_pdf(tmp_path_factory.mktemp("mutated") / "m.pdf", keys, annotations)
    data = bytearray(path.read_bytes())
    for at in places:  # overwrite bytes inside the annotations (the file's last objects)
        at = len(data) - 1 - at % (len(data) // 2)
        data[at : at + len(junk)] = junk
    path.write_bytes(bytes(data))
    try:
        convert(str(path), source_options={"dpi": 72})
    except InkSightError:
        pass


@pytest.mark.parametrize(
    ("media", "dpi"),
    [
        ((0, 0, 20, 60), 150),  # 60 * (150 / 72) is a hair over 125: poppler still draws 125
        ((0, 0, 24, 60), 300),
        ((0, 0, 20, 120), 75),
        ((2.15625, 0, 22.15625, 10), 36),  # the lexer's sum is a hair over 20 pt: poppler draws 11
        ((0, 0, 7, 11), 99),
    ],
)
def test_page_sizes_in_pixels_are_the_ones_poppler_draws(tmp_path, media, dpi):
    from inksight_pdf.frame import as_poppler_reads, pixels_for

    source = raw_pdf(tmp_path / "in.pdf", f"/MediaBox {box(media)}", [], b"0 0 0 RG 1 w 0 0 m 10 10 l S")
    drawn = subprocess.run(["pdftoppm", "-r", f"{dpi:g}", "-png", str(source)], capture_output=True, check=True)
    width = as_poppler_reads(media[2]) - as_poppler_reads(media[0])
    height = as_poppler_reads(media[3]) - as_poppler_reads(media[1])
    assert Image.open(io.BytesIO(drawn.stdout)).size == (pixels_for(width, dpi), pixels_for(height, dpi))
