"""Hostile input files, built in the test: each a (kind, file name, bytes, extra args, exit code, message).

Kinds group the cases in the reliability report. Every case is small on disk;
the bombs only *claim* huge sizes in their headers.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw

from inksight_sdk.errors import ExitCode


def page_png(w: int = 160, h: int = 60) -> bytes:
    image = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(image).line([(10, h // 2), (w - 10, h // 2)], fill="black", width=3)
    return encode(image, "PNG")


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


def sample(fmt: str) -> bytes:
    image = Image.open(io.BytesIO(page_png()))
    if fmt == "GIF":
        image = image.convert("P")
    return encode(image, fmt)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def gif_claiming(width: int, height: int) -> bytes:
    data = bytearray(sample("GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    at = data.index(b"\x2c", 13)  # image descriptor
    data[at + 5 : at + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(sample("BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(sample("JPEG"))
    at = data.index(b"\xff\xc0")  # SOF0: length(2) precision(1) height(2) width(2)
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def tiff_claiming(width: int, height: int) -> bytes:
    data = bytearray(sample("TIFF"))
    assert data[:2] == b"II"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            value = width if tag == 256 else height
            if kind == 3:
                struct.pack_into("<HH", data, entry + 8, value, 0)
            else:
                struct.pack_into("<I", data, entry + 8, value)
    return bytes(data)


def tiff_pages(n: int) -> bytes:
    frames = [Image.open(io.BytesIO(page_png())) for _ in range(n)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def truncated(data: bytes, fraction: float) -> bytes:
    return data[: max(8, int(len(data) * fraction))]


INKML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
XML_ATTACKS = {
    "external entity (file)": INKML_HEAD
    + b'<!DOCTYPE ink [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ink xmlns="http://www.w3.org/2003/InkML">'
    b"<trace>&xxe;</trace></ink>",
    "external entity (network)": INKML_HEAD
    + b'<!DOCTYPE ink [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]><ink><trace>&xxe;</trace></ink>',
    "billion laughs": INKML_HEAD
    + b'<!DOCTYPE ink [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9))
    + b"]><ink><trace>&j;</trace></ink>",
    "quadratic blowup": INKML_HEAD
    + b'<!DOCTYPE ink [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><ink><trace>'
    + b"&a;" * 5_000
    + b"</trace></ink>",
    "external DTD": INKML_HEAD + b'<!DOCTYPE ink SYSTEM "http://127.0.0.1:9/ink.dtd"><ink/>',
    "parameter entity": INKML_HEAD + b'<!DOCTYPE ink [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><ink/>',
    "internal DTD only": INKML_HEAD + b"<!DOCTYPE ink [<!ELEMENT ink ANY>]><ink/>",
    "not well-formed": INKML_HEAD + b"<ink><trace>1 2, 3 4</trce></ink>",
    "wrong encoding declaration": b'<?xml version="1.0" encoding="UTF-7"?><ink><trace>+ADw-</trace></ink>',
}

#: XML that parses but must not make the reader follow anything: ok (exit 0) and nothing pulled in
XML_HARMLESS = {
    "XInclude of /etc/passwd": INKML_HEAD
    + b'<ink xmlns="http://www.w3.org/2003/InkML" xmlns:xi="http://www.w3.org/2001/XInclude">'
    b'<xi:include href="file:///etc/passwd" parse="text"/><trace>1 2, 3 4</trace></ink>',
    "xml-stylesheet processing instruction": INKML_HEAD
    + b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?><ink xmlns="http://www.w3.org/2003/InkML">'
    b"<trace>1 2, 3 4</trace></ink>",
    "deeply nested trace groups": INKML_HEAD
    + b'<ink xmlns="http://www.w3.org/2003/InkML">'
    + b"<traceGroup>" * 5_000
    + b"<trace>1 2, 3 4</trace>"
    + b"</traceGroup>" * 5_000
    + b"</ink>",
}

JSON_HEAD = b'{"format": "inksight-ink", "version": 1, "metadata": {}, "pages": '
JSON_ATTACKS = {
    "deep nesting": JSON_HEAD + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "NaN constant": JSON_HEAD + b'[{"width": 10, "height": 10, "words": [{"quad": [[0,0],[1,0],[1,1],[0,1]], '
    b'"strokes": [{"points": [[NaN, 1], [2, 2]]}]}]}]}',
    "number overflow (1e999)": JSON_HEAD
    + b'[{"width": 10, "height": 10, "words": [{"quad": [[0,0],[1,0],[1,1],[0,1]], '
    b'"strokes": [{"points": [[1e999, 1], [2, 2]]}]}]}]}',
    "schema violation (string for points)": JSON_HEAD
    + b'[{"width": 10, "height": 10, "words": [{"quad": [[0,0],[1,0],[1,1],[0,1]], "strokes": [{"points": "x"}]}]}]}',
    "truncated": (JSON_HEAD + b'[{"width": 10, "height": 10, "words": [')[:-3],
    "invalid UTF-8": JSON_HEAD[:-2] + b'"\xff\xfe": 1}',
}


def image_cases():
    """(kind, name, data, args, expected exit code, message pattern)."""
    bomb = ExitCode.INPUT_LIMIT
    cases = [
        ("decompression bomb", "png 100000x100000", png_claiming(100_000, 100_000), [], bomb, "over the limit"),
        ("decompression bomb", "png 1x2000000000", png_claiming(1, 2_000_000_000), [], bomb, "over the limit"),
        ("decompression bomb", "gif 65535x65535", gif_claiming(65535, 65535), [], bomb, "over the limit"),
        ("decompression bomb", "bmp 60000x60000", bmp_claiming(60000, 60000), [], bomb, "over the limit"),
        ("decompression bomb", "jpeg 65500x65500", jpeg_claiming(65500, 65500), [], bomb, "over the limit"),
        ("decompression bomb", "tiff 60000x60000", tiff_claiming(60000, 60000), [], bomb, "over the limit"),
        ("size limits", "png over --max-pixels", page_png(), ["--max-pixels", "5000"], bomb, "--max-pixels"),
        ("size limits", "tiff over --max-pages", tiff_pages(3), ["--max-pages", "2"], bomb, "--max-pages"),
        ("size limits", "file over --max-bytes", page_png(), ["--max-bytes", "100"], bomb, "--max-bytes"),
    ]
    bad = ExitCode.INPUT_FILE
    cases += [
        ("not what its name says", "text named .png", b"hello, this is text\n" * 10, [], bad, "not a supported input"),
        ("not what its name says", "html named .jpg", b"<html><body>hi</body></html>", [], bad, "not a supported"),
        ("not what its name says", "zip named .png", b"PK\x03\x04" + b"\x00" * 100, [], bad, "not a supported"),
        (
            "not what its name says",
            "ELF named .tif",
            b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
            [],
            bad,
            "not a supported",
        ),
        ("not what its name says", "empty file", b"", [], bad, "empty"),
    ]
    for fmt in ("PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP"):
        data = sample(fmt)
        for fraction in (0.3, 0.7):
            cases.append(
                (
                    "truncated image",
                    f"{fmt.lower()} cut at {int(fraction * 100)}%",
                    truncated(data, fraction),
                    [],
                    bad,
                    "",
                )
            )
    return cases
