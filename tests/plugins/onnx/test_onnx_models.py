"""Which model the onnx derenderer runs: a directory, an installed model package, the environment, the shipped one;
and what ``inksight plugins`` says about it."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("onnxruntime")

from inksight_onnx.models import describe_model, resolve_model, shipped_model  # noqa: E402

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from tests.conftest import REPO, run_cli, write_dist  # noqa: E402

SAMPLE = str(REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg")


@pytest.fixture
def model_package(tmp_path):
    """An installed model package ``better`` (a copy of the shipped model with its quality changed)."""
    site = tmp_path / "site"
    package = site / "inksight_model_better"
    model = package / "model"
    shutil.copytree(shipped_model(), model)
    meta = json.loads((model / "inksight_onnx.json").read_text(encoding="utf-8"))
    meta["quality"] = {"synthetic words (held out)": {"f1": 0.5}, "Wacom note, clean (real pen)": {"f1": 0.25}}
    (model / "inksight_onnx.json").write_text(json.dumps(meta), encoding="utf-8")
    (package / "__init__.py").write_text("from pathlib import Path\nMODEL_DIR = Path(__file__).parent / 'model'\n")
    info = site / "inksight_model_better-0.0.1.dist-info"
    write_dist(site, "inksight-model-better", {})
    (info / "entry_points.txt").write_text("[inksight_onnx.models]\nbetter = inksight_model_better:MODEL_DIR\n")
    return site, model


def test_the_shipped_model_and_its_measured_quality_are_listed():
    result = run_cli("plugins")
    line = next(ln for ln in result.stdout.decode().splitlines() if ln.strip().startswith("onnx"))
    assert "model tiny (shipped)" in line and "F1 0.14 synthetic words" in line, line


def test_a_model_package_is_used_by_name_and_listed_when_chosen(model_package, tmp_path):
    site, model = model_package
    out = tmp_path / "out.json"
    args = ("convert", SAMPLE, "-o", str(out), "--derenderer", "onnx", "--derenderer-option", "model=better")
    result = run_cli(*args, "--derenderer-option", "max_len=8", env_paths=[site])
    assert result.returncode in (0, 6), result.stderr
    assert len(json.loads(out.read_text())["pages"][0]["words"]) == 9
    wrong = run_cli(*args[:-1], "model=worse", env_paths=[site])
    assert wrong.returncode == 2 and b"installed: better" in wrong.stderr


def test_the_environment_chooses_the_default_model(model_package, monkeypatch):
    site, model = model_package
    monkeypatch.setenv("INKSIGHT_ONNX_MODEL", str(model))
    assert resolve_model(None) == model
    result = run_cli("plugins")
    line = next(ln for ln in result.stdout.decode().splitlines() if ln.strip().startswith("onnx"))
    assert f"model tiny ({model})" in line and "F1 0.50 synthetic words" in line, line


def test_a_model_without_quality_says_so_and_a_bad_name_is_one_error(tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(shipped_model(), bare)
    meta = json.loads((bare / "inksight_onnx.json").read_text(encoding="utf-8"))
    del meta["quality"]
    (bare / "inksight_onnx.json").write_text(json.dumps(meta), encoding="utf-8")
    assert describe_model(bare).endswith("quality not measured")
    with pytest.raises(BadArgumentsError, match="neither a directory nor an installed model package"):
        resolve_model("no-such-model")
