"""The dress rehearsal of scripts/gpu-train: the same command, on the CPU, with the tiny model and a short budget.

It must produce the same set of files a GPU run sends back, within the return limits, and the models it
exports must load in the onnx plugin and convert a photo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jax")
pytest.importorskip("onnxruntime")
pytest.importorskip("HersheyFonts")

from inksight_jax.gpu_train import RETURN_LIMITS  # noqa: E402

from inksight_sdk.synth import DEFAULT_FONTS  # noqa: E402
from inksight_sdk.synth.pack import write_pack  # noqa: E402
from tests.conftest import REPO, run_cli, shared  # noqa: E402

pytestmark = [pytest.mark.jax, pytest.mark.slow]


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory) -> Path:
    """A run of ``scripts/gpu-train --config tiny --max-minutes 1.5`` from a data folder made like --prepare's."""
    root = tmp_path_factory.mktemp("gpu-train")
    data = root / "data"
    hanzi = root / "hanzi"
    hanzi.mkdir()
    shutil.copy(shared("ink", "hanzi", "6211.json"), hanzi / "6211.json")  # 我, odd: evaluation
    shutil.copy(shared("ink", "hanzi", "6211.json"), hanzi / "6210.json")  # filed as 成, even: training
    write_pack(data / "train.npz", fonts=DEFAULT_FONTS, hanzi_dir=hanzi, hanzi_chars=["成"])
    write_pack(data / "eval.npz", hanzi_dir=hanzi, split="eval", hanzi_chars=["我"])
    shutil.copy(shared("ink", "wacom_digital_ink_is_processable.json"), data / "wacom_note.json")
    out = root / "out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "gpu-train"), "--config", "tiny", "--max-minutes", "1.5", "--out", str(out)]
        + ["--data", str(data), "--eval-words", "16", "--eval-chars", "1", "--workers", "1", "--log-every", "5"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_run_sends_back_the_models_the_log_and_the_report_within_the_limits(rehearsal):
    files = sorted(str(p.relative_to(rehearsal)) for p in rehearsal.rglob("*") if p.is_file())
    assert files == [
        "model-fp32/decoder_step.onnx",
        "model-fp32/encoder.onnx",
        "model-fp32/inksight_onnx.json",
        "model-int8/decoder_step.onnx",
        "model-int8/encoder.onnx",
        "model-int8/inksight_onnx.json",
        "report.md",
        "train.log.jsonl",
    ]
    count, per_file, total = RETURN_LIMITS
    sizes = [p.stat().st_size for p in rehearsal.rglob("*") if p.is_file()]
    assert len(sizes) <= count and max(sizes) <= per_file and sum(sizes) <= total
    int8 = (rehearsal / "model-int8" / "encoder.onnx").stat().st_size
    assert int8 < 0.5 * (rehearsal / "model-fp32" / "encoder.onnx").stat().st_size, "int8 weights"
    report = (rehearsal / "report.md").read_text(encoding="utf-8")
    assert "within the limits" in report and "| model-int8 | synthetic words (held out) | 16 |" in report
    log = [json.loads(line) for line in (rehearsal / "train.log.jsonl").read_text().splitlines()]
    assert log and log[-1]["step"] > log[0]["step"]


def test_both_models_carry_their_quality_and_convert_a_photo_in_the_onnx_plugin(rehearsal, tmp_path):
    for name in ("model-fp32", "model-int8"):
        meta = json.loads((rehearsal / name / "inksight_onnx.json").read_text(encoding="utf-8"))
        assert set(meta["quality"]) >= {"synthetic words (held out)", "Wacom note, clean (real pen)"}
        assert 0.0 <= meta["quality"]["synthetic words (held out)"]["f1"] <= 1.0
        out = tmp_path / f"{name}.json"
        result = run_cli(
            "convert",
            str(REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"),
            "-o",
            str(out),
            "--derenderer",
            "onnx",
            "--derenderer-option",
            f"model={rehearsal / name}",
        )
        assert result.returncode in (0, 6), result.stderr  # 6: a weak model's words kept with partial ink
        document = json.loads(out.read_text(encoding="utf-8"))
        assert len(document["pages"][0]["words"]) == 9
        assert {w["derenderer"] for w in document["pages"][0]["words"]} == {"onnx"}


def test_the_default_size_exports_within_the_return_limits(tmp_path):
    """small-fast, gpu-train's default: both precisions of both graphs fit what a lent machine sends back."""
    from inksight_jax.config import get_config
    from inksight_jax.gpu_train import export_fp32, quantize_int8
    from inksight_jax.inference import init_params

    config = get_config("small-fast")
    export_fp32(init_params(config, seed=0), config, tmp_path / "model-fp32", {"step": 0})
    quantize_int8(tmp_path / "model-fp32", tmp_path / "model-int8")
    sizes = [p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()]
    count, per_file, total = RETURN_LIMITS
    assert len(sizes) + 2 <= count, "room for the log and the report"
    assert max(sizes) <= per_file and sum(sizes) + 2**20 <= total
