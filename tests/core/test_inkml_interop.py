"""Our InkML read back by readers other than ours: the strokes that come back must be ours.

Wacom's universal-ink-library is checked in tests/adapters/uim (it needs its own
environment); here a CROHME-style reader written to that format's documentation
(tests/support/crohme_reader.py), this SDK's own reader, and InkSight's released
form (``--export-option flavour=inksight``).
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from inksight_sdk import InkDocument
from inksight_sdk.errors import BadArgumentsError
from inksight_sdk.formats import inkml
from tests.conftest import REPO, SUPPORT, run_cli
from tests.core.test_formats import sample_document

#: InkML keeps two decimals of X and Y
PRECISION = 0.005 + 1e-3


@pytest.fixture(scope="module")
def photo_document() -> InkDocument:
    """A real conversion: the bundled photo's nine words through the embedded default."""
    import inksight_sdk

    return inksight_sdk.convert(REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg")


def _our_strokes(document: InkDocument) -> list[np.ndarray]:
    return [np.asarray(s.points, np.float64) for s in document.strokes()]


def _same_strokes(theirs: list, ours: list[np.ndarray]) -> None:
    assert len(theirs) == len(ours), "stroke count"
    for k, (a, b) in enumerate(zip(theirs, ours)):
        a = np.asarray(a, np.float64).reshape(-1, 2)
        assert a.shape == b.shape, f"stroke {k}: point count"
        np.testing.assert_allclose(a, b, atol=PRECISION, err_msg=f"stroke {k}: points (in writing order)")


def _crohme():
    import sys

    sys.path.insert(0, str(SUPPORT))
    try:
        import crohme_reader
    finally:
        sys.path.remove(str(SUPPORT))
    return crohme_reader


def test_a_crohme_style_reader_gets_our_strokes_and_words(photo_document):
    assert len(photo_document.pages[0].words) == 9
    strokes, groups = _crohme().read(inkml.dumps(photo_document))
    _same_strokes(strokes, _our_strokes(photo_document))
    assert groups == [], "the layout detector reads no text, so no word carries a label"


def test_a_crohme_style_reader_gets_transcribed_words_as_labelled_groups():
    document = sample_document()  # words with text, one without
    strokes, groups = _crohme().read(inkml.dumps(document))
    _same_strokes(strokes, _our_strokes(document))
    texted = [w for w in document.pages[0].words if w.text is not None]
    assert [label for label, _ in groups] == [w.text for w in texted]
    first = 0
    for word in document.pages[0].words:
        if word.text is not None:
            members = next(m for label, m in groups if label == word.text)
            assert members == list(range(first, first + len(word.strokes)))
        first += len(word.strokes)


def test_our_reader_round_trips_what_we_store(photo_document):
    back = inkml.loads(inkml.dumps(photo_document).encode())
    _same_strokes(_our_strokes(back), _our_strokes(photo_document))
    for ours, read in zip(photo_document.pages[0].words, back.pages[0].words):
        np.testing.assert_allclose(read.quad, ours.quad, atol=PRECISION)
        assert (read.text, read.block, read.line, read.detector, read.derenderer) == (
            ours.text,
            ours.block,
            ours.line,
            ours.detector,
            ours.derenderer,
        )
        assert read.confidence == pytest.approx(ours.confidence)
        for a, b in zip(read.strokes, ours.strokes):
            np.testing.assert_allclose(a.t, b.t, atol=5e-5 + 1e-6)  # four decimals of a second
            np.testing.assert_allclose(a.width, b.width, atol=0.005 + 1e-3)


def test_our_reader_still_reads_files_written_before_the_context():
    # inksight-sdk 0.1 wrote the trace format at the top level
    text = """<ink xmlns="http://www.w3.org/2003/InkML"><traceFormat><channel name="X" type="decimal"/>
    <channel name="Y" type="decimal"/><channel name="T" type="decimal" units="s"/></traceFormat>
    <traceGroup xml:id="page1"><annotation type="kind">page</annotation>
    <traceGroup xml:id="p1w1"><annotation type="kind">word</annotation><annotation type="transcription">hi</annotation>
    <trace>1 2 0, 3 4 0.5</trace></traceGroup></traceGroup></ink>"""
    word = inkml.loads(text).pages[0].words[0]
    assert word.text == "hi" and word.strokes[0].points.tolist() == [[1, 2], [3, 4]]
    assert word.strokes[0].t.tolist() == [0, 0.5]


def test_the_inksight_flavour_is_their_released_form_and_reads_back(photo_document):
    text = inkml.dumps(photo_document, flavour="inksight")
    from xml.etree import ElementTree

    root = ElementTree.fromstring(text)
    ns = "{http://www.w3.org/2003/InkML}"
    assert [c.tag for c in root if c.tag != f"{ns}annotation"] == [f"{ns}trace"] * len(_our_strokes(photo_document))
    first = root.find(f"{ns}trace").text
    assert "," in first.split()[0] and len(first.split()[0].split(",")) == 2, "points by spaces, X,Y by commas"
    back = inkml.loads(text)
    _same_strokes(_our_strokes(back), _our_strokes(photo_document))


def test_the_inksight_flavour_carries_the_text_in_reading_order():
    document = sample_document()
    root_text = inkml.dumps(document, flavour="inksight")
    back = inkml.loads(root_text)
    texts = [w.text for w in document.pages[0].words if w.text is not None]
    assert back.pages[0].words[0].text.split() == " ".join(texts).split()


def test_the_inksight_flavour_refuses_several_pages_in_one_line():
    document = sample_document()
    two = InkDocument(pages=[document.pages[0], attrs.evolve(document.pages[0], index=1)], metadata=document.metadata)
    with pytest.raises(BadArgumentsError, match="holds one page"):
        inkml.dumps(two, flavour="inksight")


def test_the_cli_takes_the_flavour_option(tmp_path):
    source = tmp_path / "in.inkml"
    source.write_text(inkml.dumps(sample_document()), encoding="utf-8")
    out = tmp_path / "out.inkml"
    result = run_cli("convert", str(source), "-o", str(out), "--export-option", "flavour=inksight")
    assert result.returncode == 0, result.stderr
    assert "textField" in out.read_text(encoding="utf-8")
    bad = run_cli("convert", str(source), "-o", str(tmp_path / "bad.inkml"), "--export-option", "flavour=fancy")
    assert bad.returncode != 0 and b"flavour" in bad.stderr and b"Traceback" not in bad.stderr


def test_a_file_with_every_annotation_inksight_documents_is_read():
    # docs/dataset.md of google-research/inksight: application, sourceDataset, inferenceMode, exampleId, textField;
    # traces with points separated by spaces and X,Y by commas, in the input image's pixels
    text = """<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
<annotation type="application">InkSight</annotation>
<annotation type="sourceDataset">IAM</annotation>
<annotation type="inferenceMode">Recognize and Derender</annotation>
<annotation type="exampleId">0d44ea16f816055c_76</annotation>
<annotation type="textField">move</annotation>
<trace>10.5,20 12,22.25 14,25</trace>
<trace>30,18 31,30</trace>
</ink>
"""
    document = inkml.loads(text)
    (word,) = document.pages[0].words
    assert word.text == "move"
    assert [s.points.tolist() for s in word.strokes] == [[[10.5, 20], [12, 22.25], [14, 25]], [[30, 18], [31, 30]]]
