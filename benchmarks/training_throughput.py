"""Can the synthetic data keep a GPU busy? Data rate per core, step cost per example, and the echo it implies.

    bash scripts/gpu-train --prepare                   # the glyph pack the data workers read
    python benchmarks/training_throughput.py           # about 3 minutes on 2 cores

Measures here (CPU):

* **data**: synthetic training examples per second made by one core
  (:func:`inksight_jax.data.build_chunk`, the gpu-train settings: every
  default font and the packed hanzi, targets cut at 256 tokens), and by
  two worker processes together;
* **step**: the training step's time per batch on this CPU (float32) for
  ``tiny``, ``small-fast`` and ``small-compact``, and its floating-point
  operations per example as XLA counts them (``cost_analysis`` of the
  compiled step).

Estimates for a lent H100 (16 cores; 798 TFLOP/s measured on a bf16
8192^3 matrix product there, docs of the device tool): examples per second
the GPU could take at 25 % and 50 % of that rate (models this small use a
fraction of it), against what 15 data workers make at the measured rate per
core; their ratio is the data echo that keeps the GPU busy.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, machine_line, markdown_table

ROOT = Path(__file__).resolve().parents[1]
PEAK_FLOPS = 798e12  # bf16, H100, measured on the lent machine
WORKERS_THERE = 15  # 16 cores, one drives the GPU


def _spec(batch: int):  # type: ignore[no-untyped-def]
    from inksight_jax.data import DataSpec

    return DataSpec(
        seed=5, batch_size=batch, max_prompt_len=64, max_target_len=256, hanzi_dir=os.environ["INKSIGHT_GLYPH_PACK"]
    )


def _make(args: tuple[int, int]) -> int:
    from inksight_jax.data import build_chunk

    batch, chunk = args
    build_chunk(_spec(batch), chunk)
    return batch


def data_rate(seconds: float, processes: int) -> float:
    """Examples per second made by ``processes`` worker processes (spawned, one thread each)."""
    batch = 16
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        list(pool.map(_make, [(batch, 10_000 + i) for i in range(processes)]))  # warm: imports, fonts
        made, chunk, start = 0, 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            made += sum(pool.map(_make, [(batch, chunk + i) for i in range(processes)]))
            chunk += processes
        return made / (time.perf_counter() - start)


def step_cost(name: str, batch: int) -> tuple[float, float, int]:
    """(seconds per step on this CPU, FLOPs per example, parameters) of the training step of ``name``."""
    import jax
    from inksight_jax.config import get_config
    from inksight_jax.data import build_batch
    from inksight_jax.inference import count_params, init_params
    from inksight_jax.training import TrainOptions, _make_step, make_optimizer

    config = get_config(name)
    options = TrainOptions(config=config, batch_size=batch)
    step = _make_step(config, options.weight_decay, options.clip_norm)
    params = init_params(config, seed=0)
    opt_state = make_optimizer(options)[0].init(params)
    data = build_batch(_spec(batch), 0)
    rng, lr = jax.random.key(0), np.float32(1e-3)
    cost = step.lower(params, opt_state, data, rng, np.int32(0), lr).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    flops = float(cost.get("flops", float("nan"))) / batch
    params, opt_state, loss, _ = step(params, opt_state, data, rng, np.int32(0), lr)
    loss.block_until_ready()
    start = time.perf_counter()
    for k in range(1, 3):
        params, opt_state, loss, _ = step(params, opt_state, data, rng, np.int32(k), lr)
    loss.block_until_ready()
    return (time.perf_counter() - start) / 2, flops, count_params(config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "gpu", help="gpu-train's data folder")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per data-rate measurement")
    parser.add_argument("--out", type=Path, default=RESULTS / "training_throughput.md")
    args = parser.parse_args()
    pack = args.data / "train.npz"
    if not pack.is_file():
        raise SystemExit(f"{pack} is missing: run bash scripts/gpu-train --prepare first")
    os.environ["INKSIGHT_GLYPH_PACK"] = str(pack.resolve())
    sys.path[:0] = [str(ROOT / "plugins" / "jax")]

    one = data_rate(args.seconds, 1)
    two = data_rate(args.seconds, 2)
    print(f"data: {one:.1f} examples/s on one core, {two:.1f} with two processes", flush=True)
    rows = []
    for name, batch in (("tiny", 16), ("small-fast", 16), ("small-compact", 8)):
        seconds, flops, params = step_cost(name, batch)
        here = batch / seconds
        gpu = [fraction * PEAK_FLOPS / flops for fraction in (0.25, 0.5)]
        made = WORKERS_THERE * one
        rows.append(
            [name, f"{params / 1e6:.1f} M", f"{flops / 1e9:.1f}", f"{seconds:.2f} s / {batch}", f"{here:.1f}"]
            + [f"{g:,.0f}" for g in gpu]
            + [f"{made:,.0f}", f"{gpu[0] / made:.1f}-{gpu[1] / made:.1f}"]
        )
        print(name, rows[-1], flush=True)
    text = [
        "# Training throughput: data rate, step cost, the echo a GPU needs",
        "",
        "Generated by `python benchmarks/training_throughput.py` (see its docstring).",
        f"Machine: {machine_line()}.",
        "",
        f"- synthetic training examples (gpu-train's data settings): **{one:.1f}/s on one core**, "
        f"{two:.1f}/s with two worker processes on this 2-core machine",
        "",
        markdown_table(
            [
                "config",
                "parameters",
                "GFLOP / example (XLA)",
                "step here (float32)",
                "examples/s here",
                "H100 examples/s at 25 %",
                "at 50 % of 798 TFLOP/s",
                "15 data workers make /s",
                "echo needed",
            ],
            rows,
        ),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
