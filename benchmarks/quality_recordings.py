"""Writing order and direction on real pen recordings rendered as pages (issue 13, part 8).

    python benchmarks/quality_recordings.py                 # the tuning set (about a minute on 2 cores)
    python benchmarks/quality_recordings.py --set judge     # the judging set: only as docs/quality-split.md says
    python benchmarks/quality_recordings.py --overlays /tmp/rec   # also write an overlay per page there

Every recording of ``../shared/data/ink`` is rendered as a clean page like the
Wacom note of ``quality_groundtruth.py`` and traced by the default pipeline
(``layout`` + ``skeleton``) and by the naive baseline (threshold, thin, walk,
sort by x). The split between tuning and judging recordings is fixed in
``docs/quality-split.md`` ("Pen recordings: writing order and direction").

Scale: a recording is scaled so that the 90th percentile of its strokes'
heights is 40 px, which is what the Wacom note gets at the scale
``quality_groundtruth.py`` gives it (0.9: its ascenders ~40 px, x-height ~18
px); the pen is 3.5 px everywhere, as on the note. The 90th percentile is
the height of the tall strokes (ascenders, capitals, whole cursive words, a
kana's long stroke), which the writers of all sources draw at a similar size
relative to the pen; the tablets' units differ by 20x.

Scores (``inksight_sdk.evaluation.compare_ink``, tolerance 1.5 pen widths):
F1, whole-page order (Kendall tau), local order (consecutive true strokes close
together traced in the same order), direction, pen lifts. Results go to
``benchmarks/results/quality_recordings_{set}[_{label}].md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import (
    RESULTS,
    Tracer,
    machine_line,
    markdown_table,
    naive_tracer,
    overlay,
    pipeline_tracer,
    save_png,
    shared,
)
from quality_groundtruth import hanzi_sample

from inksight_sdk.evaluation import (
    RenderedPage,
    compare_ink,
    load_hanzi_strokes,
    load_myscript_strokes,
    load_unipen_strokes,
    load_wacom_strokes,
    render_page,
)

METRICS = ("f1", "order", "local_order", "direction", "pen_lifts")
PEN = 3.5
#: the height (px) of a recording's tall strokes (90th percentile of stroke heights) once rendered
TALL_STROKE = 40.0
#: hanzi alone are drawn as in quality_groundtruth.py: a 1024 box at 128 px, 5 px pen
CHAR_SIZE, CHAR_PEN = 128, 5.0
#: hanzi in vertical columns: a 1024 box at 64 px with the 3.5 px pen (a character of a notebook page),
#: the next character 1.15 boxes lower, the next column 1.5 boxes to the left
COLUMN_BOX, COLUMN_STEP, COLUMN_GAP = 64.0, 1.15, 1.5
COLUMNS, COLUMN_CHARS = 2, 4

# (source, recording file or recording/part) per set, as decided in docs/quality-split.md
SETS: dict[str, list[tuple[str, str]]] = {
    "tune": [
        ("Wacom", "wacom_digital_ink_is_processable.json"),
        ("UNIPEN BBN", "unipen/jwsr102.dat"),
        ("UNIPEN BBN", "unipen/wcdr101.dat"),
        ("UNIPEN Apple", "unipen/app2200.dat"),
        ("MyScript", "myscript/hello-my-friend.json"),
        ("MyScript", "myscript/equation.json"),
        ("MyScript", "myscript/ja_JP-2Columns.json:right"),
    ],
    "judge": [
        ("UNIPEN BBN", "unipen/sinr101.dat"),
        ("UNIPEN Apple", "unipen/app2402.dat"),
        ("MyScript", "myscript/madrid.json"),
        ("MyScript", "myscript/ja_JP-2Columns.json:left"),
    ],
}
#: hanzi code-point parity per set (even: tuning, odd: judging) and how many to draw alone / in columns
PARITY = {"tune": 0, "judge": 1}


def recording(name: str) -> list[np.ndarray]:
    """The strokes of one recording (or one column of the Japanese one), in writing order, y down."""
    name, _, part = name.partition(":")
    path = shared("ink", *name.split("/"))
    if name.endswith(".dat"):
        return load_unipen_strokes(path)
    if name.startswith("myscript/"):
        strokes = load_myscript_strokes(path)
        # ja_JP-2Columns: the right column is written first (its first 10 strokes), the left one last
        return strokes[:10] if part == "right" else strokes[10:] if part == "left" else strokes
    return load_wacom_strokes(path)


def page_of(strokes: list[np.ndarray], seed: int) -> RenderedPage:
    """A clean page with the recording's tall strokes ``TALL_STROKE`` px high and a 3.5 px pen."""
    heights = [float(np.ptp(s[:, 1])) for s in strokes if len(s)]
    scale = TALL_STROKE / max(float(np.percentile(heights, 90)), 1e-6)
    return render_page(strokes, style="clean", pen_width=PEN, scale=scale, seed=seed)


def hanzi_columns(chars: list[tuple[str, dict]]) -> list[np.ndarray]:
    """Characters stacked in vertical columns, written top to bottom, columns right to left."""
    step, box = COLUMN_STEP * 1024, 1024
    strokes: list[np.ndarray] = []
    for k, (_, data) in enumerate(chars):
        column, row = divmod(k, COLUMN_CHARS)
        dx = -column * COLUMN_GAP * box
        strokes += [s + (dx, row * step) for s in load_hanzi_strokes(data)]
    return strokes


def pages(which: str, chars: int) -> Iterator[tuple[str, str, RenderedPage]]:
    """(source, name, page) for every page of a set."""
    for seed, (source, name) in enumerate(SETS[which]):
        yield source, name.split("/")[-1], page_of(recording(name), seed)
    sample = hanzi_sample(chars + 2 * COLUMNS * COLUMN_CHARS, seed=0, parity=PARITY[which])
    alone, stacked = sample[:chars], sample[chars:]
    parity = "even" if PARITY[which] == 0 else "odd"
    for c, data in alone:
        page = render_page(
            load_hanzi_strokes(data), style="clean", pen_width=CHAR_PEN, scale=CHAR_SIZE / 1024, seed=ord(c)
        )
        yield f"hanzi alone ({parity})", c, page
    per_page = COLUMNS * COLUMN_CHARS
    for k in range(0, len(stacked), per_page):
        group = stacked[k : k + per_page]
        page = render_page(hanzi_columns(group), style="clean", pen_width=PEN, scale=COLUMN_BOX / 1024, seed=k)
        yield f"hanzi columns ({parity})", "".join(c for c, _ in group), page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=sorted(SETS), default="tune", help="tuning (default) or judging recordings")
    parser.add_argument("--label", default="", help="suffix of the results file, e.g. before")
    parser.add_argument("--chars", type=int, default=20, help="hanzi drawn alone (default 20)")
    parser.add_argument("--overlays", type=Path, default=None, help="write an overlay per page into this folder")
    args = parser.parse_args()

    tracers: dict[str, Tracer] = {"sdk": pipeline_tracer(), "x-sort": naive_tracer}
    rows, per_source = [], {}
    seconds = 0.0
    for source, name, page in pages(args.set, args.chars):
        scores = {}
        for tracer_name, tracer in tracers.items():
            start = time.perf_counter()
            pred = tracer(page.image)
            if tracer_name == "sdk":
                seconds += time.perf_counter() - start
                if args.overlays is not None:
                    save_png(overlay(page.image, pred, page.strokes, PEN), args.overlays / f"{name}.png")
            scores[tracer_name] = compare_ink(page.strokes, pred, 1.5 * page.pen_width).as_dict()
            per_source.setdefault((source, tracer_name), []).append(scores[tracer_name])
        if not source.startswith("hanzi alone"):
            rows.append([source, name, len(page.strokes)] + [scores[t][m] for m in METRICS for t in tracers])
        print(
            f"{source:22s} {name:32s} "
            + " ".join(f"{m}={scores['sdk'][m]:.3f}/{scores['x-sort'][m]:.3f}" for m in METRICS),
            flush=True,
        )
    summary = []
    for source in dict.fromkeys(s for s, _ in per_source):
        n = len(per_source[(source, "sdk")])
        means = {t: {m: float(np.nanmean([r[m] for r in per_source[(source, t)]])) for m in METRICS} for t in tracers}
        summary.append([source, n] + [means[t][m] for m in METRICS for t in tracers])
        print(
            f"{source:22s} pages={n:3d} "
            + " ".join(f"{m}={means['sdk'][m]:.3f}/{means['x-sort'][m]:.3f}" for m in METRICS)
        )
    columns = [f"{m} ({t})" for m in METRICS for t in tracers]
    out = RESULTS / f"quality_recordings_{args.set}{'_' + args.label if args.label else ''}.md"
    text = [
        f"# Writing order and direction on real pen recordings: {args.set} set",
        "",
        f"Generated by `python benchmarks/quality_recordings.py --set {args.set}"
        f"{' --label ' + args.label if args.label else ''}` (see its docstring and `docs/quality-split.md`).",
        f"Machine: {machine_line()}. SDK: {seconds:.1f} s for all pages.",
        "",
        f"Clean pages, pen {PEN} px, tall strokes {TALL_STROKE:g} px; hanzi alone in a {CHAR_SIZE} px box "
        f"with a {CHAR_PEN:g} px pen; hanzi columns: {COLUMNS} columns of {COLUMN_CHARS} characters in a "
        f"{COLUMN_BOX:g} px box, written top to bottom, columns right to left. `sdk` is the default pipeline "
        "(`layout` + `skeleton`), `x-sort` the naive baseline (its strokes sorted by x). Tolerance 1.5 pen widths. "
        "Sources are means over their pages (each page weighs the same).",
        "",
        "## Per source",
        "",
        markdown_table(["source", "pages"] + columns, summary),
        "",
        "## Per recording",
        "",
        markdown_table(["source", "recording", "true strokes"] + columns, rows),
        "",
    ]
    out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
