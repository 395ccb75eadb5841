"""The PDF exporter with real photos of handwriting on real PDFs, checked by real PDF tools.

``three_pages.pdf`` holds three photos shown upright on pages turned by
``/Rotate`` 90 and 270 and seen through offset crop boxes (``pdfbuild``). It
is converted once with the builtin detector and derenderer at 100 dpi; the
tests then check the output with pypdf, ``qpdf --check``, poppler's
rasterizer (ink pixels against the strokes drawn, and against the
handwriting under them) and ``pdftotext`` (the text layer), and read it back
with our own reader.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import attrs
import cv2
import numpy as np
import pytest
from PIL import Image

from inksight_sdk import convert, load
from inksight_sdk.errors import ExitCode
from inksight_sdk.evaluation import stroke_coverage
from inksight_sdk.formats import jsonink
from inksight_sdk.imaging import to_rgb
from inksight_sdk.ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from tests.conftest import SUPPORT, run_cli, shared

from . import pdfbuild

inksight_pdf = pytest.importorskip(
    "inksight_pdf", reason="the PDF adapter is not installed: pip install -e adapters/pdf"
)
pypdf = pytest.importorskip("pypdf")
pytestmark = [
    pytest.mark.poppler,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed"),
]

DPI = 100
STAGES = ["--detector", "layout", "--derenderer", "skeleton"]
MAGENTA = "#ff00ff"


def qpdf_check(path):
    """qpdf must find nothing wrong (exit 0: no errors, no warnings)."""
    assert shutil.which("qpdf"), "qpdf is needed for these tests: apt-get install qpdf"
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def render(path, page, dpi=DPI):
    """Page ``page`` (1-based) as poppler draws it (annotations included), RGB int array."""
    png = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-cropbox", "-f", str(page), "-l", str(page), "-png", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int32)


def magenta_coverage(image):
    """How much of each pixel is magenta ink (0..1): red and blue above green."""
    return np.clip(np.minimum(image[..., 0] - image[..., 1], image[..., 2] - image[..., 1]) / 255.0, 0, 1)


def word_width(word):
    widths = [s.width for s in word.strokes if s.width is not None]
    return max(float(np.median(np.concatenate(widths))) if widths else 2.0, 0.5)


def drawn(page, shape, scale=1.0):
    """Coverage of the page's strokes drawn with each word's pen (the SDK's own anti-aliased pen), ``scale``
    times the page's resolution (pixel centres sit on integers: x -> (x + 0.5) * scale - 0.5)."""
    by_width: dict[float, list[np.ndarray]] = {}
    for word in page.words:
        by_width.setdefault(word_width(word), []).extend((s.points + 0.5) * scale - 0.5 for s in word.strokes)
    return np.max([stroke_coverage(strokes, width * scale, shape) for width, strokes in by_width.items()], axis=0)


def ink_annotations(pdf_page):
    return [a.get_object() for a in pdf_page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Ink"]


def strokes_of(doc):
    return [s.points.astype(np.float64) for s in doc.strokes()]


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """three_pages.pdf, its conversion, and that conversion written as PDF by the API."""
    folder = tmp_path_factory.mktemp("three")
    source = pdfbuild.three_pages(folder / "three_pages.pdf", shared("photos"))
    doc = convert(str(source), detector="layout", derenderer="skeleton", source_options={"dpi": DPI})
    assert doc.complete and all(p.words for p in doc.pages), doc.metadata.problems
    out = folder / "api.pdf"
    doc.save(str(out))
    return source, doc, out


def test_cli_three_pages_to_pdf_round_trips_through_our_reader(three, tmp_path):
    source, doc, api_out = three
    out = tmp_path / "out.pdf"
    result = run_cli("convert", str(source), "-o", str(out), "--dpi", str(DPI), *STAGES)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    qpdf_check(out)
    original, written = source.read_bytes(), out.read_bytes()
    assert written.startswith(original)  # an incremental update: the input's bytes are untouched
    assert written == api_out.read_bytes()  # the CLI and the API write the same bytes
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 3
    for pdf_page, page in zip(reader.pages, doc.pages):
        annots = ink_annotations(pdf_page)
        assert len(annots) == len([w for w in page.words if w.strokes]) > 0
        for annot in annots:
            assert annot["/BS"]["/W"] > 0 and len(annot["/C"]) == 3 and annot["/F"] == 4
            assert annot["/AP"]["/N"].get_object()["/Subtype"] == "/Form"
            assert str(annot["/NM"]).startswith("inksight-ltr-b")
            assert all(len(stroke) % 2 == 0 for stroke in annot["/InkList"])
    back_json = tmp_path / "back.json"
    result = run_cli("convert", str(out), "-o", str(back_json), "--dpi", str(DPI))
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    data = json.loads(back_json.read_text())
    assert data["metadata"]["plugins"] == {}  # no detector, no derenderer: the ink was read
    back = load(str(back_json))
    assert [(p.width, p.height, p.dpi) for p in back.pages] == [(p.width, p.height, p.dpi) for p in doc.pages]
    assert [len(p.words) for p in back.pages] == [len([w for w in p.words if w.strokes]) for p in doc.pages]
    assert [(w.block, w.line) for w in back.words()] == [(w.block, w.line) for w in doc.words() if w.strokes]
    before, after = strokes_of(doc), strokes_of(back)
    assert len(before) == len(after) and all(a.shape == b.shape for a, b in zip(before, after))
    error = max(float(np.abs(a - b).max()) for a, b in zip(before, after))
    assert error < 0.01, f"round trip moved a point by {error:.4f} px"


@pytest.fixture(scope="module")
def drawings(three, tmp_path_factory):
    """Each page of the input, and of the output with magenta ink as annotations and flattened, as poppler
    draws them: at the conversion's resolution, or twice it where the pen is under 2 px (so a thin pen is
    not all edge)."""
    source, doc, _ = three
    folder = tmp_path_factory.mktemp("drawings")
    outputs = {}
    for ink in ("annotations", "flatten"):
        outputs[ink] = folder / f"{ink}.pdf"
        doc.save(str(outputs[ink]), colour=MAGENTA, ink=ink, text_layer=False)
    out = []
    for number, page in enumerate(doc.pages, start=1):
        scale = 2 if np.median([word_width(w) for w in page.words]) < 2 else 1
        drawn_outputs = {k: render(v, number, scale * DPI) for k, v in outputs.items()}
        out.append((scale, render(source, number, scale * DPI), drawn_outputs))
    return out


@pytest.mark.parametrize("number", [1, 2, 3], ids=["rotate90", "rotate270-offset-crop", "offset-crop"])
def test_ink_lands_on_the_handwriting(three, drawings, number):
    """poppler's drawing of the output against the strokes drawn, and against the handwriting under them."""
    page = three[1].pages[number - 1]
    scale, source, outputs = drawings[number - 1]
    assert np.array_equal(outputs["annotations"], outputs["flatten"])  # the appearance stream is the page ink
    image = outputs["annotations"]
    assert abs(image.shape[0] - scale * page.height) <= 1 and abs(image.shape[1] - scale * page.width) <= 1
    ink = magenta_coverage(image) > 0.3
    strokes = drawn(page, image.shape[:2], scale) > 0.3
    iou = (ink & strokes).sum() / (ink | strokes).sum()
    within_1px = (ink & (cv2.dilate(strokes.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)).sum() / ink.sum()
    handwriting = cv2.dilate((source.sum(axis=2) < 3 * 130).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    on_handwriting = (ink & handwriting).sum() / ink.sum()
    assert iou > 0.85, f"IoU of drawn ink and strokes {iou:.3f}"  # measured 0.97, 0.95, 0.89 (a 1 px pen)
    assert within_1px > 0.99, f"{1 - within_1px:.1%} of the ink is over 1 px off the strokes"
    assert on_handwriting > 0.95, f"only {on_handwriting:.1%} of the ink is on handwriting"


def test_points_land_exactly_on_turned_and_cropped_pages(tmp_path):
    """Round dots at random sub-pixel places: poppler draws each centred on its point, on every /Rotate.

    (White pages: over a photo's tinted paper the measure of magenta would be biased.)
    """
    writer = pypdf.PdfWriter()
    turns = [(0, (31.0, 17.0)), (90, (12.5, 40.0)), (180, (7.0, 3.0)), (270, None)]
    for rotate, offset in turns:
        pdfbuild.add_photo_page(writer, Image.new("RGB", (250, 126), "white"), rotate, offset)
    source = pdfbuild.write(writer, tmp_path / "turns.pdf")
    rng = np.random.default_rng(7)
    pages, centres = [], []
    for number in range(1, len(turns) + 1):
        height, width = render(source, number).shape[:2]  # the page's size in pixels, as poppler draws it
        xs = np.linspace(12, width - 12, 5) + rng.uniform(0, 1, 5)
        centres.append(np.column_stack([xs, rng.uniform(12, height - 12, 5)]))
        dots = [Stroke(points=[c], width=[8.0]) for c in centres[-1]]
        quad = [[0, 0], [width, 0], [width, height], [0, height]]
        word = WordInk(quad=quad, strokes=dots)
        pages.append(Page(width=width, height=height, index=number - 1, words=[word], image=str(source), dpi=DPI))
    out = tmp_path / "dots.pdf"
    InkDocument(pages=pages, metadata=DocumentMetadata(source=str(source))).save(str(out), colour=MAGENTA)
    qpdf_check(out)
    for number, points in enumerate(centres, start=1):
        coverage = magenta_coverage(render(out, number))
        for x, y in points:
            x0, y0 = int(x) - 7, int(y) - 7
            window = coverage[y0 : y0 + 16, x0 : x0 + 16]
            yy, xx = np.mgrid[y0 : y0 + 16, x0 : x0 + 16]
            found = np.array([(window * xx).sum(), (window * yy).sum()]) / window.sum()
            assert np.abs(found - [x, y]).max() < 0.05, (turns[number - 1], (x, y), found)


TEXTS = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "Привет", "狐狸", "naïve", "😀", "ok"]


def with_texts(doc):
    texts = iter(TEXTS * 10)
    return attrs.evolve(
        doc,
        pages=[attrs.evolve(p, words=tuple(attrs.evolve(w, text=next(texts)) for w in p.words)) for p in doc.pages],
    )


def test_text_layer_is_invisible_searchable_and_at_each_word(three, tmp_path):
    _, doc, _ = three
    doc = with_texts(doc)
    out = tmp_path / "text.pdf"
    doc.save(str(out), colour=MAGENTA)
    qpdf_check(out)
    bbox = subprocess.run(
        ["pdftotext", "-cropbox", "-bbox", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    root = ET.fromstring(bbox.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    for number, (page_node, page) in enumerate(zip(root.iter("page"), doc.pages), start=1):
        found = [(w.text, [float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]) for w in page_node.iter("word")]
        assert [t for t, _ in found] == [w.text for w in page.words], number
        for (text, box), word in zip(found, page.words):
            # pdftotext gives points from the displayed top-left corner; the word's quad is in pixels
            centre = (np.array([box[0] + box[2], box[1] + box[3]]) / 2) * DPI / 72 - 0.5
            lo, hi = word.quad.min(axis=0), word.quad.max(axis=0)
            assert lo[0] - 1 <= centre[0] <= hi[0] + 1, (text, centre, lo, hi)
            band = hi[1] - lo[1]  # the text spans its line's band, which holds the word
            assert lo[1] - band <= centre[1] <= hi[1] + band, (text, centre, lo, hi)
    plain = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "The quick brown fox jumps over the" in " ".join(plain.split())
    # invisible: the page looks exactly as without the text layer
    without = tmp_path / "without.pdf"
    doc.save(str(without), colour=MAGENTA, text_layer=False)
    for number in (2, 3):  # (page 1, a long photo turned, is slow to draw)
        assert np.array_equal(render(out, number), render(without, number))
    assert subprocess.run(["pdftotext", str(without), "-"], capture_output=True, text=True).stdout.strip() == ""
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "GlyphLessFont" in fonts and " yes yes " not in fonts  # embedded (not subset), with ToUnicode
    assert " yes " in fonts.splitlines()[-1]


def test_word_text_is_the_annotation_contents(three, tmp_path):
    _, doc, _ = three
    doc = with_texts(doc)
    out = tmp_path / "contents.pdf"
    doc.save(str(out))
    contents = [str(a["/Contents"]) for p in pypdf.PdfReader(out).pages for a in ink_annotations(p)]
    assert contents == [w.text for w in doc.words() if w.strokes]
    back = convert(str(out), source_options={"dpi": DPI})
    assert [w.text for w in back.words()] == contents


def test_writing_our_output_again_adds_nothing(three, tmp_path):
    """Ink read from a PDF's own annotations is there already: exporting it again writes the same file.
    The same ink kept in an ink file and written as PDF from there is written again, on blank pages."""
    _, doc, api_out = three
    again = tmp_path / "again.pdf"
    read = convert(str(api_out), source_options={"dpi": DPI})
    read.save(str(again))
    assert again.read_bytes() == api_out.read_bytes()
    ink_file = tmp_path / "read.json"
    read.save(str(ink_file))
    from_ink_file = tmp_path / "from-ink-file.pdf"
    load(str(ink_file)).save(str(from_ink_file))
    counts = [len(ink_annotations(p)) for p in pypdf.PdfReader(from_ink_file).pages]
    assert counts == [len([w for w in p.words if w.strokes]) for p in doc.pages]


def test_image_input_becomes_a_page_under_its_ink(tmp_path):
    """A JPEG goes in as it is (no recompression), at its own DPI; its ink round-trips at that DPI."""
    photo = shared("photos", "inksight_page.jpg")  # 1852 x 242 at 144 dpi
    doc = convert(str(photo), detector="layout", derenderer="skeleton")
    out = tmp_path / "fox.pdf"
    doc.save(str(out))
    qpdf_check(out)
    (page,) = pypdf.PdfReader(out).pages
    assert [float(v) for v in page.mediabox] == [0, 0, 1852 * 72 / 144, 242 * 72 / 144]
    (image,) = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    assert image["/Filter"] == "/DCTDecode" and image.get_data() == photo.read_bytes()
    assert len(ink_annotations(page)) == len([w for w in doc.pages[0].words if w.strokes])
    back = convert(str(out), source_options={"dpi": 144})
    assert (back.pages[0].width, back.pages[0].height) == (1852, 242)
    error = max(float(np.abs(a - b).max()) for a, b in zip(strokes_of(doc), strokes_of(back)))
    assert error < 0.01


def test_png_input_cli_pixels_kept(tmp_path):
    """A PNG with transparency is stored as the page source decoded it (on white), losslessly, filling the page."""
    photo = shared("photos", "simplehtr_line.png")
    out = tmp_path / "line.pdf"
    result = run_cli("convert", str(photo), "-o", str(out), *STAGES, "--export-option", f"colour={MAGENTA}")
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    qpdf_check(out)
    expected = np.asarray(to_rgb(Image.open(photo)))
    (page,) = pypdf.PdfReader(out).pages
    (image,) = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    stored = np.frombuffer(image.get_data(), np.uint8).reshape(image["/Height"], image["/Width"], 3)
    assert image["/Filter"] == "/FlateDecode" and np.array_equal(stored, expected)
    # drawn by poppler at the photo's own resolution (its PNG records 96.012 dpi, which the page size is
    # chosen for), the page is the photo (poppler resamples a little)
    drawn_page = render(out, 1, Image.open(photo).info["dpi"][0])
    assert drawn_page.shape == expected.shape
    away = cv2.erode((magenta_coverage(drawn_page) == 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.abs(drawn_page - expected)[away].mean() < 10


def test_what_the_input_pdf_holds_survives(tmp_path):
    """A sticky note, a form field, an outline, Info and XMP metadata are all still there, unchanged."""
    source = pdfbuild.with_everything(tmp_path / "everything.pdf", shared("photos", "inksight_page.jpg"))
    out = tmp_path / "out.pdf"
    result = run_cli("convert", str(source), "-o", str(out), "--dpi", str(DPI), *STAGES)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    qpdf_check(out)
    assert out.read_bytes().startswith(source.read_bytes())
    before, after = pypdf.PdfReader(source), pypdf.PdfReader(out)
    assert after.metadata == before.metadata and after.metadata["/Title"] == "Fox notes"
    assert after.xmp_metadata.dc_title == {"x-default": "Fox notes"}
    assert [o.title for o in after.outline] == ["The fox line"]
    assert {k: v.get("/V") for k, v in after.get_fields().items()} == {"reviewer": "Ada"}
    kinds = [a.get_object()["/Subtype"] for a in after.pages[0]["/Annots"]]
    assert kinds[:2] == ["/Text", "/Widget"] and set(kinds[2:]) == {"/Ink"} and len(kinds) > 2
    note = after.pages[0]["/Annots"][0].get_object()
    assert note["/Contents"] == "check the date" and note["/NM"] == "reviewer-note-1"


def test_a_failed_page_is_kept_without_ink(cli_with_test_plugins, tmp_path):
    """Page 2 hangs its detector: it is kept as it was, listed in the problems, and the exit code is 6."""
    sys.path.insert(0, str(SUPPORT))
    try:
        from inksight_test_plugins import mark_page
    finally:
        sys.path.pop(0)
    pages = [np.full((100, 300, 3), 255, np.uint8) for _ in range(3)]
    for image in pages:
        image[45:55, 20:280] = 0
    pages[1] = mark_page(pages[1])
    pages[1][:8, :8] = pages[1][0, 0]  # a red corner that stays pure red when drawn
    writer = pypdf.PdfWriter()
    for image in pages:
        pdfbuild.add_photo_page(writer, Image.fromarray(image))  # stored losslessly
    source = pdfbuild.write(writer, tmp_path / "three.pdf")
    out = tmp_path / "out.pdf"
    result = cli_with_test_plugins(
        "convert",
        str(source),
        "-o",
        str(out),
        "--dpi",
        "150",
        "--detector",
        "marker",
        "--detector-option",
        "hang=30",
        "--derenderer",
        "ink-columns",
        "--page-timeout",
        "2",
    )
    err = result.stderr.decode()
    assert result.returncode == ExitCode.INCOMPLETE, err
    assert "page 2" in err and "Traceback" not in err
    qpdf_check(out)
    assert out.read_bytes().startswith(source.read_bytes())
    reader = pypdf.PdfReader(out)
    assert [len(ink_annotations(p)) for p in reader.pages] == [1, 0, 1]


@pytest.mark.parametrize("rewrite", [["--object-streams=generate"], ["--linearize"]], ids=["xref-stream", "linearized"])
def test_inputs_with_xref_streams_or_linearized_get_a_valid_update(cli_with_test_plugins, tmp_path, rewrite):
    """The update's cross-reference section is of the kind the file already uses (a stream after a stream)."""
    plain = pdfbuild.raw_pdf(tmp_path / "plain.pdf", "/MediaBox [0 0 216 72]", [], b"0 0 0 RG 4 w 20 36 m 196 36 l S")
    source = tmp_path / "rewritten.pdf"
    subprocess.run(["qpdf", *rewrite, str(plain), str(source)], check=True)
    out = tmp_path / "out.pdf"
    stages = ["--detector", "whole-page", "--detector-option", "text=word", "--derenderer", "ink-columns"]
    result = cli_with_test_plugins("convert", str(source), "-o", str(out), "--dpi", "100", *stages)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    qpdf_check(out)
    update = out.read_bytes()[len(source.read_bytes()) :]
    as_stream, as_table = b"/Type /XRef" in update, b"\nxref\n" in update
    assert as_stream != as_table and as_stream == (rewrite == ["--object-streams=generate"])
    back = convert(str(out), source_options={"dpi": 100})
    assert [w.text for w in back.words()] == ["word0"]
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert text.strip() == "word0"


def test_pages_outside_the_range_are_kept_as_they_were(cli_with_test_plugins, tmp_path):
    source = tmp_path / "two.pdf"
    image = Image.new("RGB", (300, 100), "white")
    image.paste((0, 0, 0), (20, 45, 280, 55))
    image.save(source, save_all=True, append_images=[image], resolution=100.0)
    out = tmp_path / "out.pdf"
    result = cli_with_test_plugins(
        "convert", str(source), "-o", str(out), "--input-option", "first_page=2", "--detector", "whole-page",
        "--derenderer", "ink-columns",
    )  # fmt: skip
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    assert [len(ink_annotations(p)) for p in pypdf.PdfReader(out).pages] == [0, 1]


def test_ink_from_an_ink_file_goes_on_blank_pages_and_paths_inside_it_are_not_followed(tmp_path, three):
    """A page's ``image`` named inside an ink file is never read: a hostile file cannot pull a PDF in."""
    source, doc, _ = three
    ink_file = tmp_path / "ink.json"
    ink_file.write_text(jsonink.dumps(doc))  # every page names three_pages.pdf as its image
    out = tmp_path / "out.pdf"
    result = run_cli("convert", str(ink_file), "-o", str(out))
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    assert "hold the ink alone" in result.stderr.decode()
    qpdf_check(out)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 3 and all("/XObject" not in p["/Resources"] for p in reader.pages)
    assert b"/Photo" not in out.read_bytes()
    back = convert(str(out), source_options={"dpi": DPI})
    error = max(float(np.abs(a - b).max()) for a, b in zip(strokes_of(doc), strokes_of(back)))
    assert error < 0.01


@pytest.mark.parametrize(
    "option,pattern",
    [
        ("ink=paint", r"ink must be one of annotations, flatten, got 'paint'$"),
        ("colour=blue", r"colour must be a colour like #1a237e, got 'blue'$"),
        ("text_layer=3", r"text_layer must be true or false, got 3$"),
    ],
)
def test_bad_export_options_are_one_line(tmp_path, option, pattern):
    ink = [pdfbuild.ink_annotation([[10, 10, 50, 50]])]
    source = pdfbuild.raw_pdf(tmp_path / "in.pdf", "/MediaBox [0 0 100 100]", ink)
    out = tmp_path / "out.pdf"
    result = run_cli("convert", str(source), "-o", str(out), "--export-option", option)
    err = result.stderr.decode()
    assert result.returncode == ExitCode.BAD_ARGUMENTS, err
    assert len(err.strip().splitlines()) == 1 and re.search(pattern, err.strip()), err
    assert not out.exists()


def test_registration_is_cheap(tmp_path):
    code = (
        "import sys; from inksight_sdk import PluginRegistry; r = PluginRegistry(); "
        "e = r.for_extension('exporter', 'out.pdf'); "
        "assert 'pypdf' not in sys.modules and 'pdf2image' not in sys.modules, 'imported at registration'; "
        "print(e.name, e.distribution)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pdf", "inksight-pdf"]


def test_empty_document_and_words_without_ink(tmp_path):
    """A page whose words carry text but no strokes still gets its text layer, and no annotation."""
    quad = [[10, 10], [90, 10], [90, 30], [10, 30]]
    doc = InkDocument(pages=[Page(width=100, height=40, words=[WordInk(quad=quad, text="hello")])])
    out = tmp_path / "text-only.pdf"
    doc.save(str(out))
    qpdf_check(out)
    (page,) = pypdf.PdfReader(out).pages
    assert "/Annots" not in page
    assert subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.strip() == "hello"


def test_handwriting_read_by_tesseract_becomes_searchable(tmp_path):
    """End to end with a detector that reads, on a turned page: the text layer holds every word it read."""
    from inksight_sdk.pipeline import default_registry

    if not default_registry().select("detector", "tesseract").available():
        pytest.skip("the tesseract detector is not installed")
    writer = pypdf.PdfWriter()
    pdfbuild.add_photo_page(writer, shared("photos", "inksight_page.jpg"), 90)
    source = pdfbuild.write(writer, tmp_path / "fox.pdf")
    doc = convert(str(source), detector="tesseract", source_options={"dpi": 150})
    read = [w.text for w in doc.words()]
    assert len(read) >= 4 and "brown" in read, read
    out = tmp_path / "out.pdf"
    doc.save(str(out))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert text.split() == read


def test_ink_that_does_not_fit_its_pdf_is_refused(three, tmp_path):
    """A document whose pages do not match the PDF it names is refused in one line, and nothing is written."""
    from inksight_sdk.errors import BadArgumentsError

    _, doc, _ = three
    resized = attrs.evolve(doc, pages=[attrs.evolve(doc.pages[0], width=doc.pages[0].width + 40), *doc.pages[1:]])
    out = tmp_path / "out.pdf"
    with pytest.raises(BadArgumentsError, match=r"page 1 of the ink is 1275x162 pixels at 100 dpi, but that page"):
        resized.save(str(out))
    elsewhere = attrs.evolve(doc, pages=[attrs.evolve(doc.pages[1], index=7)])
    with pytest.raises(BadArgumentsError, match="page 8 of the ink does not come from"):
        elsewhere.save(str(out))
    assert not out.exists()
