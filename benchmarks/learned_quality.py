"""Quality of a learned (jax) checkpoint against ground truth, next to the classical derenderer.

    python benchmarks/learned_quality.py                                # build/train-tiny, else the shipped weights
    python benchmarks/learned_quality.py --checkpoint PATH --synthetic 300 --chars 40

Two kinds of ground truth:

* **held-out synthetic words**: ``SyntheticWords(seed=--synthetic-seed)`` (training uses
  seeds 0..999 by convention; the default evaluation seed 1_000_003 is never trained on),
  the 224 crops derendered directly, true strokes on the same canvas, tolerance 1.5 x
  the word's mean pen width. The classical ``skeleton`` derenderer gets the same crops;
* **real pen recordings** (``../shared/data/ink``): the Wacom note rendered clean / ruled /
  dim + rotated exactly as ``benchmarks/quality_groundtruth.py`` does, converted by the
  whole pipeline (``layout`` detector + the derenderer), and hanzi-writer-data characters
  with odd code points (the evaluation split: no training run may see them).

Metrics are :func:`inksight_sdk.evaluation.compare_ink`'s: F1 (precision, recall) of
points within the tolerance, order (Kendall tau of true vs output time), direction,
pen lifts (output / true strokes). Writes a markdown table to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import quality_groundtruth as qg
from _common import machine_line, markdown_table, pipeline_tracer
from quality_groundtruth import char_pages, hanzi_sample, note_pages, score

from inksight_sdk.evaluation import compare_ink

ROOT = Path(__file__).resolve().parents[1]
METRICS = qg.METRICS  # the ground-truth benchmark's metrics, in its order


def default_checkpoint() -> str:
    run = ROOT / "build" / "train-tiny"
    if (run / "latest").exists():
        return str(run)
    from inksight_jax.derenderer import default_checkpoint as shipped

    path = shipped()
    if path is None:
        raise SystemExit("no checkpoint: pass --checkpoint (a run directory or a weights file)")
    return str(path)


def synthetic_scores(
    derenderers: dict[str, object], count: int, seed: int, fonts: tuple[str, ...] | None, mode: str
) -> list[list[object]]:
    from inksight_sdk.stages import Mode, WordCrop
    from inksight_sdk.synth import SyntheticWords

    words = SyntheticWords(seed=seed, fonts=fonts)
    examples = [words[i] for i in range(count)]
    rows = []
    for name, der in derenderers.items():
        start = time.perf_counter()
        crops = []
        for ex in examples:
            h, w = ex.image.shape[:2]
            quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
            crops.append(WordCrop(image=ex.image, content=quad, text=ex.text))
        outputs = []
        for i in range(0, len(crops), 32):
            outputs.extend(der.derender(crops[i : i + 32], Mode(mode)))  # type: ignore[attr-defined]
        seconds = (time.perf_counter() - start) / max(count, 1)
        scores = []
        for ex, out in zip(examples, outputs):
            pen = float(np.mean(np.concatenate([np.asarray(w, float).ravel() for w in ex.width]))) if ex.width else 2.0
            pred = [np.asarray(s.points, float) for s in out.strokes if len(s.points)]
            row = compare_ink(ex.strokes, pred, 1.5 * pen).as_dict()
            row.setdefault("line_order", row["order"])  # one word is one line
            scores.append(row)
        means = {m: float(np.nanmean([s[m] for s in scores])) for m in METRICS}
        rows.append([f"{count} held-out synthetic words (seed {seed})", name] + [means[m] for m in METRICS] + [seconds])
        print(f"synthetic {name:24s} " + " ".join(f"{m}={means[m]:.3f}" for m in METRICS), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="run directory, checkpoint directory or weights file")
    parser.add_argument("--synthetic", type=int, default=200, help="held-out synthetic words (default 200)")
    parser.add_argument("--synthetic-seed", type=int, default=1_000_003)
    parser.add_argument("--fonts", default="latin", help="'latin', 'default' or a comma list (synthetic words)")
    parser.add_argument("--chars", type=int, default=40, help="hanzi with odd code points (0: none)")
    parser.add_argument(
        "--mode", default="vanilla", choices=("vanilla", "text", "recognize"), help="for the synthetic words"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-classical", action="store_true", help="skip the skeleton derenderer")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "learned_quality.md")
    args = parser.parse_args()

    from inksight_jax.cli import _fonts

    from inksight_sdk.pipeline import default_registry

    checkpoint = args.checkpoint or default_checkpoint()
    jax_options = {"checkpoint": checkpoint, "batch_size": args.batch_size}
    registry = default_registry()
    _, learned = registry.create("derenderer", "jax", jax_options)
    label = f"jax ({learned.config.name}, step {learned.meta.get('step')})"
    derenderers: dict[str, object] = {label: learned}
    if not args.no_classical:
        derenderers["skeleton (classical)"] = registry.create("derenderer", "skeleton")[1]

    rows = []
    if args.synthetic:
        rows += synthetic_scores(derenderers, args.synthetic, args.synthetic_seed, _fonts(args.fonts), args.mode)

    from inksight_sdk.stages import Mode

    pipelines: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {}
    pipelines[label] = pipeline_tracer(derenderer="jax", derenderer_options=jax_options)
    if not args.no_classical:
        pipelines["skeleton (classical)"] = pipeline_tracer()
    lines = qg.note_lines() if hasattr(qg, "note_lines") else None
    conditions = [(f"Wacom note, {style}", [page], lines) for style, page in note_pages()]
    if args.chars:
        chars = hanzi_sample(args.chars, 0)
        conditions.append((f"{len(chars)} hanzi (odd code points), clean", char_pages(chars, "clean"), None))
    for cond, pages, page_lines in conditions:
        for name, trace in pipelines.items():
            kwargs = {"lines": page_lines} if page_lines is not None else {}
            means, _, seconds = score(pages, lambda page, t=trace: t(page.image), **kwargs)
            rows.append([cond, name] + [means[m] for m in METRICS] + [seconds])
            print(f"{cond:40s} {name:24s} " + " ".join(f"{m}={means[m]:.3f}" for m in METRICS), flush=True)

    header = ["condition", "derenderer", *METRICS, "s/item"]
    text = [
        "# Learned derenderer quality against ground truth",
        "",
        f"Generated by `python benchmarks/learned_quality.py` with checkpoint `{checkpoint}`, mode "
        f"`{Mode(args.mode).value}`. Machine: {machine_line()}.",
        "",
        "Synthetic rows: crops derendered directly (s/item per word). Wacom and hanzi rows: the whole pipeline "
        "(`layout` detector + derenderer, s/item per page), rendered as in `benchmarks/quality_groundtruth.py`.",
        "",
        markdown_table(header, rows),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
