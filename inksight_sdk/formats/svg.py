"""SVG rendering of ink: strokes as paths, optionally over the input image.

``colour_by_order`` colours strokes from red (first) to violet (last) like
the figures of the InkSight paper, which makes the writing order visible.
Pages are stacked vertically in one SVG.
"""

from __future__ import annotations

import base64
import colorsys
import io
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..ink import InkDocument, Page

__all__ = ["render_svg"]


def _order_colour(i: int, n: int) -> str:
    hue = 0.0 if n <= 1 else 0.78 * i / (n - 1)  # red -> violet
    r, g, b = colorsys.hsv_to_rgb(hue, 0.9, 0.85)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _path(points: np.ndarray) -> str:
    if len(points) == 1:
        x, y = points[0]
        return f"M{x:.2f} {y:.2f}h0.01"
    head = f"M{points[0, 0]:.2f} {points[0, 1]:.2f}"
    return head + "L" + " ".join(f"{x:.2f} {y:.2f}" for x, y in points[1:].tolist())


def _image_href(path: str) -> str | None:
    """Embed the page image (never link to it: the SVG must stand alone).

    Decoded with the size-checked reader (a decompression bomb is no
    underlay, not a crash); only regular files are opened (never a FIFO or a
    device that could block).
    """
    import os

    from ..errors import InkSightError
    from ..imaging import open_image_frames

    if not os.path.isfile(path):
        return None
    try:
        image = next(open_image_frames(path, max_pages=1 << 30))
        image.thumbnail((2048, 2048))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    except (InkSightError, OSError, ValueError, StopIteration):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _page_svg(
    page: Page, y_offset: float, colour_by_order: bool, image_source: str | None, stroke_width: float | None
) -> list[str]:
    out = [f'<g transform="translate(0 {y_offset:g})">']
    out.append(f'<rect width="{page.width}" height="{page.height}" fill="white"/>')
    if image_source is not None and page.image == image_source:
        href = _image_href(page.image)
        if href:
            out.append(
                f'<image href="{href}" width="{page.width}" height="{page.height}" opacity="0.45" '
                'preserveAspectRatio="none"/>'
            )
    total = sum(len(w.strokes) for w in page.words)
    i = 0
    # ink points are pixel centres (pixel j's centre is x = j); in SVG pixel j of the image spans [j, j + 1]
    out.append('<g transform="translate(0.5 0.5)">')
    for word in page.words:
        # a word is a group; its transcription is the group's title (shown as a tooltip, read by screen readers)
        out.append("<g>" + (f"<title>{escape(word.text)}</title>" if word.text else ""))
        for stroke in word.strokes:
            if len(stroke):
                colour = _order_colour(i, total) if colour_by_order else "#1a237e"
                width = stroke_width or (float(np.median(stroke.width)) if stroke.width is not None else 2.0)
                out.append(
                    f'<path d="{_path(stroke.points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="{max(width, 0.5):.2f}" stroke-linecap="round" stroke-linejoin="round"/>'
                )
            i += 1
        out.append("</g>")
    out.append("</g>")
    out.append("</g>")
    return out


def render_svg(
    document: InkDocument,
    *,
    colour_by_order: bool = False,
    with_image: bool = False,
    stroke_width: float | None = None,
) -> str:
    """Render every page of ``document`` to one SVG string.

    ``with_image`` puts the converted input image under the ink. Only the
    document's own source (``metadata.source``, the file this conversion
    read) is embedded: a path written inside an ink file is never followed,
    so a hostile InkML/JSON upload cannot pull other files into the SVG.
    """
    pages = document.pages or (Page(width=1, height=1),)
    width = max(p.width for p in pages)
    height = sum(p.height for p in pages)
    title = document.metadata.source or "ink"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{quoteattr(title)[1:-1]}</title>",
    ]
    y = 0.0
    for page in pages:
        image_source = document.metadata.source if with_image else None
        out.extend(_page_svg(page, y, colour_by_order, image_source, stroke_width))
        y += page.height
    out.append("</svg>")
    return "\n".join(out) + "\n"
