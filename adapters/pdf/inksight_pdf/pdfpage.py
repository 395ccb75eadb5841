"""Small operations on pypdf page dictionaries that leave everything else as it was.

Pages inherit ``/Resources``, ``/MediaBox``, ``/CropBox`` and ``/Rotate`` from
their page-tree parents, and content streams, resource dictionaries and
``/Annots`` arrays may be shared between pages; these helpers read inherited
values and add to a page without changing any object another page uses, so
an incremental update contains only what was added.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from .frame import PageFrame

__all__ = ["inherited", "frame_of", "numbers", "add_stream", "append_content", "add_resource", "add_annotations"]

_TRAILING_ZEROS = re.compile(r"\.?0+(?= |$)")
#: the page-tree depth past which a /Parent chain is taken for a loop
_MAX_DEPTH = 64


def inherited(page: DictionaryObject, key: str) -> Any:
    """``page[key]``, else the nearest ancestor's (page-tree inheritance), resolved; ``None`` if absent."""
    node: Any = page
    for _ in range(_MAX_DEPTH):
        if node is None:
            return None
        node = node.get_object() if isinstance(node, IndirectObject) else node
        if not isinstance(node, DictionaryObject):
            return None
        if key in node:
            value = node[key]
            return value.get_object() if isinstance(value, IndirectObject) else value
        node = node.get("/Parent")
    return None


def frame_of(page: DictionaryObject, dpi: float) -> PageFrame:
    """The page's :class:`PageFrame` at ``dpi`` from its (inherited) boxes and rotation."""
    return PageFrame.of(inherited(page, "/MediaBox"), inherited(page, "/CropBox"), inherited(page, "/Rotate"), dpi)


def numbers(values: np.ndarray, decimals: int = 4) -> str:
    """Numbers for a content stream: fixed point (PDF has no exponents), trailing zeros dropped."""
    flat = np.asarray(values, np.float64).reshape(-1)
    if not flat.size:
        return ""
    text = (f"%.{decimals}f " * flat.size % tuple(flat.tolist()))[:-1]
    return _TRAILING_ZEROS.sub("", text)


def add_stream(writer: PdfWriter, data: bytes, entries: dict[str, Any] | None = None) -> IndirectObject:
    """A new Flate-compressed stream object."""
    stream = StreamObject()
    stream.set_data(data)
    for key, value in (entries or {}).items():
        stream[NameObject(key)] = value
    return writer._add_object(stream.flate_encode())


def _content_refs(page: DictionaryObject) -> list[Any]:
    contents = page.get("/Contents")
    if contents is None:
        return []
    resolved = contents.get_object() if isinstance(contents, IndirectObject) else contents
    if isinstance(resolved, ArrayObject):
        return list(resolved)  # the items as written (references), never the shared array itself
    return [contents]


def append_content(writer: PdfWriter, page: DictionaryObject, data: bytes) -> None:
    """Draw ``data`` after the page's own content, in the default coordinate system.

    The existing streams are left untouched: the page's ``/Contents`` becomes
    ``[q, ...its streams..., Q + data]``, so whatever state the old content
    leaves (a transformation, a clip) is undone before ours runs.
    """
    old = _content_refs(page)
    if old:
        parts = [add_stream(writer, b"q\n"), *old, add_stream(writer, b"\nQ\n" + data)]
    else:
        parts = [add_stream(writer, data)]
    page[NameObject("/Contents")] = ArrayObject(parts)


def add_resource(page: DictionaryObject, category: str, stem: str, ref: IndirectObject) -> str:
    """Give the page a resource (e.g. a font) under a fresh name; return the name.

    The page gets its own ``/Resources`` dictionary (a shallow copy of the
    inherited or shared one) and its own ``category`` subdictionary, so pages
    sharing resources are not changed.
    """
    resources = inherited(page, "/Resources")
    own = DictionaryObject(resources.items()) if isinstance(resources, DictionaryObject) else DictionaryObject()
    current = own.get(category)
    current = current.get_object() if isinstance(current, IndirectObject) else current
    group = DictionaryObject(current.items()) if isinstance(current, DictionaryObject) else DictionaryObject()
    name, n = f"/{stem}", 1
    while name in group:
        n += 1
        name = f"/{stem}{n}"
    group[NameObject(name)] = ref
    own[NameObject(category)] = group
    page[NameObject("/Resources")] = own
    return name


def add_annotations(writer: PdfWriter, page: DictionaryObject, annotations: list[DictionaryObject]) -> None:
    """Append annotations to the page's own ``/Annots`` (a new array: the old one may be shared or indirect)."""
    refs = []
    for annotation in annotations:
        annotation[NameObject("/P")] = page.indirect_reference
        refs.append(writer._add_object(annotation))
    annots = page.get("/Annots")
    resolved = annots.get_object() if isinstance(annots, IndirectObject) else annots
    items = list(resolved) if isinstance(resolved, ArrayObject) else []
    page[NameObject("/Annots")] = ArrayObject([*items, *refs])
