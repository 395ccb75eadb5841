"""Seconds per page of the doctr detector on this machine's CPU, with untrained weights.

The networks' speed does not depend on their weights, but the rest does: an untrained detector's map is
noise, so the time docTR spends turning it into boxes, and the number of words to recognise, are not
those of a trained one. So the script prints the whole page with untrained weights, and apart: the
scaling of the page for the detector, the detection network alone, and the recognition of 100 word
crops (a trained model's page costs about network + scaling + recognition of its words).

Usage (from the repository root)::

    python plugins/doctr/scripts/speed.py [--det-arch fast_base] [--reco-arch crnn_vgg16_bn] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

PHOTO = Path(__file__).resolve().parents[4] / "shared" / "data" / "photos" / "form_patient_intake_phone.jpg"


def _best(fn, repeat: int) -> str:
    """The fastest of ``repeat`` runs, wall-clock and CPU time (all threads): CPU time moves less when
    other processes share the cores."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return f"{min(wall):.2f} s ({min(cpu):.2f} CPU s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--det-arch", default="fast_base")
    parser.add_argument("--reco-arch", default="crnn_vgg16_bn")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    import doctr.models  # noqa: F401  (the import the detector's factory pays for)

    print(f"import doctr.models: {time.perf_counter() - start:.1f} s; torch threads: {torch.get_num_threads()}")
    from inksight_sdk.pipeline import default_registry

    start = time.perf_counter()
    options = {"det_arch": args.det_arch, "reco_arch": args.reco_arch, "untrained": True}
    detector = default_registry().create("detector", "doctr", options)[1]
    print(f"build {args.det_arch} + {args.reco_arch}: {time.perf_counter() - start:.1f} s")

    big = np.asarray(Image.open(PHOTO).convert("RGB"))
    small = np.asarray(Image.fromarray(big).resize((1414, 1060), Image.Resampling.LANCZOS))
    det = detector.predictor.det_predictor
    for label, page in (("1.5 MP", small), ("12 MP", big)):
        detector.detect(page)  # warm-up
        words = len(detector.detect(page).words)
        seconds = _best(lambda page=page: detector.detect(page), args.repeat)
        resize = _best(lambda page=page: det.pre_processor([page]), args.repeat)
        print(
            f"{label} page ({page.shape[1]} x {page.shape[0]}): {seconds} whole page "
            f"({words} words found), of which {resize} scaling it for the detector"
        )

    batch = det.pre_processor([small])[0]
    det.model.exportable = True  # the network alone: logits, no boxes (the boxes depend on the weights)
    with torch.inference_mode():
        seconds = _best(lambda: det.model(batch), args.repeat)
    det.model.exportable = False
    print(f"detection network ({args.det_arch}, {tuple(batch.shape[-2:])}): {seconds}")

    crops = [
        np.ascontiguousarray(big[400 + 40 * (i % 50) : 440 + 40 * (i % 50), 800 + 200 * (i // 50) :][:, :160])
        for i in range(100)
    ]
    recognize = detector.predictor.reco_predictor
    recognize(crops[:8])  # warm-up
    seconds = _best(lambda: recognize(crops), args.repeat)
    print(f"recognition of 100 word crops (40 x 160 px, {args.reco_arch}): {seconds}")


if __name__ == "__main__":
    main()
