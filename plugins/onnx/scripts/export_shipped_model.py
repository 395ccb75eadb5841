#!/usr/bin/env python
"""Export a trained inksight-jax checkpoint as the model shipped with inksight-onnx.

    python plugins/onnx/scripts/export_shipped_model.py                       # build/train-tiny -> models/tiny
    python plugins/onnx/scripts/export_shipped_model.py --checkpoint build/train-tiny/ckpt-000800

Needs the development install (``pip install -r requirements-dev.txt``: inksight-jax
with onnx, and onnxruntime). Steps:

1. load the checkpoint (``inksight_jax.checkpoint.load_checkpoint``: a run
   directory follows its ``latest`` link) and export it with
   :func:`inksight_jax.export.export_onnx` into a temporary directory;
2. check it: JAX and ONNX Runtime greedy decodings of the bundled sample word
   (three prompts, 64 tokens) must be token-identical;
3. replace ``plugins/onnx/inksight_onnx/models/tiny`` with it and write its
   ``NOTICE.md`` (the training command, the step the checkpoint reached, the
   last logged loss, file sizes and hashes).

Rerunnable: the result depends only on the checkpoint (plus a fresh export id
and date in the metadata).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "plugins" / "onnx" / "inksight_onnx" / "models" / "tiny"
DEFAULT_CHECKPOINT = REPO / "build" / "train-tiny"
# the command documented in docs/training.md ("The shipped tiny model")
TRAIN_COMMAND = (
    "inksight train --config tiny --out build/train-tiny --steps 1500 --batch-size 16 --seed 0 \\\n"
    "  --lr 1.5e-3 --warmup 100 \\\n"
    "  --mixture derender=0.7,derender_text=0.1,recognize=0.1,recognize_derender=0.1 \\\n"
    "  --fonts latin --max-minutes 60 --checkpoint-minutes 5 --log-every 10 --workers 1"
)


def _last_log(run_dir: Path, step: int | None) -> dict | None:
    log = run_dir / "train.log.jsonl"
    if not log.is_file():
        return None
    best = None
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "loss" in entry and (step is None or entry.get("step", 0) <= step):
            best = entry
    return best


def _check(checkpoint: Path, model_dir: Path) -> str:
    import numpy as np
    from inksight_jax import DecodeOptions, JaxDecoder
    from inksight_jax.checkpoint import load_checkpoint
    from inksight_onnx.runtime import OnnxDecoder, OnnxModel
    from PIL import Image

    from inksight_sdk.seq2seq.vocab import PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text
    from inksight_sdk.seq2seq.words import letterbox

    config, params, _ = load_checkpoint(checkpoint)
    sample = REPO / "inksight_sdk" / "samples" / "quick_brown_fox.jpg"
    image = letterbox(np.asarray(Image.open(sample).convert("RGB")), config.image_size, (255, 255, 255))[0]
    images = np.stack([image] * 3)
    prompts = [PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, derender_with_text("quick")]
    options = DecodeOptions(max_len=64)
    expected = JaxDecoder(params, config, options).derender(images, prompts)
    got = OnnxDecoder(OnnxModel(model_dir), options).derender(images, prompts)
    for e, g in zip(expected, got):
        if not (np.array_equal(e.ink_tokens, g.ink_tokens) and e.text == g.text and e.stop == g.stop):
            raise SystemExit(f"export check failed: JAX and ONNX disagree on prompt {e.prompt!r}")
    return "JAX and ONNX Runtime greedy decodings of the bundled sample (3 prompts, 64 tokens) are token-identical"


def _notice(meta: dict, log: dict | None, check: str, command: str) -> str:
    source = meta.get("source", {})
    files = meta["files"]
    lines = [
        "# The shipped `tiny` model",
        "",
        "Weights trained by this project on synthetic ink only (Hershey-font words rendered as photo-like",
        "crops, `inksight_sdk.synth`; see `docs/training.md`), exported to ONNX with `inksight_jax.export`.",
        "No third-party model weights are included. Licence: the project's (Apache-2.0).",
        "",
        "## Training",
        "",
        "On the project's development machine (2 shared CPU cores, no GPU):",
        "",
        "```",
        command,
        "```",
        "",
        f"* checkpoint exported: step **{source.get('step')}** (`{source.get('checkpoint')}` of the run directory), "
        f"seed {source.get('seed')}",
    ]
    if log:
        lines.append(
            f"* last logged training loss at or before that step: {log['loss']:.3f} (step {log.get('step')}, "
            f"{log.get('elapsed_s', 0) / 60:.0f} min into the run)"
        )
    lines += [
        f"* configuration `{meta['config_name']}`: ViT {meta['config']['vit_dim']}-d x {meta['config']['vit_layers']}, "
        f"T5 {meta['config']['d_model']}-d, {meta['config']['encoder_layers']} encoder + "
        f"{meta['config']['decoder_layers']} decoder layers; max prompt {meta['max_prompt_len']} bytes, "
        f"max decode {meta['max_decode_len']} tokens",
        "",
        "Quality on ground truth (held-out synthetic words, real pen recordings) is measured by",
        '`benchmarks/learned_quality.py`; see "Results" in `docs/training.md`. A model trained for under an',
        "hour on two CPU cores writes rough, partial ink and often stops on the repetition guard.",
        "",
        "## Export",
        "",
        "```",
        "python plugins/onnx/scripts/export_shipped_model.py --checkpoint build/train-tiny",
        "```",
        "",
        f"* {meta['created']}, ONNX opset {meta['opset']}, float32, export id `{meta['export_id']}`",
        f"* check: {check}",
    ]
    for role in ("encoder", "decoder_step"):
        f = files[role]
        lines.append(f"* `{f['path']}`: {f['bytes']:,} bytes, sha256 `{f['sha256']}`")
    lines += [
        "",
        "## Reproduce",
        "",
        "Run the training command above from the repository root (`pip install -r requirements-dev.txt`",
        "first), then the export command. Training on 2 shared CPU cores is time-bound (`--max-minutes`),",
        "so the step reached, and with it the weights, depends on the machine's speed.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--train-command", default=TRAIN_COMMAND, help="training command recorded in NOTICE.md")
    parser.add_argument("--no-check", action="store_true", help="skip the JAX vs ONNX check")
    args = parser.parse_args(argv)

    from inksight_jax.export import METADATA_FILE, export_checkpoint

    with tempfile.TemporaryDirectory(prefix="inksight-export-", dir=args.out.parent) as tmp:
        staged = export_checkpoint(args.checkpoint, Path(tmp) / "model")
        meta = json.loads((staged / METADATA_FILE).read_text())
        check = "not run" if args.no_check else _check(args.checkpoint, staged)
        run_dir = args.checkpoint if (args.checkpoint / "train.log.jsonl").is_file() else args.checkpoint.parent
        log = _last_log(run_dir, meta["source"].get("step"))
        (staged / "NOTICE.md").write_text(_notice(meta, log, check, args.train_command))
        if args.out.exists():
            shutil.rmtree(args.out)
        shutil.move(str(staged), str(args.out))
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"{args.out}: step {meta['source'].get('step')}, {total / 1e6:.1f} MB; {check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
