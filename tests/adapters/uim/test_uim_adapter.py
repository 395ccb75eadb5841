"""Wacom's Universal Ink Model: our InkML read by Wacom's library, .uim out and in through the library itself.

Everything that touches universal-ink-library runs in the UIM environment
(``uim_python``, see tests/conftest.py); this process writes the inputs and
checks what comes back. The library's side is tests/support/uim_probe.py,
which uses the library alone, as Wacom's tools and other applications do.
"""

from __future__ import annotations

import json

import attrs
import numpy as np
import pytest

import inksight_sdk
from inksight_sdk import InkDocument
from inksight_sdk.evaluation import load_wacom_strokes
from inksight_sdk.formats import inkml, jsonink
from tests.conftest import REPO, SUPPORT, run_cli, run_in, shared
from tests.core.test_formats import sample_document

PROBE = str(SUPPORT / "uim_probe.py")
#: InkML keeps two decimals; UIM keeps sensor X and Y to the micrometre
INKML_PRECISION = 0.005 + 1e-3
UIM_PRECISION = 0.005


@pytest.fixture(scope="module")
def photo_document() -> InkDocument:
    return inksight_sdk.convert(REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg")


def _probe(uim_python, *args: str) -> dict:
    result = run_in(uim_python, PROBE, *map(str, args))
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _assert_strokes(theirs: list, ours: list[np.ndarray], atol: float) -> None:
    assert len(theirs) == len(ours), "stroke count"
    for k, (a, b) in enumerate(zip(theirs, ours)):
        a = np.asarray(a, np.float64).reshape(-1, 2)
        assert a.shape == b.shape, f"stroke {k}: point count"
        np.testing.assert_allclose(a, b, atol=atol, err_msg=f"stroke {k} (in writing order)")


def _points(document: InkDocument) -> list[np.ndarray]:
    return [np.asarray(s.points, np.float64) for s in document.strokes()]


def _with_text(document: InkDocument) -> InkDocument:
    """The photo's words with transcriptions (the layout detector reads none), and a second page."""
    texts = "The quick brown fox jumps over the lazy dog.".split()
    page = document.pages[0]
    words = [attrs.evolve(w, text=t) for w, t in zip(page.words, texts, strict=True)]
    first = attrs.evolve(page, words=words)
    second = attrs.evolve(page, index=1, words=words[:3], dpi=None)
    return attrs.evolve(document, pages=[first, second])


# -- InkML --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["photo", "sample"])
def test_wacoms_inkml_parser_reads_our_inkml_with_our_strokes(uim_python, tmp_path, which):
    path = tmp_path / "ours.inkml"
    if which == "photo":  # exactly what `inksight convert photo.jpg -o out.inkml` writes
        result = run_cli("convert", str(REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"), "-o", str(path))
        assert result.returncode == 0, result.stderr
        document = inkml.loads(path.read_bytes())
    else:  # words with text, a one-point stroke
        document = sample_document()
        path.write_text(inkml.dumps(document), encoding="utf-8")
    theirs = _probe(uim_python, "inkml", path)["strokes"]
    # the library makes a one-point stroke (a dot) a segment to the point one unit right and down of it
    theirs = [t[:1] if len(o) == 1 and len(t) == 2 else t for t, o in zip(theirs, _points(document))]
    _assert_strokes(theirs, _points(document), INKML_PRECISION)


def test_the_form_we_wrote_before_failed_in_wacoms_parser(uim_python, tmp_path):
    # inksight-sdk 0.1: trace format outside a context, so the library assumed integer milliseconds for T
    old = """<ink xmlns="http://www.w3.org/2003/InkML"><traceFormat><channel name="X" type="decimal"/>
    <channel name="Y" type="decimal"/><channel name="T" type="decimal" units="s"/></traceFormat>
    <trace>1 2 0, 3 4 0.0086</trace></ink>"""
    path = tmp_path / "old.inkml"
    path.write_text(old, encoding="utf-8")
    result = run_in(uim_python, PROBE, "inkml", str(path))
    assert result.returncode != 0 and "invalid literal for int()" in result.stderr


# -- .uim out and in ----------------------------------------------------------------------------------


def test_uim_round_trips_through_wacoms_library(uim_python, tmp_path, photo_document):
    document = _with_text(photo_document)
    source, uim, back = tmp_path / "in.json", tmp_path / "out.uim", tmp_path / "back.json"
    source.write_text(jsonink.dumps(document), encoding="utf-8")
    made = run_in(uim_python, "-m", "inksight_sdk", "convert", str(source), "-o", str(uim))
    assert made.returncode == 0 and made.stderr == "", made.stderr
    assert uim.read_bytes()[:4] == b"RIFF"

    seen = _probe(uim_python, "uim", uim)  # as Wacom's tools see it
    _assert_strokes(seen["strokes"], _points(document), UIM_PRECISION)
    texts = [w.text for p in document.pages for w in p.words]
    assert [w["text"] for w in seen["words"]] == texts
    first = 0
    for word, theirs in zip([w for p in document.pages for w in p.words], seen["words"]):
        assert theirs["strokes"] == list(range(first, first + len(word.strokes)))
        first += len(word.strokes)
    assert seen["text"].split("\n")[0] == "The quick brown fox jumps over the lazy dog."

    read = run_in(uim_python, "-m", "inksight_sdk", "convert", str(uim), "-o", str(back))
    assert read.returncode == 0, read.stderr
    again = jsonink.loads(back.read_bytes())
    assert [(p.index, p.width, p.height, p.dpi, p.direction) for p in again.pages] == [
        (p.index, p.width, p.height, p.dpi, p.direction) for p in document.pages
    ]
    for ours, theirs in zip([w for p in document.pages for w in p.words], [w for p in again.pages for w in p.words]):
        assert (theirs.text, theirs.block, theirs.line, theirs.detector, theirs.derenderer) == (
            ours.text,
            ours.block,
            ours.line,
            ours.detector,
            ours.derenderer,
        )
        assert theirs.confidence == pytest.approx(ours.confidence)
        np.testing.assert_allclose(theirs.quad, ours.quad, atol=1e-3)
        for a, b in zip(theirs.strokes, ours.strokes):
            np.testing.assert_allclose(a.points, b.points, atol=UIM_PRECISION)
            np.testing.assert_allclose(a.t, b.t, atol=0.0005 + 1e-6)  # milliseconds
            np.testing.assert_allclose(a.width, b.width, rtol=1e-6)


def test_a_uim_saved_by_another_application_is_ink_input(uim_python, tmp_path):
    note = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    points = tmp_path / "note.json"
    points.write_text(json.dumps([s.tolist() for s in note]), encoding="utf-8")
    uim, out = tmp_path / "note.uim", tmp_path / "note.json"
    assert _probe(uim_python, "make-uim", points, uim) == {"strokes": 177}
    result = run_in(uim_python, "-m", "inksight_sdk", "convert", str(uim), "-o", str(out))
    assert result.returncode == 0, result.stderr
    document = jsonink.loads(out.read_bytes())
    assert len(document.pages) == 1 and len(document.pages[0].words) == 1, "no words in the file: one of all strokes"
    _assert_strokes(_points(document), note, UIM_PRECISION)
    times = [s.t for s in document.strokes()]
    assert times[0][0] == 0 and all(np.all(np.diff(t) > 0) for t in times), "the pen's clock, from the first sample"


def test_plugins_lists_uim_where_it_is_installed_and_says_how_to_get_it_elsewhere(uim_python):
    there = run_in(uim_python, "-m", "inksight_sdk", "plugins")
    assert there.returncode == 0
    assert sum("uim" in line and "available" in line for line in there.stdout.splitlines()) == 2, there.stdout
    here = run_cli("plugins")
    lines = [ln for ln in here.stdout.decode().splitlines() if ln.strip().startswith("uim")]
    assert len(lines) == 2 and all("not installed" in ln and "adapters/uim" in ln for ln in lines), lines


def test_a_uim_file_without_the_adapter_says_what_to_install(uim_python, tmp_path):
    source, uim = tmp_path / "in.json", tmp_path / "in.uim"
    source.write_text(jsonink.dumps(sample_document()), encoding="utf-8")
    assert run_in(uim_python, "-m", "inksight_sdk", "convert", str(source), "-o", str(uim)).returncode == 0
    result = run_cli("convert", str(uim), "-o", str(tmp_path / "out.json"))  # this environment has no adapter
    assert result.returncode == 5, result.stderr
    assert b"adapters/uim" in result.stderr and b"Traceback" not in result.stderr
