"""The examples in examples/ run as documented."""

import importlib.metadata
import subprocess
import sys

import numpy as np

from inksight_sdk import PluginRegistry
from tests.conftest import REPO, shared


def test_custom_detector_is_installed_through_its_entry_point():
    eps = [ep for ep in importlib.metadata.entry_points(group="inksight_sdk") if ep.name == "projection"]
    assert eps, "pip install -e examples/custom-detector (requirements-dev.txt does it)"
    stage = PluginRegistry().select("detector", "projection")
    assert stage.distribution == "inksight-example-detector"


def test_custom_detector_finds_the_words_of_a_clean_scan():
    from PIL import Image

    image = np.asarray(Image.open(shared("photos", "simplehtr_line.png")).convert("RGB"))
    _, detector = PluginRegistry().create("detector", "projection")
    layout = detector.detect(image)
    assert len(layout.words) == 5  # "or work on line level"
    xs = [w.quad[0, 0] for w in layout.words]
    assert xs == sorted(xs)


def test_custom_detector_drives_the_real_pipeline_from_the_cli(tmp_path):
    out = tmp_path / "line.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inksight_sdk",
            "convert",
            str(shared("photos", "simplehtr_line.png")),
            "-o",
            str(out),
            "--detector",
            "projection",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    import json

    words = json.loads(out.read_text())["pages"][0]["words"]
    assert len(words) == 5 and all(w["detector"] == "projection" for w in words)
    assert all(w["strokes"] for w in words)


def test_embed_in_app_example_runs():
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "embed_in_app.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "words" in lines[0] and "complete" in lines[0]
    assert "does-not-exist.png: failed (InputFileError, exit code 3)" in lines[1]
