"""Quality against ground truth: real pen recordings rendered to photo-like images, traced, scored.

    python benchmarks/quality_groundtruth.py            # full run (a few minutes on 2 cores)
    python benchmarks/quality_groundtruth.py --chars 40  # quicker, fewer Chinese characters
    python benchmarks/quality_groundtruth.py --chars 40 --split even --out /tmp/even.md  # development only

Conditions: the Wacom note (177 real strokes) rendered clean, on ruled paper,
and dim + rotated; Chinese characters from hanzi-writer-data with odd Unicode
code points (the evaluation split no learned backend trains on), a fixed
seeded sample, rendered one character per image, clean and dim + rotated.
Tune on ``--split even`` (the training split) and measure on the default odd
split once; an even run still rewrites the overlays, so give it ``--out``
elsewhere and do not commit its pictures.
Each image goes through the SDK pipeline (``layout`` + ``skeleton``) and the
naive baseline; the true strokes are also scored as a check of the harness
(they must score 1.0 everywhere). Tolerance: 1.5 pen widths.

Writes ``benchmarks/results/quality_groundtruth.md`` and overlays under
``docs/images/`` (true ink grey, output coloured by time red -> violet, a
dot at each stroke start).
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from _common import (
    IMAGES,
    RESULTS,
    Tracer,
    hanzi_tarball,
    machine_line,
    markdown_table,
    naive_tracer,
    overlay,
    pipeline_tracer,
    save_png,
    shared,
)

from inksight_sdk.evaluation import (
    RenderedPage,
    compare_by_line,
    compare_ink,
    load_hanzi_strokes,
    load_wacom_strokes,
    render_page,
    text_lines,
)

METRICS = ("f1", "precision", "recall", "order", "line_order", "direction", "pen_lifts")

# The note is in 96-dpi screen pixels with ascenders ~45 px tall; at 0.9 they
# are ~40 px and the x-height ~18 px, with a 3.5 px pen: a phone photo or a
# 150-200 dpi scan of a page of notes.
NOTE_SCALE = 0.9
NOTE_PEN = 3.5
# Rules 78 note-pixels apart, one under the baseline of "The Universal Ink
# Model ..." (note y = 488): the note's lines then sit on rules as on real
# ruled paper, and the rules cross descenders and the underline's neighbours.
NOTE_RULES = (78.0, 488.0)
# A 1024-unit hanzi box drawn 128 px tall with a 5 px pen (4% of the box).
CHAR_SIZE = 128
CHAR_PEN = 5.0


def hanzi_sample(count: int, seed: int, parity: int = 1) -> list[tuple[str, dict]]:
    """``count`` characters with odd code points (``parity`` 0: even), sampled with ``seed`` from the npm package."""
    with tarfile.open(hanzi_tarball()) as tar:
        members = {Path(m.name).stem: m for m in tar.getmembers() if m.name.endswith(".json")}
        odd = sorted(c for c in members if len(c) == 1 and ord(c) % 2 == parity)
        chosen = np.random.default_rng(seed).choice(len(odd), size=min(count, len(odd)), replace=False)
        out = []
        for i in sorted(chosen):
            f = tar.extractfile(members[odd[i]])
            assert f is not None
            out.append((odd[i], json.load(f)))
    return out


def note_lines() -> list[list[int]]:
    """The note's four text lines (indices of true strokes), grouped on the unrotated recording."""
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    return text_lines(strokes, 0.4 * NOTE_RULES[0])


def note_pages() -> Iterator[tuple[str, RenderedPage]]:
    strokes = load_wacom_strokes(shared("ink", "wacom_digital_ink_is_processable.json"))
    for seed, style in enumerate(("clean", "ruled", "dim_rotated")):
        margin = 40.0 if style == "ruled" else None  # ruled paper shows its rules around the text
        yield (
            style,
            render_page(
                strokes, style=style, pen_width=NOTE_PEN, scale=NOTE_SCALE, seed=seed, rules=NOTE_RULES, margin=margin
            ),
        )


def char_pages(chars: list[tuple[str, dict]], style: str) -> list[RenderedPage]:
    """One image per character; the seed is the code point, so a character always looks the same."""
    return [
        render_page(load_hanzi_strokes(d), style=style, pen_width=CHAR_PEN, scale=CHAR_SIZE / 1024, seed=ord(c))
        for c, d in chars
    ]


def score(
    pages: list[RenderedPage],
    trace: Callable[[RenderedPage], list[np.ndarray]],
    lines: list[list[int]] | None = None,
) -> tuple[dict[str, float], list[list[np.ndarray]], float]:
    """Mean scores over pages (each page weighs the same), the traces, and seconds per page.

    With ``lines`` (the text lines of a page, as true stroke indices) ``line_order``
    is the mean order over the lines, each line's true strokes against the output
    over it; without, a page is one line and ``line_order`` equals ``order``.
    """
    traces, rows = [], []
    seconds = 0.0
    for page in pages:
        start = time.perf_counter()
        pred = trace(page)
        seconds += time.perf_counter() - start
        traces.append(pred)
        row = compare_ink(page.strokes, pred, 1.5 * page.pen_width).as_dict()
        if lines is None:
            row["line_order"] = row["order"]
        else:
            per_line = compare_by_line(page.strokes, pred, 1.5 * page.pen_width, lines)
            row["line_order"] = float(np.mean([s.order for s in per_line]))
        rows.append(row)
    seconds /= max(len(pages), 1)
    means = {m: float(np.nanmean([r[m] for r in rows])) for m in METRICS}
    return means, traces, seconds


def character_sheet(pages: list[RenderedPage], traces: dict[str, list[list[np.ndarray]]], n: int) -> np.ndarray:
    """Overlays of the first ``n`` characters, one row per tracer."""
    rows = []
    for name in traces:
        tiles = []
        for page, pred in list(zip(pages, traces[name]))[:n]:
            tile = overlay(page.image, pred, page.strokes, page.pen_width)
            pad = np.full((CHAR_SIZE + 64, CHAR_SIZE + 64, 3), 255, np.uint8)
            h, w = min(tile.shape[0], pad.shape[0]), min(tile.shape[1], pad.shape[1])
            pad[:h, :w] = tile[:h, :w]
            tiles.append(pad)
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=200, help="Chinese characters to sample (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the character sample")
    parser.add_argument(
        "--split",
        choices=("odd", "even"),
        default="odd",
        help="code points to sample: odd = the evaluation split (default); even = the training split, for development",
    )
    parser.add_argument("--no-pipeline", action="store_true", help="score only the baseline and the truth")
    parser.add_argument("--out", type=Path, default=RESULTS / "quality_groundtruth.md")
    args = parser.parse_args()

    tracers: dict[str, dict[str, Tracer]] = {"latin": {}, "cjk": {}}
    if not args.no_pipeline:
        tracers["latin"]["sdk (layout + skeleton)"] = pipeline_tracer()
        tracers["cjk"]["sdk (layout + skeleton)"] = pipeline_tracer()  # script=auto: the layout detector says cjk
    for script in tracers:
        tracers[script]["naive baseline"] = naive_tracer

    conditions: list[tuple[str, str, list[RenderedPage]]] = []
    for style, page in note_pages():
        conditions.append((f"Wacom note, {style}", "latin", [page]))
    chars = hanzi_sample(args.chars, args.seed, 1 if args.split == "odd" else 0)
    for style in ("clean", "dim_rotated"):
        conditions.append((f"{len(chars)} hanzi ({args.split} code points), {style}", "cjk", char_pages(chars, style)))

    lines = note_lines()
    rows = []
    for label, script, pages in conditions:
        runs: dict[str, Callable[[RenderedPage], list[np.ndarray]]] = {
            name: (lambda page, t=tracer: t(page.image)) for name, tracer in tracers[script].items()
        }
        runs["true strokes (harness check)"] = lambda page: page.strokes
        traces: dict[str, list[list[np.ndarray]]] = {}
        for name, run in runs.items():
            means, traced, seconds = score(pages, run, lines if script == "latin" else None)
            if not name.startswith("true"):
                traces[name] = traced
            rows.append([label, name] + [means[m] for m in METRICS] + [seconds])
            print(f"{label:40s} {name:28s} " + " ".join(f"{m}={means[m]:.3f}" for m in METRICS), flush=True)
        slug = label.split(",")[-1].strip()
        if script == "latin" and not args.no_pipeline and slug in ("ruled", "dim_rotated"):
            sdk = next(iter(traces))
            save_png(
                overlay(pages[0].image, traces[sdk][0], pages[0].strokes, pages[0].pen_width),
                IMAGES / f"groundtruth_note_{slug}.png",
            )
        if script == "cjk" and slug == "clean" and not args.no_pipeline:
            save_png(character_sheet(pages, traces, 8), IMAGES / "groundtruth_hanzi.png")

    header = [
        "condition",
        "tracer",
        "F1",
        "precision",
        "recall",
        "order (page)",
        "order (per line)",
        "direction",
        "pen lifts",
        "s/image",
    ]
    text = [
        "# Quality against ground truth",
        "",
        "Generated by `python benchmarks/quality_groundtruth.py` (see `benchmarks/README.md`).",
        f"Machine: {machine_line()}.",
        "",
        f"- Wacom note: 177 real pen strokes, scale {NOTE_SCALE}, pen width {NOTE_PEN} px, "
        f"tolerance {1.5 * NOTE_PEN:g} px; one rendered page per condition.",
        f"- Chinese: {len(chars)} hanzi-writer-data characters with {args.split} code points (seed {args.seed}), "
        f"{CHAR_SIZE} px box, pen width {CHAR_PEN:g} px, tolerance {1.5 * CHAR_PEN:g} px; "
        "scores are means over characters. The SDK runs with its defaults: the `layout` detector marks "
        "characters it recognises as CJK `cjk`, and the `skeleton` derenderer (`script=auto`) follows that hint.",
        "- Metrics on points resampled every pixel: F1/precision/recall within the tolerance; order = Kendall tau "
        "of true vs output time over matched points, over the whole page and per text line (mean over the note's "
        "4 lines: each line's true strokes against the output over that line; for characters both are the same); "
        "direction = share of true strokes (>= 3 tolerances long) "
        "traversed the same way; pen lifts = output strokes / true strokes.",
        "- Targets (issue 3): pages F1 >= 0.95, order >= 0.8, direction >= 0.85, pen lifts 0.8-1.25; "
        "characters F1 >= 0.95, order >= 0.8, direction >= 0.85, pen lifts <= 1.25.",
        "- Why two orders: the writer of the note wrote its title line *last*, so no tracer that reads top to "
        "bottom can score well on whole-page order (a perfect within-line order with lines read top to bottom "
        "scores about 0.4). The order target is judged per line, where it measures how a tracer orders strokes "
        "inside words and lines; the page number stays to show the effect.",
        "",
        markdown_table(header, rows),
        "",
        "Overlays: `docs/images/groundtruth_note_ruled.png`, `docs/images/groundtruth_note_dim_rotated.png`, "
        "`docs/images/groundtruth_hanzi.png` (top row SDK, bottom row naive baseline): true ink grey, output "
        "red -> violet in output order, dot = stroke start.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
