"""Faulty stages, loaded through the real entry-point mechanism (tests/support).

Each run injects faults on some words or pages; the checks: those are
reported (a warning each, ``metadata.problems``), every good page and word is
in the output, the exit code is 6 (INCOMPLETE) -- or, for an exporter bug,
15 with the earlier output untouched.
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inksight_sdk.errors import ExitCode

from .conftest import assert_one_line

ROWS = (20, 30, 40, 50)


def page(y: int) -> np.ndarray:
    image = Image.new("RGB", (200, 70), "white")
    ImageDraw.Draw(image).line([(15, y), (185, y)], fill="black", width=3)
    return np.asarray(image)


def document(tmp_path, poison=(), n=4):
    from inksight_test_plugins import mark_page

    frames = [Image.fromarray(mark_page(page(ROWS[i])) if i in poison else page(ROWS[i])) for i in range(n)]
    path = tmp_path / "doc.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    return path


def warned_pages(err: str) -> int:
    """Problems the warnings account for: one per line, or the count of a line summarizing a repeat."""
    lines = [line for line in err.splitlines() if line.startswith("inksight: warning: ")]
    return sum(int(m[1]) if (m := re.search(r"\((\d+) pages\)", line)) else 1 for line in lines)


def check_incomplete(ledger, code, err, out, good_pages, problems, fault, words_per_page=1):
    assert_one_line(code, err, ExitCode.INCOMPLETE, rf"without {problems} failed")
    assert warned_pages(err) == problems  # each problem said once; a repeat over pages summarized in one line
    data = json.loads(out.read_text())
    kept = [p["index"] for p in data["pages"]]
    if kept != list(good_pages) or any(len(p["words"]) != words_per_page for p in data["pages"]):
        ledger.lost += 1
    assert kept == list(good_pages)
    assert all(len(p["words"]) == words_per_page for p in data["pages"])
    for p in data["pages"]:  # the good pages' ink is where it was drawn
        ys = [pt[1] for w in p["words"] for s in w["strokes"] for pt in s["points"]]
        if words_per_page and ys and p["words"][0]["derenderer"] != "far-away":
            assert abs(float(np.median(ys)) - ROWS[p["index"]]) < 2
    assert len(data["metadata"]["problems"]) == problems
    ledger.record("fault", fault, "reported and skipped; the rest written; exit 6 (INCOMPLETE)", problems)
    return data


@pytest.mark.parametrize("isolation", ["thread", "process"])
@pytest.mark.parametrize("where", ["detector", "derenderer"])
def test_a_hanging_stage_costs_only_its_page(inksight, ledger, tmp_path, isolation, where):
    source = document(tmp_path, poison=(1,), n=3)
    out = tmp_path / "out.json"
    stages = (
        ["--detector", "marker", "--detector-option", "hang=20", "--derenderer", "ink-columns"]
        if where == "detector"
        else ["--detector", "marker", "--derenderer", "hang", "--derenderer-option", "seconds=20"]
    )
    started = time.monotonic()
    code, err = inksight("convert", source, "-o", out, *stages, "--page-timeout", "1", "--isolation", isolation)
    assert time.monotonic() - started < 15  # not the 20 s the stage sleeps
    data = check_incomplete(ledger, code, err, out, [0, 2], 1, f"{where} hangs ({isolation} isolation)")
    assert f"page 2: {where}" in data["metadata"]["problems"][0] and "did not finish within 1 s" in err


def test_a_crashing_native_stage_costs_only_its_page(inksight, ledger, tmp_path):
    """A segfault in a detector (e.g. a native library): with process isolation only its page is lost."""
    source = document(tmp_path, poison=(0, 2))
    out = tmp_path / "out.json"
    code, err = inksight(
        "convert",
        source,
        "-o",
        out,
        "--detector",
        "marker",
        "--detector-option",
        "crash=true",
        "--derenderer",
        "ink-columns",
        "--page-timeout",
        "60",
        "--isolation",
        "process",
    )
    data = check_incomplete(ledger, code, err, out, [1, 3], 2, "detector segfaults (process isolation)")
    assert "worker process died (exit code -11)" in data["metadata"]["problems"][0]


@pytest.mark.parametrize(
    "derenderer,message,fault",
    [
        ("explode", "injected failure", "derenderer raises"),
        ("nan", "NaN", "derenderer returns NaN points"),
        ("short", "returned 0 results for 1 crops", "derenderer returns the wrong number of results"),
        ("bad-time", "time values must not decrease", "derenderer returns time running backwards"),
    ],
)
def test_bad_words_are_skipped(inksight, ledger, tmp_path, derenderer, message, fault):
    source = document(tmp_path, n=2)
    out = tmp_path / "out.json"
    options = ["--detector-option", "words=3", "--detector-option", "text=boom"]
    code, err = inksight("convert", source, "-o", out, "--detector", "whole-page", *options, "--derenderer", derenderer)
    data = check_incomplete(ledger, code, err, out, [0, 1], 6, fault, words_per_page=0)
    assert all(message in p for p in data["metadata"]["problems"])


def test_garbage_words_and_far_away_ink(inksight, ledger, tmp_path):
    source = document(tmp_path, n=2)
    out = tmp_path / "out.json"
    code, err = inksight(
        "convert",
        source,
        "-o",
        out,
        "--detector",
        "garbage",
        "--detector-option",
        "good=3",
        "--detector-option",
        "far=true",
        "--derenderer",
        "far-away",
    )
    # per page: 4 garbage words + 1 word whose ink lands a million pixels away; 2 good words kept
    data = check_incomplete(ledger, code, err, out, [0, 1], 10, "detector returns garbage words", words_per_page=2)
    problems = data["metadata"]["problems"]
    assert sum("far outside the 200x70 page" in p and "quad corner" in p for p in problems) == 4
    assert sum("degenerate quad" in p for p in problems) == 2
    assert sum("instead of a DetectedWord" in p for p in problems) == 2
    assert sum("derenderer far-away returned bad ink: point" in p for p in problems) == 2
    ledger.counts[("fault", "detector returns garbage words")] -= 2
    ledger.record("fault", "derenderer puts ink far outside the page", "word reported and skipped; exit 6", 2)


def test_too_many_words_and_failing_detector(inksight, ledger, tmp_path):
    source = document(tmp_path, n=3)
    out = tmp_path / "out.json"
    code, err = inksight(
        "convert",
        source,
        "-o",
        out,
        "--detector",
        "whole-page",
        "--detector-option",
        "words=5",
        "--derenderer",
        "ink-columns",
        "--max-words",
        "4",
    )
    check_incomplete(ledger, code, err, out, [], 3, "detector returns more words than --max-words", 0)
    code, err = inksight("convert", source, "-o", out, "--detector", "broken", "--derenderer", "ink-columns")
    check_incomplete(ledger, code, err, out, [], 3, "detector raises", 0)


def test_exporter_bug_leaves_the_old_output(inksight, ledger, tmp_path):
    source = document(tmp_path, n=1)
    out = tmp_path / "out.crash"
    out.write_bytes(b"precious")
    code, err = inksight("convert", source, "-o", out, "--detector", "whole-page", "--derenderer", "ink-columns")
    assert_one_line(code, err, ExitCode.INTERNAL, "exporter bug")
    assert out.read_bytes() == b"precious" and not list(tmp_path.glob("*.part"))
    ledger.intact += 1
    ledger.record("fault", "exporter raises mid-write", "exit 15, earlier output untouched, no partial file")
