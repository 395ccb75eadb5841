"""Page source for raster images (PNG, JPEG, TIFF incl. multi-page, GIF, BMP, WebP)."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import numpy as np

from ..hookspecs import hookimpl
from ..imaging import open_image_frames
from ..limits import DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS
from ..registry import StageSpec
from ..stages import RasterPage

_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
)


def is_image(head: bytes) -> bool:
    """Recognise an image by its magic bytes."""
    if head.startswith(_SIGNATURES):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


@attrs.frozen
class ImageSourceOptions:
    # limit fields: the pipeline fills them from its Limits (docs/limits.md)
    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=attrs.validators.gt(0))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=attrs.validators.gt(0))


@attrs.frozen
class ImageSource:
    options: ImageSourceOptions

    def pages(self, path: str) -> Iterator[RasterPage]:
        for index, frame in enumerate(open_image_frames(path, self.options.max_pixels, self.options.max_pages)):
            dpi = frame.info.get("dpi")
            yield RasterPage(
                image=np.asarray(frame),
                index=index,
                dpi=float(dpi[0]) if dpi else None,
                source=path,
            )


@hookimpl
def register_page_sources(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="image",
            description="Raster images: PNG, JPEG, TIFF (every page), GIF, BMP, WebP",
            factory=ImageSource,
            options=ImageSourceOptions,
            extensions=(".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"),
            sniff=is_image,
        )
    )
