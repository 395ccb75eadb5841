"""Rendering PDF pages one at a time, with every limit checked before rendering.

Order of work for ``pages(path)``:

1. file size against ``max_bytes``;
2. ``pdfinfo`` (bounded by ``render_timeout``): page count and every page's
   crop-box size; damaged and encrypted files are refused here;
3. the page range against ``max_pages`` and every page's pixel count at the
   chosen DPI against ``max_pixels`` -- before anything is rendered;
4. with ``ink_annotations="read"`` (default), every planned page's ``/Ink``
   annotations are read with pypdf and checked (:mod:`~inksight_pdf.inkread`),
   still before anything is rendered; a page that has them is yielded as ink
   and never rendered;
5. per other page: ``pdftoppm`` renders that one page (crop box, one thread)
   into a private temporary folder; the image is opened with the SDK's
   size-checked decoder (the pixel limit is checked again, from the image
   header) and the file is deleted before the page is yielded, so one page at
   a time is held.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from inksight_sdk.errors import (
    BadArgumentsError,
    InkSightError,
    InputFileError,
    InputLimitError,
    MissingPluginError,
)
from inksight_sdk.imaging import open_image_frames
from inksight_sdk.ink import Page
from inksight_sdk.stages import RasterPage

from . import INSTALL_HINT, PdfOptions

_SIZE = re.compile(r"([0-9.]+)\s*x\s*([0-9.]+)\s*pts")


def _poppler_reason(exc: Exception) -> str:
    """The last meaningful line poppler printed, for a one-line message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("Unable to get page count")]
    return lines[-1] if lines else type(exc).__name__


@attrs.frozen
class PdfSource:
    options: PdfOptions

    def _info(self, path: str, first: int | None, last: int | None) -> dict[str, Any]:
        import pdf2image
        from pdf2image import exceptions as pe

        try:
            return pdf2image.pdfinfo_from_path(
                path,
                first_page=first,  # type: ignore[arg-type]  # None: from the start
                last_page=last,  # type: ignore[arg-type]  # None: to the end
                timeout=math.ceil(self.options.render_timeout),
            )
        except pe.PDFInfoNotInstalledError as exc:
            raise MissingPluginError(f"{path}: poppler's pdfinfo is missing; {INSTALL_HINT}") from exc
        except pe.PDFPopplerTimeoutError as exc:
            raise InputFileError(
                f"{path}: pdfinfo did not finish within {self.options.render_timeout:g} s; "
                "the PDF may be hostile or damaged, repair it (e.g. qpdf) or raise render_timeout"
            ) from exc
        except pe.PDFPageCountError as exc:
            reason = _poppler_reason(exc)
            if "password" in reason.lower() or "encrypt" in reason.lower():
                raise InputFileError(
                    f"{path} is encrypted (password-protected); decrypt it first, "
                    "e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf"
                ) from exc
            raise InputFileError(
                f"{path} is not a readable PDF ({reason}); check that the file is complete and not damaged"
            ) from exc

    def _plan(self, path: str) -> list[tuple[int, float, float]]:
        """(page number, width pt, height pt) of every page to render; all limits checked."""
        opts = self.options
        size = os.path.getsize(path)
        if size > opts.max_bytes:
            raise InputLimitError(
                f"{path} is {size:,} bytes, over the limit of {opts.max_bytes:,}; "
                "split it or raise the limit (--max-bytes)"
            )
        total = int(self._info(path, None, None).get("Pages", 0))
        if total < 1:
            raise InputFileError(f"{path} has no pages")
        first = opts.first_page or 1
        if first > total:
            raise BadArgumentsError(f"first_page {first} is after the last page ({total}) of {path}")
        last = min(opts.last_page or total, total)
        if last < first:
            raise BadArgumentsError(f"last_page {last} is before first_page {first} for {path}")
        count = last - first + 1
        if count > opts.max_pages:
            raise InputLimitError(
                f"{path} has {count:,} pages to convert, over the limit of {opts.max_pages:,}; "
                "split it, pick a range (first_page/last_page) or raise the limit (--max-pages)"
            )
        info = self._info(path, first, last)  # every page's size, still without rendering
        plan = []
        for number in range(first, last + 1):
            text = info.get(f"Page {number:4d} size") or (info.get("Page size") if first == last else None)
            match = _SIZE.search(text or "")
            if match is None:
                raise InputFileError(f"{path}: poppler reports no size for page {number}; the PDF is damaged")
            width_pt, height_pt = float(match.group(1)), float(match.group(2))
            width, height = self._pixels(width_pt), self._pixels(height_pt)
            if width * height > opts.max_pixels:
                raise InputLimitError(
                    f"{path} page {number} at {opts.dpi:g} dpi is {width}x{height} = {width * height:,} pixels, "
                    f"over the limit of {opts.max_pixels:,}; lower the DPI (--dpi) or raise the limit (--max-pixels)"
                )
            plan.append((number, width_pt, height_pt))
        return plan

    def _pixels(self, points: float) -> int:
        return max(1, math.ceil(points * self.options.dpi / 72.0))

    def _render(self, path: str, number: int, folder: str) -> np.ndarray:
        import pdf2image
        from pdf2image import exceptions as pe

        opts = self.options
        try:
            files = pdf2image.convert_from_path(
                path,
                dpi=opts.dpi,  # type: ignore[arg-type]  # pdftoppm -r takes fractional DPI
                first_page=number,
                last_page=number,
                thread_count=1,
                use_cropbox=True,
                output_folder=folder,
                paths_only=True,
                fmt="ppm",
                timeout=math.ceil(opts.render_timeout),
            )
        except pe.PDFPopplerTimeoutError as exc:
            raise InputFileError(
                f"{path}: page {number} did not render within {opts.render_timeout:g} s; "
                "raise render_timeout (--input-option render_timeout=SECONDS) or split the PDF"
            ) from exc
        except pe.PDFPageCountError as exc:
            raise InputFileError(f"{path} is not a readable PDF ({_poppler_reason(exc)})") from exc
        except (pe.PDFSyntaxError, OSError, ValueError) as exc:
            raise InputFileError(f"{path}: page {number} cannot be rendered: {_poppler_reason(exc)}") from exc
        if not files:
            raise InputFileError(f"{path}: page {number} cannot be rendered; poppler produced no image")
        names = [str(f) for f in files]  # paths_only=True: paths, not images
        try:
            frame = next(open_image_frames(names[0], opts.max_pixels, 1))
            return np.asarray(frame)
        finally:
            for name in names:
                try:
                    os.unlink(name)
                except OSError:
                    pass

    def _ink_pages(self, path: str, numbers: list[int]) -> dict[int, Page]:
        """The pages (by number) whose ``/Ink`` annotations are their ink, every one checked."""
        if self.options.ink_annotations != "read":
            return {}
        from pypdf import PdfReader
        from pypdf.errors import LimitReachedError

        from .inkread import read_ink_page

        try:
            reader = PdfReader(path, strict=False)
            found = {}
            for number in numbers:
                page = read_ink_page(
                    reader.pages[number - 1], number - 1, self.options.dpi, path, self.options.max_ink_points
                )
                if page is not None:
                    found[number] = page
            return found
        except InkSightError:
            raise
        except LimitReachedError as exc:
            raise InputLimitError(
                f"{path}: an object is over the PDF parser's limits ({exc}): a hostile file, or an ink stroke "
                "of over 50,000 points; convert the rendered pages instead: --input-option ink_annotations=ignore"
            ) from exc
        except Exception as exc:  # pypdf's many parse errors on a file poppler could read
            raise InputFileError(
                f"{path}: its annotations cannot be read ({type(exc).__name__}: {exc}); "
                "convert the rendered pages instead: --input-option ink_annotations=ignore"
            ) from exc

    def parts(self, path: str) -> list[dict[str, int]]:
        """One part per page to convert (``first_page`` = ``last_page``), every limit checked, nothing rendered.

        A batch engine converts the pages of one PDF on many workers, each
        reading its own page (:meth:`inksight_sdk.Pipeline.parts`).
        """
        return [{"first_page": number, "last_page": number} for number, _, _ in self._plan(path)]

    def pages(self, path: str) -> Iterator[RasterPage | Page]:
        plan = self._plan(path)
        ink = self._ink_pages(path, [number for number, _, _ in plan])
        with tempfile.TemporaryDirectory(prefix="inksight-pdf-") as folder:
            for number, _, _ in plan:
                if number in ink:
                    yield ink.pop(number)
                    continue
                image = self._render(path, number, folder)
                yield RasterPage(image=image, index=number - 1, dpi=self.options.dpi, source=path)
