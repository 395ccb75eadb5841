"""Speed: whole-process time of ``inksight convert`` against a floor timed in the same run.

    python benchmarks/speed.py             # best of 3 (about a minute on 2 cores)
    python benchmarks/speed.py --runs 5

Inputs, written to a temporary folder as JPEG (quality 92):

- a 1.5 MP page: the Testaments scan (1552x2224, 20 lines of French cursive)
  downscaled to about 1.5 megapixels;
- a 12 MP phone photo: ``breta_page09.jpg`` (2460x3280, four words)
  upscaled to 3000x4000.

The *floor* is the least any classical converter must do, in its own Python
process: import OpenCV and scikit-image, read the image, adaptive threshold
(OpenCV), thin (``skimage.morphology.skeletonize``). The SDK's number is the
whole ``inksight convert IN -o OUT.json`` process (interpreter start, imports,
decoding, layout, tracing, writing), with the ``skeleton`` derenderer's
default word helpers (one process per further CPU); the same command with
``--derenderer-option workers=0`` (one core) is timed beside it. Each command
runs ``--runs`` times; the best time counts. Peak memory is the largest
process's maximum resident set size (``getrusage(RUSAGE_CHILDREN)`` in a
small wrapper process per run, so runs do not mix), and the summed resident
sets of ``inksight`` and its helpers from one more, untimed, sampled run.
Target (issue 3): convert <= 3x floor on both sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import defusedxml.ElementTree as ET
from _common import DESCENDANTS_SOURCE, RESULTS, machine_line, markdown_table, shared

FLOOR = """
import sys
import cv2
from skimage.morphology import skeletonize
gray = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
skeletonize(binary > 0)
"""

# Runs one command and reports its wall time and peak memory; a fresh wrapper per run
# keeps RUSAGE_CHILDREN to that one child.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "seconds": seconds, "peak_mb": peak_kb / 1024, "stderr": done.stderr[-2000:]}))
"""


# One more run of the command, for memory only: the resident sets of the process and all its descendants
# (the skeleton derenderer's helper processes), summed, sampled every 20 ms. Kept out of the timed runs so
# the sampling does not slow them.
TREE_PEAK = (
    """
import os, subprocess, sys, time
"""
    + DESCENDANTS_SOURCE
    + """
def tree_rss_kb(root):
    tree = [root, *descendants(root)]
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total

child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while child.poll() is None:
    peak = max(peak, tree_rss_kb(child.pid))
    time.sleep(0.02)
print(peak / 1024)
"""
)


def tree_peak_mb(command: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", TREE_PEAK, *command], capture_output=True, text=True, check=True)
    return float(out.stdout)


def measure(command: list[str], runs: int) -> dict[str, float]:
    # as an installed package runs: with Python's bytecode cache (pip compiles it at install time); where the
    # environment sets PYTHONDONTWRITEBYTECODE, every run would compile the SDK's modules again (~0.1 s)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best: dict[str, float] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True, env=env
        )
        result = json.loads(out.stdout)
        if result["rc"] != 0:
            raise SystemExit(f"{' '.join(command)} failed ({result['rc']}):\n{result['stderr']}")
        if not best or result["seconds"] < best["seconds"]:
            best["seconds"] = result["seconds"]
        best["peak_mb"] = max(best.get("peak_mb", 0.0), result["peak_mb"])
    return best


def alto_word_count(path: Path) -> int:
    """Words of the transcription (tokens with at least one letter or digit)."""
    root = ET.parse(path).getroot()
    words = 0
    for el in root.iter():
        if el.tag.endswith("String"):
            words += sum(any(ch.isalnum() for ch in token) for token in el.attrib.get("CONTENT", "").split())
    return words


def prepare(folder: Path) -> list[tuple[str, Path, int]]:
    """The two test images, with their true word counts."""
    scan = cv2.imread(str(shared("photos", "testaments_AD78_0054-0.jpg")))
    factor = (1.5e6 / (scan.shape[0] * scan.shape[1])) ** 0.5
    page = cv2.resize(scan, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    photo = cv2.resize(
        cv2.imread(str(shared("photos", "breta_page09.jpg"))), (3000, 4000), interpolation=cv2.INTER_CUBIC
    )
    out = []
    for name, image, words in (
        ("page_1.5mp.jpg", page, alto_word_count(shared("photos", "testaments_AD78_0054-0.alto.xml"))),
        ("photo_12mp.jpg", photo, 4),  # "Text written by hand"
    ):
        path = folder / name
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        out.append((f"{name} ({image.shape[1]}x{image.shape[0]})", path, words))
    return out


def convert_command(args: argparse.Namespace) -> list[str]:
    # the console script installed beside this interpreter (what `pip install` puts on PATH); a version
    # manager's shim found first on PATH would add its own start-up to every run
    beside = Path(sys.executable).with_name("inksight")
    exe = str(beside) if beside.exists() else shutil.which("inksight")
    base = [exe] if exe else [sys.executable, "-m", "inksight_sdk"]
    return [*base, "convert", "--detector", args.detector, "--derenderer", args.derenderer]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per command; the best counts (default 3)")
    parser.add_argument("--detector", default="layout")
    parser.add_argument("--derenderer", default="skeleton", help="a derenderer that takes a workers option")
    parser.add_argument("--out", type=Path, default=RESULTS / "speed.md")
    args = parser.parse_args()

    from inksight_sdk import load

    rows = []
    with tempfile.TemporaryDirectory(prefix="inksight-speed-") as tmp:
        folder = Path(tmp)
        for label, path, words in prepare(folder):
            output = folder / (path.stem + ".json")
            floor = measure([sys.executable, "-c", FLOOR, str(path)], args.runs)
            command = [*convert_command(args), str(path), "-o", str(output)]
            sdk = measure(command, args.runs)
            alone = measure([*command, "--derenderer-option", "workers=0"], args.runs)
            tree_mb = tree_peak_mb(command)
            found = sum(1 for _ in load(output).words())
            ratio = sdk["seconds"] / floor["seconds"]
            rows.append(
                [label, floor["seconds"], sdk["seconds"], ratio, alone["seconds"], alone["seconds"] / floor["seconds"]]
                + [words, found, words / sdk["seconds"]]
                + [floor["peak_mb"], sdk["peak_mb"], tree_mb]
            )
            print(
                f"{label}: floor {floor['seconds']:.2f} s, convert {sdk['seconds']:.2f} s, ratio {ratio:.2f}, "
                f"one core {alone['seconds']:.2f} s",
                flush=True,
            )

    header = ["input", "floor s", "convert s", "ratio", "one core s", "one-core ratio", "words", "words found"]
    header += ["words/s", "floor MB", "convert MB", "convert + helpers MB"]
    text = [
        "# Speed",
        "",
        "Generated by `python benchmarks/speed.py` (see `benchmarks/README.md`).",
        f"Machine: {machine_line()}. Best of {args.runs} runs; `MB`: the peak resident set of the largest "
        "process; `convert + helpers MB`: the peak of the summed resident sets of `inksight` and its word "
        "helper processes, sampled every 20 ms in one more, untimed run.",
        "",
        f"`convert`: `inksight convert IN -o OUT.json --detector {args.detector} --derenderer {args.derenderer}` "
        "as a whole process, with the default word helpers; `one core`: the same with "
        "`--derenderer-option workers=0`. `floor`: a Python process that imports OpenCV and scikit-image, "
        "reads the image, runs `cv2.adaptiveThreshold` and `skimage.morphology.skeletonize`. `words`: words of "
        "the true transcription; `words found`: words in the output document; `words/s` = true words / convert time. "
        "Target (issue 3): ratio <= 3 on both sizes. For scale: the InkSight Small-p model takes about "
        "110-290 s per word on a CPU (third-party measurements).",
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
