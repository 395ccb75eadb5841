"""Scale: pages per second on multi-page PDFs, peak memory over a long PDF, and the time to the first page.

    python benchmarks/scale.py                 # about 5 min on 2 cores
    python benchmarks/scale.py --long-pages 60 --out /tmp/scale.md   # a quicker look

Everything runs the default pipeline, named explicitly (``--detector layout
--derenderer skeleton``, so installed OCR plugins do not change what
``auto`` picks), on PDFs rendered by the ``pdf`` page source (poppler) at
``--dpi`` 150. The PDFs are built in a temporary folder from the real photos
of ``../shared/data/photos`` with Pillow (one photo per page, saved at 150
dpi, so a page renders at the photo's own pixel size) and deleted afterwards;
nothing of them is committed.

- **Pages per second**: ``pages / wall time`` of a whole ``python -m
  inksight_sdk convert PDF -o OUT/ --report run.json`` process (interpreter
  start, imports, rendering, layout, tracing, writing the JSON), timed by
  this script around the subprocess; the run report's pages are checked
  against the PDF. Two inputs:

  - one 40-page PDF of a mix of real handwriting (``MIX``: the Testaments
    cursive scan, the BRETA phone photo, the 1876 ruled notebook, the
    InkSight line and the SimpleHTR line, large ones downscaled to at most
    1.2 MP); with ``--jobs 1``, ``--jobs 1 --derenderer-option workers=0``
    (strictly one process: no word helpers) and ``--jobs 2``;
  - the same 40 pages as a folder of four 10-page PDFs, with ``--jobs 1``
    and ``--jobs 2``. ``--jobs`` workers each convert whole inputs, so a
    single PDF gives the second worker nothing to do: the folder is where
    ``--jobs`` can help.

  By default (``--jobs 1``) the ``skeleton`` derenderer already spreads each
  page's words over a pool of helper processes (``workers=auto``: one per
  further usable CPU, at most 4), so "one process" in the issue's sense is
  the ``workers=0`` row.

  Ray with 2 CPUs (``--engine ray``, inksight-ray): the pages of the PDF are
  spread over two Ray workers. Measured three ways: the CLI starting a Ray
  instance of its own (its start, about 5 s, is in the wall time), the same
  with ``workers=0`` (no word helpers beside the two workers), and
  ``--ray-address`` to a 2-CPU cluster (``ray start --head --num-cpus 2``)
  that this script starts before and stops after those rows, as an
  archive's cluster would be up already (the folder of four PDFs too).

- **Time to first page**: the Python API, ``Pipeline(detector="layout",
  derenderer="skeleton").convert(pdf, progress=cb)`` on the 40-page PDF in a
  fresh process; the time from launching the process (wall clock taken by
  this script just before it starts the child) to the first progress
  callback, and from the ``convert()`` call to it (the stages are built
  lazily, on the first page, so that time includes building them).

- **Peak memory**: the same API in a fresh process over a long PDF
  (``--long-pages``, 200 by default) of small pages, the photos of ``LONG``
  repeated. At the progress callback of pages 10 and 200 the process
  records its own peak resident set (``VmHWM`` of ``/proc/self/status``), its
  current one (``VmRSS``), the summed peak resident sets of its live
  descendants (the word helpers), and the growth ratio page 200 / page 10.
  ``getrusage`` ``ru_maxrss`` of ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN`` is
  recorded too, but Linux carries a high-water mark across ``exec``: a child
  started by fork + exec begins with its parent's resident size, so
  ``RUSAGE_SELF`` holds this script's size at the launch, and
  ``RUSAGE_CHILDREN`` (ended children: the ``pdftoppm`` calls) the converting
  process's size when it started them. The document the API returns holds
  every page's ink, so some growth is expected; the check is that it stays
  small next to the process.

Writes ``benchmarks/results/scale.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import DESCENDANTS_SOURCE, RESULTS, machine_line, markdown_table, shared
from PIL import Image, ImageOps

DPI = 150
#: the 40-page PDF cycles through these photos; larger ones are downscaled to MAX_PIXELS
MIX = (
    "testaments_AD78_0054-0.jpg",
    "breta_page09.jpg",
    "ruled_notebook1876_grey_rules_en.jpg",
    "inksight_page.jpg",
    "simplehtr_line.png",
)
MAX_PIXELS = 1_200_000
#: the long PDF's pages: small real photos, repeated
LONG = ("inksight_page.jpg", "simplehtr_line.png")
CONVERT = ["-m", "inksight_sdk", "convert", "--detector", "layout", "--derenderer", "skeleton", "--dpi", str(DPI)]

#: the child process of the API measures: converts a PDF, records time and memory at chosen pages
CHILD = DESCENDANTS_SOURCE + textwrap.dedent(
    """
    import json, os, resource, sys, time
    from inksight_sdk import Pipeline

    pdf, wanted, dpi = sys.argv[1], {int(p) for p in sys.argv[2].split(",")}, float(sys.argv[3])
    me = os.getpid()

    def status(pid, key):
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    records = []

    def progress(done, total):
        if done in wanted or not records:
            kids = descendants(me)
            records.append({
                "page": done,
                "time": time.time(),
                "self_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "self_hwm_kib": status(me, "VmHWM"),
                "self_now_kib": status(me, "VmRSS"),
                "helpers": len(kids),
                "helpers_peak_kib": sum(status(pid, "VmHWM") for pid in kids),
                "ended_children_peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            })

    with Pipeline(detector="layout", derenderer="skeleton", source_options={"dpi": dpi}) as pipeline:
        started = time.time()
        doc = pipeline.convert(pdf, progress=progress)
    print("RESULT " + json.dumps({"convert_started": started, "pages": len(doc.pages),
                                  "problems": len(doc.metadata.problems), "records": records}))
    """
)


# --- inputs ----------------------------------------------------------------------------------------


def page_image(name: str, max_pixels: int | None) -> Image.Image:
    """A photo as an RGB page, downscaled to at most ``max_pixels`` (keeps a page's cost moderate)."""
    with Image.open(shared("photos", name)) as image:
        page = ImageOps.exif_transpose(image).convert("RGB")
    if max_pixels and page.width * page.height > max_pixels:
        scale = (max_pixels / (page.width * page.height)) ** 0.5
        page = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    return page


def write_pdf(path: Path, pages: list[Image.Image]) -> Path:
    """A multi-page PDF, one image per page.

    Copies, because Pillow keeps a save's ``append_images`` on the image
    saved, and a later one-page save of the same image would append them again.
    """
    pages = [page.copy() for page in pages]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=DPI)
    return path


# --- measures --------------------------------------------------------------------------------------


def cli_run(inputs: Path, out: Path, extra: list[str], pages: int) -> dict[str, Any]:
    """One whole ``inksight convert`` process: wall time, pages/s, and the report's totals."""
    shutil.rmtree(out, ignore_errors=True)
    report = out.with_suffix(".report.json")
    command = [sys.executable, *CONVERT, str(inputs), "-o", f"{out}/", "--report", str(report), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    totals = json.loads(report.read_text())["totals"]
    if totals["pages"] != pages:
        raise SystemExit(f"{' '.join(command)} converted {totals['pages']} pages, expected {pages}")
    return {"wall": wall, "pages_per_s": pages / wall, "words": totals["words"], "warnings": totals["warnings"]}


def api_run(pdf: Path, wanted: list[int]) -> dict[str, Any]:
    """The API in a fresh process; its records at the ``wanted`` pages (and the first), with the launch time."""
    launched = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(pdf), ",".join(map(str, wanted)), str(DPI)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the API child exited {done.returncode}:\n{done.stderr[-2000:]}")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["launched"] = launched
    result["wall"] = time.time() - launched
    return result


@contextlib.contextmanager
def ray_cluster(cpus: int) -> Iterator[str]:
    """A Ray cluster of ``cpus`` CPUs on this machine (``ray start --head``, its own session); yields its address.

    Stopped after with SIGTERM to ``ray start``, which stops its processes;
    anything left of its session is killed. No dashboard, no usage statistics.
    """
    folder = tempfile.mkdtemp(prefix="ir-", dir="/tmp")  # short: Ray's socket paths must stay short
    log = Path(folder) / "start.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--port", str(port)]
    command += ["--num-cpus", str(cpus), "--include-dashboard=false", "--disable-usage-stats"]
    command += ["--temp-dir", folder, "--object-store-memory", str(1 << 30), "--node-ip-address", "127.0.0.1"]
    with open(log, "wb") as out:
        head = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while b"Ray runtime started" not in log.read_bytes():
            if head.poll() is not None:
                raise SystemExit(f"ray start --head failed:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(folder, ignore_errors=True)


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


# --- main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="pages of the mixed PDF (default 40)")
    parser.add_argument("--long-pages", type=int, default=200, help="pages of the long PDF (default 200)")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.md")
    args = parser.parse_args()
    if args.pages % 4 or args.long_pages < 10:
        raise SystemExit("--pages must split into four PDFs (a multiple of 4); --long-pages at least 10")
    began = time.perf_counter()
    loads = [os.getloadavg()[0]]  # other work on the machine shows here: above the CPU count, it competed
    # every Ray process of the run: no usage statistics, a token of its own (never ~/.ray), immediate stop
    os.environ.update(
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0",
    )

    with tempfile.TemporaryDirectory(prefix="inksight-scale-") as tmp:
        work = Path(tmp)
        mix = [page_image(name, MAX_PIXELS) for name in MIX]
        pages = [mix[i % len(mix)] for i in range(args.pages)]
        pdf = write_pdf(work / "mixed.pdf", pages)
        folder = work / "four"
        folder.mkdir()
        quarter = args.pages // 4
        for k in range(4):
            write_pdf(folder / f"part{k + 1}.pdf", pages[k * quarter : (k + 1) * quarter])
        small = [page_image(name, None) for name in LONG]
        long_pdf = write_pdf(work / "long.pdf", [small[i % len(small)] for i in range(args.long_pages)])
        megapixels = sum(p.width * p.height for p in pages) / len(pages) / 1e6
        print(f"PDFs built: {args.pages} pages of {megapixels:.2f} MP on average, {args.long_pages} small pages")

        runs = [
            (f"one {args.pages}-page PDF", "--jobs 1", pdf, ["--jobs", "1"]),
            (
                f"one {args.pages}-page PDF",
                "--jobs 1, workers=0 (one process)",
                pdf,
                ["--derenderer-option", "workers=0"],
            ),
            (f"one {args.pages}-page PDF", "--jobs 2", pdf, ["--jobs", "2"]),
            (f"four {quarter}-page PDFs (folder)", "--jobs 1", folder, ["--jobs", "1"]),
            (f"four {quarter}-page PDFs (folder)", "--jobs 2", folder, ["--jobs", "2"]),
        ]
        ray = ["--engine", "ray"]
        runs += [
            (f"one {args.pages}-page PDF", "--engine ray (a Ray instance of its own, 2 CPUs)", pdf, ray),
            (
                f"one {args.pages}-page PDF",
                "--engine ray, workers=0 (a Ray instance of its own, 2 CPUs)",
                pdf,
                [*ray, "--derenderer-option", "workers=0"],
            ),
        ]
        speed_rows = []
        outputs: dict[str, bytes] = {}

        def measure(what: str, how: str, inputs: Path, extra: list[str]) -> None:
            out = work / f"out{len(speed_rows)}"
            r = cli_run(inputs, out, extra, args.pages)
            print(f"{what}, {how}: {r['wall']:.1f} s, {r['pages_per_s']:.2f} pages/s", flush=True)
            speed_rows.append([what, how, args.pages, f"{r['wall']:.1f}", f"{r['pages_per_s']:.2f}", r["words"]])
            for path in sorted(out.rglob("*.json")):  # every engine must write the same files
                data = path.read_bytes()
                if outputs.setdefault(path.name, data) != data:
                    raise SystemExit(f"{what}, {how}: {path.name} differs from the first run's")

        for what, how, inputs, extra in runs:
            measure(what, how, inputs, extra)
        with ray_cluster(2) as address:
            cluster = [*ray, "--ray-address", address, "--derenderer-option", "workers=0"]
            how = "--engine ray --ray-address, workers=0 (a 2-CPU cluster already up)"
            measure(f"one {args.pages}-page PDF", how, pdf, cluster)
            measure(f"four {quarter}-page PDFs (folder)", how, folder, cluster)
        loads.append(os.getloadavg()[0])

        first = api_run(pdf, [1, 10, args.pages])
        rec = first["records"][0]
        to_first = rec["time"] - first["launched"]
        from_convert = rec["time"] - first["convert_started"]
        print(f"first page: {to_first:.2f} s from launch, {from_convert:.2f} s from convert()", flush=True)

        memory = api_run(long_pdf, [10, args.long_pages])
        if memory["pages"] != args.long_pages:
            raise SystemExit(f"the long PDF gave {memory['pages']} pages, expected {args.long_pages}")
        at = {r["page"]: r for r in memory["records"]}
        print(f"memory run: {memory['wall']:.1f} s", flush=True)
    elapsed = time.perf_counter() - began
    loads.append(os.getloadavg()[0])

    memory_rows = []
    for key, label in (
        ("self_hwm_kib", "converting process, peak RSS (VmHWM)"),
        ("self_now_kib", "converting process, current RSS (VmRSS)"),
        ("helpers_peak_kib", "live word helpers, summed peak RSS (VmHWM)"),
        ("self_peak_kib", "converting process, ru_maxrss (RUSAGE_SELF; see below)"),
        ("ended_children_peak_kib", "ended children, ru_maxrss (RUSAGE_CHILDREN; see below)"),
    ):
        low, high = at[10][key], at[args.long_pages][key]
        memory_rows.append([label, mib(low), mib(high), f"{high / low:.3f}" if low else "n/a"])
    total_low = at[10]["self_hwm_kib"] + at[10]["helpers_peak_kib"]
    total_high = at[args.long_pages]["self_hwm_kib"] + at[args.long_pages]["helpers_peak_kib"]
    memory_rows.append(
        ["process + helpers, peak RSS", mib(total_low), mib(total_high), f"{total_high / total_low:.3f}"]
    )

    sizes = ", ".join(f"{p.width}x{p.height}" for p in small)
    text = [
        "# Scale: pages per second, time to first page, memory over a long PDF (issue 12)",
        "",
        f"Machine: {machine_line()}, {platform.system()}. Run time {elapsed / 60:.1f} min. Load average (1 min) "
        f"at the start, after the pages/s rows and at the end: {', '.join(f'{x:.1f}' for x in loads)} "
        f"({os.cpu_count()} CPUs: more means other work shared the machine).",
        "",
        "```",
        "python benchmarks/scale.py"
        + (f" --pages {args.pages}" if args.pages != 40 else "")
        + (f" --long-pages {args.long_pages}" if args.long_pages != 200 else ""),
        "```",
        "",
        f"Default pipeline (`--detector layout --derenderer skeleton`), PDFs rendered at {DPI} dpi by poppler. "
        f"Mixed PDF: {args.pages} pages cycling through {', '.join(MIX)} (larger ones downscaled to at most "
        f"{MAX_PIXELS / 1e6:.1f} MP; {megapixels:.2f} MP a page on average). Every figure is one run; the machine is "
        "shared, so compare rows of one run. Every row wrote the same files, byte for byte.",
        "",
        "## Pages per second (whole `inksight convert` process)",
        "",
        markdown_table(["input", "run", "pages", "wall s", "pages/s", "words"], speed_rows),
        "",
        "`--jobs` workers convert whole inputs, so one PDF keeps one worker busy; the folder of four PDFs holds "
        "the same pages. `--jobs 1` already uses the `skeleton` derenderer's word helpers (`workers=auto`: "
        "one per further CPU); `workers=0` is one process alone. `--engine ray` spreads the pages of one PDF "
        "over its two workers (one per CPU); its own Ray instance takes some seconds to start and stop, inside "
        "the wall time; with `--ray-address` the cluster was up before the run (started by this script, with "
        "2 CPUs).",
        "",
        "## Time to first page (Python API, mixed PDF)",
        "",
        markdown_table(
            ["from", "to the first progress callback, s"],
            [
                ["launching the process (interpreter, imports, pipeline)", f"{to_first:.2f}"],
                [
                    "the `convert()` call (stages built on the first page, page 1 rendered and converted)",
                    f"{from_convert:.2f}",
                ],
            ],
        ),
        "",
        f"The first page is {MIX[0]} at {MAX_PIXELS / 1e6:.1f} MP.",
        "",
        f"## Peak memory over a {args.long_pages}-page PDF (Python API)",
        "",
        f"Pages: {' and '.join(LONG)} alternating, at their own size ({sizes} "
        f"px at {DPI} dpi); {memory['wall']:.0f} s for the whole run, {memory['problems']} problem(s). "
        f"{at[10]['helpers']} live helper process(es) at page 10.",
        "",
        markdown_table(["MiB", "at page 10", f"at page {args.long_pages}", "ratio"], memory_rows),
        "",
        "`ru_maxrss` is kept for comparison but does not measure the converting process alone: Linux carries a "
        "process's high-water mark across `exec`, so a child started by fork + exec starts with its parent's "
        "resident size at the fork. `RUSAGE_SELF` therefore holds this benchmark's own size when it launched the "
        "converting process, and `RUSAGE_CHILDREN` (children that ended: the `pdftoppm` calls) holds the converting "
        "process's size when it started them, not poppler's memory. `VmHWM` (`/proc/self/status`) is the peak of "
        "the process's own memory since its `exec`.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text))
    print(f"wrote {args.out} ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
