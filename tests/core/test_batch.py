"""Batches: folder inputs, worker processes, resumable runs, the run report, warnings per file and page.

Real photos from the shared data, a truncated JPEG and a multi-page TIFF of blank
pages, converted by the real CLI with the builtin layout detector and skeleton tracer.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from inksight_sdk.batch import find_inputs, plan_outputs, summarize
from inksight_sdk.errors import BadArgumentsError, ExitCode
from tests.conftest import run_cli, shared

STAGES = ["--detector", "layout", "--derenderer", "skeleton", "--derenderer-option", "workers=0"]
NO_WORDS = "layout: no handwriting found"


@pytest.fixture
def scans(tmp_path):
    """scans/: inksight_word.jpg, notes.txt, sub/{simplehtr_word.png, corrupt.jpg, blank.tif}, drafts/*.png."""
    root = tmp_path / "scans"
    (root / "sub").mkdir(parents=True)
    (root / "drafts").mkdir()
    shutil.copy(shared("photos", "inksight_word.jpg"), root / "inksight_word.jpg")
    shutil.copy(shared("photos", "simplehtr_word.png"), root / "sub" / "simplehtr_word.png")
    shutil.copy(shared("photos", "simplehtr_line.png"), root / "drafts" / "simplehtr_line.png")
    (root / "sub" / "corrupt.jpg").write_bytes(shared("photos", "inksight_word.jpg").read_bytes()[:3000])
    frames = [Image.new("L", (200, 150), 255) for _ in range(6)]
    frames[0].save(root / "sub" / "blank.tif", save_all=True, append_images=frames[1:])
    (root / "notes.txt").write_text("not an input: no reader takes .txt")
    old = time.time() - 3600  # inputs older than any output, as after a copy
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def convert(*args):
    return run_cli("convert", *args, *STAGES)


def test_a_folder_with_one_corrupt_file_converts_the_rest_and_reports(scans, tmp_path):
    out, report_path = tmp_path / "out", tmp_path / "run.json"
    result = convert(str(scans), "-o", f"{out}/", "--recursive", "--exclude", "drafts/*", "--report", str(report_path))
    err = result.stderr.decode()
    assert result.returncode == ExitCode.INCOMPLETE, err
    assert "1 of 4 input(s) failed" in err.splitlines()[-1] and "Traceback" not in err
    # the sub-folders are mirrored; nothing for the corrupt input, the excluded folder or the text file
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["inksight_word.json", "sub/blank.json", "sub/simplehtr_word.json"]
    assert json.loads((out / "sub" / "simplehtr_word.json").read_text())["pages"][0]["words"]

    report = json.loads(report_path.read_text())
    names = [os.path.relpath(e["path"], scans).replace(os.sep, "/") for e in report["inputs"]]
    assert names == ["inksight_word.jpg", "sub/blank.tif", "sub/corrupt.jpg", "sub/simplehtr_word.png"]  # sorted
    by_name = dict(zip(names, report["inputs"]))
    assert [by_name[n]["status"] for n in names] == ["ok", "ok", "failed", "ok"]
    corrupt = by_name["sub/corrupt.jpg"]
    assert "cannot be decoded" in corrupt["error"] and "\n" not in corrupt["error"] and corrupt["pages"] == 0
    word = by_name["inksight_word.jpg"]
    assert word["pages"] == 1 and word["words"] >= 1 and word["seconds"] > 0 and word["problems"] == []
    assert word["output"] == os.path.join(f"{out}/", "inksight_word.json")
    # every warning is in the report, with its page; the terminal gets one summary line for the six
    blank = by_name["sub/blank.tif"]
    assert blank["pages"] == 6 and blank["words"] == 0
    assert [w.split(":")[0] for w in blank["warnings"]] == [f"page {n}" for n in range(1, 7)]
    assert all(NO_WORDS in w for w in blank["warnings"])
    lines = [ln for ln in err.splitlines() if NO_WORDS in ln]
    assert len(lines) == 1 and lines[0].startswith(
        f"inksight: warning: {scans / 'sub' / 'blank.tif'}: pages 1-6 (6 pages)"
    )
    assert report["totals"] == {
        **report["totals"],
        **{"inputs": 4, "ok": 3, "failed": 1, "skipped": 0, "incomplete": 0, "interrupted": 0, "warnings": 6},
    }
    assert report["totals"]["pages"] == 8 and report["command"][-len(STAGES) :] == STAGES
    assert report["started"] <= report["finished"]
    assert not list(tmp_path.rglob("*.part"))


def test_skip_existing_resumes_and_reconverts_only_what_changed(scans, tmp_path):
    out, report_path = tmp_path / "out", tmp_path / "run.json"
    args = [str(scans), "-o", f"{out}/", "-r", "--exclude", "drafts/*", "--report", str(report_path)]
    assert convert(*args).returncode == ExitCode.INCOMPLETE
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    time.sleep(0.05)
    os.utime(scans / "inksight_word.jpg")  # this input changed since its output was written
    result = convert(*args, "--skip-existing")
    assert result.returncode == ExitCode.INCOMPLETE  # the corrupt file still fails
    report = json.loads(report_path.read_text())
    got = {os.path.basename(e["path"]): e["status"] for e in report["inputs"]}
    assert got == {
        "inksight_word.jpg": "ok",
        "blank.tif": "skipped",
        "corrupt.jpg": "failed",
        "simplehtr_word.png": "skipped",
    }
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    changed = {p.name for p in before if after[p] != before[p]}
    assert changed == {"inksight_word.json"}
    assert NO_WORDS not in result.stderr.decode()  # a skipped input says nothing
    assert report["totals"]["skipped"] == 2


def test_two_jobs_give_the_same_outputs_and_report_as_one(scans, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        out, report_path = tmp_path / f"out{jobs}", tmp_path / f"run{jobs}.json"
        result = convert(str(scans), "-o", f"{out}/", "-r", "--jobs", jobs, "--report", str(report_path))
        assert result.returncode == ExitCode.INCOMPLETE, result.stderr.decode()
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.json")}
        report = json.loads(report_path.read_text())
        for entry in report["inputs"]:
            entry.pop("seconds")
            entry.pop("output")
        runs[jobs] = (files, report["inputs"], result.stderr.decode().splitlines()[:-1])  # the last names the report
    assert len(runs["1"][0]) == 4  # drafts/ included this time
    assert runs["1"] == runs["2"]


def test_include_and_exclude_globs_and_the_top_folder_only_without_recursive(scans, tmp_path):
    result = convert(str(scans), "-o", f"{tmp_path / 'a'}/", "-r", "--include", "*.png")
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.json")) == [
        "drafts/simplehtr_line.json",
        "sub/simplehtr_word.json",
    ]
    result = convert(str(scans), "-o", f"{tmp_path / 'b'}/", "-r", "--include", "*.png", "--exclude", "simplehtr_l*")
    assert result.returncode == 0 and [p.name for p in (tmp_path / "b").rglob("*.json")] == ["simplehtr_word.json"]
    result = convert(str(scans), "-o", f"{tmp_path / 'c'}/")  # no --recursive: the top folder only
    assert result.returncode == 0 and [p.name for p in (tmp_path / "c").rglob("*.json")] == ["inksight_word.json"]


def test_batch_arguments_that_cannot_work_fail_in_one_line(scans, tmp_path):
    photo = scans / "inksight_word.jpg"
    result = convert(str(photo), "-o", str(tmp_path / "one.json"), "--jobs", "2")
    assert result.returncode == ExitCode.BAD_ARGUMENTS and b"--jobs need a folder output" in result.stderr
    shutil.copy(photo, scans / "inksight_word.png")  # two inputs, one output name
    result = convert(str(scans), "-o", f"{tmp_path / 'o'}/")
    assert result.returncode == ExitCode.BAD_ARGUMENTS and b"would both be written to" in result.stderr
    (tmp_path / "empty").mkdir()
    result = convert(str(tmp_path / "empty"), "-o", f"{tmp_path / 'o'}/")
    assert result.returncode == ExitCode.INPUT_FILE and b"no inputs found" in result.stderr
    # a single failing input into a folder exits with its own code, as a single file does
    result = convert(str(scans / "sub" / "corrupt.jpg"), "-o", f"{tmp_path / 'o'}/")
    assert result.returncode == ExitCode.INPUT_FILE and len(result.stderr.splitlines()) == 1


def test_interrupting_workers_keeps_finished_outputs_whole_and_writes_the_report(tmp_path):
    src = tmp_path / "big"
    src.mkdir()
    for i in range(3):
        for name in ("breta_page09.jpg", "testaments_AD78_0054-0.jpg"):
            shutil.copy(shared("photos", name), src / f"{i}_{name}")
    out, report_path = tmp_path / "out", tmp_path / "run.json"
    args = ["convert", str(src), "-o", f"{out}/", "--jobs", "2", "--report", str(report_path), *STAGES]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from inksight_sdk.cli import main; main()", *args],
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so the signal reaches it and its workers like Ctrl-C
    )
    deadline = time.monotonic() + 120
    while not list(out.glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err.decode()
    assert b"interrupted" in err and b"Traceback" not in err
    report = json.loads(report_path.read_text())
    done = [e for e in report["inputs"] if e["status"] == "ok"]
    assert done and report["totals"]["interrupted"] >= 1 and len(report["inputs"]) == 6
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(e["output"]) for e in done)
    for entry in done:
        assert json.loads(open(entry["output"], "rb").read())["pages"]
    assert not list(tmp_path.rglob("*.part"))


def test_summarize_counts_repeats_and_gives_page_ranges():
    messages = [f"page {n}: blank" for n in (1, 2, 3, 5, 7, 8)] + ["page 4: other", "no page", "no page"]
    assert summarize(messages) == ["pages 1-3, 5, 7-8 (6 pages): blank", "page 4: other", "no page (2 times)"]
    assert summarize(["page 2, word 3: failed"]) == ["page 2, word 3: failed"]


def test_find_inputs_and_plan_outputs(scans, tmp_path):
    found = find_inputs([str(scans)], [".png", ".jpg"], recursive=True, exclude=["sub/*"])
    assert [rel for _, rel in found] == ["drafts/simplehtr_line.png", "inksight_word.jpg"]  # sorted; no notes.txt
    items = plan_outputs(found, str(tmp_path / "o"), ".svg")
    assert {os.path.relpath(i.output, tmp_path / "o") for i in items} == {
        os.path.join("drafts", "simplehtr_line.svg"),
        "inksight_word.svg",
    }
    with pytest.raises(BadArgumentsError, match="would both be written"):
        plan_outputs([("a.jpg", "a.jpg"), ("a.png", "a.png")], "o", ".json")


def test_a_single_file_names_its_file_and_pages_in_one_warning(scans, tmp_path):
    blank = scans / "sub" / "blank.tif"
    result = convert(str(blank), "-o", str(tmp_path / "blank.json"))
    assert result.returncode == 0
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"inksight: warning: {blank}: pages 1-6 (6 pages): {NO_WORDS}")


def test_an_input_that_kills_its_worker_costs_only_itself(cli_with_test_plugins, tmp_path):
    from tests.support.inksight_test_plugins import POISON

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c", "d", "e"):
        image = Image.new("RGB", (120, 60), "white")
        if name == "b":
            image.putpixel((0, 0), POISON)  # the marker detector crashes its process (SIGSEGV) on this page
        image.save(src / f"{name}.png")
    report_path = tmp_path / "run.json"
    stages = ["--detector", "marker", "--detector-option", "crash=true", "--derenderer", "ink-columns"]
    result = cli_with_test_plugins(
        "convert", str(src), "-o", f"{tmp_path / 'out'}/", "--jobs", "2", "--report", str(report_path), *stages
    )
    assert result.returncode == ExitCode.INCOMPLETE, result.stderr.decode()
    report = json.loads(report_path.read_text())
    assert [e["status"] for e in report["inputs"]] == ["ok", "failed", "ok", "ok", "ok"]
    assert "worker process converting it died" in report["inputs"][1]["error"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "c.json", "d.json", "e.json"]
