"""Reproduce the numbers in README.md: round-trip error, where poppler draws the ink, write and read times.

Run from the repository root (needs poppler-utils, the shared photos beside the checkout):

    python adapters/pdf/measure.py

1. ``three_pages.pdf`` (tests/adapters/pdf/pdfbuild.py: photos on pages with /Rotate 90 and 270 and offset
   crop boxes) converted at 100 and 300 dpi with the builtin layout detector and skeleton derenderer, written
   as PDF and read back: the largest distance a point moved.
2. Round dots at random sub-pixel places on pages with /Rotate 0, 90, 180, 270 and offset crop boxes: how far
   from each point poppler draws its dot.
3. The Testaments de Poilus page (1552 x 2224 at 300 dpi, 68 words) converted once and put on all ten
   pages of a ten-page PDF: time to write the PDF (annotations and text layer), time to read the ink back.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from inksight_sdk import convert  # noqa: E402
from inksight_sdk.ink import Stroke, WordInk  # noqa: E402
from tests.adapters.pdf import pdfbuild  # noqa: E402

PHOTOS = REPO.parent / "shared" / "data" / "photos"


def render(path: Path, page: int, dpi: float) -> np.ndarray:
    png = subprocess.run(
        ["pdftoppm", "-r", f"{dpi:g}", "-cropbox", "-f", str(page), "-l", str(page), "-png", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int32)


def round_trip(folder: Path) -> None:
    source = pdfbuild.three_pages(folder / "three_pages.pdf", PHOTOS)
    for dpi in (100, 300):
        doc = convert(str(source), detector="layout", derenderer="skeleton", source_options={"dpi": dpi})
        out = folder / f"out{dpi}.pdf"
        doc.save(str(out))
        back = convert(str(out), source_options={"dpi": dpi})
        pairs = list(zip(doc.strokes(), back.strokes()))
        error = max(float(np.abs(a.points.astype(float) - b.points.astype(float)).max()) for a, b in pairs)
        points = sum(len(a) for a, _ in pairs)
        print(f"round trip at {dpi} dpi: {len(pairs)} strokes, {points} points, largest move {error:.5f} px")


def dots(folder: Path) -> None:
    from pypdf import PdfWriter

    from inksight_sdk.ink import DocumentMetadata, InkDocument, Page

    writer = PdfWriter()
    turns = [(0, (31.0, 17.0)), (90, (12.5, 40.0)), (180, (7.0, 3.0)), (270, None)]
    for rotate, offset in turns:
        pdfbuild.add_photo_page(writer, Image.new("RGB", (250, 126), "white"), rotate, offset)
    source = pdfbuild.write(writer, folder / "turns.pdf")
    rng = np.random.default_rng(1)
    pages, centres = [], []
    for number in range(1, len(turns) + 1):
        height, width = render(source, number, 100).shape[:2]
        xs = np.linspace(12, width - 12, 5) + rng.uniform(0, 1, 5)
        centres.append(np.column_stack([xs, rng.uniform(12, height - 12, 5)]))
        quad = [[0, 0], [width, 0], [width, height], [0, height]]
        word = WordInk(quad=quad, strokes=[Stroke(points=[c], width=[8.0]) for c in centres[-1]])
        pages.append(Page(width=width, height=height, index=number - 1, words=[word], image=str(source), dpi=100))
    out = folder / "dots.pdf"
    InkDocument(pages=pages, metadata=DocumentMetadata(source=str(source))).save(str(out), colour="#ff00ff")
    for number, points in enumerate(centres, start=1):
        image = render(out, number, 100)
        cover = np.clip(np.minimum(image[..., 0] - image[..., 1], image[..., 2] - image[..., 1]) / 255.0, 0, 1)
        errors = []
        for x, y in points:
            x0, y0 = int(x) - 7, int(y) - 7
            window = cover[y0 : y0 + 16, x0 : x0 + 16]
            yy, xx = np.mgrid[y0 : y0 + 16, x0 : x0 + 16]
            found = np.array([(window * xx).sum(), (window * yy).sum()]) / window.sum()
            errors.append(float(np.linalg.norm(found - [x, y])))
        rotate, offset = turns[number - 1]
        print(f"dots, /Rotate {rotate}, crop offset {offset}: largest miss {max(errors):.3f} px")


def ten_pages(folder: Path) -> None:
    from pypdf import PdfWriter

    photo = PHOTOS / "testaments_AD78_0054-0.jpg"
    writer = PdfWriter()
    for _ in range(10):
        pdfbuild.add_photo_page(writer, photo)
    source = pdfbuild.write(writer, folder / "ten.pdf")
    dpi = pdfbuild.PHOTO_DPI  # the photo's own pixels
    one = convert(str(source), detector="layout", derenderer="skeleton", source_options={"dpi": dpi, "last_page": 1})
    words = tuple(attrs.evolve(w, text=f"word{i}") for i, w in enumerate(one.pages[0].words))
    pages = [attrs.evolve(one.pages[0], index=i, words=words) for i in range(10)]
    doc = attrs.evolve(one, pages=pages)
    points = sum(len(s) for s in doc.strokes())
    out = folder / "ten_out.pdf"
    start = time.perf_counter()
    doc.save(str(out))
    written = time.perf_counter() - start
    start = time.perf_counter()
    back = convert(str(out), source_options={"dpi": dpi})
    read = time.perf_counter() - start
    size = out.stat().st_size - source.stat().st_size
    print(
        f"10 pages x {len(words)} words ({points} points): written in {written:.2f} s (update {size / 1e3:.0f} kB), "
        f"read back in {read:.2f} s ({sum(1 for _ in back.strokes())} strokes)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        round_trip(folder)
        dots(folder)
        ten_pages(folder)


if __name__ == "__main__":
    main()
