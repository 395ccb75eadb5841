"""Hostile inputs through the real CLI: documented exit code, one line, no traceback, output untouched.

Every case runs with an existing output file holding ``precious`` bytes: a
run that fails must leave it exactly as it was (and leave no temporary file).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from inksight_sdk.errors import ExitCode, InputFileError
from inksight_sdk.formats import inkml, jsonink

from .conftest import assert_one_line
from .hostile import JSON_ATTACKS, XML_ATTACKS, XML_HARMLESS, image_cases, page_png

STAGES = ["--detector", "whole-page", "--derenderer", "ink-columns"]
PRECIOUS = b"precious: an earlier run's output"


def run_protected(inksight, ledger, tmp_path, source, args=(), out_name="out.json"):
    out = tmp_path / out_name
    out.write_bytes(PRECIOUS)
    code, err = inksight("convert", source, "-o", out, *STAGES, *args)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
    if leftovers:
        ledger.partial += len(leftovers)
    assert not leftovers
    return code, err, out


@pytest.mark.parametrize("case", image_cases(), ids=lambda c: c[1])
def test_hostile_images(inksight, ledger, tmp_path, case):
    kind, name, data, args, expected, pattern = case
    source = tmp_path / ("in" + {"text": ".png", "html": ".jpg", "zip ": ".png", "ELF ": ".tif"}.get(name[:4], ".png"))
    source.write_bytes(data)
    code, err, out = run_protected(inksight, ledger, tmp_path, source, args)
    assert_one_line(code, err, expected, pattern or None)
    assert out.read_bytes() == PRECIOUS
    ledger.intact += 1
    ledger.record("hostile", kind, f"exit {int(expected)} ({expected.name}), output untouched")


def test_odd_paths(inksight, ledger, tmp_path):
    """A directory, a missing file, a FIFO (would block a naive reader): refused at once."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    for path, pattern in (
        (tmp_path / "missing.png", "not found"),
        (folder, "directory"),
        (fifo, "not a regular file"),
    ):
        code, err, out = run_protected(inksight, ledger, tmp_path, path)
        assert_one_line(code, err, ExitCode.INPUT_FILE, pattern)
        assert out.read_bytes() == PRECIOUS
        ledger.intact += 1
        ledger.record("hostile", "odd paths (missing, directory, FIFO)", "exit 3 (INPUT_FILE), no blocking")


def test_content_decides_not_the_name(inksight, ledger, tmp_path):
    source = tmp_path / "really-a-png.pdf"
    source.write_bytes(page_png())
    out = tmp_path / "out.json"
    code, err = inksight("convert", source, "-o", out, *STAGES)
    assert code == 0, err
    assert json.loads(out.read_text())["pages"][0]["width"] == 160
    ledger.record("hostile", "not what its name says", "exit 3 (INPUT_FILE); a PNG named .pdf is read as PNG")


@pytest.mark.parametrize("name", list(XML_ATTACKS), ids=list(XML_ATTACKS))
def test_xml_attacks_are_refused(inksight, ledger, tmp_path, name):
    data = XML_ATTACKS[name]
    with pytest.raises(InputFileError):  # the parser itself, whatever the sniffer thinks
        inkml.loads(data)
    source = tmp_path / "in.inkml"
    source.write_bytes(data)
    code, err, out = run_protected(inksight, ledger, tmp_path, source, out_name="out.svg")
    assert_one_line(code, err, ExitCode.INPUT_FILE)
    assert "root:" not in err and out.read_bytes() == PRECIOUS
    ledger.intact += 1
    ledger.record("hostile", "XML attack on the InkML reader", "exit 3 (INPUT_FILE), nothing resolved or expanded")


@pytest.mark.parametrize("name", list(XML_HARMLESS), ids=list(XML_HARMLESS))
def test_xml_that_must_not_be_followed(inksight, ledger, tmp_path, name):
    source = tmp_path / "in.inkml"
    source.write_bytes(XML_HARMLESS[name])
    out = tmp_path / "out.json"
    code, err = inksight("convert", source, "-o", out)
    assert code == 0, err
    text = out.read_text()
    assert "root:" not in text and "127.0.0.1" not in text
    assert len(json.loads(text)["pages"][0]["words"][0]["strokes"]) == 1
    ledger.record("hostile", "XML with XInclude / PI / deep nesting", "read as plain ink; nothing included or fetched")


@pytest.mark.parametrize("name", list(JSON_ATTACKS), ids=list(JSON_ATTACKS))
def test_json_attacks_are_refused(inksight, ledger, tmp_path, name):
    source = tmp_path / "in.json"
    source.write_bytes(JSON_ATTACKS[name])
    expected = ExitCode.INVALID_INK if "1e999" in name else ExitCode.INPUT_FILE
    code, err, out = run_protected(inksight, ledger, tmp_path, source, out_name="out.svg")
    assert_one_line(code, err, expected)
    assert out.read_bytes() == PRECIOUS
    ledger.intact += 1
    ledger.record("hostile", "malformed or hostile ink JSON", "exit 3 (INPUT_FILE) or 8 (INVALID_INK)")


def test_json_size_limit(inksight, ledger, tmp_path):
    doc = jsonink.loads(JSON_ATTACKS["NaN constant"].replace(b"NaN", b"0"))
    source = tmp_path / "in.json"
    source.write_text(jsonink.dumps(doc))
    code, err, out = run_protected(inksight, ledger, tmp_path, source, ["--max-bytes", "64"], out_name="out.svg")
    assert_one_line(code, err, ExitCode.INPUT_LIMIT, "--max-bytes")
    assert out.read_bytes() == PRECIOUS
    ledger.intact += 1
    ledger.record("hostile", "size limits", "exit 7 (INPUT_LIMIT), output untouched")


@pytest.mark.parametrize("target", ["/etc/passwd", "local image", "/dev/zero"])
def test_paths_inside_documents_are_never_followed(inksight, ledger, tmp_path, target):
    """An ink file naming a local file as its page image: the SVG underlay never embeds it."""
    secret = tmp_path / "secret-scan.png"
    secret.write_bytes(page_png())
    path = str(secret) if target == "local image" else target
    data = json.loads(JSON_ATTACKS["NaN constant"].replace(b"NaN", b"0"))
    data["pages"][0]["image"] = path
    source = tmp_path / "upload.json"
    source.write_text(json.dumps(data))
    out = tmp_path / "out.svg"
    code, err = inksight("convert", source, "-o", out, "--export-option", "with_image=true")
    assert code == 0, err
    svg = out.read_text()
    assert "data:image" not in svg and "root:" not in svg
    ledger.record("hostile", "file path inside an ink document", "never opened (no SVG underlay from it)")


@pytest.mark.poppler
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_hostile_pdfs(inksight, ledger, tmp_path):
    pytest.importorskip("inksight_pdf", reason="the PDF adapter is not installed")
    from PIL import Image

    pages = [Image.new("RGB", (200, 80), "white") for _ in range(3)]
    good = tmp_path / "good.pdf"
    pages[0].save(good, save_all=True, append_images=pages[1:], resolution=100)
    data = good.read_bytes()
    huge = tmp_path / "huge.pdf"
    Image.new("RGB", (100, 100), "white").save(huge, resolution=1.0)
    cases = [
        ("damaged PDF", b"%PDF-1.7\n" + os.urandom(2000), [], ExitCode.INPUT_FILE, "not a readable PDF"),
        ("damaged PDF", data[: len(data) // 2], [], ExitCode.INPUT_FILE, "not a readable PDF"),
        ("damaged PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", [], ExitCode.INPUT_FILE, "PDF"),
        ("PDF over a limit", data, ["--max-pages", "2"], ExitCode.INPUT_LIMIT, "--max-pages"),
        ("PDF over a limit", huge.read_bytes(), [], ExitCode.INPUT_LIMIT, "--dpi"),
        ("PDF over a limit", data, ["--max-bytes", "500"], ExitCode.INPUT_LIMIT, "--max-bytes"),
    ]
    try:
        import pypdf

        writer = pypdf.PdfWriter(clone_from=str(good))
        writer.encrypt("secret")
        locked = tmp_path / "locked.pdf"
        with open(locked, "wb") as fh:
            writer.write(fh)
        cases.append(("encrypted PDF", locked.read_bytes(), [], ExitCode.INPUT_FILE, "encrypted"))
    except ImportError:
        pass
    for kind, content, args, expected, pattern in cases:
        source = tmp_path / "in.pdf"
        source.write_bytes(content)
        code, err, out = run_protected(inksight, ledger, tmp_path, source, args)
        assert_one_line(code, err, expected, pattern)
        assert out.read_bytes() == PRECIOUS
        ledger.intact += 1
        ledger.record("hostile", kind, f"exit {int(expected)} ({expected.name}), output untouched")
