"""Receiving a multipart upload: the file streamed to disk under a byte cap, the form fields kept.

Starlette's own form parser spools files to the system's temporary folder
and reads the whole body before the endpoint sees it; this parser writes the
file part straight into the request's folder under the server's temporary
root as the bytes arrive, stops at the byte limit (413) without reading the
rest, and keeps the few small text fields. The client's file name is only
ever used as a label: it is reduced to a safe base name, and no path a
client sends is ever opened.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

import attrs
from python_multipart import MultipartParser
from python_multipart.multipart import MultipartState, parse_options_header
from starlette.requests import ClientDisconnect, Request

from inksight_sdk.errors import ExitCode

from .errors import ApiError

__all__ = ["Upload", "receive_upload", "safe_name", "ClientDisconnect"]

#: the form field that carries the file
FILE_FIELD = "file"
#: text fields one form may hold (there are nine known ones)
MAX_FIELDS = 16
#: bytes of multipart framing allowed beyond the file and the fields (boundaries, part headers)
FRAMING_BYTES = 64 << 10


@attrs.frozen
class Upload:
    """The stored file (``path``, inside the request's folder), its safe ``name`` and the text fields."""

    path: str
    name: str
    size: int
    fields: dict[str, str]


def safe_name(filename: str | None, fallback: str = "upload") -> str:
    """A file name a client sent, as a safe label: its base name in letters, digits, ``._-``.

    Never empty, never hidden (no leading dot, so it cannot collide with the
    server's own ``.``-files beside it), at most 100 characters, extension kept.
    """
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip("._-")
    if not cleaned:
        return fallback
    stem, dot, ext = cleaned.rpartition(".")
    if dot and len(ext) <= 10 and stem:
        return f"{stem[: 99 - len(ext)]}.{ext}"
    return cleaned[:100]


def _too_large(name: str, limit: int) -> ApiError:
    return ApiError(
        413,
        f"{name} is over the limit of {limit:,} bytes; split it or raise the limit (inksight serve --max-bytes)",
        exit_code=ExitCode.INPUT_LIMIT,
    )


class _Receiver:
    """The callbacks of :class:`python_multipart.MultipartParser`, writing the file part to ``folder``."""

    def __init__(self, folder: str, max_bytes: int, max_field_bytes: int, known: frozenset[str]) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.max_field_bytes = max_field_bytes
        self.known = known
        self.fields: dict[str, str] = {}
        self.path: str | None = None
        self.name = "upload"
        self.size = 0
        self._file: IO[bytes] | None = None
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field: str | None = None
        self._text = bytearray()
        self._is_file = False

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._disposition = b""
        self._field = None
        self._text = bytearray()
        self._is_file = False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise ApiError(400, "a form part has no name; send the file in the field 'file'")
        if name not in self.known:
            raise ApiError(400, f"unknown form field {name!r}; known: {', '.join(sorted(self.known))}")
        if name in self.fields or (name == FILE_FIELD and self.path is not None):
            raise ApiError(400, f"the form field {name!r} is given twice; send it once")
        self._field = name
        if name == FILE_FIELD:
            self._is_file = True
            self.name = safe_name(options.get(b"filename", b"").decode("utf-8", "replace"))
            self.path = os.path.join(self.folder, self.name)
            self._file = open(self.path, "xb")  # noqa: SIM115 - closed in part_end or close()
        elif len(self.fields) >= MAX_FIELDS:
            raise ApiError(400, f"more than {MAX_FIELDS} form fields")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            assert self._file is not None
            self.size += end - start
            if self.size > self.max_bytes:
                raise _too_large(self.name, self.max_bytes)
            self._file.write(data[start:end])
        else:
            self._text += data[start:end]
            if len(self._text) > self.max_field_bytes:
                raise ApiError(400, f"the form field {self._field!r} is over {self.max_field_bytes:,} bytes")

    def part_end(self) -> None:
        if self._is_file:
            self.close()
        elif self._field is not None:
            try:
                self.fields[self._field] = self._text.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, f"the form field {self._field!r} is not UTF-8 text") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_upload(
    request: Request, folder: str, *, max_bytes: int, max_field_bytes: int, fields: frozenset[str]
) -> Upload:
    """Stream the request's multipart body into ``folder``; returns the stored upload.

    Raises :class:`ApiError` (400 malformed, 413 over ``max_bytes``) or
    :class:`ClientDisconnect` when the client goes away mid-upload; the caller
    removes ``folder`` in every case but success.
    """
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(400, "send a multipart/form-data upload with the input in the form field 'file'")
    length = request.headers.get("content-length")
    budget = max_bytes + MAX_FIELDS * max_field_bytes + FRAMING_BYTES
    if length is not None and length.isdigit() and int(length) > budget:
        raise _too_large("the upload", max_bytes)
    receiver = _Receiver(folder, max_bytes, max_field_bytes, fields | {FILE_FIELD})
    parser = MultipartParser(boundary, receiver.callbacks(), max_size=budget)
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > budget:
                raise _too_large(receiver.name if receiver.path else "the upload", max_bytes)
            try:
                parser.write(chunk)
            except ApiError:
                raise
            except Exception as exc:  # python-multipart's parse errors
                raise ApiError(400, f"the multipart body is malformed: {exc}") from None
        try:
            parser.finalize()
        except Exception as exc:
            raise ApiError(400, f"the multipart body is malformed: {exc}") from None
        if parser.state != MultipartState.END:
            raise ApiError(400, "the multipart body ends before its closing boundary; send the whole form")
    finally:
        receiver.close()
    if receiver.path is None:
        raise ApiError(400, "no file in the upload; send the input in the form field 'file'")
    return Upload(path=receiver.path, name=receiver.name, size=receiver.size, fields=dict(receiver.fields))
