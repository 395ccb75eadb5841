"""Train, export and judge a model within a wall-clock budget: the command behind ``scripts/gpu-train``.

Made for the few minutes of a lent accelerator host: no network, JAX, Flax,
Optax, ONNX and ONNX Runtime installed, nothing else. Everything it needs
travels with the working tree: the code (``scripts/gpu-train`` puts the
packages on ``PYTHONPATH``, nothing is installed) and a data folder made here
beforehand with ``scripts/gpu-train --prepare``:

``train.npz``
    a glyph pack (:mod:`inksight_sdk.synth.pack`): the Hershey fonts and the
    hanzi medians with even code points, the training data's only sources;
``eval.npz``
    hanzi with odd code points (the evaluation split) for the quality report;
``wacom_note.json``
    the real pen recording of ``../shared/data/ink`` (Apache-2.0; its NOTICE
    line is in ``NOTICE.md`` beside it).

A run (``--max-minutes``, default 9) trains with the step count chosen to end
the learning-rate schedule when the training share of the budget ends
(:attr:`TrainOptions.budget_minutes`), in bfloat16 on an accelerator, with a
checkpoint every two minutes, each exported to ONNX at once (a run cut off
from outside still leaves a model); then exports the final model to ONNX in
fp32 and int8 (dynamic quantization of the weights) and judges both with the
metrics of ``benchmarks/learned_quality.py``. ``--out`` receives at most
eight files, each under 16 MiB (what a lent machine sends back)::

    OUT/model-fp32/{encoder.onnx, decoder_step.onnx, inksight_onnx.json}
    OUT/model-int8/{encoder.onnx, decoder_step.onnx, inksight_onnx.json}
    OUT/train.log.jsonl
    OUT/report.md

Each ``inksight_onnx.json`` carries the model's measured quality
(``quality``), which ``inksight plugins`` shows. Checkpoints go to ``--work``
(they are too big to send back).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .data import PHOTOS

__all__ = ["main", "prepare", "RETURN_LIMITS"]

#: what a lent machine sends back: files, bytes per file, bytes in all
RETURN_LIMITS = (8, 16 * 2**20, 64 * 2**20)
DEFAULT_DATA = Path("build") / "gpu"
#: held-out synthetic words: a seed no training run uses (training uses 0..999 by convention)
EVAL_SEED = 1_000_003


# ----------------------------------------------------------------------------- preparing the data (here)


def prepare(data: Path, *, eval_chars: int = 200, seed: int = 0) -> list[Path]:
    """Write the data folder a run needs (see the module docstring); returns the files written."""
    from inksight_sdk.synth import DEFAULT_FONTS, ensure_hanzi_data
    from inksight_sdk.synth.hanzi import HanziData, is_evaluation_character
    from inksight_sdk.synth.pack import write_pack

    repo = Path(__file__).resolve().parents[3]
    note = repo.parent / "shared" / "data" / "ink" / "wacom_digital_ink_is_processable.json"
    if not note.is_file():
        raise SystemExit(f"gpu-train --prepare: {note} is missing (the shared data beside the checkout)")
    hanzi_dir = ensure_hanzi_data()
    hanzi = HanziData(hanzi_dir)
    odd = [c for c in hanzi.characters if is_evaluation_character(c)]
    picked = sorted(np.random.default_rng(seed).choice(len(odd), size=min(eval_chars, len(odd)), replace=False))
    data.mkdir(parents=True, exist_ok=True)
    written = [
        write_pack(
            data / "train.npz", fonts=DEFAULT_FONTS, hanzi_dir=hanzi_dir, hanzi_chars=hanzi.training_characters()
        ),
        write_pack(data / "eval.npz", hanzi_dir=hanzi_dir, split="eval", hanzi_chars=[odd[i] for i in picked]),
    ]
    shutil.copyfile(note, data / "wacom_note.json")
    (data / "NOTICE.md").write_text(
        "# Data for scripts/gpu-train\n\n"
        "- `train.npz`, `eval.npz`: glyph packs made by `scripts/gpu-train --prepare` from the Hershey fonts "
        "(PyPI `Hershey-Fonts`, MIT) and hanzi-writer-data 2.0.1 (npm, Arphic Public License; the license text "
        "is inside each pack, entry `license`).\n"
        "- `wacom_note.json`: Wacom-Developer/universal-ink-library @ f49a1a97 : "
        "ink/uim_3.0.0_json/2) Digital Ink is processable 1.json, Apache-2.0 (see ../shared/data/NOTICE.md).\n",
        encoding="utf-8",
    )
    written += [data / "wacom_note.json", data / "NOTICE.md"]
    return written


# ----------------------------------------------------------------------------- exporting


def _replace_dir(staging: Path, target: Path) -> None:
    """Put ``staging`` in place of ``target`` (the old one is removed only once the new one is complete)."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def export_fp32(params: Any, config: Any, target: Path, source: dict[str, Any]) -> Path:
    """The model as fp32 ONNX graphs in ``target`` (replaced atomically)."""
    from .export import export_onnx

    staging = target.with_name(target.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    export_onnx(params, config.replace(dtype="float32"), staging, source=source)
    _replace_dir(staging, target)
    return target


def quantize_int8(fp32: Path, target: Path) -> Path:
    """Weights of both graphs as int8 (onnxruntime dynamic quantization); metadata updated to match."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .export import _sha256

    staging = target.with_name(target.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    meta = json.loads((fp32 / "inksight_onnx.json").read_text(encoding="utf-8"))
    for entry in meta["files"].values():
        out = staging / entry["path"]
        quantize_dynamic(str(fp32 / entry["path"]), str(out), weight_type=QuantType.QInt8)
        entry["bytes"], entry["sha256"] = out.stat().st_size, _sha256(out)
    meta["quantization"] = "int8 weights (onnxruntime quantize_dynamic, QInt8), activations float32"
    (staging / "inksight_onnx.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _replace_dir(staging, target)
    return target


# ----------------------------------------------------------------------------- judging


def _scores(pairs: Sequence[tuple[list[np.ndarray], list[np.ndarray], float]]) -> dict[str, float]:
    from inksight_sdk.evaluation import compare_ink

    rows = [compare_ink(true, pred, tolerance).as_dict() for true, pred, tolerance in pairs]
    keys = ("f1", "precision", "recall", "order", "direction", "pen_lifts")
    return {k: round(float(np.nanmean([r[k] for r in rows])), 4) for k in keys} | {"count": len(rows)}


def judge(model_dir: Path, data: Path, *, synthetic: int, chars: int, threads: int = 0) -> dict[str, Any]:
    """The metrics of ``benchmarks/learned_quality.py`` for one exported model.

    Held-out synthetic words (``SyntheticWords(seed=1_000_003)``) derendered
    straight from their crops; the Wacom note rendered clean, and odd-code-
    point hanzi one per image, both through the whole pipeline (``layout``
    detector + this model). Tolerance 1.5 pen widths.
    """
    from inksight_onnx import plugin as onnx_plugin
    from inksight_onnx.derenderer import OnnxDerenderer
    from inksight_onnx.plugin import OnnxOptions

    from inksight_sdk import Pipeline, PluginRegistry
    from inksight_sdk.evaluation import load_hanzi_strokes, load_wacom_strokes, render_page
    from inksight_sdk.stages import Mode, WordCrop
    from inksight_sdk.synth import SyntheticWords
    from inksight_sdk.synth.hanzi import HanziData

    started = time.perf_counter()
    # a weak model trips the repetition guard on most words: each is a warning worth nothing here
    logging.getLogger("inksight_sdk").setLevel(logging.ERROR)
    derenderer = OnnxDerenderer(OnnxOptions(model=str(model_dir), threads=threads))
    words = SyntheticWords(seed=EVAL_SEED, fonts=None)
    examples = [words[i] for i in range(synthetic)]
    crops = [
        WordCrop(image=e.image, content=np.array([[0, 0], [224, 0], [224, 224], [0, 224]], np.float32), text=e.text)
        for e in examples
    ]
    outputs = []
    for i in range(0, len(crops), 32):
        outputs.extend(derenderer.derender(crops[i : i + 32], Mode.VANILLA))
    synthetic_pairs = [
        (
            e.strokes,
            [np.asarray(s.points, float) for s in out.strokes if len(s.points)],
            1.5 * float(np.mean(np.concatenate([np.ravel(w) for w in e.width]))),
        )
        for e, out in zip(examples, outputs)
    ]
    registry = PluginRegistry(plugins=[onnx_plugin], entry_points=False)
    pipeline = Pipeline(
        detector="layout", derenderer="onnx", derenderer_options={"model": str(model_dir)}, registry=registry
    )

    def traced(image: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(s.points, float) for s in pipeline.convert(image).strokes() if len(s.points)]

    note = render_page(load_wacom_strokes(data / "wacom_note.json"), style="clean", pen_width=3.5, scale=0.9, seed=0)
    hanzi = HanziData(data / "eval.npz")
    pages = [
        render_page(
            load_hanzi_strokes({"medians": _flip(hanzi.medians(c))}), pen_width=5.0, scale=128 / 1024, seed=ord(c)
        )
        for c in hanzi.characters[:chars]
    ]
    report = {
        "synthetic words (held out)": _scores(synthetic_pairs),
        "Wacom note, clean (real pen)": _scores([(note.strokes, traced(note.image), 1.5 * note.pen_width)]),
        "hanzi, odd code points": _scores([(p.strokes, traced(p.image), 1.5 * p.pen_width) for p in pages]),
    }
    pipeline.close()
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _flip(medians: list[np.ndarray]) -> list[list[list[float]]]:
    """Medians back in hanzi-writer-data's y-up form, which :func:`load_hanzi_strokes` reads."""
    return [[[float(x), 900.0 - float(y)] for x, y in m] for m in medians]


# ----------------------------------------------------------------------------- the run


def _defaults(config_name: str, accelerator: bool) -> dict[str, Any]:
    """Batch, learning rate, warmup and echo per size: accelerator values, or what two CPU cores manage."""
    if not accelerator:
        return {"batch_size": 8, "learning_rate": 1.5e-3, "warmup_steps": 20, "echo": 1, "photos": "host"}
    # the data workers only place the ink there and the GPU paints the photos, a new one each time a word is
    # used; the echo is what the workers' rate needs to keep the GPU busy (docs/training.md)
    settings = {
        "tiny": {"batch_size": 256, "learning_rate": 2e-3, "warmup_steps": 200, "echo": 32},
        "small-fast": {"batch_size": 256, "learning_rate": 1e-3, "warmup_steps": 300, "echo": 16},
    }.get(config_name, {"batch_size": 128, "learning_rate": 5e-4, "warmup_steps": 500, "echo": 2})
    return {**settings, "photos": "device"}


def _files(out: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(out)), p.stat().st_size) for p in out.rglob("*") if p.is_file())


def _report(out: Path, summary: dict[str, Any], quality: dict[str, dict[str, Any]]) -> str:
    count_limit, file_limit, total_limit = RETURN_LIMITS
    files = _files(out) + [("report.md", 0)]
    lines = [
        f"# scripts/gpu-train: {summary['config']}",
        "",
        f"- device: {summary['device']}; JAX {summary['jax']}; compute dtype {summary['dtype']}",
        f"- budget {summary['max_minutes']:g} min: training {summary['train_seconds']:.0f} s "
        f"(stopped by {summary['stopped']}), export and report {summary['tail_seconds']:.0f} s",
        f"- {summary['parameters']:,} parameters; {summary['steps']} steps of batch {summary['batch_size']} "
        f"(echo {summary['echo']}: {summary['unique_examples']:,} synthetic words made, "
        f"{summary['steps'] * summary['batch_size']:,} seen; photos painted on the {summary['photos']}); "
        f"learning rate {summary['learning_rate']:g}",
        f"- loss {summary['first_loss']:.3f} (first logged) -> {summary['last_loss']:.3f} (last logged); "
        f"{summary['examples_per_s']:.0f} examples/s"
        + (
            f"; painting a photo on the device takes {summary['paint_seconds'] * 1e6:.0f} us "
            f"({summary['paint_seconds'] * summary['examples_per_s']:.0%} of the training time)"
            if summary["paint_seconds"] is not None
            else ""
        ),
        "",
        "## Quality (metrics of benchmarks/learned_quality.py; tolerance 1.5 pen widths)",
        "",
        "| model | condition | n | F1 | precision | recall | order | direction | pen lifts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, report in quality.items():
        for condition, s in report.items():
            if isinstance(s, dict):
                lines.append(
                    f"| {model} | {condition} | {s['count']} | {s['f1']:.3f} | {s['precision']:.3f} | "
                    f"{s['recall']:.3f} | {s['order']:.3f} | {s['direction']:.3f} | {s['pen_lifts']:.2f} |"
                )
    lines += ["", "## Files", "", "| file | bytes |", "|---|---|"]
    lines += [f"| {name} | {size:,} |" for name, size in files if name != "report.md"]
    total = sum(size for _, size in files)
    ok = len(files) <= count_limit and all(size <= file_limit for _, size in files) and total <= total_limit
    lines += [
        "",
        f"{len(files)} files, {total:,} bytes with this report: "
        + ("within" if ok else "OVER")
        + f" the limits of what a lent machine sends back ({count_limit} files, 16 MiB each, 64 MiB in all).",
        "",
    ]
    return "\n".join(lines)


def painting_time(spec: Any) -> float:
    """Seconds the device takes to paint one photo, in a batch of the run's size (the share of a step it costs)."""
    import jax

    from .data import build_batch
    from .device_photo import render_photos

    batch = build_batch(spec, 0, indices=range(spec.batch_size))
    ink = [jax.device_put(batch[k]) for k in ("ink_segments", "ink_widths", "ink_frames")]
    paint = jax.jit(render_photos)
    paint(jax.random.key(0), *ink).block_until_ready()
    start = time.perf_counter()
    for k in range(3):
        paint(jax.random.key(k + 1), *ink).block_until_ready()
    return (time.perf_counter() - start) / 3 / spec.batch_size


def run(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    started = time.monotonic()
    data, out, work = Path(args.data), Path(args.out), Path(args.work)
    for name in ("train.npz", "eval.npz", "wacom_note.json"):
        if not (data / name).is_file():
            say(f"gpu-train: {data / name} is missing; make the data folder here first: scripts/gpu-train --prepare")
            return 2
    os.environ["INKSIGHT_GLYPH_PACK"] = str((data / "train.npz").resolve())  # fonts, in every data worker too

    import jax

    from .config import get_config
    from .inference import count_params
    from .training import TrainOptions, train

    accelerator = jax.default_backend() != "cpu"
    config = get_config(args.config)
    if accelerator:
        config = config.replace(dtype="bfloat16")
    settings = _defaults(config.name, accelerator)
    for key in ("batch_size", "learning_rate", "warmup_steps", "echo", "photos"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    budget = args.max_minutes * 60
    tail = min(max(0.12 * budget, 30.0), 120.0)  # export, quantization and the quality report
    out.mkdir(parents=True, exist_ok=True)
    if work.exists():
        shutil.rmtree(work)

    def export_checkpoint(path: Path, step: int) -> None:
        from .checkpoint import load_checkpoint

        saved_config, params, _ = load_checkpoint(path)
        export_fp32(params, saved_config, out / "model-fp32", {"checkpoint": path.name, "step": step})
        say(f"gpu-train: exported step {step} to {out / 'model-fp32'}")

    workers = args.workers if args.workers is not None else max(1, (os.cpu_count() or 2) - 1)
    options = TrainOptions(
        config=config,
        out=work,
        steps=10**7,  # replaced by what the budget holds, once the first steps are timed
        budget_minutes=(budget - tail - (time.monotonic() - started)) / 60,
        max_minutes=(budget - tail * 0.75 - (time.monotonic() - started)) / 60,
        calibration_steps=args.calibration_steps,
        batch_size=settings["batch_size"],
        learning_rate=settings["learning_rate"],
        warmup_steps=settings["warmup_steps"],
        echo=settings["echo"],
        photos=settings["photos"],
        seed=args.seed,
        fonts=None,
        hanzi_dir=str((data / "train.npz").resolve()),
        max_target_len=args.max_target_len,
        workers=workers,
        prefetch=max(4, 2 * workers),
        checkpoint_every=10**9,
        checkpoint_minutes=args.checkpoint_minutes,
        log_every=args.log_every,
    )
    result = train(options, progress=say, on_checkpoint=export_checkpoint)
    trained = time.monotonic() - started
    export_fp32(result.params, result.config, out / "model-fp32", {"checkpoint": "final", "step": result.step})
    quantize_int8(out / "model-fp32", out / "model-int8")
    shutil.copyfile(work / "train.log.jsonl", out / "train.log.jsonl")
    say(f"gpu-train: exported fp32 and int8 to {out}; judging them")
    quality = {}
    for name in ("model-fp32", "model-int8"):
        quality[name] = judge(out / name, data, synthetic=args.eval_words, chars=args.eval_chars)
        meta_file = out / name / "inksight_onnx.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        meta["quality"] = quality[name]
        meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log = [json.loads(line) for line in (out / "train.log.jsonl").read_text().splitlines() if line.strip()]
    paint_seconds = painting_time(options.data_spec(config)) if settings["photos"] == "device" else None
    summary = {
        "config": config.name,
        "device": ", ".join(sorted({d.device_kind for d in jax.devices()})),
        "jax": jax.__version__,
        "dtype": config.dtype,
        "max_minutes": args.max_minutes,
        "train_seconds": trained,
        "tail_seconds": time.monotonic() - started - trained,
        "stopped": result.stopped,
        "parameters": count_params(config),
        "steps": result.step,
        "batch_size": settings["batch_size"],
        "echo": settings["echo"],
        "photos": settings["photos"],
        "paint_seconds": paint_seconds,
        "unique_examples": (result.step + settings["echo"] - 1) * settings["batch_size"] // settings["echo"],
        "learning_rate": settings["learning_rate"],
        "first_loss": log[0]["loss"] if log else math.nan,
        "last_loss": log[-1]["loss"] if log else math.nan,
        "examples_per_s": log[-1]["examples_per_s"] if log else 0.0,
    }
    (out / "report.md").write_text(_report(out, summary, quality), encoding="utf-8")
    say(f"gpu-train: done in {time.monotonic() - started:.0f} s; {out / 'report.md'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/gpu-train", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--prepare", action="store_true", help="write the data folder here (fonts, hanzi, note)")
    parser.add_argument("--config", default="small-fast", help="model size (default small-fast)")
    parser.add_argument("--max-minutes", type=float, default=9.0, help="the whole run's budget (default 9)")
    parser.add_argument("--out", type=Path, help="where the ONNX models, log and report go")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    parser.add_argument("--work", type=Path, help="checkpoints (default: OUT.work beside OUT)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--warmup-steps", type=int)
    parser.add_argument(
        "--echo",
        type=int,
        help="data echoing factor (default on an accelerator: 32 tiny, 16 small-fast, 2 larger; 1 on a CPU)",
    )
    parser.add_argument(
        "--photos",
        choices=PHOTOS,
        help="where crops are painted (default: on the accelerator when there is one, else by the data workers)",
    )
    parser.add_argument("--workers", type=int, help="data worker processes (default: one per core but one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-target-len", type=int, default=256)
    parser.add_argument("--calibration-steps", type=int, default=10)
    parser.add_argument("--checkpoint-minutes", type=float, default=2.0)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--eval-words", type=int, default=100, help="held-out synthetic words judged (default 100)")
    parser.add_argument("--eval-chars", type=int, default=40, help="odd-code-point hanzi judged (default 40)")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.prepare:
        for path in prepare(args.data):
            say(f"gpu-train --prepare: wrote {path} ({path.stat().st_size:,} bytes)")
        return 0
    if args.out is None:
        parser.error("--out is required (or --prepare)")
    args.work = args.work or args.out.with_name(args.out.name + ".work")
    return run(args, say)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
