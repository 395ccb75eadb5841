"""JSON (schema, exact round trip), InkML (W3C structure, InkSight flavour, hostile XML), SVG."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inksight_sdk import DocumentMetadata, InkDocument, Page, Stroke, WordInk
from inksight_sdk.errors import InputFileError
from inksight_sdk.formats import inkml, jsonink
from inksight_sdk.formats.svg import render_svg

finite = st.floats(-1e4, 1e4, allow_nan=False, width=32)


@st.composite
def strokes(draw):
    n = draw(st.integers(1, 30))
    points = draw(arrays(np.float32, (n, 2), elements=finite))
    t = None
    if draw(st.booleans()):
        t = np.cumsum(draw(arrays(np.float64, n, elements=st.floats(0, 10))))
    width = draw(st.none() | arrays(np.float32, n, elements=st.floats(0, 50, width=32)))
    return Stroke(points=points, t=t, width=width)


@st.composite
def documents(draw):
    pages = []
    for index in range(draw(st.integers(0, 2))):
        words = [
            WordInk(
                quad=draw(arrays(np.float32, (4, 2), elements=finite)),
                strokes=draw(st.lists(strokes(), max_size=3)),
                text=draw(st.none() | st.text(max_size=12)),
                confidence=draw(st.none() | st.floats(0, 1)),
                block=draw(st.integers(0, 3)),
                line=draw(st.integers(0, 3)),
                detector="d",
                derenderer=draw(st.none() | st.just("x")),
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
        pages.append(
            Page(
                width=draw(st.integers(1, 5000)),
                height=draw(st.integers(1, 5000)),
                index=index,
                words=words,
                dpi=draw(st.none() | st.floats(1, 1200)),
                direction=draw(st.sampled_from(["ltr", "rtl", "ttb"])),
            )
        )
    meta = DocumentMetadata(
        source=draw(st.none() | st.text(max_size=20)),
        sdk_version="0.1.0",
        plugins={"derenderer": "x (y 1)"},
        problems=tuple(draw(st.lists(st.text(max_size=10), max_size=2))),
    )
    return InkDocument(pages=pages, metadata=meta)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_json_validates_and_round_trips_exactly(doc):
    text = jsonink.dumps(doc)
    jsonink.validate(json.loads(text))
    assert jsonink.loads(text) == doc


def test_json_reader_rejects_schema_violations_with_a_location():
    good = json.loads(jsonink.dumps(sample_document()))
    good["pages"][0]["words"][0]["strokes"][0]["points"][0] = [1.0]
    with pytest.raises(InputFileError, match="pages/0/words/0/strokes/0/points/0"):
        jsonink.loads(json.dumps(good))
    with pytest.raises(InputFileError, match="not valid JSON"):
        jsonink.loads('{"format": "inksight-ink", ')
    with pytest.raises(InputFileError, match="NaN"):
        jsonink.loads('{"format": "inksight-ink", "version": 1, "metadata": {}, "pages": [NaN]}')


def sample_document():
    s1 = Stroke(points=[[10.5, 20.25], [11.0, 22.0], [13.0, 25.5]], t=[0.0, 0.01, 0.03], width=[2.0, 2.5, 2.0])
    s2 = Stroke(points=[[30, 20], [30, 40]], t=[0.2, 0.3], width=[2.0, 2.0])
    words = [
        WordInk(
            quad=[[5, 15], [35, 15], [35, 45], [5, 45]],
            strokes=[s1, s2],
            text="hé <&>",
            confidence=0.5,
            detector="layout",
            derenderer="skeleton",
        ),
        WordInk(
            quad=[[50, 15], [80, 15], [80, 45], [50, 45]],
            strokes=[Stroke(points=[[55, 30]], t=[0.5], width=[3])],
            line=0,
        ),
    ]
    return InkDocument(
        pages=[Page(width=100, height=60, words=words, dpi=300)],
        metadata=DocumentMetadata(source="x.png", sdk_version="0.1.0"),
    )


def test_inkml_has_w3c_structure():
    text = inkml.dumps(sample_document())
    root = ET.fromstring(text)
    ns = {"i": "http://www.w3.org/2003/InkML"}
    assert root.tag == "{http://www.w3.org/2003/InkML}ink"
    # the trace format is declared in a context (a non-default format must be) that every trace refers to
    context = root.find("i:definitions/i:context", ns)
    channels = [c.get("name") for c in context.find("i:inkSource/i:traceFormat", ns)]
    assert channels == ["X", "Y", "T", "W"]
    traces = root.findall(".//i:trace", ns)
    assert len(traces) == 3
    assert {t.get("contextRef") for t in traces} == {"#" + context.get("{http://www.w3.org/XML/1998/namespace}id")}
    ids = [t.get("{http://www.w3.org/XML/1998/namespace}id") for t in traces]
    assert all(ids) and len(set(ids)) == 3, "every trace is named, once"
    first = traces[0].text.split(",")
    assert len(first) == 3 and first[0].split() == ["10.5", "20.25", "0", "2"]  # points by commas, channels by spaces
    words = [g for g in root.iter("{http://www.w3.org/2003/InkML}traceGroup") if g.find("i:trace", ns) is not None]
    notes = {a.get("type"): a.text for a in words[0].findall("i:annotation", ns)}
    assert notes["transcription"] == "hé <&>"


def test_inkml_round_trip_keeps_strokes_words_and_pages():
    doc = sample_document()
    back = inkml.loads(inkml.dumps(doc).encode())
    assert len(back.pages) == 1 and back.pages[0].width == 100 and back.pages[0].dpi == 300
    for w0, w1 in zip(doc.pages[0].words, back.pages[0].words):
        assert w1.text == w0.text
        np.testing.assert_allclose(w1.quad, w0.quad, atol=0.01)
        assert len(w1.strokes) == len(w0.strokes)
        for s0, s1 in zip(w0.strokes, w1.strokes):
            np.testing.assert_allclose(s1.points, s0.points, atol=0.005)
            np.testing.assert_allclose(s1.t, s0.t, atol=1e-4)


INKSIGHT_STYLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
  <annotation type="application">InkSight</annotation>
  <annotation type="inferenceMode">Derender with Text</annotation>
  <annotation type="textField">Neat</annotation>
  <trace>12.5,30 14,31.5 16,33</trace>
  <trace>40,10 40,50</trace>
</ink>"""


def test_reads_inksight_released_files_with_swapped_separators():
    doc = inkml.loads(INKSIGHT_STYLE)
    word = doc.pages[0].words[0]
    assert word.text == "Neat"
    np.testing.assert_allclose(word.strokes[0].points, [[12.5, 30], [14, 31.5], [16, 33]])
    np.testing.assert_allclose(word.strokes[1].points, [[40, 10], [40, 50]])


def test_standard_single_point_traces_and_crohme_style_groups():
    text = b"""<ink xmlns="http://www.w3.org/2003/InkML">
    <traceFormat><channel name="X"/><channel name="Y"/></traceFormat>
    <traceGroup><annotation type="truth">x</annotation><trace>1 2, 3 4</trace><trace>5 6</trace></traceGroup></ink>"""
    word = inkml.loads(text).pages[0].words[0]
    assert word.text == "x" and len(word.strokes) == 2 and word.strokes[1].points.tolist() == [[5, 6]]


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ink><trace>&xxe;</trace></ink>',
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><ink><annotation type="textField">&c;</annotation></ink>',
        b'<?xml version="1.0"?><!DOCTYPE ink SYSTEM "http://example.invalid/ink.dtd"><ink/>',
    ],
)
def test_hostile_xml_is_refused(payload):
    with pytest.raises(InputFileError, match="refused|forbidden"):
        inkml.loads(payload)


@pytest.mark.parametrize(
    "payload", [b"<ink><trace>1 2, 3</trace></ink>", b"<notink/>", b"<ink><trace>", b"<ink><trace>'1 2</trace></ink>"]
)
def test_malformed_inkml_is_one_clear_error(payload):
    with pytest.raises(InputFileError):
        inkml.loads(payload)


def test_svg_colours_by_order_red_to_violet():
    svg = render_svg(sample_document(), colour_by_order=True)
    root = ET.fromstring(svg)
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == 3
    colours = [p.get("stroke") for p in paths]
    assert colours[0].lower().startswith("#d") and colours[0] != colours[-1]  # red first


def test_text_export_is_the_transcription_by_lines_and_pages():
    from inksight_sdk.formats.text import document_text

    stroke = Stroke(points=[[1, 1], [2, 2]])
    quad = [[0, 0], [3, 0], [3, 3], [0, 3]]

    def word(text, line, block=0):
        return WordInk(quad=quad, strokes=[stroke], text=text, line=line, block=block)

    first = Page(width=10, height=10, words=[word("Dear", 0), word(None, 0), word("Ada,", 0), word("thanks", 1)])
    second = Page(width=10, height=10, index=1, words=[word("P.S.", 0, block=1), word(" ", 1)])
    document = InkDocument(pages=[first, second], metadata=DocumentMetadata())
    assert document_text(document) == "Dear Ada,\nthanks\n\fP.S.\n"


def test_svg_ink_lands_on_the_pixel_centres_of_the_page_image():
    """A point at pixel (x, y) (its centre, the data model's frame) is drawn at SVG (x + 0.5, y + 0.5)."""
    page = Page(
        width=10,
        height=8,
        words=[WordInk(quad=[[0, 0], [9, 0], [9, 7], [0, 7]], strokes=[Stroke(points=[[3, 4], [6, 4]])])],
    )
    root = ET.fromstring(render_svg(InkDocument(pages=[page])))
    ns = "{http://www.w3.org/2000/svg}"
    (path,) = root.findall(f".//{ns}path")
    parents = {child: parent for parent in root.iter() for child in parent}
    shift, node = np.zeros(2), path
    while node in parents:
        node = parents[node]
        transform = node.get("transform", "")
        if transform.startswith("translate("):
            shift += [float(v) for v in transform[len("translate(") : -1].split()]
    first = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))[:2]]
    assert (np.array(first) + shift).tolist() == [3.5, 4.5], (path.get("d"), shift)


def test_svg_words_are_groups_titled_with_their_text():
    svg = render_svg(sample_document())
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    titled = [g for g in root.iter(f"{ns}g") if g.find(f"{ns}title") is not None]
    assert [g.find(f"{ns}title").text for g in titled] == ["hé <&>"]
    assert len(titled[0].findall(f"{ns}path")) == 2, "the word's own strokes inside its group"
