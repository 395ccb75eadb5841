"""Real PDFs for the PDF tests, built with pypdf: photos of handwriting on pages turned by ``/Rotate``
and seen through offset crop boxes, and PDFs that carry annotations, a form, an outline and metadata.

The content of a turned page is drawn turned back, so the page *as displayed*
shows the photo upright (as a scanner that stores pages with ``/Rotate``
does); the matrices are written out here by hand, independently of the
adapter's own mapping, so a wrong mapping in the adapter cannot cancel out.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    RectangleObject,
    TextStringObject,
)

#: (photo, /Rotate, crop-box offset in points or None) of the three pages
THREE_PAGES = (
    ("inksight_page.jpg", 90, None),
    ("inksight_word.jpg", 270, (40.0, 25.0)),
    ("simplehtr_line.png", 0, (70.0, 55.0)),
)
#: photo pixels per inch on the page (the photo's size on paper)
PHOTO_DPI = 150.0


def _image_xobject(writer: PdfWriter, photo: Path | Image.Image) -> tuple[object, int, int]:
    """The photo as an image XObject (RGB, Flate: lossless) and its pixel size."""
    image = photo if isinstance(photo, Image.Image) else Image.open(photo)
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    image = image.convert("RGB")
    stream = DecodedStreamObject()
    stream.set_data(image.tobytes())
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(image.width),
            NameObject("/Height"): NumberObject(image.height),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    return writer._add_object(stream.flate_encode()), image.width, image.height


def add_photo_page(
    writer: PdfWriter, photo: Path | Image.Image, rotate: int = 0, offset: tuple[float, float] | None = None
):
    """A page showing ``photo`` upright at ``PHOTO_DPI`` once turned by ``rotate``.

    With ``offset`` the media box is larger and the photo sits at ``offset``
    inside it; the crop box is exactly the photo, and a black bar outside the
    crop box must never show.
    """
    ref, w_px, h_px = _image_xobject(writer, photo)
    dw, dh = w_px * 72.0 / PHOTO_DPI, h_px * 72.0 / PHOTO_DPI  # size as displayed
    uw, uh = (dh, dw) if rotate in (90, 270) else (dw, dh)  # size in user space
    ox, oy = offset or (0.0, 0.0)
    # (u, v) in the image's unit square (v up) to user space, so that the turned page shows it upright
    cm = {
        0: (dw, 0, 0, dh, ox, oy),
        90: (0, dw, -dh, 0, ox + dh, oy),  # displayed x runs up user y, displayed y runs along user x
        180: (-dw, 0, 0, -dh, ox + dw, oy + dh),  # displayed x runs against user x, displayed y up user y
        270: (0, -dw, dh, 0, ox, oy + dw),  # displayed x runs down user y, displayed y runs against user x
    }[rotate]
    margin = (2 * ox, 2 * oy) if offset else (0.0, 0.0)
    page = writer.add_blank_page(uw + margin[0], uh + margin[1])
    if offset:
        page.cropbox = RectangleObject([ox, oy, ox + uw, oy + uh])
    if rotate:
        page[NameObject("/Rotate")] = NumberObject(rotate)
    content = "q " + " ".join(f"{v:.4f}" for v in cm) + " cm /Photo Do Q\n"
    if offset:
        content += "q 0 0 0 rg 0 0 5 5 re f Q\n"  # outside the crop box
    stream = DecodedStreamObject()
    stream.set_data(content.encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Photo"): ref})}
    )
    return page


def write(writer: PdfWriter, path: Path) -> Path:
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def three_pages(path: Path, photos: Path) -> Path:
    writer = PdfWriter()
    for name, rotate, offset in THREE_PAGES:
        add_photo_page(writer, photos / name, rotate, offset)
    return write(writer, path)


def sticky_note(x: float, y: float, text: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Text"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (x, y, x + 20, y + 20)]),
            NameObject("/Contents"): TextStringObject(text),
            NameObject("/NM"): TextStringObject("reviewer-note-1"),
        }
    )


def with_everything(path: Path, photo: Path) -> Path:
    """One photo page with a sticky note, a form text field, an outline, Info and XMP metadata."""
    writer = PdfWriter()
    page = add_photo_page(writer, photo, 0, (30.0, 30.0))
    writer.add_annotation(0, sticky_note(40, 40, "check the date"))
    field = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("reviewer"),
            NameObject("/V"): TextStringObject("Ada"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (60, 35, 160, 50)]),
            NameObject("/F"): NumberObject(4),
        }
    )
    field_ref = writer._add_object(field)
    field[NameObject("/P")] = page.indirect_reference
    page[NameObject("/Annots")].append(field_ref)
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([field_ref])})
    writer.add_outline_item(title="The fox line", page_number=0)
    writer.add_metadata({"/Title": "Fox notes", "/Author": "A. Writer", "/Subject": "a test of what survives"})
    xmp = DecodedStreamObject()
    xmp.set_data(
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Fox notes'
        b'</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    return write(writer, path)


def raw_pdf(path: Path, page: str, annotations: list[str], content: bytes = b"") -> Path:
    """A one-page PDF written byte by byte: ``page`` holds the page's own keys (boxes, /Rotate),
    ``annotations`` the annotation dictionaries. Fast for the huge arrays a hostile file holds."""
    first_annot = 5
    annots = " ".join(f"{first_annot + i} 0 R" for i in range(len(annotations)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R {page} /Resources << >> /Contents 4 0 R /Annots [{annots}] >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *(a.encode() for a in annotations),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def ink_annotation(strokes: list[list[float]], extra: str = "") -> str:
    """An ``/Ink`` annotation as a tablet app writes one: /InkList, a border width, a colour, no appearance."""
    ink_list = " ".join("[" + " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in s) + "]" for s in strokes)
    return f"<< /Type /Annot /Subtype /Ink /Rect [0 0 10 10] /InkList [{ink_list}] {extra} >>"
