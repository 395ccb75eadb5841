"""Words and lines found by the ``layout`` detector on real pen recordings written at an angle.

    python benchmarks/word_segmentation.py                  # the judge set: real recordings (15 s)
    python benchmarks/word_segmentation.py --set hershey    # the tuning set: Hershey lines (30 s)

Real pen recordings (``../shared/data/ink``, see its NOTICE.md) are rendered
to photo-like pages with ``inksight_sdk.evaluation.render_page`` after turning
the strokes by 0, 8, -15, 30 and 45 degrees, and the ``layout`` detector is
run on each page. The true text of each recording is known (read off the
rendered recordings and, for the Wacom note, its NOTICE line), so the true
number of words and lines is known:

| recording | hand | lines | words |
|---|---|---|---|
| Wacom note | cursive-print mix | 4 | 26 |
| UNIPEN jwsr102 | cursive | 1 | 16 |
| UNIPEN sinr101 | cursive and figures | 1 | 11 |
| UNIPEN wcdr101 | cursive | 1 | 20 |
| UNIPEN app2200 | separate print letters, a word a line | 4 | 4 |
| UNIPEN app2402 | separate print letters, a word a line | 4 | 4 |

Scores per angle and over all pages: **word count error** (sum of
|found - true| over pages, divided by the true total: 0 is perfect; a count
can be right with wrong boundaries, so look at the overlays too), pages with
the **exact word count**, and pages with the **right number of lines**.

The UNIPEN recordings are the *judge* set of issue 10's detector change
(split of letter and word gaps): its rules were tuned on ``--set hershey``
and on the real photos the layout tests check (the Testaments scan's ALTO
lines, ``inksight_page.jpg``, ``simplehtr_line.png``), never on UNIPEN. The
Wacom note began in the judge set, showed a regression of an intermediate
rule, and was then tuned on; it is reported but no longer a judge. The
``hershey`` set is 120 synthetic pages (seed 0) of 1-3 lines of 2-7 English
words each, in Hershey print, script, cursive and italic fonts, each line
bent by one sampled writer's style (``inksight_sdk.synth.vary``: slant,
spacing, size, baseline), word gaps of 0.45-1.0 cap heights (each varied by
about 25%), turned by -45..45 degrees and rendered in all three
``render_page`` styles; scored the same way over all pages.

Writes ``benchmarks/results/word_segmentation.md`` (``--set real``) or
``word_segmentation_hershey.md``; ``--overlays`` also saves the detected
quads of each real recording at 30 degrees (of the first 20 Hershey pages)
under ``/tmp/word_segmentation/``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from _common import RESULTS, machine_line, markdown_table, shared

from inksight_sdk.evaluation import STYLES, RenderedPage, load_unipen_strokes, load_wacom_strokes, render_page
from inksight_sdk.synth import hershey_word, sample_style, vary
from inksight_sdk.vision import detect_layout

ANGLES = (0.0, 8.0, -15.0, 30.0, 45.0)
#: each line's ink about this many pixels tall (ascender to descender): a phone photo of a page of notes
LINE_HEIGHT = 90.0
PEN = 3.5

# (name, loader, file, true lines, true words, hand)
RECORDINGS = (
    ("Wacom note", load_wacom_strokes, ("wacom_digital_ink_is_processable.json",), 4, 26, "cursive-print mix"),
    ("UNIPEN jwsr102", load_unipen_strokes, ("unipen", "jwsr102.dat"), 1, 16, "cursive"),
    ("UNIPEN sinr101", load_unipen_strokes, ("unipen", "sinr101.dat"), 1, 11, "cursive and figures"),
    ("UNIPEN wcdr101", load_unipen_strokes, ("unipen", "wcdr101.dat"), 1, 20, "cursive"),
    ("UNIPEN app2200", load_unipen_strokes, ("unipen", "app2200.dat"), 4, 4, "print letters"),
    ("UNIPEN app2402", load_unipen_strokes, ("unipen", "app2402.dat"), 4, 4, "print letters"),
)


def turned(strokes: list[np.ndarray], degrees: float) -> list[np.ndarray]:
    """The strokes turned counter-clockwise on screen by ``degrees`` (y down) about their centre."""
    centre = np.concatenate(strokes).mean(axis=0)
    a = math.radians(-degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return [(s - centre) @ rotation.T + centre for s in strokes]


def page_of(strokes: list[np.ndarray], lines: int, degrees: float, seed: int) -> RenderedPage:
    height = float(np.ptp(np.concatenate(strokes)[:, 1]))
    scale = LINE_HEIGHT * lines / height
    return render_page(turned(strokes, degrees), style="clean", pen_width=PEN, scale=scale, seed=seed, ink="blue")


def real_pages() -> Iterator[tuple[str, str, int, int, float, RenderedPage]]:
    """(recording, hand, true words, true lines, angle, page) for every recording at every angle."""
    for seed, (name, loader, parts, true_lines, true_words, hand) in enumerate(RECORDINGS):
        strokes = loader(shared("ink", *parts))
        for degrees in ANGLES:
            yield name, hand, true_words, true_lines, degrees, page_of(strokes, true_lines, degrees, seed)


HERSHEY_FONTS = ("futural", "rowmans", "scripts", "cursive", "timesi")
FAMILIES = {"futural": "print", "rowmans": "print", "scripts": "joined", "cursive": "joined", "timesi": "italic"}
_VOCABULARY = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use an each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number no "
    "way could people my than first water been call who oil its now find long down day did get come made may part "
    "over new sound take only little work know place year live me back give most very after thing our just name "
    "good sentence man think say great where help through much before line right too mean old any same tell boy "
    "Monday January London Hello notes paper pen ink quick brown fox jumps lazy dog"
).split()


def hershey_pages(count: int, seed: int) -> Iterator[tuple[str, str, int, int, float, RenderedPage]]:
    """The tuning set: synthetic lines of Hershey words bent by a sampled writer, at a random angle."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        font = str(rng.choice(HERSHEY_FONTS))
        lines = int(rng.integers(1, 4))
        gap = float(rng.uniform(0.45, 1.0))  # word gap, cap heights
        leading = float(rng.uniform(1.7, 2.3))  # line spacing, cap heights
        style = sample_style(rng)
        strokes, words = [], 0
        for row in range(lines):
            x = 0.0
            for _ in range(int(rng.integers(2, 8))):
                word = vary(hershey_word(str(rng.choice(_VOCABULARY)), font), rng, style).strokes
                left = min(float(s[:, 0].min()) for s in word)
                strokes += [s + [x - left, row * leading] for s in word]
                x += max(float(s[:, 0].max()) for s in word) - left + gap * float(np.exp(rng.normal(0.0, 0.25)))
                words += 1
        degrees = float(rng.uniform(-45.0, 45.0))
        page = render_page(
            turned(strokes, degrees),
            style=str(rng.choice(STYLES)),
            pen_width=float(rng.uniform(2.5, 4.5)),
            scale=float(rng.uniform(28.0, 50.0)),
            seed=index,
        )
        yield f"{font} #{index}", font, words, lines, degrees, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=("real", "hershey"), default="real", help="judge (real) or tuning set")
    parser.add_argument("--pages", type=int, default=120, help="pages of the hershey set (default 120)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the hershey set")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/word_segmentation[_hershey].md")
    parser.add_argument(
        "--overlays", action="store_true", help="save quads: real recordings at 30 degrees, the first 20 hershey pages"
    )
    args = parser.parse_args()
    real = args.set == "real"
    out = args.out or RESULTS / ("word_segmentation.md" if real else "word_segmentation_hershey.md")

    started = time.perf_counter()
    table: dict[str, list] = {}
    groups: dict[str, list[int]] = {}  # |error|, true words, exact words, right lines, pages
    pages = real_pages() if real else hershey_pages(args.pages, args.seed)
    for index, (name, hand, true_words, true_lines, degrees, page) in enumerate(pages):
        layout = detect_layout(page.image)
        words, lines = len(layout.words), len({(w.block, w.line) for w in layout.words})
        band = 15 * min(2, int(abs(degrees) // 15))
        group = f"{degrees:g}°" if real else f"{FAMILIES[hand]}, ±{band}-{band + 15}°"
        if real:
            table.setdefault(name, [name, hand, f"{true_words} / {true_lines}"]).append(f"{words} / {lines}")
        for key in (group, "all"):
            total = groups.setdefault(key, [0, 0, 0, 0, 0])
            for k, value in enumerate(
                (abs(words - true_words), true_words, words == true_words, lines == true_lines, 1)
            ):
                total[k] += value
        if args.overlays and (degrees == 30.0 if real else index < 20):
            picture = np.ascontiguousarray(page.image[..., ::-1])
            for word in layout.words:
                cv2.polylines(picture, [np.round(word.quad).astype(np.int32)], True, (0, 0, 220), 2)
            Path("/tmp/word_segmentation").mkdir(exist_ok=True)
            cv2.imwrite(f"/tmp/word_segmentation/{name.replace(' ', '_').replace('#', '')}.png", picture)

    summary = [
        [key, error / true, f"{exact} / {pages}", f"{lines_ok} / {pages}"]
        for key, (error, true, exact, lines_ok, pages) in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    ]
    text = [
        "# Word segmentation" + (" on real pen recordings at an angle" if real else " on the Hershey tuning set"),
        "",
        f"Generated by `python benchmarks/word_segmentation.py --set {args.set}"
        + ("`" if real else f" --pages {args.pages} --seed {args.seed}`")
        + " (see its docstring for the data and the scores).",
        f"Machine: {machine_line()}. {time.perf_counter() - started:.0f} s.",
        "",
    ]
    if real:
        text += [
            "Words / lines found by the `layout` detector, per recording and angle (degrees, counter-clockwise):",
            "",
            markdown_table(["recording", "hand", "true"] + [f"{a:g}°" for a in ANGLES], list(table.values())),
            "",
        ]
    text += [
        "Scores " + ("per angle:" if real else "per font and angle:"),
        "",
        markdown_table(["pages", "word count error", "exact word count", "right line count"], summary),
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text[-3 - len(summary) :]))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
