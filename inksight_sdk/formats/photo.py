"""The photo under the ink: which page image an exporter may show, loaded safely.

An exporter shows a page's image only when it is the file this conversion
read (``page.image == document.metadata.source``), the rule of the SVG
underlay: a path written inside an ink file is never followed, so a hostile
upload cannot pull other local files into an output. The image is decoded
with the size-checked reader and only from a regular file (never a FIFO or a
device that could block).
"""

from __future__ import annotations

import os

from PIL import Image

from ..errors import InkSightError
from ..ink import InkDocument, Page

__all__ = ["source_path", "is_pdf", "load_photo", "faded"]


def source_path(document: InkDocument, page: Page) -> str | None:
    """The page's image path when the exporter may use it, else ``None``."""
    path = page.image
    if path is None or path != document.metadata.source or not os.path.isfile(path):
        return None
    return path


def is_pdf(path: str) -> bool:
    """Whether ``path`` is a PDF (by its first bytes, like the page sources)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"%PDF-"
    except OSError:
        return False


def load_photo(path: str, index: int, size: tuple[int, int]) -> Image.Image | None:
    """Frame ``index`` of the image at ``path`` resized to ``size`` (RGB), or ``None`` if unreadable.

    A PDF gives ``None``: the exporters that can reference a PDF page do so
    themselves; those that cannot fall back to a white page.
    """
    from ..imaging import open_image_frames

    if is_pdf(path):
        return None
    try:
        for i, frame in enumerate(open_image_frames(path, max_pages=1 << 30)):
            if i == index:
                return frame.convert("RGB").resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    except (InkSightError, OSError, ValueError):
        return None
    return None


def faded(image: Image.Image, opacity: float) -> Image.Image:
    """``image`` shown at ``opacity`` over white paper (1: as is, 0: white)."""
    white = Image.new("RGB", image.size, "white")
    return Image.blend(white, image.convert("RGB"), opacity)
