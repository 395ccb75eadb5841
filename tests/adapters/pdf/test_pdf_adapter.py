"""The PDF adapter (adapters/pdf, distribution inksight-pdf) with real PDFs made here.

Pillow writes the PDFs: a page image of W x H pixels saved at R dpi is a page
of W*72/R x H*72/R points, so rendering it at D dpi gives W*D/R x H*D/R
pixels and a line drawn at pixel row y lands at row y*D/R.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inksight_sdk import Limits, convert
from inksight_sdk.errors import ExitCode, InputFileError, InputLimitError, MissingPluginError
from inksight_sdk.formats import inkml

inksight_pdf = pytest.importorskip(
    "inksight_pdf", reason="the PDF adapter is not installed: pip install -e adapters/pdf"
)

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
pytestmark = pytest.mark.poppler

TEST_STAGES = ["--detector", "whole-page", "--derenderer", "ink-columns"]
LINES_Y = (50, 30)  # the line's pixel row on page 1 and page 2 (at 100 dpi)


def page_image(y: int, w: int = 300, h: int = 100) -> Image.Image:
    image = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(image).line([(20, y), (w - 20, y)], fill="black", width=4)
    return image


def make_pdf(path, rows=LINES_Y, resolution=100.0, size=(300, 100)):
    pages = [page_image(y, *size) for y in rows]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=resolution)
    return path


@pytest.fixture
def two_pages(tmp_path):
    return make_pdf(tmp_path / "two.pdf")


def line_rows(document):
    """Median y of each page's ink."""
    return [
        float(np.median(np.concatenate([s.points[:, 1] for w in p.words for s in w.strokes]))) for p in document.pages
    ]


def test_registration_is_cheap_and_sniffs_bytes():
    code = (
        "import sys; from inksight_sdk import PluginRegistry; r = PluginRegistry(); "
        "s = r.select('page_source', 'pdf'); "
        "assert 'pdf2image' not in sys.modules, 'pdf2image imported at registration'; "
        "print(s.distribution)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "inksight-pdf"
    assert inksight_pdf.is_pdf(b"%PDF-1.7\n...") and inksight_pdf.is_pdf(b"junk before\n%PDF-1.4")
    assert not inksight_pdf.is_pdf(b"\x89PNG\r\n\x1a\n") and not inksight_pdf.is_pdf(b"%PDX")


def test_unavailable_without_poppler_names_both_requirements(monkeypatch, tmp_path, two_pages):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert not inksight_pdf.is_available()
    assert "pdf2image" in inksight_pdf.INSTALL_HINT and "poppler-utils" in inksight_pdf.INSTALL_HINT
    with pytest.raises(MissingPluginError, match="poppler-utils"):
        convert(str(two_pages), derenderer="skeleton", detector="projection")


@needs_poppler
def test_api_two_pages_at_a_recorded_dpi(test_registry, two_pages):
    doc = convert(
        str(two_pages),
        detector="whole-page",
        derenderer="ink-columns",
        source_options={"dpi": 150},
        registry=test_registry,
    )
    assert doc.complete and [p.index for p in doc.pages] == [0, 1]
    assert doc.metadata.dpi == 150 and all(p.dpi == 150 for p in doc.pages)
    assert all((p.width, p.height) == (450, 150) for p in doc.pages)
    # coordinates are page pixels at 150 dpi: the rows drawn at 100 dpi scaled by 1.5
    np.testing.assert_allclose(line_rows(doc), [y * 1.5 for y in LINES_Y], atol=1.5)
    xs = np.concatenate([s.points[:, 0] for w in doc.pages[0].words for s in w.strokes])
    assert xs.min() < 40 and xs.max() > 410  # the line spans x 20..280 at 100 dpi


@needs_poppler
def test_default_dpi_is_300_and_page_range(test_registry, two_pages):
    doc = convert(
        str(two_pages),
        detector="whole-page",
        derenderer="ink-columns",
        source_options={"first_page": 2},
        registry=test_registry,
    )
    assert [p.index for p in doc.pages] == [1] and doc.pages[0].dpi == 300
    assert (doc.pages[0].width, doc.pages[0].height) == (900, 300)
    np.testing.assert_allclose(line_rows(doc), [LINES_Y[1] * 3], atol=2)


@needs_poppler
def test_cli_pdf_to_inkml_carries_the_dpi(cli_with_test_plugins, two_pages, tmp_path):
    out = tmp_path / "two.inkml"
    result = cli_with_test_plugins("convert", str(two_pages), "-o", str(out), "--dpi", "150", *TEST_STAGES)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    text = out.read_text()
    assert '<annotation type="dpi">150</annotation>' in text
    doc = inkml.loads(text.encode())
    assert len(doc.pages) == 2 and doc.metadata.dpi == 150
    np.testing.assert_allclose(line_rows(doc), [y * 1.5 for y in LINES_Y], atol=1.5)
    as_json = tmp_path / "two.json"
    result = cli_with_test_plugins(
        "convert",
        str(two_pages),
        "-o",
        str(as_json),
        "--input-option",
        "dpi=72",
        "--input-option",
        "last_page=1",
        *TEST_STAGES,
    )
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    data = json.loads(as_json.read_text())
    assert data["metadata"]["dpi"] == 72 and [(p["width"], p["height"]) for p in data["pages"]] == [(216, 72)]


def _assert_one_line_error(result, code, pattern):
    import re

    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("inksight: error: ") and re.search(pattern, last), last


@needs_poppler
@pytest.mark.parametrize(
    "args,pattern",
    [
        (["--max-pages", "1"], r"2 pages to convert, over the limit of 1.*--max-pages"),
        (["--max-pixels", "10000"], r"page 1 at 300 dpi is 900x300.*--dpi.*--max-pixels"),
        (["--max-bytes", "100"], r"bytes, over the limit of 100\b.*--max-bytes"),
    ],
)
def test_cli_limits(cli_with_test_plugins, two_pages, tmp_path, args, pattern):
    out = tmp_path / "o.json"
    out.write_text("precious")
    result = cli_with_test_plugins("convert", str(two_pages), "-o", str(out), *args, *TEST_STAGES)
    _assert_one_line_error(result, ExitCode.INPUT_LIMIT, pattern)
    assert out.read_text() == "precious"


@needs_poppler
def test_page_size_is_checked_before_rendering(test_registry, tmp_path, monkeypatch):
    # 100 x 100 pixels at 1 dpi: a 7200 x 7200 pt page, 30000 x 30000 pixels at 300 dpi
    huge = make_pdf(tmp_path / "huge.pdf", rows=(50,), resolution=1.0, size=(100, 100))
    import pdf2image

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered a page over the pixel limit")

    monkeypatch.setattr(pdf2image, "convert_from_path", must_not_render)
    with pytest.raises(InputLimitError, match="30000x30000 = 900,000,000 pixels"):
        convert(str(huge), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    with pytest.raises(InputLimitError, match="over the limit of 1"):
        convert(
            str(make_pdf(tmp_path / "two.pdf")),
            detector="whole-page",
            derenderer="ink-columns",
            limits=Limits(max_pages=1),
            registry=test_registry,
        )


@needs_poppler
def test_crop_box_decides_the_rendered_size(test_registry, tmp_path):
    """A small crop box over a 20000 pt media box renders (and is measured) at the crop box."""
    pypdf = pytest.importorskip("pypdf")
    from pypdf.generic import RectangleObject

    writer = pypdf.PdfWriter(clone_from=str(make_pdf(tmp_path / "a.pdf", rows=(50,))))
    writer.pages[0].mediabox = RectangleObject([0, 0, 20000, 20000])
    writer.pages[0].cropbox = RectangleObject([0, 0, 216, 72])
    path = tmp_path / "cropped.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    doc = convert(str(path), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    assert (doc.pages[0].width, doc.pages[0].height) == (900, 300)


@needs_poppler
@pytest.mark.parametrize(
    "content,pattern",
    [
        (b"%PDF-1.4\nthis is not a pdf body\n", r"not a readable PDF \(.*\); check that the file is complete"),
        ("half", r"not a readable PDF"),
    ],
)
def test_corrupt_pdf_is_one_clear_line(cli_with_test_plugins, two_pages, tmp_path, content, pattern):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(two_pages.read_bytes()[: two_pages.stat().st_size // 2] if content == "half" else content)
    result = cli_with_test_plugins("convert", str(bad), "-o", str(tmp_path / "o.json"), *TEST_STAGES)
    _assert_one_line_error(result, ExitCode.INPUT_FILE, pattern)
    assert not (tmp_path / "o.json").exists()


@needs_poppler
def test_encrypted_pdf_is_refused_with_a_hint(cli_with_test_plugins, two_pages, tmp_path, test_registry):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=str(two_pages))
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as fh:
        writer.write(fh)
    with pytest.raises(InputFileError, match="encrypted"):
        convert(str(locked), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    result = cli_with_test_plugins("convert", str(locked), "-o", str(tmp_path / "o.json"), *TEST_STAGES)
    _assert_one_line_error(result, ExitCode.INPUT_FILE, r"encrypted \(password-protected\); decrypt it first")


@needs_poppler
def test_bad_page_range_is_a_bad_argument(test_registry, two_pages):
    from inksight_sdk.errors import BadArgumentsError

    with pytest.raises(BadArgumentsError, match="first_page 5 is after the last page"):
        convert(
            str(two_pages),
            detector="whole-page",
            derenderer="ink-columns",
            source_options={"first_page": 5},
            registry=test_registry,
        )


def test_pages_are_rendered_one_at_a_time(test_registry, two_pages, monkeypatch):
    """Each pdftoppm call renders exactly one page, single-threaded, by its crop box."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    import pdf2image

    calls = []
    real = pdf2image.convert_from_path

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf2image, "convert_from_path", spy)
    doc = convert(str(two_pages), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    assert len(doc.pages) == 2
    assert [(c["first_page"], c["last_page"]) for c in calls] == [(1, 1), (2, 2)]
    assert all(c["thread_count"] == 1 and c["use_cropbox"] and c["paths_only"] for c in calls)
