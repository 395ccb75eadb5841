"""Pages as the API takes them: reduced to ``max_pixels``, JPEG under the byte budget, and the way back.

A page is reduced by an area filter to at most ``max_pixels`` (the sent
image is ``round(w * s) x round(h * s)``), then JPEG-compressed. A JPEG over
the byte budget is compressed harder (down to quality 60), then reduced
further, until it fits. Vision answers in the sent image's pixels; the exact
per-axis ratio of input to sent size takes its points back to the input's
pixels (:meth:`SentImage.to_input`).
"""

from __future__ import annotations

import attrs
import numpy as np

from inksight_sdk.errors import StageError

__all__ = ["SentImage", "encode_page"]

#: the lowest JPEG quality tried before the page is reduced further instead
_MIN_QUALITY = 60
#: a page is never sent smaller than this on its long side: nothing would be readable
_MIN_SIDE = 64


@attrs.frozen(eq=False)
class SentImage:
    """A page as sent: JPEG bytes, the sent size, and the input's size."""

    content: bytes
    width: int
    height: int
    input_width: int
    input_height: int
    quality: int

    @property
    def scale(self) -> tuple[float, float]:
        """Input pixels per sent pixel, per axis (1.0 when the page went as it is)."""
        return self.input_width / self.width, self.input_height / self.height

    def to_input(self, edges: np.ndarray) -> np.ndarray:
        """Sent-image ``(x, y)`` points on pixel edges (Vision's integer vertices) -> input pixel centres.

        Vision's vertex ``(x, y)`` is the corner between pixels, as in
        "the word spans columns ``x0 .. x1``": scale on the edges, then move
        half a pixel to the pixel-centre convention of inksight quads.
        """
        points = np.asarray(edges, np.float64)
        return points * np.array(self.scale) - 0.5


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    import cv2

    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise StageError("the page could not be encoded as JPEG for Cloud Vision")
    return data.tobytes()


def _reduced(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    import cv2

    h, w = image.shape[:2]
    size = (max(1, int(w * scale)), max(1, int(h * scale)))  # floored: max_pixels is a true cap
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def encode_page(image: np.ndarray, *, max_pixels: int, quality: int, max_bytes: int) -> SentImage:
    """The page as the request carries it, at most ``max_pixels`` pixels and ``max_bytes`` bytes."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    image = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    scale = min(1.0, (max_pixels / max(1, w * h)) ** 0.5)
    while True:
        sent = _reduced(image, scale)
        data = _jpeg(sent, quality)
        if len(data) <= max_bytes:
            return SentImage(data, sent.shape[1], sent.shape[0], w, h, quality)
        if quality > _MIN_QUALITY:
            quality = max(_MIN_QUALITY, quality - 15)
            continue
        # bytes grow about with the pixel count: shrink the area by the excess, with a margin
        scale *= 0.95 * (max_bytes / len(data)) ** 0.5
        if max(w, h) * scale < _MIN_SIDE:
            raise StageError(
                f"the page cannot be compressed under {max_bytes:,} bytes for Cloud Vision; "
                "raise --detector-option max_request_bytes"
            )
