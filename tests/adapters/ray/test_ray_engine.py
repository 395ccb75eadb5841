"""The Ray engine on local clusters started here: the same outputs and report as the local engine.

Real handwriting photos from the shared data (as images and as the pages of a
lossless PDF, one of them blank), a truncated JPEG, the default pipeline
(``layout`` + ``skeleton``); the test plugins where a page must crash its
worker or take long enough to be killed mid-way.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from inksight_sdk import PluginRegistry
from inksight_sdk.batch_run import convert_batch
from inksight_sdk.errors import ExitCode, MissingPluginError
from tests.adapters.pdf.pdfbuild import add_photo_page, write
from tests.adapters.ray.conftest import short_temp_dir, wait_gone, with_variable
from tests.conftest import run_cli, run_main, shared

STAGES = {"detector": "layout", "derenderer": "skeleton", "derenderer_options": {"workers": 0}}
CLI_STAGES = ["--detector", "layout", "--derenderer", "skeleton", "--derenderer-option", "workers=0", "--dpi", "150"]
#: the PDF's pages: small real photos, and a blank page (a warning on page 3)
BOOK = (
    "inksight_word.jpg",
    "simplehtr_line.png",
    None,
    "simplehtr_word.png",
    "inksight_word.jpg",
    "simplehtr_line.png",
)
RETRIED = "retried on the Ray cluster"


def pdf(path: Path, pages: list[Image.Image]) -> Path:
    """A PDF of lossless image pages at 150 dpi, so each renders back to its own pixels."""
    writer = PdfWriter()
    for page in pages:
        add_photo_page(writer, page)
    return write(writer, path)


def photo(name: str | None) -> Image.Image:
    if name is None:
        return Image.new("RGB", (300, 120), "white")
    with Image.open(shared("photos", name)) as image:
        return image.convert("RGB")


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> Path:
    """scans/: book.pdf (6 pages), corrupt.jpg (truncated), note.png; older than any output."""
    root = tmp_path_factory.mktemp("data") / "scans"
    root.mkdir()
    pdf(root / "book.pdf", [photo(name) for name in BOOK])
    shutil.copy(shared("photos", "simplehtr_word.png"), root / "note.png")
    (root / "corrupt.jpg").write_bytes(shared("photos", "inksight_word.jpg").read_bytes()[:3000])
    old = time.time() - 3600
    for path in root.iterdir():
        os.utime(path, (old, old))
    return root


@pytest.fixture(scope="module")
def local_run(scans, tmp_path_factory) -> tuple[Path, dict]:
    """The local engine's outputs and report for ``scans``: what Ray must reproduce."""
    out = tmp_path_factory.mktemp("local") / "out"
    here = os.getcwd()
    os.chdir(scans.parent)  # the inputs named as "scans/...", as the Ray runs name them
    try:
        report = convert_batch(["scans"], out, engine="local", source_options={"dpi": 150}, **STAGES)
    finally:
        os.chdir(here)
    return out, report


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(report: dict) -> list[dict]:
    """The report's inputs without what differs between runs (time, the output folder)."""
    keys = ("status", "pages", "words", "problems", "warnings", "error")
    return [{"name": os.path.basename(e["path"]), **{k: e[k] for k in keys}} for e in report["inputs"]]


@pytest.mark.parametrize("transfer", ["auto", "bytes"])
def test_ray_writes_what_the_local_engine_writes(cluster, scans, local_run, tmp_path, monkeypatch, caplog, transfer):
    import inksight_ray

    local_out, local_report = local_run
    # relative paths: the workers run elsewhere, so they get absolute ones and the results name these
    monkeypatch.chdir(scans.parent)
    out, report_path = tmp_path / "out", tmp_path / "run.json"
    copies = set(Path(tempfile.gettempdir()).glob("inksight-ray-*"))  # the workers' folders for sent inputs
    with caplog.at_level(logging.DEBUG, logger="inksight_ray"):
        report = inksight_ray.convert_archive(
            ["scans"], out, transfer=transfer, report=report_path, source_options={"dpi": 150}, **STAGES
        )
    assert files(out) == files(local_out)  # same files, byte for byte: same strokes, pages in order
    book = json.loads((out / "book.json").read_text())
    assert [page["index"] for page in book["pages"]] == list(range(6))
    assert book["metadata"]["source"] == "scans/book.pdf"
    assert comparable(report) == comparable(local_report)
    assert json.loads(report_path.read_text())["totals"] == report["totals"]
    assert [e["status"] for e in report["inputs"]] == ["ok", "failed", "ok"]
    assert [w.split(":")[0] for w in report["inputs"][0]["warnings"]] == ["page 3"]  # the blank page
    assert "cannot be decoded" in report["inputs"][1]["error"]
    # the pages of one PDF were spread over the workers
    sent = [r.getMessage() for r in caplog.records if "to Ray worker" in r.getMessage()]
    workers = {line.split("to Ray worker ")[1].split()[0] for line in sent if line.startswith("scans/book.pdf")}
    assert len(workers) == 2, workers

    # resuming: finished outputs are skipped (not rewritten), the failed input is tried again
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = inksight_ray.convert_archive(["scans"], out, skip_existing=True, source_options={"dpi": 150}, **STAGES)
    assert [e["status"] for e in again["inputs"]] == ["skipped", "failed", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    assert set(Path(tempfile.gettempdir()).glob("inksight-ray-*")) == copies  # removed when the workers ended


def test_a_page_that_kills_its_worker_is_retried_once_then_reported(head, tmp_path):
    """The marker detector crashes its process (SIGSEGV) on a poison page: twice, then the input fails alone."""
    from inksight_test_plugins import POISON

    clean = Image.new("RGB", (160, 80), "white")
    poison = clean.copy()
    poison.paste(POISON, (0, 0, 8, 8))
    src = tmp_path / "in"
    src.mkdir()
    clean.save(src / "a.png")
    pdf(src / "doc.pdf", [clean, clean, poison, clean])
    clean.save(src / "z.png")
    report_path = tmp_path / "run.json"
    result = run_cli(
        "convert", str(src), "-o", f"{tmp_path / 'out'}/", "--engine", "ray", "--ray-address", head,
        "--report", str(report_path), "--detector", "marker", "--detector-option", "crash=true",
        "--derenderer", "ink-columns", "--dpi", "150",
    )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == ExitCode.INCOMPLETE and "1 of 3 input(s) failed" in err, err
    assert result.stdout == b""  # Ray's own news of the dead workers stays off stdout
    by_name = {os.path.basename(e["path"]): e for e in json.loads(report_path.read_text())["inputs"]}
    assert [by_name[n]["status"] for n in ("a.png", "doc.pdf", "z.png")] == ["ok", "failed", "ok"]
    doc = by_name["doc.pdf"]
    assert doc["error"].startswith("page 3: its Ray worker was lost (pid ") and "twice" in doc["error"]
    assert [w for w in doc["warnings"] if RETRIED in w] == [doc["warnings"][-1]]
    assert doc["warnings"][-1].startswith("page 3: its Ray worker was lost") and "worker process has died" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "z.json"]


def test_a_killed_worker_costs_nothing(cluster, ray_env, tmp_path):
    """A worker killed mid-page (``ray.kill``): its page runs again on a fresh worker; the output is whole."""
    import ray

    src = tmp_path / "in"
    src.mkdir()
    pdf(src / "slow.pdf", [photo("inksight_word.jpg")] * 6)
    stages = {
        "detector": "whole-page",
        "derenderer": "slow",
        "derenderer_options": {"seconds": 0.6},
        "source_options": {"dpi": 150},
    }
    registry = PluginRegistry()
    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["report"] = convert_batch([src], tmp_path / "ray", engine="ray", registry=registry, **stages)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not (names := [n for n in ray.util.list_named_actors() if n.startswith("inksight-")]):
        assert time.monotonic() < deadline, "no Ray worker started"
        time.sleep(0.05)
    worker = ray.get_actor(sorted(names)[0])
    ray.get(worker.ready.remote())  # queued behind the engine's calls: answers once the worker is into the PDF
    time.sleep(0.2)  # inside its next page (each sleeps 0.6 s)
    ray.kill(worker)
    thread.join(120)
    report = outcome["report"]
    (entry,) = report["inputs"]
    assert entry["status"] == "ok" and entry["pages"] == 6
    assert any("its Ray worker was lost" in w and RETRIED in w for w in entry["warnings"]), entry["warnings"]
    local = convert_batch([src], tmp_path / "local", engine="local", registry=registry, **stages)
    assert local["inputs"][0]["status"] == "ok"
    assert files(tmp_path / "ray") == files(tmp_path / "local")


def test_the_cli_joins_a_cluster_by_address(head, scans, local_run, tmp_path):
    local_out, local_report = local_run
    report_path = tmp_path / "run.json"
    result = run_cli(
        "convert", "scans", "-o", f"{tmp_path / 'out'}/", "--engine", "ray", "--ray-address", head,
        "--report", str(report_path), *CLI_STAGES, cwd=scans.parent,
    )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == ExitCode.INCOMPLETE, err
    assert "1 of 3 input(s) failed" in err.splitlines()[-1] and "Traceback" not in err and result.stdout == b""
    assert files(tmp_path / "out") == files(local_out)
    assert comparable(json.loads(report_path.read_text())) == comparable(local_report)


def test_sigterm_stops_a_ray_run_like_ctrl_c(head, tmp_path):
    """SIGTERM mid-run: exit 130, the report written (the unfinished input ``interrupted``), nothing partial."""
    import signal
    import subprocess
    import sys

    src = tmp_path / "in"
    src.mkdir()
    pdf(src / "long.pdf", [photo("inksight_word.jpg")] * 8)
    report_path = tmp_path / "run.json"
    command = [sys.executable, "-m", "inksight_sdk", "convert", str(src), "-o", f"{tmp_path / 'out'}/", "-vv"]
    command += ["--engine", "ray", "--ray-address", head, "--report", str(report_path), "--dpi", "150"]
    command += ["--detector", "whole-page", "--derenderer", "slow", "--derenderer-option", "seconds=2"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    said = []
    for line in process.stderr:  # -vv: the driver says when it hands out a page
        said.append(line)
        if "to Ray worker" in line:
            break
    process.send_signal(signal.SIGTERM)
    said += process.stderr.readlines()
    assert process.wait(60) == ExitCode.INTERRUPTED, "".join(said[-20:])
    assert said[-1].strip() == "inksight: error: interrupted; no partial output was left behind"
    (entry,) = json.loads(report_path.read_text())["inputs"]
    assert entry["status"] == "interrupted"
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_the_cli_starts_and_stops_a_ray_instance_of_its_own(ray_env, scans, local_run, tmp_path, monkeypatch):
    local_out, local_report = local_run
    temp = short_temp_dir()
    monkeypatch.setenv("RAY_TMPDIR", temp)  # the instance's folder; every process of it inherits this variable
    out = f"{tmp_path / 'out'}/"
    result = run_cli("convert", "scans/book.pdf", "-o", out, "--engine", "ray", *CLI_STAGES, cwd=scans.parent)
    assert result.returncode == 0 and result.stdout == b"", result.stderr.decode()
    (blank,) = local_report["inputs"][0]["warnings"]
    assert result.stderr.decode().splitlines() == [f"inksight: warning: scans/book.pdf: {blank}"]
    assert files(tmp_path / "out") == {"book.json": (local_out / "book.json").read_bytes()}
    assert not wait_gone(with_variable("RAY_TMPDIR", temp), 10), "the CLI's Ray instance left processes behind"
    shutil.rmtree(temp, ignore_errors=True)


def test_engine_flags_need_a_folder_and_their_own_engine(tmp_path):
    image = shared("photos", "simplehtr_word.png")
    code, err = run_main("convert", image, "-o", tmp_path / "a.json", "--engine", "ray")
    assert code == ExitCode.BAD_ARGUMENTS and "--engine need a folder output" in err
    code, err = run_main("convert", image, "-o", f"{tmp_path}/", "--ray-address", "127.0.0.1:1")
    assert code == ExitCode.BAD_ARGUMENTS and "--ray-address goes with --engine ray" in err
    code, err = run_main("convert", image, "-o", f"{tmp_path}/", "--engine", "nonesuch")
    assert code == ExitCode.PLUGIN and err.count("\n") == 1 and "unknown engine 'nonesuch'" in err
    code, err = run_main("convert", image, "-o", f"{tmp_path}/", "--engine", "ray", "--engine-option", "transfer=ftp")
    assert code == ExitCode.BAD_ARGUMENTS and "bad options for ray: 'transfer' must be in" in err


def test_without_inksight_ray_the_engine_says_what_to_install():
    registry = PluginRegistry(entry_points=False)  # what a machine without inksight-ray registers
    with pytest.raises(MissingPluginError) as caught:
        registry.select("engine", "ray")
    assert caught.value.exit_code == ExitCode.PLUGIN
    assert "pip install inksight-ray" in str(caught.value) and "adapters/ray" in str(caught.value)


def test_the_core_never_imports_ray(scans, tmp_path):
    """With inksight-ray installed, --help, plugins and a local batch leave Ray unimported (a Ray run loads it)."""
    import subprocess
    import sys

    script = f"""
import sys
from inksight_sdk.cli import main
for args in (["convert", "--help"], ["plugins"], ["convert", {str(scans / "note.png")!r}, "-o", {f"{tmp_path}/"!r}]):
    try:
        main(args)
    except SystemExit:
        pass
print("RAY:", sorted(m for m in sys.modules if m.split(".")[0] == "ray"))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines()[-1] == "RAY: []", result.stderr
    assert (tmp_path / "note.json").exists() and "--ray-address" in result.stdout
