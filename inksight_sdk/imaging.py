"""Decoding images safely: size checked before pixels are decoded.

Pillow reads the header lazily, so the pixel count is known before any
pixel is decoded; a decompression bomb (a tiny PNG that claims 100 000 x
100 000 pixels) is refused there, with an :class:`InputLimitError`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from PIL import Image, ImageOps

from .errors import InputFileError, InputLimitError

__all__ = ["DEFAULT_MAX_PIXELS", "open_image_frames", "to_rgb"]

#: default limit on pixels per image (20 000 x 20 000 fits; override per source)
DEFAULT_MAX_PIXELS = 400_000_000

_pil_limit_lock = threading.Lock()


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB with transparency composited on white (a transparent PNG stays readable)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode == "I;16" or image.mode == "I":
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def open_image_frames(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[Image.Image]:
    """Yield each frame of an image file as RGB (EXIF rotation applied).

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
    except OSError as exc:
        raise InputFileError(f"{path} is not a readable image: {exc}") from exc
    with image:
        frames = getattr(image, "n_frames", 1)
        for index in range(frames):
            try:
                image.seek(index)
                width, height = image.size
                if width * height > max_pixels:
                    raise InputLimitError(
                        f"{path} is {width}x{height} = {width * height:,} pixels, over the limit of "
                        f"{max_pixels:,}; downscale it or raise the limit (--max-pixels)"
                    )
                frame = ImageOps.exif_transpose(image) if index == 0 else image.copy()
                frame.load()
                yield to_rgb(frame)
            except InputLimitError:
                raise
            except (OSError, ValueError, SyntaxError) as exc:
                raise InputFileError(f"{path} (frame {index + 1}) cannot be decoded: {exc}") from exc
