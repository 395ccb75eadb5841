"""Quality on real photos and scans: is the ink traced on handwriting, and is all handwriting traced?

    python benchmarks/quality_photos.py

There is no pen trajectory for these images, so each output point is checked
against a reference made from the image itself, independently of the SDK:

- *handwriting*: pixels clearly darker than the local paper (Otsu threshold on
  the ratio gray / median-filtered background) inside the text region;
- *rules*: for the ruled photos, the blue/green rules and the red margin line,
  found by hue on long straight runs;
- *text region*: the ALTO line polygons of the Testaments scan grown by 40%
  of a line height for ascenders and descenders (its ``TextBlock`` polygon is
  the page), the detected sheet of paper on the wooden table in
  ``breta_page09.jpg``, the whole image otherwise.

Each output point (resampled every pixel) is put in the first class it is
within one pen width of: handwriting, rules, other dark marks (dark pixels
outside the text region: hand-drawn dashes, show-through), off page (scan
border, table), else paper. *Coverage* is the share of handwriting pixels
within two pen widths of an output stroke (per ALTO line as well for the
Testaments scan). The naive baseline is scored the same way. Writes
``benchmarks/results/quality_photos.md`` and overlays to ``docs/images/``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import attrs
import cv2
import defusedxml.ElementTree as ET
import numpy as np
from _common import (
    IMAGES,
    RESULTS,
    SHARED_DATA,
    Tracer,
    machine_line,
    markdown_table,
    naive_tracer,
    overlay,
    pipeline_tracer,
    save_png,
)

from inksight_sdk.evaluation import resample

ALTO_NS = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
CLASSES = ("handwriting", "rules", "other marks", "off page", "paper")
# The sheet of paper in photos that show the table around it: corners measured on the image
# (where the pale, unsaturated paper begins and ends, glare on the table excluded), moved 25 px
# inwards so the dark shadow along the sheet's edge is not taken for handwriting. The Testaments
# scan's ALTO page is the whole image, its black border too, and its writing runs up to the paper's
# right edge: its corners (where the gray level rises above 150) are moved 3 px inwards, so the
# paper's edge against the border is not handwriting either.
SHEETS = {
    "breta_page09.jpg": [(275, 251), (2305, 253), (2258, 3109), (261, 3108)],
    "testaments_AD78_0054-0.jpg": [(48, 39), (1484, 53), (1472, 2165), (48, 2152)],
}
OVERLAYS = ("inksight_page.jpg", "simplehtr_line.png", "testaments_AD78_0054-0.jpg", "breta_page09.jpg")


@attrs.frozen
class Reference:
    """Masks describing one photo: handwriting, rules, dark marks, and its page and text regions."""

    handwriting: np.ndarray
    rules: np.ndarray
    dark: np.ndarray
    page: np.ndarray
    lines: list[np.ndarray]  # one mask per text line, when the photo has line annotations
    pen_width: float


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return bgr[..., ::-1].copy()


def darkness_ratio(rgb: np.ndarray) -> np.ndarray:
    """gray / local paper brightness (a 1% quantile would be ink; the median is the paper)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    scale = min(1.0, 600 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    background = cv2.medianBlur(small, 31 if min(small.shape) > 31 else 3)
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return gray.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)


def polygon_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.rint(points).astype(np.int32)], 1)
    return mask.astype(bool)


def alto_regions(path: Path, shape: tuple[int, int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The TextBlock polygons (the written page) and one mask per TextLine polygon."""
    root = ET.parse(path).getroot()

    def poly(element: object) -> np.ndarray:
        shape_el = element.find("a:Shape/a:Polygon", ALTO_NS)  # type: ignore[attr-defined]
        return np.array(shape_el.attrib["POINTS"].split(), dtype=np.float64).reshape(-1, 2)

    page = np.zeros(shape, bool)
    for block in root.iterfind(".//a:TextBlock", ALTO_NS):
        page |= polygon_mask(shape, poly(block))
    lines = [polygon_mask(shape, poly(line)) for line in root.iterfind(".//a:TextLine", ALTO_NS)]
    return page, lines


def ruling(rgb: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Blue/green rules and the red margin line: faint coloured pixels forming long straight lines.

    The photos are nearly axis-aligned, so the image is cut into strips and a
    row (column) where most pixels are faint and coloured is a rule: the
    handwriting that crosses a rule leaves most of its row intact. Rules are
    grown by 2 px to cover their blurred edges.
    """
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue, sat = hsv[..., 0].astype(np.int32), hsv[..., 1].astype(np.int32)
    faint = (ratio < 0.96) & (ratio > 0.5)
    blueish = (faint & (hue >= 26) & (hue <= 130)).astype(np.uint8)
    reddish = (faint & ((hue <= 14) | (hue >= 160)) & (sat > 45)).astype(np.uint8)
    rules = np.zeros(ratio.shape, bool)
    # rules: per vertical strip, rows that are mostly faint blue (3 rows thick, for tilt)
    grown = cv2.dilate(blueish, np.ones((3, 1), np.uint8)).astype(bool)
    bounds = np.linspace(0, ratio.shape[1], 9).astype(int)
    for a, b in zip(bounds[:-1], bounds[1:]):
        rules[grown[:, a:b].mean(axis=1) > 0.4, a:b] = True
    # margin: columns mostly faint red in at least 3 of 4 horizontal strips (letters are not that tall)
    grown = cv2.dilate(reddish, np.ones((1, 5), np.uint8)).astype(bool)
    bounds = np.linspace(0, ratio.shape[0], 5).astype(int)
    votes = sum((grown[a:b].mean(axis=0) > 0.4).astype(int) for a, b in zip(bounds[:-1], bounds[1:]))
    rules[:, votes >= 3] = True
    return cv2.dilate(rules.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def reference(name: str, rgb: np.ndarray) -> Reference:
    shape = rgb.shape[:2]
    ratio = darkness_ratio(rgb)
    page, lines = np.ones(shape, bool), []
    alto = SHARED_DATA / "photos" / (Path(name).stem + ".alto.xml")
    if alto.exists():
        page, lines = alto_regions(alto, shape)
    if name in SHEETS:
        page &= polygon_mask(shape, np.array(SHEETS[name], dtype=np.float64))
    text = page
    if lines:
        # line polygons hug the x-height band; ascenders and descenders reach ~40% of a line height out
        heights = [np.ptp(np.nonzero(m)[0]) for m in lines]
        text = near(np.logical_or.reduce(lines), 0.4 * float(np.median(heights))) & page
    rules = ruling(rgb, ratio) if name.startswith("inksight") else np.zeros(shape, bool)
    scaled = np.clip(ratio[page] * 200, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = ratio < float(np.clip(otsu / 200.0, 0.45, 0.85))
    handwriting = dark & text & ~(rules & (ratio > 0.5))
    dist = cv2.distanceTransform(handwriting.astype(np.uint8), cv2.DIST_L2, 3)
    from skimage.morphology import skeletonize

    spine = skeletonize(handwriting)
    pen = float(2 * np.median(dist[spine])) if spine.any() else 3.0
    return Reference(handwriting, rules, dark & page & ~text, page, lines, max(pen, 1.5))


def near(mask: np.ndarray, radius: float) -> np.ndarray:
    """Pixels within ``radius`` of ``mask``."""
    if not mask.any():
        return np.zeros_like(mask)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) <= radius


def shares_of_points(
    strokes: list[np.ndarray], classes: list[tuple[str, np.ndarray]], rest: str
) -> tuple[int, dict[str, float]]:
    """Resample the strokes every pixel and put each point in the first class whose mask holds it.

    Returns the number of points and each class's share of them (``rest``: in none).
    """
    h, w = classes[0][1].shape
    pts = np.concatenate([resample(s) for s in strokes]) if strokes else np.zeros((0, 2))
    x = np.clip(np.rint(pts[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.rint(pts[:, 1]).astype(int), 0, h - 1)
    left = np.ones(len(pts), bool)
    shares: dict[str, float] = {}
    for name, mask in classes:
        hit = left & mask[y, x]
        shares[name] = float(hit.mean()) if len(pts) else float("nan")
        left &= ~hit
    shares[rest] = float(left.mean()) if len(pts) else float("nan")
    return len(pts), shares


def covered_by(strokes: list[np.ndarray], shape: tuple[int, int], pen_width: float) -> np.ndarray:
    """Pixels within two pen widths of an output stroke."""
    drawn = np.zeros(shape, np.uint8)
    for s in strokes:
        cv2.polylines(drawn, [np.rint(s).astype(np.int32)], False, 1, 1)
    return near(drawn.astype(bool), 2 * pen_width)


def evaluate(ref: Reference, strokes: list[np.ndarray]) -> dict[str, float]:
    radius = max(2.0, ref.pen_width)
    classes = [
        ("handwriting", near(ref.handwriting, radius)),
        ("rules", near(ref.rules, radius)),
        ("other marks", near(ref.dark, radius)),
        ("off page", ~ref.page),
    ]
    points, shares = shares_of_points(strokes, classes, "paper")
    out: dict[str, float] = {"points": float(points), **shares}
    covered = covered_by(strokes, ref.handwriting.shape, ref.pen_width)
    out["coverage"] = float(covered[ref.handwriting].mean()) if ref.handwriting.any() else float("nan")
    per_line = [covered[ref.handwriting & m].mean() for m in ref.lines if (ref.handwriting & m).any()]
    out["worst line"] = float(min(per_line)) if per_line else float("nan")
    out["strokes"] = float(len(strokes))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-pipeline", action="store_true", help="score only the naive baseline")
    parser.add_argument("--out", type=Path, default=RESULTS / "quality_photos.md")
    parser.add_argument(
        "--photos", nargs="*", default=None, help="only these photos (names in ../shared/data/photos); default all"
    )
    args = parser.parse_args()

    tracers: dict[str, Tracer] = {}
    if not args.no_pipeline:
        tracers["sdk (layout + skeleton)"] = pipeline_tracer()
    tracers["naive baseline"] = naive_tracer

    photos = sorted(p for p in (SHARED_DATA / "photos").glob("*") if p.suffix.lower() in (".jpg", ".png"))
    if args.photos is not None:
        photos = [p for p in photos if p.name in args.photos]
    if not photos:
        raise SystemExit(f"no photos under {SHARED_DATA / 'photos'}")
    rows = []
    for path in photos:
        rgb = read_rgb(path)
        ref = reference(path.name, rgb)
        for name, tracer in tracers.items():
            start = time.perf_counter()
            strokes = tracer(rgb)
            seconds = time.perf_counter() - start
            r = evaluate(ref, strokes)
            rows.append(
                [path.name, name, int(r["strokes"])]
                + [r[c] for c in CLASSES]
                + [r["coverage"], r["worst line"], seconds]
            )
            print(f"{path.name:28s} {name:24s} " + " ".join(f"{k}={v:.3f}" for k, v in r.items()), flush=True)
            if path.name in OVERLAYS and name == "sdk (layout + skeleton)":
                save_png(overlay(rgb, strokes, pen_width=ref.pen_width), IMAGES / f"photo_{path.stem}.png")

    header = ["photo", "tracer", "strokes"] + [f"on {c}" for c in CLASSES] + ["coverage", "worst line", "s"]
    text = [
        "# Quality on real photos",
        "",
        "Generated by `python benchmarks/quality_photos.py` (see `benchmarks/README.md` for the reference masks).",
        f"Machine: {machine_line()}.",
        "",
        "`on X`: share of output ink (points every pixel along the strokes) within one pen width of X, "
        "in this order of precedence. Wanted: everything on handwriting, nothing on rules, off page or paper. "
        "`coverage`: share of handwriting pixels within two pen widths of an output stroke; `worst line`: "
        "the lowest coverage of one ALTO text line (Testaments scan only). `other marks` are dark pixels outside "
        "the annotated text lines, e.g. hand-drawn dashes (tracing those is right) or show-through (wrong): "
        "look at the overlays.",
        "",
        markdown_table(header, rows),
        "",
        "Overlays (output coloured red -> violet in output order, dot = stroke start): "
        + ", ".join(f"`docs/images/photo_{Path(n).stem}.png`" for n in OVERLAYS)
        + ".",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
