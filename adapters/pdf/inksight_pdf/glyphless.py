"""An invisible text font for any script: one empty glyph, every character mapped to it.

The text layer must carry text in any language (Latin, Cyrillic, CJK, emoji),
which a standard 14 font with WinAnsiEncoding cannot. The idea, as in
Tesseract's and OCRmyPDF's text layers: a composite (Type0) font with 2-byte
codes whose glyphs are all the same blank glyph, and a ``/ToUnicode`` map that
says which character each code is. Viewers search, select and copy the text;
nothing is drawn (and the layer uses render mode 3 anyway).

Here codes (CIDs) are given per document, one per distinct character in order
of first use, so any Unicode character (also beyond the BMP) maps to one code
and the maps stay as small as the text. The embedded TrueType program is built
below from its specification (head, hhea, maxp, hmtx, loca, glyf, cmap, post,
name tables): two empty glyphs of half an em.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

__all__ = ["CodeMap", "font_program", "add_font", "ADVANCE", "ASCENT", "DESCENT"]

UNITS_PER_EM = 1000
#: advance of every glyph, in thousandths of the font size
ADVANCE = 500
ASCENT = 800
DESCENT = -200
FONT_NAME = "GlyphLessFont"
#: the largest CID a 2-byte Identity-H code can name
MAX_CID = 0xFFFF


def _table_checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def font_program() -> bytes:
    """A valid TrueType font with two empty glyphs (.notdef and a blank) of advance ``ADVANCE``."""
    glyphs = 2
    tables = {
        # version 1.0, revision 1.0, checksum adjustment (patched below), magic, flags, units per em,
        # created and modified (0: deterministic bytes), bbox, mac style, smallest size, direction hint,
        # short loca offsets, glyph data format
        b"head": struct.pack(
            ">IIIIHHqqhhhhHHhhh",
            0x00010000,
            0x00010000,
            0,
            0x5F0F3CF5,
            0x000B,
            UNITS_PER_EM,
            0,
            0,
            0,
            DESCENT,
            ADVANCE,
            ASCENT,
            0,
            8,
            2,
            0,
            0,
        ),
        b"hhea": struct.pack(
            ">IhhhHhhhhhhhhhhhH",
            0x00010000,
            ASCENT,
            DESCENT,
            0,
            ADVANCE,
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            glyphs,
        ),
        # version 1.0: glyph count, then zero maxima (no outlines, no instructions), 2 zones
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x00010000, glyphs, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"hmtx": struct.pack(">HhHh", ADVANCE, 0, ADVANCE, 0),
        b"loca": struct.pack(">HHH", 0, 0, 0),  # both glyphs empty (no outline data)
        b"glyf": b"",
        # one Windows Unicode subtable (format 4) with only the closing segment: no character is mapped,
        # glyphs are chosen by CID through CIDToGIDMap
        b"cmap": struct.pack(">HHHHI", 0, 1, 3, 1, 12)
        + struct.pack(">HHHHHHHHHHhH", 4, 24, 0, 2, 2, 0, 0, 0xFFFF, 0, 0xFFFF, 1, 0),
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 1, 0, 0, 0, 0),
        b"name": struct.pack(">HHH", 0, 0, 6),
    }
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, count.bit_length() - 1, count * 16 - power * 16)
    offset = 12 + 16 * count
    directory = b""
    body = b""
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _table_checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    adjustment = (0xB1B0AFBA - _table_checksum(bytes(font))) & 0xFFFFFFFF
    head_offset = 12 + 16 * count + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    font[head_offset + 8 : head_offset + 12] = struct.pack(">I", adjustment)
    return bytes(font)


class CodeMap:
    """Characters to 2-byte codes (CIDs 1, 2, ...), in order of first use; 0 stays ``.notdef``.

    A document with more distinct characters than 2-byte codes (65 535) maps the
    rest to U+FFFD, the replacement character, rather than failing.
    """

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for char in text:
            code = self._codes.get(char)
            if code is None:
                if len(self._codes) < MAX_CID - 1:
                    code = self._codes[char] = len(self._codes) + 1
                else:
                    code = self._codes.setdefault("\ufffd", MAX_CID)
            out += code.to_bytes(2, "big")
        return bytes(out)

    def __len__(self) -> int:
        return len(self._codes)

    def items(self) -> Iterable[tuple[str, int]]:
        return self._codes.items()

    def to_unicode(self) -> bytes:
        """The ``/ToUnicode`` CMap: each code to the UTF-16BE of its character (surrogate pairs beyond the BMP)."""
        pairs = sorted((code, char) for char, code in self.items())
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
        ]
        for start in range(0, len(pairs), 100):  # at most 100 entries per block
            chunk = pairs[start : start + 100]
            lines.append(f"{len(chunk)} beginbfchar")
            lines += [f"<{code:04X}> <{char.encode('utf-16-be').hex().upper()}>" for code, char in chunk]
            lines.append("endbfchar")
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        return ("\n".join(lines) + "\n").encode("ascii")

    def cid_to_gid(self) -> bytes:
        """``/CIDToGIDMap``: CID 0 to glyph 0, every other used CID to the blank glyph 1."""
        highest = max((code for _, code in self.items()), default=0)
        return b"\0\0" + b"\0\1" * highest


def _stream(writer: PdfWriter, data: bytes, **entries: object) -> IndirectObject:
    stream = StreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value  # type: ignore[assignment]
    return writer._add_object(stream.flate_encode())


def add_font(writer: PdfWriter, codes: CodeMap) -> IndirectObject:
    """Add the Type0 font for ``codes`` (call after every word is encoded) and return its reference."""
    program = font_program()
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{FONT_NAME}"),
            NameObject("/Flags"): NumberObject(5),  # fixed pitch, symbolic
            NameObject("/FontBBox"): ArrayObject(
                [NumberObject(0), NumberObject(DESCENT), NumberObject(ADVANCE), NumberObject(ASCENT)]
            ),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(ASCENT),
            NameObject("/Descent"): NumberObject(DESCENT),
            NameObject("/CapHeight"): NumberObject(ASCENT),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): _stream(writer, program, Length1=NumberObject(len(program))),
        }
    )
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject(f"/{FONT_NAME}"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
            NameObject("/DW"): NumberObject(ADVANCE),
            NameObject("/CIDToGIDMap"): _stream(writer, codes.cid_to_gid()),
        }
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject(f"/{FONT_NAME}"),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([writer._add_object(cid_font)]),
            NameObject("/ToUnicode"): _stream(writer, codes.to_unicode()),
        }
    )
    return writer._add_object(font)
