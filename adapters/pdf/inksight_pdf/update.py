"""Writing an incremental update: the original file, then only what changed.

pypdf (``PdfWriter(path, incremental=True)``) tracks which objects are new or
changed; this module writes them after the original bytes with a
cross-reference section of the same kind as the file's last one (a table
after a table, a stream after a stream) and a trailer whose ``/Prev`` points
at the original section (PDF 32000-1, 7.5.6). pypdf's own incremental writer
always appends a cross-reference stream and leaves that stream out of its
own index, which qpdf reports as a damaged ``/Size``.
"""

from __future__ import annotations

import re
import struct
from typing import IO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

__all__ = ["write_update"]

_STARTXREF = re.compile(rb"startxref\s+(\d+)")


def _last_xref(original: bytes) -> tuple[int, bool]:
    """Offset of the file's last cross-reference section, and whether it is a table (``xref`` keyword)."""
    matches = list(_STARTXREF.finditer(original[-4096:]))
    if not matches:
        raise ValueError("no startxref at the end of the file")
    offset = int(matches[-1].group(1))
    return offset, original[offset : offset + 4].startswith(b"xref")


def _sections(numbers: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive object numbers as (first, count)."""
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][0] + runs[-1][1] == n:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((n, 1))
    return runs


def write_update(reader: PdfReader, writer: PdfWriter, original: bytes, stream: IO[bytes]) -> None:
    """Write ``original`` and, after it, the objects ``writer`` (incremental, on ``reader``) added or changed."""
    prev, table = _last_xref(original)
    stream.write(original)
    if not original.endswith((b"\n", b"\r")):
        stream.write(b"\n")
    position = len(original) + (0 if original.endswith((b"\n", b"\r")) else 1)
    offsets: dict[int, tuple[int, int]] = {}
    for ref in writer.list_objects_in_increment():
        chunk = _serialized(ref.idnum, ref.generation, ref.get_object())
        offsets[ref.idnum] = (position, ref.generation)
        stream.write(chunk)
        position += len(chunk)
    if not offsets:
        return
    trailer = DictionaryObject()
    old = reader.trailer
    for key in ("/Root", "/Info", "/ID"):
        if key in old:
            trailer[NameObject(key)] = old.raw_get(key)
    trailer[NameObject("/Root")] = writer.root_object.indirect_reference
    trailer[NameObject("/Prev")] = NumberObject(prev)
    size = max(int(old.get("/Size", 0)), max(offsets) + 1)
    if table:
        trailer[NameObject("/Size")] = NumberObject(size)
        stream.write(_xref_table(offsets) + b"trailer\n" + _serialized_value(trailer) + b"\n")
    else:
        xref_id = size
        offsets[xref_id] = (position, 0)
        trailer[NameObject("/Size")] = NumberObject(xref_id + 1)
        stream.write(_serialized(xref_id, 0, _xref_stream(offsets, trailer)))
    stream.write(f"startxref\n{position}\n%%EOF\n".encode("ascii"))


def _serialized_value(value: object) -> bytes:
    import io

    buffer = io.BytesIO()
    value.write_to_stream(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _serialized(idnum: int, generation: int, value: object) -> bytes:
    return f"{idnum} {generation} obj\n".encode("ascii") + _serialized_value(value) + b"\nendobj\n"


def _xref_table(offsets: dict[int, tuple[int, int]]) -> bytes:
    lines = [b"xref\n"]
    for first, count in _sections(list(offsets)):
        lines.append(f"{first} {count}\n".encode("ascii"))
        for n in range(first, first + count):
            offset, generation = offsets[n]
            lines.append(f"{offset:010d} {generation:05d} n\r\n".encode("ascii"))
    return b"".join(lines)


def _xref_stream(offsets: dict[int, tuple[int, int]], trailer: DictionaryObject) -> StreamObject:
    runs = _sections(list(offsets))
    stream = StreamObject()
    numbers = [n for first, count in runs for n in range(first, first + count)]
    stream.set_data(b"".join(struct.pack(">BQH", 1, *offsets[n]) for n in numbers))
    stream.update(trailer)
    stream[NameObject("/Type")] = NameObject("/XRef")
    stream[NameObject("/Index")] = ArrayObject(NumberObject(v) for run in runs for v in run)
    stream[NameObject("/W")] = ArrayObject([NumberObject(1), NumberObject(8), NumberObject(2)])
    return stream.flate_encode()
