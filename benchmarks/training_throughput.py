"""Can the synthetic data keep a GPU busy? Data rate per core, step cost per example, and the echo it implies.

    bash scripts/gpu-train --prepare                   # the glyph pack the data workers read
    python benchmarks/training_throughput.py           # about 5 minutes on 2 cores

Measures here (CPU):

* **data**: synthetic training examples per second made by one core
  (:func:`inksight_jax.data.build_chunk`, the gpu-train settings: every
  default font and the packed hanzi, targets cut at 256 tokens), and by
  two worker processes together; once with the photos painted by the
  workers (``photos="host"``) and once with the workers only placing the
  ink, the photos painted on the accelerator (``photos="device"``);
* **painter**: the cost of painting a photo on the accelerator
  (:func:`inksight_jax.device_photo.render_photos`, batch 16): XLA's
  floating-point operations and bytes accessed per photo, and its time
  here;
* **step**: the training step's time per batch on this CPU (float32) for
  ``tiny``, ``small-fast`` and ``small-compact``, and its floating-point
  operations per example as XLA counts them (``cost_analysis`` of the
  compiled step).

Estimates for a lent H100 (16 cores; 798 TFLOP/s measured on a bf16
8192^3 matrix product there, docs of the device tool; 3.35 TB/s of memory
bandwidth, its specification): examples per second the GPU could take at
25 % and 50 % of that rate (models this small use a fraction of it),
against what 15 data workers make at the measured rate per core; their
ratio is the data echo that keeps the GPU busy. With photos painted on the
device, the GPU's time per photo is estimated from the painter's float32
operations at half of 67 TFLOP/s (the specification without tensor
cores), with the bound that the bytes this CPU's compile moves would set
beside it, and an echoed word is seen under a new photo each time.
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
MEMORY_BANDWIDTH = 3.35e12  # bytes/s, H100 SXM specification
FP32_FLOPS = 67e12  # H100 SXM specification, without tensor cores (the painter's arithmetic is float32)
WORKERS_THERE = 15  # 16 cores, one drives the GPU


def _spec(batch: int, photos: str = "host"):  # type: ignore[no-untyped-def]
    from inksight_jax.data import DataSpec

    return DataSpec(
        seed=5,
        batch_size=batch,
        max_prompt_len=64,
        max_target_len=256,
        hanzi_dir=os.environ["INKSIGHT_GLYPH_PACK"],
        photos=photos,
    )


def _make(args: tuple[int, int, str]) -> int:
    from inksight_jax.data import build_chunk

    batch, chunk, photos = args
    build_chunk(_spec(batch, photos), chunk)
    return batch


def data_rate(seconds: float, processes: int, photos: str) -> float:
    """Examples per second made by ``processes`` worker processes (spawned, one thread each)."""
    batch = 16
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        list(pool.map(_make, [(batch, 10_000 + i, photos) for i in range(processes)]))  # warm: imports, fonts
        made, chunk, start = 0, 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            made += sum(pool.map(_make, [(batch, chunk + i, photos) for i in range(processes)]))
            chunk += processes
        return made / (time.perf_counter() - start)


def painter_cost(batch: int = 16) -> tuple[float, float, float]:
    """(FLOPs, bytes accessed, seconds here) per photo painted by :func:`render_photos`."""
    import jax
    from inksight_jax.data import build_batch
    from inksight_jax.device_photo import render_photos

    data = build_batch(_spec(batch, "device"), 0)
    args = (jax.random.key(0), data["ink_segments"], data["ink_widths"], data["ink_frames"])
    paint = jax.jit(render_photos)
    cost = paint.lower(*args).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    paint(*args).block_until_ready()
    start = time.perf_counter()
    for k in range(3):
        paint(jax.random.key(k + 1), *args[1:]).block_until_ready()
    seconds = (time.perf_counter() - start) / 3
    return (
        float(cost.get("flops", float("nan"))) / batch,
        float(cost.get("bytes accessed", float("nan"))) / batch,
        seconds / batch,
    )


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
    from inksight_jax.data import PHOTOS

    rates = {photos: (data_rate(args.seconds, 1, photos), data_rate(args.seconds, 2, photos)) for photos in PHOTOS}
    for photos, (one, two) in rates.items():
        print(f"data, photos {photos}: {one:.1f} examples/s on one core, {two:.1f} with two processes", flush=True)
    paint_flops, paint_bytes, paint_here = painter_cost()
    paint_gpu = paint_flops / (0.5 * FP32_FLOPS)
    paint_gpu_bytes = paint_bytes / (0.5 * MEMORY_BANDWIDTH)
    print(f"painter: {paint_flops / 1e6:.0f} MFLOP, {paint_bytes / 1e6:.1f} MB, {paint_here * 1e3:.1f} ms a photo here")
    rows = []
    for name, batch in (("tiny", 16), ("small-fast", 16), ("small-compact", 8)):
        seconds, flops, params = step_cost(name, batch)
        here = batch / seconds
        gpu = [fraction * PEAK_FLOPS / flops for fraction in (0.25, 0.5)]
        painting = [1.0 / (1.0 / g + paint_gpu) for g in gpu]  # the same GPU also painting each photo
        host_made, device_made = WORKERS_THERE * rates["host"][0], WORKERS_THERE * rates["device"][0]
        rows.append(
            [name, f"{params / 1e6:.1f} M", f"{flops / 1e9:.1f}", f"{seconds:.2f} s / {batch}", f"{here:.1f}"]
            + [
                f"{gpu[0]:,.0f}-{gpu[1]:,.0f}",
                f"{host_made:,.0f}",
                f"{gpu[0] / host_made:.1f}-{gpu[1] / host_made:.1f}",
            ]
            + [f"{painting[0]:,.0f}-{painting[1]:,.0f}", f"{device_made:,.0f}"]
            + [f"{painting[0] / device_made:.1f}-{painting[1] / device_made:.1f}"]
        )
        print(name, rows[-1], flush=True)
    host, device = rates["host"], rates["device"]
    text = [
        "# Training throughput: data rate, step cost, the echo a GPU needs",
        "",
        "Generated by `python benchmarks/training_throughput.py` (see its docstring).",
        f"Machine: {machine_line()}.",
        "",
        "- synthetic training examples (gpu-train's data settings), photos painted by the workers: "
        f"**{host[0]:.1f}/s on one core**, {host[1]:.1f}/s with two worker processes on this 2-core machine",
        "- the same with the photos painted on the accelerator (the workers place the ink): "
        f"**{device[0]:.1f}/s on one core** ({device[0] / host[0]:.1f}x), {device[1]:.1f}/s with two processes",
        f"- painting one photo on the accelerator: {paint_flops / 1e6:.0f} MFLOP and {paint_bytes / 1e6:.1f} MB "
        f"accessed (XLA on this CPU); {paint_here * 1e3:.1f} ms here. On an H100: about {paint_gpu * 1e6:.0f} us "
        "at half its float32 rate (used in the table); at most about "
        f"{paint_gpu_bytes * 1e6:.0f} us if it moved every byte this CPU's compile moves at half the memory "
        "bandwidth (a GPU compile fuses the pen's elementwise work into its reduction, which this one leaves "
        "apart); gpu-train's report measures it there",
        "",
        markdown_table(
            [
                "config",
                "parameters",
                "GFLOP / example (XLA)",
                "step here (float32)",
                "examples/s here",
                "H100 examples/s at 25-50 % of 798 TFLOP/s",
                "15 workers painting make /s",
                "echo needed",
                "H100 also painting, examples/s",
                "15 workers placing ink make /s",
                "echo needed (a new photo each time)",
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
