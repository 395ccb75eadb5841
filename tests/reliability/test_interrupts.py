"""Interrupted and concurrent runs of the real ``inksight`` process: nothing lost, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inksight_sdk.errors import ExitCode

from ..conftest import shared
from .conftest import CLI, python_env

STAGES = ["--detector", "whole-page", "--derenderer", "ink-columns"]
PRECIOUS = b"precious: an earlier run's output"


def line_png(path, y):
    image = Image.new("RGB", (160, 60), "white")
    ImageDraw.Draw(image).line([(10, y), (150, y)], fill="black", width=3)
    image.save(path)
    return path


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    "when,sig,args,out_name,marker",
    [
        (
            "during derendering",
            signal.SIGINT,
            ["--detector", "whole-page", "--derenderer", "slow"],
            "out.json",
            b"slow derenderer",
        ),
        ("mid-write", signal.SIGINT, STAGES, "out.slow", b"slow exporter writing"),
        ("mid-write", signal.SIGTERM, STAGES, "out.slow", b"slow exporter writing"),
        ("mid-write", signal.SIGKILL, STAGES, "out.slow", b"slow exporter writing"),
    ],
    ids=["sigint-derender", "sigint-write", "sigterm-write", "sigkill-write"],
)
def test_interrupted_run_leaves_the_old_output(plugin_site, ledger, tmp_path, when, sig, args, out_name, marker):
    source = line_png(tmp_path / "page.png", 30)
    out = tmp_path / out_name
    out.write_bytes(PRECIOUS)
    proc = subprocess.Popen(
        [*CLI, "convert", str(source), "-o", str(out), *args], stderr=subprocess.PIPE, env=python_env(plugin_site)
    )
    line = proc.stderr.readline()
    assert marker in line, line
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert out.read_bytes() == PRECIOUS
    ledger.intact += 1
    temporaries = list(tmp_path.glob(".*.part"))
    name = signal.Signals(sig).name
    if sig == signal.SIGKILL:
        # nothing can run on SIGKILL: the output is untouched, its temporary file may stay (documented)
        assert proc.returncode == -signal.SIGKILL
        ledger.record("interrupt", f"{name} {when}", f"killed; output untouched; {len(temporaries)} temp file left")
        return
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert err.decode().strip().splitlines()[-1] == "inksight: error: interrupted; no partial output was left behind"
    assert b"Traceback" not in err
    ledger.partial += len(temporaries)
    assert not temporaries
    ledger.record("interrupt", f"{name} {when}", "exit 130, output untouched, no partial file")


def test_ctrl_c_stops_the_worker_process(plugin_site, ledger, tmp_path):
    from inksight_test_plugins import mark_page

    source = tmp_path / "poison.png"
    Image.fromarray(mark_page(np.asarray(Image.open(line_png(source, 30))))).save(source)
    out = tmp_path / "out.json"
    proc = subprocess.Popen(
        [
            *CLI,
            "convert",
            str(source),
            "-o",
            str(out),
            "--detector",
            "marker",
            "--detector-option",
            "hang=60",
            "--derenderer",
            "ink-columns",
            "--page-timeout",
            "120",
            "--isolation",
            "process",
        ],
        stderr=subprocess.PIPE,
        env=python_env(plugin_site),
    )
    assert wait_for(lambda: children(proc.pid)), "no worker process started"
    workers = children(proc.pid)
    time.sleep(1.0)  # let the worker reach the hanging detector
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert not out.exists() and not list(tmp_path.glob(".*.part"))

    def gone():
        return all(
            not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2] for pid in workers
        )

    assert wait_for(gone, 10), "the worker process outlived its parent"
    ledger.record("interrupt", "SIGINT while a worker process hangs", "exit 130, worker stopped, no output")


def test_ctrl_c_at_the_terminal_stops_the_word_helpers(plugin_site, ledger, tmp_path):
    """Ctrl-C reaches the whole foreground process group; the skeleton's helpers must not print or linger."""
    out = tmp_path / "out.json"
    out.write_bytes(PRECIOUS)
    scan = str(shared("photos", "testaments_AD78_0054-0.jpg"))
    proc = subprocess.Popen(
        [*CLI, "convert", scan, scan, "-o", str(out)]  # two pages: a long window for the Ctrl-C
        + ["--derenderer", "skeleton", "--derenderer-option", "workers=1"],
        stderr=subprocess.PIPE,
        env=python_env(plugin_site),
        start_new_session=True,  # its own group, as a shell gives a command: killpg below is the terminal's Ctrl-C
    )
    assert wait_for(lambda: children(proc.pid)), "no word helper started"
    helpers = children(proc.pid)
    time.sleep(0.5)  # words are being traced on both sides
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert err.decode().strip().splitlines() == ["inksight: error: interrupted; no partial output was left behind"]
    assert out.read_bytes() == PRECIOUS and not list(tmp_path.glob(".*.part"))
    assert wait_for(lambda: not any(_running(pid) for pid in helpers), 10), "a word helper outlived its parent"
    ledger.intact += 1
    ledger.record("interrupt", "SIGINT to the process group while word helpers trace", "exit 130, helpers stopped")


def test_a_word_helper_killed_mid_page_loses_nothing(plugin_site, ledger, tmp_path):
    """The OOM killer (or anyone) kills a helper: its words are traced in the parent, the document is whole."""
    scan = str(shared("photos", "testaments_AD78_0054-0.jpg"))
    env = python_env(plugin_site)
    alone = tmp_path / "alone.json"
    base = [*CLI, "convert", scan, scan, "--derenderer", "skeleton"]  # two pages: a long window to kill in
    subprocess.run([*base, "-o", str(alone), "--derenderer-option", "workers=0"], env=env, check=True)
    out = tmp_path / "helped.json"
    proc = subprocess.Popen([*base, "-o", str(out), "--derenderer-option", "workers=1"], env=env)
    assert wait_for(lambda: children(proc.pid)), "no word helper started"
    time.sleep(0.5)  # it has started and holds words
    helpers = children(proc.pid)
    assert helpers and proc.poll() is None
    os.kill(helpers[0], signal.SIGKILL)
    assert proc.wait(timeout=120) == 0
    helped, expected = json.loads(out.read_text()), json.loads(alone.read_text())
    assert helped["pages"] == expected["pages"] and helped["metadata"]["problems"] == []
    ledger.record("interrupt", "SIGKILL to a word helper mid-page", "exit 0, words traced in the parent, same document")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return "Z" not in fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False


def test_concurrent_runs_do_not_interfere(plugin_site, ledger, tmp_path):
    env = python_env(plugin_site)
    rows = (15, 25, 35, 45)
    sources = [line_png(tmp_path / f"in{i}.png", y) for i, y in enumerate(rows)]
    procs = [
        subprocess.Popen(
            [*CLI, "convert", str(s), "-o", str(tmp_path / f"out{i}.json"), *STAGES], env=env, stderr=subprocess.PIPE
        )
        for i, s in enumerate(sources)
    ]
    # and three more racing for one output name
    shared = tmp_path / "shared.json"
    racers = [
        subprocess.Popen([*CLI, "convert", str(s), "-o", str(shared), *STAGES], env=env, stderr=subprocess.PIPE)
        for s in sources[:3]
    ]
    for p in procs + racers:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    for i, y in enumerate(rows):
        data = json.loads((tmp_path / f"out{i}.json").read_text())
        ys = [pt[1] for w in data["pages"][0]["words"] for s in w["strokes"] for pt in s["points"]]
        assert abs(np.median(ys) - y) < 2 and data["metadata"]["source"] == str(sources[i])
    final = json.loads(shared.read_text())  # complete and valid: exactly one racer's document
    assert final["metadata"]["source"] in {str(s) for s in sources[:3]}
    assert not list(tmp_path.glob(".*.part"))
    ledger.record("concurrency", "runs writing different outputs in one folder", "each output complete and its own", 4)
    ledger.record("concurrency", "runs racing for one output name", "one complete document wins, no mix, no temp", 3)
