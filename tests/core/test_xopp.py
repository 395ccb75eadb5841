"""Xournal++ (.xopp): written to Xournal++'s reader rules, read back exactly, hostile files refused.

The rules checked here are those of Xournal++'s own loader (see the module
docstring of ``inksight_sdk.formats.xopp``). When ``xournalpp`` and
``xvfb-run`` are installed (Debian: xournalpp xvfb xauth), the written file
is also opened by Xournal++ itself and its rendering compared with the photo.
"""

from __future__ import annotations

import base64
import gzip
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from inksight_sdk import InkDocument, Page, Stroke, WordInk, api
from inksight_sdk.errors import ExitCode, InputFileError, InputLimitError
from inksight_sdk.formats import jsonink, xopp
from tests.conftest import run_cli, run_main, shared

PRECIOUS = b"precious: an earlier run's output"


@pytest.fixture(scope="module")
def word_photo():
    return shared("photos", "inksight_word.jpg")


@pytest.fixture(scope="module")
def converted(word_photo):
    """The word photo converted once (default stages), as the CLI would."""
    return api.convert(str(word_photo))


def strokes_of(document):
    return [s for page in document.pages for s in page.strokes()]


def xml_of(data: bytes) -> ET.Element:
    assert data[:2] == b"\x1f\x8b", "a .xopp is gzip-compressed"
    return ET.fromstring(gzip.decompress(data))


# -- round trip ----------------------------------------------------------------


def test_photo_to_xopp_and_back_keeps_every_stroke(tmp_path, word_photo):
    """The CLI end to end: photo -> .json and .xopp; the .xopp read back has the same strokes within 0.01 px."""
    ink_json, ink_xopp, back = tmp_path / "w.json", tmp_path / "w.xopp", tmp_path / "back.json"
    for out in (ink_json, ink_xopp):
        result = run_cli("convert", str(word_photo), "-o", str(out))
        assert result.returncode == 0, result.stderr
    result = run_cli("convert", str(ink_xopp), "-o", str(back))
    assert result.returncode == 0, result.stderr
    original, read = jsonink.loads(ink_json.read_bytes()), jsonink.loads(back.read_bytes())
    (page,), (again,) = original.pages, read.pages
    assert (again.width, again.height, again.dpi) == (page.width, page.height, page.dpi) == (250, 126, 144.0)
    before, after = strokes_of(original), strokes_of(read)
    assert len(before) == len(after) > 5
    for a, b in zip(before, after):  # same order, same points
        assert a.points.shape == b.points.shape
        assert np.abs(a.points - b.points).max() < 0.01
        if a.width is not None and len(a) > 1:  # per-point widths: n - 1 travel (the last point's is not stored)
            assert np.abs(a.width[:-1] - b.width[:-1]).max() < 0.01
        assert b.t is None  # Xournal++ has no page clock


def test_page_without_dpi_is_fitted_into_a4_and_still_read_back_exactly():
    image = np.asarray(Image.open(shared("photos", "inksight_word.jpg")).convert("RGB"))
    page = api.convert(image).pages[0]  # an array: no dpi
    assert page.dpi is None
    document = InkDocument(pages=(page,))
    root = xml_of(xopp.dumps(document))
    width, height = float(root.find("page").get("width")), float(root.find("page").get("height"))
    assert max(width / 841.8898, height / 595.2756) == pytest.approx(1, abs=1e-4)  # landscape A4, the long side fits
    assert width / height == pytest.approx(page.width / page.height, rel=1e-3)
    read = xopp.loads(xopp.dumps(document)).pages[0]
    assert (read.width, read.height) == (page.width, page.height)
    for a, b in zip(page.strokes(), read.strokes()):
        assert np.abs(a.points - b.points).max() < 0.01


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        arrays(np.float32, st.tuples(st.integers(1, 40), st.just(2)), elements=st.floats(0, 1, width=32)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([None, 72.0, 144.0, 300.0, 1200.0]),
    st.integers(1, 5000),
    st.integers(1, 5000),
)
def test_any_strokes_on_the_page_read_back_within_a_hundredth_of_a_pixel(unit_points, dpi, width, height):
    strokes = [Stroke(points=p * [width - 1, height - 1]) for p in unit_points]
    page = Page(width=width, height=height, words=[WordInk(quad=np.zeros((4, 2)), strokes=strokes)], dpi=dpi)
    read = xopp.loads(xopp.dumps(InkDocument(pages=(page,)))).pages[0]
    assert (read.width, read.height) == (width, height)
    back = list(read.strokes())
    assert len(back) == len(strokes)
    for a, b in zip(strokes, back):
        if len(a) == 2 and len(b) == 1:  # two points that Xournal++ stores as one spot: a dot, read back as one
            assert np.abs(a.points[0] - a.points[1]).max() < 0.01
            a = Stroke(points=a.points[:1])
        assert np.abs(a.points - b.points).max() < 0.01


# -- Xournal++'s rules -----------------------------------------------------------


def test_written_file_follows_xournalpp_reader_rules(converted):
    data = xopp.dumps(converted, colour_by_order=True)
    root = xml_of(data)
    assert root.tag == "xournal" and root.get("fileversion") == "4" and root.get("creator").startswith("inksight-sdk")
    assert root[0].tag == "title"
    (page,) = root.findall("page")
    assert page[0].tag == "background" and page[0].get("type") == "solid"
    assert [layer.get("name") for layer in page.findall("layer")] == ["photo", "ink"]
    strokes = page.find("layer[@name='ink']").findall("stroke")
    assert len(strokes) == len(strokes_of(converted))
    colours = set()
    for stroke in strokes:
        assert stroke.get("tool") == "pen"
        assert re.fullmatch(r"#[0-9a-f]{8}", stroke.get("color")) and stroke.get("color").endswith("ff")
        colours.add(stroke.get("color"))
        coords = [float(v) for v in stroke.text.split()]
        assert len(coords) % 2 == 0 and len(coords) >= 4  # Xournal++: "Wrong count of points" otherwise
        widths = [float(v) for v in stroke.get("width").split()]
        assert all(w > 0 for w in widths)  # a non-positive width cuts the stroke in Xournal++
        assert len(widths) in (1, len(coords) // 2)  # the stroke's width, then one per segment (n - 1)
        assert not set(stroke.attrib) - {"tool", "color", "width"}  # nothing Xournal++ would read as audio
    assert len(colours) > 3  # colour by order


def test_a_dot_is_written_as_two_equal_points_and_read_as_one():
    dot = Stroke(points=[[10, 20]], width=[3])
    line = Stroke(points=[[0, 0], [5, 5], [9, 1]], width=[1, 2, 3])
    page = Page(width=100, height=50, words=[WordInk(quad=np.zeros((4, 2)), strokes=[dot, line])], dpi=144)
    data = xopp.dumps(InkDocument(pages=(page,)))
    first = xml_of(data).find("page/layer/stroke")
    assert first.text.split() == ["5.25", "10.25"] * 2 and first.get("width").split() == ["1.5", "1.5"]
    read = list(xopp.loads(data).pages[0].strokes())
    assert read[0].points.tolist() == [[10, 20]]
    assert read[1].width.tolist() == [1, 2, 2]  # n - 1 widths stored; the last point repeats the last segment's


def test_embedded_photo_lies_exactly_under_the_ink(converted):
    """The photo is a base64 PNG covering the page; the ink's points fall on the photo's dark pen strokes."""
    root = xml_of(xopp.dumps(converted))
    page = root.find("page")
    image = page.find("layer[@name='photo']/image")
    assert (image.get("left"), image.get("top")) == ("0", "0")
    assert (image.get("right"), image.get("bottom")) == (page.get("width"), page.get("height"))
    png = base64.b64decode(image.text)
    assert png.startswith(b"\x89PNG")  # cairo's reader (Xournal++ < 1.2) takes PNG only
    photo = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    per_pt = photo.shape[1] / float(page.get("width"))
    on_ink = []
    for stroke in page.findall("layer[@name='ink']/stroke"):
        xy = np.array(stroke.text.split(), float).reshape(-1, 2) * per_pt
        rows, cols = (
            np.clip(xy[:, 1].astype(int), 0, photo.shape[0] - 1),
            np.clip(xy[:, 0].astype(int), 0, photo.shape[1] - 1),
        )
        on_ink += photo[rows, cols].tolist()
    assert np.mean(on_ink) < np.percentile(photo, 25)  # the ink sits on the darkest quarter of the page


def test_photo_link_and_none(converted, word_photo):
    linked = xml_of(xopp.dumps(converted, photo="link")).find("page")
    background = linked.find("background")
    assert (background.get("type"), background.get("domain")) == ("pixmap", "absolute")
    assert background.get("filename") == os.path.abspath(word_photo)
    assert [layer.get("name") for layer in linked.findall("layer")] == ["ink"]
    plain = xml_of(xopp.dumps(converted, photo="none")).find("page")
    assert plain.find("background").get("type") == "solid" and len(plain.findall("layer")) == 1


def test_a_path_inside_an_ink_file_is_never_embedded(converted, tmp_path):
    """Only the file this conversion read is shown: an uploaded ink file naming a local image gets a white page."""
    import attrs

    page = attrs.evolve(converted.pages[0], image=str(shared("photos", "inksight_word.jpg")))
    document = InkDocument(pages=(page,))  # metadata.source: None, as for a document read from elsewhere
    root = xml_of(xopp.dumps(document, photo="embed"))
    assert root.find("page/layer[@name='photo']") is None and root.find("page/background").get("type") == "solid"
    assert xml_of(xopp.dumps(document, photo="link")).find("page/background").get("type") == "solid"


@pytest.mark.skipif(
    not (shutil.which("xournalpp") and shutil.which("xvfb-run")), reason="Xournal++ not installed (xournalpp, xvfb)"
)
def test_xournalpp_itself_draws_the_ink_where_the_page_has_it(tmp_path, converted):
    """Xournal++ opens the file and draws each stroke where a reference drawing of the page pixels has it."""
    from PIL import ImageDraw

    source = tmp_path / "w.xopp"
    source.write_bytes(xopp.dumps(converted, photo="none"))
    out = tmp_path / "w.png"
    subprocess.run(
        ["xvfb-run", "-a", "xournalpp", f"--create-img={out}", str(source)], capture_output=True, timeout=120
    )
    rendered = np.asarray(Image.open(out).convert("L")) < 128
    page = converted.pages[0]
    k = rendered.shape[1] / page.width  # rendered pixels per page pixel
    reference = Image.new("L", rendered.shape[::-1], 0)
    draw = ImageDraw.Draw(reference)
    for stroke in page.strokes():
        xy = (stroke.points.astype(float) + 0.5) * k - 0.5  # pixel centres on integers in both frames
        draw.line([tuple(p) for p in xy], fill=255, width=max(1, round(float(np.median(stroke.width)) * k)))
    ink = np.asarray(reference) > 0
    overlap = {
        (dx, dy): (np.roll(rendered, (dy, dx), axis=(0, 1)) & ink).sum() for dx in range(-4, 5) for dy in range(-4, 5)
    }
    assert max(overlap, key=overlap.get) == (0, 0)
    assert overlap[(0, 0)] > 0.8 * rendered.sum()


# -- reading Xournal++'s own files -----------------------------------------------

XOURNALPP_STYLE = """<?xml version="1.0" standalone="no"?>
<xournal creator="xournalpp 1.2.3" fileversion="4">
<title>Xournal++ document - see https://xournalpp.github.io/</title>
<preview>iVBORw0KGgo=</preview>
<page width="595.27559" height="841.88976">
<background type="solid" color="#ffffffff" style="graph" config="m1=40,rm=1"/>
<layer>
<stroke tool="pen" color="#000000ff" width="2.26 0.5 0.75 1" capStyle="round">100 100 110 102 120 104 130 106</stroke>
<stroke tool="pen" color="#808080ff" width="1.41" capStyle="round" style="dash">200 200 300 200</stroke>
<stroke tool="eraser" color="#ffffffff" width="8.5" capStyle="round">10 10 20 20</stroke>
<stroke tool="highlighter" color="#ffff007f" width="8.5" capStyle="round">10 10 20 20</stroke>
<stroke tool="pen" color="#ff0000ff" width="2 1 0 0 2 2" capStyle="round">0 0 1 1 2 2 3 3 4 4 5 5</stroke>
<text font="Sans" size="12" x="50" y="50" color="#000000ff">hello</text>
</layer>
<layer name="second">
<stroke tool="pen" color="#0000ffff" width="1" fill="128" capStyle="butt">400 400 420 430 440 400</stroke>
</layer>
</page>
</xournal>
"""


def test_reads_a_file_as_xournalpp_writes_it():
    """Per-point widths (n - 1), a stroke cut where a width is not positive, eraser and highlighter left out."""
    document = xopp.loads(XOURNALPP_STYLE.encode())
    (page,) = document.pages
    assert (page.width, page.height, page.dpi) == (1191, 1684, 144.0)  # no recorded dpi: two pixels per point
    first, second = page.words
    strokes = first.strokes
    assert len(strokes) == 4  # pen, dashed pen, and the red stroke cut in two by its zero widths
    assert strokes[0].points.tolist() == [[199.5, 199.5], [219.5, 203.5], [239.5, 207.5], [259.5, 211.5]]
    assert strokes[0].width.tolist() == [1, 1.5, 2, 2]
    assert strokes[1].width.tolist() == pytest.approx([2.82, 2.82])
    assert [s.points[:, 0].tolist() for s in strokes[2:]] == [[-0.5, 1.5], [5.5, 7.5, 9.5]]
    assert len(second.strokes) == 1 and second.line == 1
    at_72 = xopp.loads(gzip.compress(XOURNALPP_STYLE.encode()), dpi=72).pages[0]
    assert (at_72.width, at_72.height) == (595, 842)
    assert list(at_72.strokes())[0].points[0].tolist() == [99.5, 99.5]
    again = xml_of(xopp.dumps(document)).find("page")  # written again: the same page, to the nearest pixel
    assert float(again.get("width")) == pytest.approx(595.27559, abs=0.25)
    assert float(again.get("height")) == pytest.approx(841.88976, abs=0.25)
    assert again.find("layer/stroke").text.split()[:2] == ["100", "100"]


def test_reads_an_old_xournal_file_through_the_cli(tmp_path):
    old = XOURNALPP_STYLE.replace('creator="xournalpp 1.2.3" fileversion="4"', 'version="0.4.8"')
    source = tmp_path / "notes.xoj"
    source.write_bytes(gzip.compress(old.encode()))
    out = tmp_path / "notes.svg"
    result = run_cli("convert", str(source), "-o", str(out), "--dpi", "144")
    assert result.returncode == 0, result.stderr
    assert out.read_text().count("<path") == 5


# -- hostile files -----------------------------------------------------------------


def _one_stroke_file(coords: str, width: str = "1", page: str = 'width="100" height="100"') -> bytes:
    xml = f'<xournal fileversion="4"><page {page}><layer><stroke tool="pen" color="#000000ff" width="{width}">'
    return gzip.compress((xml + coords + "</stroke></layer></page></xournal>").encode())


def _bomb() -> bytes:
    """A small .xopp that inflates past the 256 MiB XML limit."""
    packer = zlib_gzip()
    head = b'<?xml version="1.0"?><xournal fileversion="4"><page width="10" height="10"><layer><stroke width="1">'
    out = [packer.compress(head)]
    chunk = b" " * (1 << 20)
    for _ in range(xopp.MAX_XML_BYTES // len(chunk) + 2):
        out.append(packer.compress(chunk))
    out.append(packer.flush())
    return b"".join(out)


def zlib_gzip():
    import zlib

    return zlib.compressobj(9, zlib.DEFLATED, 31)


HOSTILE = {
    "absurd coordinates": (_one_stroke_file("1 1 1e300 5"), ExitCode.INPUT_FILE, "far outside"),
    "infinite coordinate": (_one_stroke_file("1 1 inf 5"), ExitCode.INPUT_FILE, "infinite or NaN"),
    "odd coordinate count": (_one_stroke_file("1 1 2"), ExitCode.INPUT_FILE, "odd number"),
    "text for a number": (_one_stroke_file("1 1 two 2"), ExitCode.INPUT_FILE, "not a number"),
    "absurd width": (_one_stroke_file("1 1 2 2", width="1e30"), ExitCode.INPUT_FILE, "impossible width"),
    "page without size": (_one_stroke_file("1 1 2 2", page='width="-5" height="nan"'), ExitCode.INPUT_FILE, "width"),
    "page a billion points wide": (
        _one_stroke_file("1 1 2 2", page='width="1e9" height="1e9"'),
        ExitCode.INPUT_LIMIT,
        "--max-pixels",
    ),
    "truncated gzip": (_one_stroke_file("1 1 2 2" * 50)[:-30], ExitCode.INPUT_FILE, "damaged"),
    "entity expansion": (
        gzip.compress(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xournal>&a;</xournal>'),
        ExitCode.INPUT_FILE,
        "forbidden XML",
    ),
    "gzip bomb": (None, ExitCode.INPUT_LIMIT, "gzip bomb"),
}


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_xopp_is_refused_in_one_line_and_nothing_is_written(tmp_path, name):
    data, code, pattern = HOSTILE[name]
    source = tmp_path / "in.xopp"
    source.write_bytes(_bomb() if data is None else data)
    out = tmp_path / "out.json"
    out.write_bytes(PRECIOUS)
    result, err = run_main("convert", source, "-o", out)
    assert result == code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inksight: error: ") and re.search(pattern, lines[0]), err
    assert out.read_bytes() == PRECIOUS
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_millions_of_points_stop_at_the_limit_before_filling_memory(monkeypatch):
    monkeypatch.setattr(xopp, "MAX_POINTS", 1000)
    monkeypatch.setattr(xopp, "_CHUNK", 64)  # the limit holds inside one huge stroke, chunk by chunk
    with pytest.raises(InputLimitError, match="more than 1,000 stroke points"):
        xopp.loads(_one_stroke_file("1 1 " * 1200))
    xopp.loads(_one_stroke_file("1 1 " * 900))  # under it: read


def test_too_many_pages_and_not_xournal(tmp_path):
    two = b'<xournal><page width="9" height="9"><layer/></page><page width="9" height="9"><layer/></page></xournal>'
    with pytest.raises(InputLimitError, match="more than 1 pages"):
        xopp.loads(two, max_pages=1)
    with pytest.raises(InputFileError, match="root element is <ink>"):
        xopp.loads(b'<ink xmlns="http://www.w3.org/2003/InkML"/>')
    with pytest.raises(InputFileError, match="no pages"):
        xopp.loads(b"<xournal/>")
    assert xopp.looks_like_xopp(gzip.compress(two)) and xopp.looks_like_xopp(two)
    assert not xopp.looks_like_xopp(gzip.compress(b"<ink>")) and not xopp.looks_like_xopp(b"\x1f\x8bgarbage")
