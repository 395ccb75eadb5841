"""Decoding images safely: size checked before pixels are decoded.

Pillow reads the header lazily, so the pixel count is known before any
pixel is decoded; a decompression bomb (a tiny PNG that claims 100 000 x
100 000 pixels) is refused there, with an :class:`InputLimitError`.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator

from PIL import Image, ImageOps

from .errors import InputFileError, InputLimitError
from .limits import DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS

__all__ = ["DEFAULT_MAX_PIXELS", "check_pixels", "open_image_frames", "to_rgb"]

_pil_limit_lock = threading.Lock()

#: what Pillow's decoders raise on damaged or hostile files (found by the fuzz tests)
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    struct.error,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB with transparency composited on white (a transparent PNG stays readable); the DPI is kept."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(background, rgba).convert("RGB")
    elif image.mode == "I;16" or image.mode == "I":
        rgb = image.point(lambda v: v / 256).convert("L").convert("RGB")
    else:
        rgb = image.convert("RGB")
    if "dpi" in image.info:  # converted images start with an empty info
        rgb.info["dpi"] = image.info["dpi"]
    return rgb


def check_pixels(what: str, width: int, height: int, max_pixels: int) -> None:
    """Refuse an image of ``width`` x ``height`` over ``max_pixels`` (:class:`InputLimitError`)."""
    if width * height > max_pixels:
        raise InputLimitError(
            f"{what} is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}; downscale it or raise the limit (--max-pixels)"
        )


def open_image_frames(
    path: str, max_pixels: int = DEFAULT_MAX_PIXELS, max_pages: int = DEFAULT_MAX_PAGES
) -> Iterator[Image.Image]:
    """Yield each frame of an image file as RGB (EXIF rotation applied).

    A file with more than ``max_pages`` frames (a multi-page TIFF) is refused
    before the first frame is decoded.

    Pillow's own bomb check is a process-wide setting; it is lifted only while
    the header is read (under a lock), because this function enforces
    ``max_pixels`` itself, per call.
    """
    try:
        with _pil_limit_lock:
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                image = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except _DECODE_ERRORS as exc:
        raise InputFileError(f"{path} is not a readable image: {exc}") from exc
    with image:
        try:
            frames = getattr(image, "n_frames", 1)
        except _DECODE_ERRORS as exc:
            raise InputFileError(f"{path} cannot be decoded: {exc}") from exc
        if frames > max_pages:
            raise InputLimitError(
                f"{path} has {frames:,} pages, over the limit of {max_pages:,}; "
                "split it or raise the limit (--max-pages)"
            )
        for index in range(frames):
            try:
                image.seek(index)
                width, height = image.size
                check_pixels(path if frames == 1 else f"{path} (page {index + 1})", width, height, max_pixels)
                frame = ImageOps.exif_transpose(image) if index == 0 else image.copy()
                frame.load()
                yield to_rgb(frame)
            except InputLimitError:
                raise
            except _DECODE_ERRORS as exc:
                raise InputFileError(f"{path} (frame {index + 1}) cannot be decoded: {exc}") from exc
