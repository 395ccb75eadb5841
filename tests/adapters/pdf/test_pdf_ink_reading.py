"""Ink already in a PDF is read, not derendered: /Ink annotations as strokes in page pixels.

The PDFs are written byte by byte (``pdfbuild.raw_pdf``) the way tablet apps
write their annotations: ``/InkList``, a border width, a colour, no
appearance stream, no ``/NM``. Expected pixel positions are worked out by
hand for each ``/Rotate``; poppler, which draws such annotations itself,
checks the same mapping independently.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from inksight_sdk import convert
from inksight_sdk.errors import ExitCode, InputFileError, InputLimitError
from inksight_sdk.formats import inkml
from tests.conftest import run_cli

from .pdfbuild import ink_annotation, raw_pdf

inksight_pdf = pytest.importorskip(
    "inksight_pdf", reason="the PDF adapter is not installed: pip install -e adapters/pdf"
)
pytestmark = [
    pytest.mark.poppler,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed"),
]

#: media box 200 x 100 pt, crop box [20 10 180 90] (160 x 80 pt); rendered at 144 dpi (2 px per pt)
BOXES = "/MediaBox [0 0 200 100] /CropBox [20 10 180 90]"
DPI = 144.0
#: a stroke in user space: (50, 30) -> (100, 70) -> (150, 40)
STROKE = [50, 30, 100, 70, 150, 40]
#: the same points in page pixels for each /Rotate, by hand: displayed points from the displayed top-left
#: corner, times 2, minus half a pixel (pixel centres sit on integers)
EXPECTED = {
    0: [(30, 60), (80, 20), (130, 50)],  # X = x - 20, Y = 90 - y
    90: [(20, 30), (60, 80), (30, 130)],  # X = y - 10, Y = x - 20
    180: [(130, 20), (80, 60), (30, 30)],  # X = 180 - x, Y = y - 10
    270: [(60, 130), (20, 80), (50, 30)],  # X = 90 - y, Y = 180 - x
}


def expected_pixels(rotate):
    return np.array(EXPECTED[rotate], np.float64) * 2 - 0.5


def annotated(tmp_path, rotate, annotations, name="annotated.pdf"):
    return raw_pdf(tmp_path / name, f"{BOXES} /Rotate {rotate}", annotations)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_ink_annotations_become_strokes_on_every_rotation(test_registry, tmp_path, rotate):
    path = annotated(
        tmp_path,
        rotate,
        [
            ink_annotation([STROKE, [60, 50]], "/BS << /W 3 >> /C [1 0 0] /Contents (hello)"),
            ink_annotation([[160, 80, 170, 85]], "/Border [0 0 1.5]"),
        ],
    )
    # a detector that always fails: it must not run for a page whose ink is in its annotations
    doc = convert(
        str(path), detector="broken", derenderer="explode", source_options={"dpi": DPI}, registry=test_registry
    )
    assert doc.complete and doc.metadata.plugins == {}
    (page,) = doc.pages
    assert (page.width, page.height) == ((320, 160) if rotate in (0, 180) else (160, 320))
    assert page.dpi == DPI and page.image == str(path) and page.index == 0
    first = next(w for w in page.words if w.text == "hello")
    np.testing.assert_allclose(first.strokes[0].points, expected_pixels(rotate), atol=1e-4)
    assert len(first.strokes) == 2 and len(first.strokes[1]) == 1  # a dot stays a one-point stroke
    np.testing.assert_allclose(first.strokes[0].width, 6.0)  # 3 pt at 2 px per pt
    other = next(w for w in page.words if w is not first)
    np.testing.assert_allclose(other.strokes[0].width, 3.0)  # /Border's width when /BS is absent
    assert other.text is None
    # the ink has a writing order on one clock, as derendered ink does
    times = np.concatenate([s.t for s in page.strokes()])
    assert np.all(np.diff(times) >= 0)


@pytest.mark.parametrize("rotate", [90, 270])
def test_poppler_draws_the_annotation_where_we_read_it(tmp_path, rotate):
    """poppler draws an /Ink annotation without /AP from its /InkList: its pixels are where we put the stroke."""
    thick = [40, 20, 160, 20, 160, 80]  # an L inside the crop box
    path = annotated(tmp_path, rotate, [ink_annotation([thick], "/BS << /W 4 >> /C [0 0 0]")])
    doc = convert(str(path), source_options={"dpi": DPI})
    stroke = doc.pages[0].words[0].strokes[0].points
    png = subprocess.run(
        ["pdftoppm", "-r", f"{DPI:g}", "-cropbox", "-gray", "-png", str(path)], capture_output=True, check=True
    ).stdout
    dark = np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 128
    assert dark.shape == (doc.pages[0].height, doc.pages[0].width)
    ys, xs = np.nonzero(dark)
    # every dark pixel lies within the pen's half width (4 pt = 8 px) of the polyline we read, and the ink
    # reaches both ends of it
    a, b, c = stroke
    pixels = np.column_stack([xs, ys]).astype(np.float64)

    def distance(p, q):
        t = np.clip(((pixels - p) @ (q - p)) / ((q - p) @ (q - p)), 0, 1)
        return np.linalg.norm(pixels - (p + t[:, None] * (q - p)), axis=1)

    assert np.minimum(distance(a, b), distance(b, c)).max() <= 4.0 + 1.0
    for end in (a, c):
        assert np.linalg.norm(pixels - end, axis=1).min() < 1.0


def test_cli_reads_ink_to_inkml_without_detector(cli_with_test_plugins, tmp_path):
    path = annotated(tmp_path, 90, [ink_annotation([STROKE], "/BS << /W 2 >>")])
    out = tmp_path / "ink.inkml"
    result = cli_with_test_plugins("convert", str(path), "-o", str(out), "--dpi", "144", "--detector", "broken")
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    doc = inkml.loads(out.read_bytes())
    np.testing.assert_allclose(doc.pages[0].words[0].strokes[0].points, expected_pixels(90), atol=1e-3)


def test_pages_without_ink_annotations_are_still_converted(test_registry, tmp_path):
    """Only a page with /Ink annotations is read; a note (a /Text annotation) is not ink."""
    path = raw_pdf(
        tmp_path / "note.pdf",
        BOXES,
        ["<< /Type /Annot /Subtype /Text /Rect [30 30 50 50] /Contents (a note) >>"],
        content=b"0 0 0 RG 4 w 40 50 m 160 50 l S",
    )
    doc = convert(
        str(path), detector="whole-page", derenderer="ink-columns", source_options={"dpi": DPI}, registry=test_registry
    )
    assert doc.metadata.plugins.keys() == {"detector", "derenderer"}
    assert doc.pages[0].words and doc.pages[0].words[0].derenderer == "ink-columns"


def test_ink_annotations_ignored_on_request(test_registry, tmp_path):
    path = annotated(tmp_path, 0, [ink_annotation([STROKE], "/BS << /W 4 >> /C [0 0 0]")])
    doc = convert(
        str(path),
        detector="whole-page",
        derenderer="ink-columns",
        source_options={"dpi": DPI, "ink_annotations": "ignore"},
        registry=test_registry,
    )
    assert doc.pages[0].words[0].derenderer == "ink-columns"  # rendered (poppler drew the ink) and derendered


def _one_line(result, code, pattern):
    import re

    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert re.search(pattern, err), err


@pytest.mark.parametrize(
    "annotation,code,pattern",
    [
        (ink_annotation([[50, 30, 9e7, 40]]), ExitCode.INPUT_LIMIT, r"annotation 1: a coordinate of 9e\+07 pt"),
        (ink_annotation([[50, 30, 50000, 40]]), ExitCode.INPUT_LIMIT, r"point \(.*\) far outside the 320x160 page"),
        (ink_annotation([[50, 30, 60]]), ExitCode.INPUT_FILE, r"not an even list of numbers.*ink_annotations=ignore"),
        ("<< /Type /Annot /Subtype /Ink /InkList [[1 2 (x) 4]] >>", ExitCode.INPUT_FILE, r"not an even"),
        ("<< /Type /Annot /Subtype /Ink /Rect [0 0 1 1] >>", ExitCode.INPUT_FILE, r"no /InkList array"),
    ],
)
def test_hostile_annotations_are_refused_in_one_line(tmp_path, annotation, code, pattern):
    path = annotated(tmp_path, 0, [annotation])
    out = tmp_path / "out.inkml"
    _one_line(run_cli("convert", str(path), "-o", str(out), "--dpi", "144"), code, pattern)
    assert not out.exists()


def test_too_many_points_are_refused_before_anything_is_made(tmp_path):
    many = [[float(v) for v in np.tile([50, 30, 60, 40], 200)]] * 3  # 1,200 points on the page
    path = annotated(tmp_path, 0, [ink_annotation(many)])
    out = tmp_path / "out.json"
    result = run_cli("convert", str(path), "-o", str(out), "--input-option", "max_ink_points=1000")
    _one_line(result, ExitCode.INPUT_LIMIT, r"over 1,000 points in its ink annotations.*max_ink_points")
    assert not out.exists()
    # a stroke of 60,000 points (120,000 numbers in one array) is over the PDF parser's own limit
    huge = annotated(tmp_path, 0, [ink_annotation([[50.0, 30.0] * 60_000])], name="huge.pdf")
    with pytest.raises(InputLimitError, match="over the PDF parser's limits.*50,000 points"):
        convert(str(huge))


def test_an_annotation_that_is_not_a_dictionary_is_skipped_and_a_bad_width_falls_back(tmp_path):
    path = annotated(tmp_path, 0, ["(not an annotation)", ink_annotation([STROKE], "/BS << /W -5 >>")])
    doc = convert(str(path), source_options={"dpi": DPI})
    np.testing.assert_allclose(doc.pages[0].words[0].strokes[0].width, 2.0)  # 1 pt, the default border


def test_reader_errors_say_how_to_go_on(tmp_path):
    path = annotated(tmp_path, 0, [ink_annotation([[1, 2, 3]])])
    with pytest.raises(InputFileError, match="ink_annotations=ignore"):
        convert(str(path))
