"""Training: loss goes down, resume is exact, checkpoints refuse the wrong model or a damaged file,
data parallel over two (forced) host devices, the ``inksight train`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flax")
pytest.importorskip("optax")

from inksight_jax.checkpoint import (  # noqa: E402
    CheckpointError,
    CheckpointMismatchError,
    load_checkpoint,
    save_params,
)
from inksight_jax.data import build_batch, parse_mixture  # noqa: E402
from inksight_jax.training import ResumeMismatchError, TrainOptions, loss_fn, train  # noqa: E402

pytestmark = pytest.mark.jax

REPO = Path(__file__).resolve().parents[3]


def _options(model_config, out, **changes):
    base = dict(
        config=model_config,
        out=str(out),
        steps=4,
        batch_size=4,
        max_target_len=48,
        workers=0,
        log_every=1,
        warmup_steps=1,
        learning_rate=3e-3,
        checkpoint_minutes=None,
        fonts=("futural",),
    )
    base.update(changes)
    return TrainOptions(**base)


def _leaves(params):
    return jax.tree_util.tree_leaves_with_path(params)


def _assert_same_params(a, b):
    la, lb = _leaves(a), _leaves(b)
    assert [p for p, _ in la] == [p for p, _ in lb]
    for (path, x), (_, y) in zip(la, lb):
        assert np.array_equal(np.asarray(x), np.asarray(y)), jax.tree_util.keystr(path)


@pytest.fixture(scope="module")
def straight_run(model_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    return out, train(_options(model_config, out), progress=lambda m: None)


def test_loss_decreases_on_a_fixed_batch(model_config, model_params, straight_run):
    from inksight_jax import InkSightModel

    _, result = straight_run
    spec = _options(model_config, "unused").data_spec(model_config)
    batch = build_batch(spec, 0)
    evaluate = jax.jit(partial(loss_fn, InkSightModel(model_config)))
    before = float(evaluate(model_params, batch))
    after = float(evaluate(result.params, batch))
    assert before == pytest.approx(result.losses[0][1], rel=1e-5)  # step 1 trained on this batch
    assert np.isfinite(before) and np.isfinite(after)
    assert after < before - 0.5, (before, after)
    assert result.step == 4 and result.stopped == "steps"
    assert [s for s, _ in result.losses] == [1, 2, 3, 4]


def test_batches_are_a_function_of_seed_and_step(model_config):
    spec = _options(model_config, "unused", mixture="derender=1,recognize=1").data_spec(model_config)
    a, b = build_batch(spec, 3), build_batch(spec, 3)
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert not np.array_equal(build_batch(spec, 4)["images"], a["images"])
    # decoder input is the target shifted right behind the PAD start token
    assert np.array_equal(a["decoder_input_ids"][:, 1:], a["targets"][:, :-1])
    assert (a["decoder_input_ids"][:, 0] == 0).all()


def test_echoed_batches_reuse_each_chunk_in_consecutive_steps_beside_others(model_config):
    spec = _options(model_config, "unused", echo=2).data_spec(model_config)
    half = spec.batch_size // 2
    steps = [build_batch(spec, s) for s in range(3)]
    # step s = chunks s and s + 1: chunk 1 ends step 0 and opens step 1, beside chunk 0 then chunk 2
    assert np.array_equal(steps[0]["images"][half:], steps[1]["images"][:half])
    assert np.array_equal(steps[1]["images"][half:], steps[2]["images"][:half])
    assert not np.array_equal(steps[0]["images"][:half], steps[2]["images"][half:])
    again = build_batch(spec, 1)
    assert all(np.array_equal(again[k], steps[1][k]) for k in again)
    # echo 1 is the plain stream of examples
    plain = _options(model_config, "unused").data_spec(model_config)
    assert np.array_equal(build_batch(plain, 1)["images"], build_batch(plain, 0, indices=range(4, 8))["images"])
    with pytest.raises(ValueError, match="echo 3 must .* divide the batch size 4"):
        _options(model_config, "unused", echo=3).data_spec(model_config)


def test_an_echoed_run_resumes_exactly(model_config, tmp_path):
    straight = train(_options(model_config, tmp_path / "a", echo=2), progress=lambda m: None)
    train(_options(model_config, tmp_path / "b", echo=2, stop_after=2), progress=lambda m: None)
    again = train(_options(model_config, tmp_path / "b", echo=2, resume=True), progress=lambda m: None)
    _assert_same_params(straight.params, again.params)
    with pytest.raises(ResumeMismatchError, match="data echo"):
        train(_options(model_config, tmp_path / "b", resume=True, steps=6), progress=lambda m: None)


def test_a_time_budget_chooses_the_schedule_length_after_timing_steps(model_config, tmp_path):
    said = []
    result = train(
        _options(model_config, tmp_path / "budget", steps=10**6, budget_minutes=0.2, calibration_steps=2),
        progress=said.append,
    )
    chosen = [m for m in said if "the schedule runs to step" in m]
    assert len(chosen) == 1
    steps = int(chosen[0].rsplit("step ", 1)[1].split()[0])
    assert 3 < steps < 10**6
    _, _, meta = load_checkpoint(tmp_path / "budget")
    assert meta["optimizer"]["steps"] == steps, "the checkpoint records the schedule the run used"
    assert result.step <= steps and result.stopped in ("steps", "time")


def test_mixture_parsing_names_bad_tasks():
    assert parse_mixture("derender=3,recognize=1") == {
        "derender": 0.75,
        "derender_text": 0.0,
        "recognize": 0.25,
        "recognize_derender": 0.0,
    }
    with pytest.raises(ValueError, match="unknown task.*derendr"):
        parse_mixture("derendr=1")


def test_resume_is_exact(model_config, straight_run, tmp_path):
    """N steps straight == N/2 steps, a checkpoint, a new process state, resume, N/2 steps: identical params."""
    _, straight = straight_run
    out = tmp_path / "halves"
    first = train(_options(model_config, out, stop_after=2), progress=lambda m: None)
    assert first.step == 2 and first.stopped == "stop_after"
    assert os.readlink(out / "latest") == "ckpt-000002"
    again = train(_options(model_config, out, resume=True), progress=lambda m: None)
    assert again.step == 4
    assert [s for s, _ in again.losses] == [3, 4]
    assert [v for _, v in first.losses + again.losses] == [v for _, v in straight.losses]
    _assert_same_params(straight.params, again.params)
    _, saved, meta = load_checkpoint(out)
    assert meta["step"] == 4 and meta["data"]["next_step"] == 4
    _assert_same_params(straight.params, saved)


def test_resume_refuses_other_settings_and_overwriting(model_config, straight_run):
    out, _ = straight_run
    with pytest.raises(CheckpointError, match="--resume"):
        train(_options(model_config, out), progress=lambda m: None)
    with pytest.raises(ResumeMismatchError, match="learning_rate: checkpoint 0.003, now 0.001"):
        train(_options(model_config, out, resume=True, learning_rate=1e-3), progress=lambda m: None)
    with pytest.raises(ResumeMismatchError, match="data batch_size"):
        train(_options(model_config, out, resume=True, batch_size=8), progress=lambda m: None)


def test_checkpoint_of_another_configuration_is_named(model_config, straight_run, tmp_path):
    out, _ = straight_run
    with pytest.raises(CheckpointMismatchError, match=r"'tiny-test', not 'tiny'.*decoder_layers: 2 != 3"):
        load_checkpoint(out, config="tiny")
    # metadata that claims one config over parameters of another: the parameter check names the tensor
    config, params, _ = load_checkpoint(out)
    other = config.replace(d_ff=256)
    save_params(tmp_path / "liar", other, params)
    with pytest.raises(CheckpointMismatchError, match=r"liar.*'mlp'|shape"):
        load_checkpoint(tmp_path / "liar.json")


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "no-meta"])
def test_damaged_checkpoint_is_a_clear_error(straight_run, tmp_path, damage):
    import shutil

    out, _ = straight_run
    ckpt = tmp_path / "ckpt"
    shutil.copytree(Path(out) / "latest", ckpt)
    state = ckpt / "state.msgpack"
    data = state.read_bytes()
    if damage == "truncate":
        state.write_bytes(data[: len(data) // 2])
        expected = "damaged.*bytes"
    elif damage == "flip":
        state.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])
        expected = "damaged.*sha256"
    elif damage == "garbage":
        (ckpt / "meta.json").write_text("{not json")
        expected = "meta.json is damaged"
    else:
        (ckpt / "meta.json").unlink()
        expected = "holds no checkpoint"
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(ckpt)


def test_train_command_data_parallel_over_two_devices(model_config, straight_run, tmp_path):
    """``inksight train`` in a process with two forced host devices: the same run as one device."""
    _, straight = straight_run
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(model_config.to_dict()))
    out = tmp_path / "cli-run"
    args = [
        "train",
        "--config",
        str(config_file),
        "--out",
        str(out),
        *("--steps", "4", "--batch-size", "4", "--max-target-len", "48", "--fonts", "futural"),
        *("--lr", "3e-3", "--warmup", "1", "--workers", "1", "--log-every", "1"),
    ]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-c", "from inksight_sdk.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 device(s)" in proc.stderr and "step 4/4" in proc.stderr
    assert proc.stdout.strip().endswith("ckpt-000004")
    config, params, meta = load_checkpoint(out)
    assert config == model_config and meta["step"] == 4 and meta["devices"] == 2
    log = [json.loads(line) for line in (out / "train.log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]
    # same losses as the single-device run (steps 2..4 depend on the all-reduced updates)
    np.testing.assert_allclose([r["loss"] for r in log], [v for _, v in straight.losses], rtol=2e-4)
    # Adam divides by sqrt(v): near-zero gradients summed in another order move a weight by up to ~lr/10;
    # a run that did not all-reduce its gradients would differ by ~lr everywhere (and in the losses)
    for (path, a), (_, b) in zip(_leaves(straight.params), _leaves(params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-3, err_msg=jax.tree_util.keystr(path))


def test_train_command_errors(model_config, straight_run, tmp_path, capsys):
    from inksight_sdk.cli import main

    out, _ = straight_run
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(model_config.to_dict()))
    base = ["train", "--config", str(config_file), "--steps", "4", "--batch-size", "4", "--fonts", "futural"]
    with pytest.raises(SystemExit) as exc:
        main([*base, "--out", str(out), "--max-target-len", "48", "--lr", "3e-3", "--warmup", "1"])
    assert exc.value.code == 3 and "--resume" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*base, "--out", str(tmp_path / "x"), "--mixture", "derender=1,ocr=1"])
    assert exc.value.code == 2 and "unknown task(s) ocr" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*base, "--out", str(out), "--resume", "--lr", "1e-2"])
    err = capsys.readouterr().err
    assert exc.value.code == 3 and "learning_rate: checkpoint 0.003, now 0.01" in err


def test_a_loss_that_is_not_finite_stops_the_run_naming_its_step(model_config, tmp_path):
    # losses are read back at each log line, not each step; the first bad one is named all the same
    with pytest.raises(FloatingPointError, match=r"loss became nan at step [23]; lower --lr"):
        train(_options(model_config, tmp_path / "nan", learning_rate=1e30, log_every=10), progress=lambda m: None)
