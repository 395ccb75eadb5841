"""Word detectors side by side: what each finds on real photos, what it reads, how fast, and the ink it leads to.

    python benchmarks/detectors.py                          # layout, tesseract and every other installed one
    python benchmarks/detectors.py --detectors layout,ppocr --no-speed --out /tmp/d.md
    python benchmarks/detectors.py --detector-option doctr:untrained=true   # docTR without published weights

Per detector (only those installed; ``cloud-vision`` needs Google's service
and is not run), on every photo in ``../shared/data/photos``:

- **words**: quads found.
- **ink coverage**: the share of the page's ink inside some word quad. The
  ink is the SDK's own ink mask (``extract_ink``, printed rules removed),
  which also holds print and specks on pages that have them; the ``layout``
  detector is built on that mask, so its coverage is high by construction.
  Quads are used as the pipeline uses them: refined when the detector asks
  for it (``--refine-words``), not otherwise.
- **junk quads**: quads with almost no ink in them (under 1% of their area).
- **line recall** on the Testaments page: a line of its ALTO file (20
  hand-drawn line polygons) counts as found when at least half of the ink
  inside its polygon lies inside some quad.
- **CER**: character error rate of the transcription (words in reading
  order, whitespace collapsed, case kept) against the ALTO text and the
  known texts of ``inksight_page``, ``inksight_word``, ``simplehtr_line``,
  ``simplehtr_word`` and ``breta_page09``; a detector that reads nothing
  scores 1.0.
- **seconds per page** (detection, plus refining where it applies) on the
  Testaments scan resized to 1.5 MP and to 12 MP.
- **end to end**: the ``skeleton`` derenderer after each detector on the
  real pen recordings of ``benchmarks/word_segmentation.py`` rendered
  upright (Wacom note, five UNIPEN files), scored against the recordings:
  F1, order and direction at a tolerance of 1.5 pen widths, and the share
  of the recordings' true ink inside some quad (a coverage that owes
  nothing to the SDK's ink mask).

Nothing here tunes anything: it reports what comes out. Writes
``benchmarks/results/detectors.md``.
"""

from __future__ import annotations

import argparse
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from _common import RESULTS, SHARED_DATA, machine_line, markdown_table, shared
from PIL import Image, ImageOps
from word_segmentation import PEN, RECORDINGS, page_of

from inksight_sdk import Pipeline
from inksight_sdk.evaluation import RenderedPage, compare_ink, stroke_coverage
from inksight_sdk.ink import WordInk
from inksight_sdk.layout import reading_order
from inksight_sdk.pipeline import default_registry
from inksight_sdk.stages import Layout
from inksight_sdk.vision.ink_mask import InkMask, extract_ink
from inksight_sdk.vision.refine import refine_layout

TESTAMENTS = "testaments_AD78_0054-0"
#: transcriptions of the photos whose text is known (NOTICE.md); the Testaments text comes from its ALTO file
KNOWN_TEXT = {
    "inksight_page.jpg": "The quick brown fox jumps over the lazy dog.",
    "inksight_word.jpg": "Neat:",
    "simplehtr_line.png": "or work on line level",
    "simplehtr_word.png": "word",
    "breta_page09.jpg": "Text written by hand",
}
#: detectors tried when --detectors is not given, in table order (those not installed are left out)
CANDIDATES = ("layout", "tesseract", "ppocr", "doctr")
JUNK_INK_SHARE = 0.01
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def load_photo(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def alto_lines(path: Path) -> tuple[list[np.ndarray], str]:
    """The ALTO file's line polygons (page pixels) and its text, one line per line."""
    root = ET.parse(path).getroot()
    polygons, texts = [], []
    for line in root.iter(f"{ALTO}TextLine"):
        points = line.find(f"{ALTO}Shape/{ALTO}Polygon").get("POINTS").split()
        polygons.append(np.array(points, np.float64).reshape(-1, 2))
        texts.append(" ".join(s.get("CONTENT", "") for s in line.iter(f"{ALTO}String")))
    return polygons, "\n".join(texts)


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def cer(hypothesis: str, reference: str) -> float:
    hyp, ref = " ".join(hypothesis.split()), " ".join(reference.split())
    return edit_distance(hyp, ref) / max(1, len(ref))


def transcript(layout: Layout) -> str:
    """The detector's text in reading order (the order the ``txt`` exporter writes)."""
    words = [WordInk(quad=w.quad, strokes=(), text=w.text) for w in layout.words]
    ordered = reading_order(
        words, layout.direction, blocks=[w.block for w in layout.words], lines=[w.line for w in layout.words]
    )
    return " ".join(w.text for w in ordered if w.text)


def quad_masks(layout: Layout, ink: InkMask) -> list[np.ndarray]:
    """Each quad filled at the ink mask's working resolution."""
    out = []
    for word in layout.words:
        mask = np.zeros(ink.mask.shape, np.uint8)
        corners = np.asarray(word.quad, np.float64) * ink.scale + (ink.scale - 1) / 2
        cv2.fillPoly(mask, [np.rint(corners * 16).astype(np.int32)], 1, shift=4)
        out.append(mask.astype(bool))
    return out


def page_scores(layout: Layout, ink: InkMask) -> dict[str, float]:
    masks = quad_masks(layout, ink)
    union = np.logical_or.reduce(masks) if masks else np.zeros(ink.mask.shape, bool)
    total = max(1, int(ink.mask.sum()))
    junk = sum(1 for m in masks if ink.mask[m].sum() < JUNK_INK_SHARE * max(1, m.sum()))
    return {"words": len(masks), "coverage": float(ink.mask[union].sum() / total), "junk": junk, "union": union}


def line_recall(union: np.ndarray, ink: InkMask, polygons: Sequence[np.ndarray]) -> float:
    found = 0
    for polygon in polygons:
        region = np.zeros(ink.mask.shape, np.uint8)
        cv2.fillPoly(region, [np.rint(polygon * ink.scale).astype(np.int32)], 1)
        line_ink = ink.mask & (region > 0)
        found += int(line_ink.sum() > 0 and (line_ink & union).sum() >= 0.5 * line_ink.sum())
    return found / max(1, len(polygons))


class Candidate:
    """One detector, built once, used as the pipeline would (refined when it asks for it)."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.options = dict(options)
        self.detector = default_registry().create("detector", name, self.options)[1]
        self.refines = bool(getattr(self.detector, "refine_words", False))

    def detect(self, image: np.ndarray, ink: InkMask | None = None) -> Layout:
        layout = self.detector.detect(image)
        if self.refines:
            layout, _ = refine_layout(image, layout, ink=ink)
        return layout

    @property
    def label(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"{self.name} ({options})" if options else self.name


def photo_rows(candidates: Sequence[Candidate]) -> tuple[list[list[Any]], list[list[Any]], dict[str, dict[str, float]]]:
    """Per photo and detector: words / coverage / junk, and the transcription scores; plus means per detector."""
    polygons, alto_text = alto_lines(shared("photos", f"{TESTAMENTS}.alto.xml"))
    known = dict(KNOWN_TEXT, **{f"{TESTAMENTS}.jpg": alto_text})
    photos = sorted(p for p in (SHARED_DATA / "photos").iterdir() if p.suffix.lower() in (".jpg", ".png"))
    table, reading, summary = (
        [],
        [],
        {c.label: {"coverage": [], "junk": [], "cer": [], "lines": []} for c in candidates},
    )
    for path in photos:
        image = load_photo(path)
        ink = extract_ink(image)
        row: list[Any] = [path.name]
        for candidate in candidates:
            layout = candidate.detect(image, ink)
            scores = page_scores(layout, ink)
            summary[candidate.label]["coverage"].append(scores["coverage"])
            summary[candidate.label]["junk"].append(scores["junk"] / max(1, scores["words"]))
            row.append(f"{scores['words']} / {scores['coverage']:.2f} / {scores['junk']}")
            if path.name == f"{TESTAMENTS}.jpg":
                summary[candidate.label]["lines"].append(line_recall(scores["union"], ink, polygons))
            if path.name in known:
                text = transcript(layout)
                error = cer(text, known[path.name])
                summary[candidate.label]["cer"].append(error)
                shown = text if len(text) <= 60 else text[:57] + "..."
                reading.append([path.name, candidate.label, f"`{shown}`" if shown else "(nothing)", error])
            print(f"{path.name:40s} {candidate.label:30s} {row[-1]}", flush=True)
        table.append(row)
    means = {label: {k: float(np.mean(v)) if v else float("nan") for k, v in s.items()} for label, s in summary.items()}
    return table, reading, means


def speed_rows(candidates: Sequence[Candidate]) -> list[list[Any]]:
    """Seconds to detect (and refine) one page: the Testaments scan at 1.5 MP and 12 MP."""
    scan = load_photo(shared("photos", f"{TESTAMENTS}.jpg"))
    rows = []
    for candidate in candidates:
        row: list[Any] = [candidate.label]
        for megapixels in (1.5, 12.0):
            factor = (megapixels * 1e6 / (scan.shape[0] * scan.shape[1])) ** 0.5
            page = cv2.resize(
                scan, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
            )
            if megapixels == 1.5:
                candidate.detect(page)  # warm-up: lazy model loading and first-call set-up are not a page's time
            start = time.perf_counter()
            candidate.detect(page)
            row.append(time.perf_counter() - start)
        print(f"speed {candidate.label:30s} {row[1]:.2f} s  {row[2]:.2f} s", flush=True)
        rows.append(row)
    return rows


def true_coverage(words: Sequence[WordInk], page: RenderedPage) -> float:
    """The share of a rendered page's true ink (the recording's strokes drawn with its pen) inside some quad."""
    truth = stroke_coverage(page.strokes, page.pen_width, page.image.shape[:2]) > 0.5
    quads = np.zeros(truth.shape, np.uint8)
    for word in words:
        cv2.fillPoly(quads, [np.rint(np.asarray(word.quad, np.float64) * 16).astype(np.int32)], 1, shift=4)
    return float(truth[quads > 0].sum() / max(1, truth.sum()))


def end_to_end_rows(candidates: Sequence[Candidate]) -> list[list[Any]]:
    """The skeleton derenderer after each detector, on the rendered pen recordings."""
    pages = [
        page_of(loader(shared("ink", *parts)), lines, 0.0, seed)
        for seed, (_, loader, parts, lines, *_) in enumerate(RECORDINGS)
    ]
    rows = []
    for candidate in candidates:
        pipeline = Pipeline(detector=candidate.name, derenderer="skeleton", detector_options=candidate.options)
        scores = []
        for page in pages:
            doc = pipeline.convert(page.image)
            pred = [np.asarray(s.points, np.float64) for s in doc.strokes() if len(s.points)]
            row = compare_ink(page.strokes, pred, 1.5 * PEN).as_dict()
            row["coverage"] = true_coverage(doc.pages[0].words if doc.pages else (), page)
            scores.append(row)
        pipeline.close()
        mean = {
            m: float(np.nanmean([s[m] for s in scores])) for m in ("coverage", "f1", "recall", "order", "direction")
        }
        print(f"end to end {candidate.label:30s} " + " ".join(f"{k}={v:.3f}" for k, v in mean.items()), flush=True)
        rows.append([candidate.label] + list(mean.values()))
    return rows


def parse_options(values: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for value in values:
        match = re.fullmatch(r"([\w-]+):([\w.-]+)=(.*)", value)
        if not match:
            raise SystemExit(f"--detector-option takes DETECTOR:KEY=VALUE, got {value!r}")
        out.setdefault(match[1], {})[match[2]] = match[3]
    return out


def installed(name: str) -> bool:
    registry = default_registry()
    try:
        return registry.select("detector", name) is not None
    except Exception:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detectors", help="comma-separated detector names (default: every installed candidate)")
    parser.add_argument("--detector-option", action="append", default=[], metavar="DETECTOR:KEY=VALUE")
    parser.add_argument("--no-speed", action="store_true", help="skip the 1.5 MP / 12 MP timing")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the pen-recording scores")
    parser.add_argument("--out", type=Path, default=RESULTS / "detectors.md")
    args = parser.parse_args()

    options = parse_options(args.detector_option)
    names = args.detectors.split(",") if args.detectors else [n for n in CANDIDATES if installed(n)]
    candidates = [Candidate(name, options.get(name, {})) for name in names]
    start = time.perf_counter()
    table, reading, means = photo_rows(candidates)
    speed = [] if args.no_speed else speed_rows(candidates)
    end_to_end = [] if args.no_end_to_end else end_to_end_rows(candidates)
    minutes = (time.perf_counter() - start) / 60

    labels = [c.label for c in candidates]
    summary = [
        [label, means[label]["coverage"], means[label]["junk"], means[label]["lines"], means[label]["cer"]]
        + (next(r[1:] for r in speed if r[0] == label) if speed else [])
        for label in labels
    ]
    header = ["detector", "ink coverage (mean)", "junk share (mean)", "Testaments line recall", "CER (mean, 6 texts)"]
    if speed:
        header += ["s / 1.5 MP page", "s / 12 MP page"]
    parts = [
        "# Word detectors side by side",
        "",
        f"Generated by `python benchmarks/detectors.py{' ' if args.detector_option else ''}"
        + " ".join(f"--detector-option {o}" for o in args.detector_option)
        + f"` (see its docstring for every measure). {machine_line()} {minutes:.1f} min.",
        f"Refined quads (`--refine-words`): {', '.join(c.label for c in candidates if c.refines) or 'none'}.",
        "",
        markdown_table(header, summary),
        "",
        "Per photo: words found / ink coverage / junk quads.",
        "",
        markdown_table(["photo"] + labels, table),
        "",
        "What each detector read (CER against the known text; the Testaments text is its ALTO transcription):",
        "",
        markdown_table(["photo", "detector", "transcription", "CER"], reading),
    ]
    if end_to_end:
        parts += [
            "",
            "End to end with the `skeleton` derenderer on the rendered pen recordings (Wacom note and five UNIPEN "
            "files, upright), mean over the six pages:",
            "",
            markdown_table(["detector", "true ink coverage", "F1", "recall", "order", "direction"], end_to_end),
        ]
    args.out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
