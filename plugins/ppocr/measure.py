"""The numbers in this plugin's README: what ``ppocr`` reads on the shared test photos, and how fast.

    python plugins/ppocr/measure.py [--repeat 3]

Needs the repository's shared data (``../shared/data/photos``). Reports, per
photo, the words read (text, and for the Testaments page the share of its
ALTO transcription's words read exactly and the character error rate of the
page's text), and the detector's seconds per page (the median of
``--repeat`` runs after one warm-up, engine already loaded) on a 1.5 MP page
and on a 12 MP phone photo.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from inksight_sdk.pipeline import default_registry

PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "data" / "photos"


def _read(name: str) -> np.ndarray:
    image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"missing shared photo {PHOTOS / name}")
    return np.ascontiguousarray(image[:, :, ::-1])


def _alto_words(name: str) -> list[str]:
    text = (PHOTOS / name).read_text(encoding="utf-8")
    return " ".join(
        re.findall(r'<String[^>]*CONTENT="([^"]*)"', text) or re.findall(r'CONTENT="([^"]*)"', text)
    ).split()


def _cer(reference: str, hypothesis: str) -> float:
    previous = list(range(len(hypothesis) + 1))
    for i, a in enumerate(reference, 1):
        current = [i]
        for j, b in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(1, len(reference))


def _seconds(detector, image: np.ndarray, repeat: int) -> float:
    detector.detect(image)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        detector.detect(image)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    detector = default_registry().create("detector", "ppocr", {})[1]
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for name in ("inksight_page.jpg", "simplehtr_line.png", "testaments_AD78_0054-0.jpg"):
        words = detector.detect(_read(name)).words
        lines: dict[tuple, list[str]] = {}
        for word in words:
            lines.setdefault((word.block, word.line), []).append(word.text)
        print(f"\n{name}: {len(words)} words, {len(lines)} lines")
        for text in list(lines.values())[:4]:
            print("   ", " ".join(text))
        if name.startswith("testaments"):
            truth = _alto_words("testaments_AD78_0054-0.alto.xml")
            read = [w.text for w in words]
            matcher = difflib.SequenceMatcher(a=truth, b=read, autojunk=False)
            exact = sum(block.size for block in matcher.get_matching_blocks())
            cer = _cer(" ".join(truth), " ".join(read))
            print(f"    ALTO: {len(truth)} words; read {len(read)}; {exact} read exactly ({exact / len(truth):.0%});")
            print(f"    character error rate of the page's text {cer:.1%}")
    testaments = _read("testaments_AD78_0054-0.jpg")
    scale = (1.5e6 / (testaments.shape[0] * testaments.shape[1])) ** 0.5
    small = cv2.resize(testaments, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    phone = _read("form_patient_intake_phone.jpg")
    print()
    for label, image in (("1.5 MP (Testaments page reduced)", small), ("12 MP (form_patient_intake_phone.jpg)", phone)):
        seconds = _seconds(detector, image, args.repeat)
        words = len(detector.detect(image).words)
        h, w = image.shape[:2]
        print(f"{label}: {w}x{h} = {w * h / 1e6:.1f} MP, {seconds:.2f} s per page, {words} words")


if __name__ == "__main__":
    main()
