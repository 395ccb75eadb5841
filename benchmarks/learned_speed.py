"""Words per second of the learned derenderer on this CPU: JAX vs ONNX Runtime, ``tiny`` and ``small``.

    python benchmarks/learned_speed.py                       # tiny (JAX, ONNX) + small (ONNX), 64 and 256 tokens
    python benchmarks/learned_speed.py --configs tiny --lengths 64 --batches 1,32

Every measurement decodes a **fixed number of tokens** per word (EOS is
replaced by an ink token and the repetition guard is off), so models with
random weights and trained ones cost the same and the numbers compare across
backends and sizes: one batch = the encoder + ``length`` decoder steps with
the key/value cache, timed from the uint8 images to the last token on the
host (the greedy loop's own per-step work included). ``words/s = batch /
time``; ``s/word`` is its inverse. Each cell is the best of ``--repeats``
timed runs after one untimed warm-up run (JAX compiles there).

* ``tiny``: the shipped model's configuration (random weights, seed 0):
  JAX (jit, the ``JaxDecoder``'s compiled step, cache of ``length``
  positions) and ONNX Runtime (``inksight_onnx``: exported graphs, growing
  cache);
* ``small``: the paper's Small size (about 322 M parameters, mT5's 250,112-row
  output layer), random weights, exported to ONNX in a temporary directory
  (about 0.7 GB: the prompt-embedding rows beyond our 709 ids are never read,
  so the export keeps only those; the output layer keeps all rows and is
  computed in full at every step, as the official model's is). ONNX only.

The official InkSight Small-p model needs about 110-290 s per word on a CPU
(third-party measurements): that is the reference column.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "learned_speed.md"
SAMPLE = REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"
OFFICIAL_S_PER_WORD = (110.0, 290.0)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _images(batch: int, size: int = 224) -> np.ndarray:
    from PIL import Image

    from inksight_sdk.seq2seq.words import letterbox

    canvas = letterbox(np.asarray(Image.open(SAMPLE).convert("RGB")), size, (255, 255, 255))[0]
    return np.stack([canvas] * batch)


def _forced(tokens: np.ndarray) -> np.ndarray:
    """Keep every row decoding: an EOS becomes an ink token (PAD is never produced)."""
    from inksight_sdk.seq2seq.vocab import EOS, INK_OFFSET

    tokens = np.array(tokens, np.int32)
    tokens[tokens == EOS] = INK_OFFSET
    return tokens


def _random_params(config):  # type: ignore[no-untyped-def]
    """Random float32 parameters of the config's shapes, without compiling an initializer (fast for small)."""
    import jax
    from inksight_jax.inference import param_shapes

    rng = np.random.default_rng(0)

    def leaf(path, spec):  # type: ignore[no-untyped-def]
        name = jax.tree_util.keystr(path)
        if "scale" in name:
            return np.ones(spec.shape, np.float32)
        if "bias" in name and "embedding" not in name:
            return np.zeros(spec.shape, np.float32)
        std = 1.0 / np.sqrt(spec.shape[0]) if len(spec.shape) > 1 else 0.02
        return (rng.standard_normal(spec.shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    return jax.tree_util.tree_map_with_path(leaf, param_shapes(config))


# ----------------------------------------------------------------------------- runners


def jax_runner(params, config, batch: int, length: int):  # type: ignore[no-untyped-def]
    """A function that derenders ``batch`` words of exactly ``length`` tokens with the JAX decoder."""
    from inksight_jax import JaxDecoder

    from inksight_sdk.seq2seq.decoding import DecodeOptions
    from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER

    decoder = JaxDecoder(params, config, DecodeOptions(max_len=length, repeat_times=0))
    images = _images(batch, config.image_size)
    prompts = [PROMPT_DERENDER] * batch

    def run() -> None:
        padded, ids, mask, _ = decoder._inputs(images, prompts)
        cache, enc_mask = decoder._prepare(decoder.params, padded, ids, mask, length)
        tokens = np.zeros(len(padded), np.int32)
        for pos in range(length):
            nxt, cache = decoder._step(decoder.params, tokens, np.int32(pos), cache, enc_mask)
            tokens = _forced(np.asarray(nxt))

    return run


def onnx_runner(model_dir: Path, batch: int, length: int, threads: int):  # type: ignore[no-untyped-def]
    from inksight_onnx.runtime import OnnxDecoder, OnnxModel

    from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER

    decoder = OnnxDecoder(OnnxModel(model_dir, threads=threads, verify=False))
    images = _images(batch, decoder.model.image_size)
    prompts = [PROMPT_DERENDER] * batch

    def run() -> None:
        step = decoder.stepper(images, prompts)
        tokens = np.zeros(batch, np.int32)
        for pos in range(length):
            tokens = _forced(step(tokens, pos))

    return run


def measure(run, repeats: int) -> float:  # type: ignore[no-untyped-def]
    run()  # warm-up (JAX compiles here; onnxruntime allocates)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="tiny,small", help="comma-separated: tiny, small-compact, small")
    parser.add_argument("--lengths", default="64,256")
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="onnxruntime intra-op threads")
    parser.add_argument("--workdir", type=Path, default=None, help="where the exports go (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    import jax
    import onnxruntime
    from inksight_jax import count_params, get_config
    from inksight_jax.export import export_onnx

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    lengths = [int(x) for x in args.lengths.split(",")]
    batches = [int(x) for x in args.batches.split(",")]
    rows: list[dict] = []
    notes: list[str] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="inksight-speed-", dir=args.workdir) as tmp:
        for name in configs:
            config = get_config(name)
            t0 = time.perf_counter()
            if name == "tiny":
                from inksight_jax import init_params

                params = init_params(config, seed=0)
            else:
                params = _random_params(config)
            model_dir = export_onnx(params, config, Path(tmp) / name)
            export_s = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in model_dir.iterdir())
            notes.append(
                f"`{name}`: {count_params(config) / 1e6:.1f} M parameters; random weights + ONNX export "
                f"{export_s:.0f} s; ONNX files {size / 1e6:.0f} MB"
            )
            backends = ["jax", "onnx"] if name == "tiny" else ["onnx"]
            for backend in backends:
                for batch in batches:
                    for length in lengths:
                        if backend == "jax":
                            run = jax_runner(params, config, batch, length)
                        else:
                            run = onnx_runner(model_dir, batch, length, args.threads)
                        seconds = measure(run, args.repeats)
                        del run
                        gc.collect()
                        row = {
                            "config": name,
                            "backend": backend,
                            "batch": batch,
                            "length": length,
                            "seconds": seconds,
                            "words_per_s": batch / seconds,
                            "s_per_word": seconds / batch,
                        }
                        rows.append(row)
                        print(
                            f"{name:14s} {backend:5s} batch {batch:3d} len {length:4d}: {seconds:8.2f} s  "
                            f"{row['words_per_s']:8.2f} words/s  {row['s_per_word']:.3f} s/word",
                            file=sys.stderr,
                            flush=True,
                        )
            del params
            gc.collect()

    lines = [
        "# Learned derenderer speed",
        "",
        "Generated by `"
        + " ".join(["python benchmarks/learned_speed.py", *(sys.argv[1:] if argv is None else argv)])
        + "` (see its docstring).",
        f"Machine: {_cpu_name()}, {os.cpu_count()} logical CPUs shared with other "
        f"work (1-minute load average {load:.1f} at the start), Python {platform.python_version()}, "
        f"jax {jax.__version__}, onnxruntime {onnxruntime.__version__} ({args.threads} intra-op threads).",
        "",
        "Each word decodes exactly `tokens` tokens (EOS replaced, repetition guard off), so random and trained",
        "weights cost the same; one batch = encoder + `tokens` cached decoder steps, uint8 images to host tokens.",
        f"Best of {args.repeats} run(s) after a warm-up. Reference: the official InkSight Small-p needs about "
        f"{OFFICIAL_S_PER_WORD[0]:.0f}-{OFFICIAL_S_PER_WORD[1]:.0f} s per word on a CPU (third-party measurements).",
        "",
        "| config | backend | batch | tokens | batch s | words/s | s/word | vs Small-p (110-290 s/word) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = OFFICIAL_S_PER_WORD[0] / r["s_per_word"], OFFICIAL_S_PER_WORD[1] / r["s_per_word"]
        lines.append(
            f"| {r['config']} | {r['backend']} | {r['batch']} | {r['length']} | {r['seconds']:.2f} | "
            f"{r['words_per_s']:.2f} | {r['s_per_word']:.3f} | {lo:,.0f}-{hi:,.0f}x faster |"
        )
    lines += ["", *[f"* {n}" for n in notes], ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
