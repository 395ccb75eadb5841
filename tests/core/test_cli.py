"""The real ``inksight`` CLI in subprocesses: outputs, exit codes, messages, no partial files."""

import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inksight_sdk.errors import ExitCode
from inksight_sdk.formats import inkml
from tests.conftest import REPO, SUPPORT, shared

TEST_STAGES = ["--detector", "whole-page", "--derenderer", "ink-columns"]


@pytest.fixture
def page(tmp_path):
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(20, 50), (280, 50)], fill="black", width=4)
    path = tmp_path / "page.png"
    image.save(path)
    return path


def stderr_line(result):
    lines = result.stderr.decode().strip().splitlines()
    assert lines, "expected an error message"
    return lines[-1]


def assert_clean_failure(result, code, pattern):
    assert result.returncode == code, result.stderr.decode()
    line = stderr_line(result)
    assert line.startswith("inksight: error: ") and re.search(pattern, line), line
    assert "Traceback" not in result.stderr.decode()


def test_plugins_lists_every_stage_kind(cli_with_test_plugins):
    result = cli_with_test_plugins("plugins")
    out = result.stdout.decode()
    assert result.returncode == 0
    for heading in ("detectors:", "derenderers:", "exporters:", "page sources:"):
        assert heading in out
    assert re.search(r"missing-model\s+not installed.*pip install inksight-imaginary", out)
    # first-party plugins show up whether they are installed or not (then with their distribution)
    first_party = (
        ("pdf", "inksight-pdf"),
        ("jax", "inksight-jax"),
        ("onnx", "inksight-onnx"),
        ("tesseract", "inksight-tesseract"),
        ("ppocr", "inksight-ppocr"),
        ("doctr", "inksight-doctr"),
        ("cloud-vision", "inksight-cloud-vision"),
    )
    for name, dist in first_party:
        assert re.search(rf"^  {name}\s+(available|not installed)\s+\[{dist}\]", out, re.M), name
    rows = json.loads(cli_with_test_plugins("plugins", "--json").stdout)
    assert {"kind": "derenderer", "name": "skeleton"}.items() <= next(
        r for r in rows if r["name"] == "skeleton"
    ).items()


def test_a_first_party_command_not_installed_says_what_to_install():
    import click

    from inksight_sdk.cli import refuse_missing_command
    from inksight_sdk.errors import MissingPluginError

    bare = click.Group()
    hint = r"'inksight serve' is not installed; install it: pip install inksight-server"
    with pytest.raises(MissingPluginError, match=hint):
        refuse_missing_command(bare, ["-v", "serve", "--port", "0"])
    refuse_missing_command(bare, ["convert", "serve.jpg"])  # another command: click's business
    bare.add_command(click.Command("serve"))
    refuse_missing_command(bare, ["serve"])  # installed: nothing to say


def test_convert_real_photo_to_inkml_with_a_test_plugin(cli_with_test_plugins, tmp_path):
    photo = shared("photos", "inksight_word.jpg")
    out = tmp_path / "out.inkml"
    result = cli_with_test_plugins("convert", str(photo), "-o", str(out), *TEST_STAGES)
    assert result.returncode == 0, result.stderr.decode()
    doc = inkml.loads(out.read_bytes())
    assert doc.pages[0].width == 250 and doc.pages[0].height == 126
    strokes = list(doc.strokes())
    assert strokes and all(s.t is not None for s in strokes)
    # same strokes when re-read through the CLI as an input and written as JSON
    again = tmp_path / "again.json"
    assert cli_with_test_plugins("convert", str(out), "-o", str(again)).returncode == 0
    data = json.loads(again.read_text())
    reread = [np.array(s["points"]) for w in data["pages"][0]["words"] for s in w["strokes"]]
    assert len(reread) == len(strokes)
    for a, b in zip(reread, strokes):
        np.testing.assert_allclose(a, b.points, atol=0.01)


def test_stdout_output_and_folder_output(cli_with_test_plugins, page, tmp_path):
    result = cli_with_test_plugins("convert", str(page), "-o", "-", "--format", "json", *TEST_STAGES)
    assert result.returncode == 0
    assert json.loads(result.stdout)["format"] == "inksight-ink"
    folder = tmp_path / "outdir"
    folder.mkdir()
    other = tmp_path / "other.png"
    Image.open(page).save(other)
    result = cli_with_test_plugins("convert", str(page), str(other), "-o", str(folder), "--format", "svg", *TEST_STAGES)
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(os.listdir(folder)) == ["other.svg", "page.svg"]


def documented_codes():
    text = (REPO / "docs" / "exit-codes.md").read_text()
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\|\s*(\d+)\s*\|\s*`(\w+)`", text, re.M)}


def test_exit_code_table_matches_the_enum():
    assert documented_codes() == {int(c): c.name for c in ExitCode}


def test_exit_ok(cli_with_test_plugins, page, tmp_path):
    assert (
        cli_with_test_plugins("convert", str(page), "-o", str(tmp_path / "a.svg"), *TEST_STAGES).returncode
        == ExitCode.OK
    )


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["-o", "{tmp}/a.xyz"], r"cannot tell the output format.*\.inkml"),
        (["-o", "-"], r"stdout needs --format"),
        (["-o", "{tmp}/a.json", "--derenderer-option", "novalue"], r"expects KEY=VALUE"),
        (["-o", "{tmp}/a.json", "--derenderer-option", "colour=red"], r"unknown option.*colour"),
    ],
)
def test_exit_bad_arguments(cli_with_test_plugins, page, tmp_path, args, pattern):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli_with_test_plugins("convert", str(page), *args, *TEST_STAGES)
    assert_clean_failure(result, ExitCode.BAD_ARGUMENTS, pattern)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("a.")]


def test_click_usage_errors_are_bad_arguments(cli_with_test_plugins):
    result = cli_with_test_plugins("convert", "--no-such-flag")
    assert result.returncode == ExitCode.BAD_ARGUMENTS


@pytest.mark.parametrize(
    "make,pattern",
    [
        (lambda d: d / "missing.png", r"not found.*check the path"),
        (lambda d: d, r"directory"),
        (lambda d: _write(d / "empty.png", b""), r"empty"),
        (lambda d: _write(d / "notes.jpg", b"just some text, not an image"), r"not a supported input"),
        (
            lambda d: _write(d / "cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),
            r"not a readable image|cannot be decoded",
        ),
    ],
)
def test_exit_input_file(cli_with_test_plugins, tmp_path, make, pattern):
    src = tmp_path / "in"
    src.mkdir()
    result = cli_with_test_plugins("convert", str(make(src)), "-o", str(tmp_path / "o.json"), *TEST_STAGES)
    assert_clean_failure(result, ExitCode.INPUT_FILE, pattern)
    assert not (tmp_path / "o.json").exists()


def _write(path, data):
    path.write_bytes(data)
    return path


def test_exit_output_file(cli_with_test_plugins, page, tmp_path):
    result = cli_with_test_plugins("convert", str(page), "-o", str(tmp_path / "nope" / "a.json"), *TEST_STAGES)
    assert_clean_failure(result, ExitCode.OUTPUT_FILE, r"output folder does not exist")


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["--derenderer", "nope"], r"unknown derenderer 'nope'.*inksight plugins"),
        (["--derenderer", "missing-model"], r"pip install inksight-imaginary"),
        (["--detector", "nope"], r"unknown detector"),
        (["--format", "nope"], r"unknown exporter"),
    ],
)
def test_exit_plugin(cli_with_test_plugins, page, tmp_path, args, pattern):
    result = cli_with_test_plugins("convert", str(page), "-o", str(tmp_path / "a.json"), *args)
    assert_clean_failure(result, ExitCode.PLUGIN, pattern)


def test_pdf_without_adapter_names_the_adapter(cli_with_test_plugins, tmp_path):
    pdf = _write(tmp_path / "doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    result = cli_with_test_plugins("convert", str(pdf), "-o", str(tmp_path / "a.json"), *TEST_STAGES)
    if result.returncode == ExitCode.PLUGIN:
        assert "adapters/pdf" in stderr_line(result)
    else:  # the PDF adapter is installed: a broken PDF is an input error
        assert result.returncode == ExitCode.INPUT_FILE


def test_exit_incomplete_keeps_the_rest(cli_with_test_plugins, page, tmp_path):
    out = tmp_path / "a.json"
    result = cli_with_test_plugins(
        "convert",
        str(page),
        "-o",
        str(out),
        "--detector",
        "whole-page",
        "--derenderer",
        "explode",
        "--detector-option",
        "words=3",
        "--detector-option",
        "text=boom",
    )
    assert_clean_failure(result, ExitCode.INCOMPLETE, r"without 3 failed")
    data = json.loads(out.read_text())
    assert len(data["metadata"]["problems"]) == 3
    # partial ink (a model stopped by a guard) keeps the words but still says the output is incomplete
    result = cli_with_test_plugins(
        "convert", str(page), "-o", str(out), "--detector", "whole-page", "--derenderer", "partial",
        "--detector-option", "words=2", "--detector-option", "text=cut",
    )  # fmt: skip
    assert_clean_failure(result, ExitCode.INCOMPLETE, r"output written with 2 partial word\(s\)")
    # each problem is said once, as the CLI's own warning line (no raw log records beside it)
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 3 and all(ln.startswith("inksight: warning: ") for ln in lines[:2]), lines
    data = json.loads(out.read_text())
    assert len(data["pages"][0]["words"]) == 2 and len(data["metadata"]["problems"]) == 2


def test_exit_input_limit(cli_with_test_plugins, tmp_path):
    # a real PNG whose header claims 100000 x 100000 pixels: refused before decoding
    bomb = tmp_path / "bomb.png"
    _png_header(bomb, 100_000, 100_000)
    result = cli_with_test_plugins("convert", str(bomb), "-o", str(tmp_path / "a.json"), *TEST_STAGES)
    assert_clean_failure(result, ExitCode.INPUT_LIMIT, r"over the limit")


def _png_header(path, width, height):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def test_exit_invalid_ink(cli_with_test_plugins, tmp_path):
    bad = {
        "format": "inksight-ink",
        "version": 1,
        "metadata": {},
        "pages": [
            {
                "width": 10,
                "height": 10,
                "words": [
                    {
                        "quad": [[0, 0], [1, 0], [1, 1], [0, 1]],
                        "strokes": [{"points": [[0, 0], [1, 1]], "t": [1.0, 0.5]}],
                    }
                ],
            }
        ],
    }
    src = _write(tmp_path / "bad.json", json.dumps(bad).encode())
    result = cli_with_test_plugins("convert", str(src), "-o", str(tmp_path / "a.svg"))
    assert_clean_failure(result, ExitCode.INVALID_INK, r"time values must not decrease")


def test_exit_internal_leaves_no_partial_file(cli_with_test_plugins, page, tmp_path):
    out = tmp_path / "a.crash"
    out.write_bytes(b"precious")
    result = cli_with_test_plugins("convert", str(page), "-o", str(out), *TEST_STAGES)
    assert_clean_failure(result, ExitCode.INTERNAL, r"internal error: RuntimeError: exporter bug")
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.crash", "page.png", "site"]
    verbose = cli_with_test_plugins("convert", str(page), "-o", str(out), "-v", *TEST_STAGES)
    assert "Traceback" in verbose.stderr.decode()


def test_exit_interrupted_leaves_no_partial_file(plugin_site, page, tmp_path):
    out = tmp_path / "a.json"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(plugin_site), str(SUPPORT), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from inksight_sdk.cli import main; main()",
            "convert",
            str(page),
            "-o",
            str(out),
            "--detector",
            "whole-page",
            "--derenderer",
            "slow",
        ],
        stderr=subprocess.PIPE,
        env=env,
    )
    line = proc.stderr.readline()
    assert b"slow derenderer started" in line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_progress_goes_to_stderr_only_when_it_is_a_terminal(plugin_site, tmp_path):
    import pty

    frames = [Image.new("RGB", (120, 60), "white") for _ in range(3)]
    for f in frames:
        ImageDraw.Draw(f).line([(10, 30), (110, 30)], fill="black", width=3)
    src = tmp_path / "three.tif"
    frames[0].save(src, save_all=True, append_images=frames[1:])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(plugin_site), str(SUPPORT), os.environ.get("PYTHONPATH", "")])
    )
    args = [sys.executable, "-m", "inksight_sdk", "convert", str(src), "-o", "-", "--format", "json", *TEST_STAGES]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    out, _ = proc.communicate(timeout=120)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.returncode == 0
    assert b"page 3 converted" in b"".join(chunks)
    assert json.loads(out)["pages"][2]["index"] == 2  # stdout is only the document
    piped = subprocess.run(args, capture_output=True, env=env, timeout=120)
    assert piped.returncode == 0 and b"page" not in piped.stderr
