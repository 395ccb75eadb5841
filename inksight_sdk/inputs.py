"""Opening inputs: find the page source for a file by its bytes, not its name.

The first bytes of a file decide which page source reads it (``sniff``), so a
PNG named ``notes.pdf`` still opens as an image and a text file named
``page.jpg`` is refused with a clear message instead of a decoder traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputFileError, MissingPluginError
from .ink import Page
from .stages import RasterPage

if TYPE_CHECKING:
    from .registry import PluginRegistry

__all__ = ["open_pages", "raster_from_array", "read_head", "HEAD_BYTES"]

#: how many leading bytes page sources get to recognise a file
HEAD_BYTES = 4096

#: well-known signatures of formats no installed source may handle, for a helpful hint
_KNOWN_UNSUPPORTED = {
    b"%PDF": "PDF input needs the PDF adapter: pip install ./adapters/pdf (and Debian poppler-utils)",
}


def read_head(path: str) -> bytes:
    """Read the first bytes of an input, turning OS errors into one-line messages."""
    if not os.path.exists(path):
        raise InputFileError(f"input file not found: {path}; check the path")
    if os.path.isdir(path):
        raise InputFileError(f"input is a directory, not a file: {path}; pass the files inside it")
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}; check its permissions") from exc


def open_pages(path: str, registry: PluginRegistry) -> Iterator[RasterPage | Page]:
    """Yield the pages of ``path`` from the first page source that recognises it."""
    head = read_head(path)
    if not head:
        raise InputFileError(f"input file is empty: {path}")
    sources = registry.sniff(head)
    if not sources:
        for magic, hint in _KNOWN_UNSUPPORTED.items():
            if head.startswith(magic):
                raise MissingPluginError(f"{path}: {hint}")
        raise InputFileError(
            f"{path} is not a supported input (an image, PDF, InkML or ink JSON file); "
            "run 'inksight plugins' to see the readers installed"
        )
    stage = sources[0]
    if not stage.available():
        raise MissingPluginError(f"{path} needs the {stage.name} reader; {stage.spec.install_hint}")
    _, source = registry.create("page_source", stage.name)
    yield from source.pages(path)


def raster_from_array(image: Any, index: int = 0) -> RasterPage:
    """Wrap an in-memory image (numpy array or PIL image) as a page."""
    from PIL import Image

    if isinstance(image, Image.Image):
        from .imaging import to_rgb

        array = np.asarray(to_rgb(image))
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            from .imaging import to_rgb

            array = np.asarray(to_rgb(Image.fromarray(array.astype(np.uint8), "RGBA")))
        if array.ndim != 3 or array.shape[2] != 3:
            raise InputFileError(f"an image array must be (h, w), (h, w, 3) or (h, w, 4), got {array.shape}")
        if array.dtype != np.uint8:
            if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
                array = array * 255.0
            array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InputFileError(f"image has no pixels: {array.shape}")
    return RasterPage(image=np.ascontiguousarray(array), index=index)
