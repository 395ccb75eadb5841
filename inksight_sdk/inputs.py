"""Opening inputs: find the page source for a file by its bytes, not its name.

The first bytes of a file decide which page source reads it (``sniff``), so a
PNG named ``notes.pdf`` still opens as an image and a text file named
``page.jpg`` is refused with a clear message instead of a decoder traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .errors import BadArgumentsError, InputFileError, InputLimitError, MissingPluginError
from .imaging import check_pixels
from .ink import Page
from .limits import SOURCE_LIMIT_FIELDS, Limits
from .stages import RasterPage

if TYPE_CHECKING:
    from .registry import PluginRegistry

__all__ = [
    "open_pages",
    "input_parts",
    "raster_from_array",
    "read_head",
    "check_source_options",
    "source_option_names",
    "HEAD_BYTES",
]

#: how many leading bytes page sources get to recognise a file
HEAD_BYTES = 4096

#: well-known signatures of formats no installed source may handle, for a helpful hint
#: inputs a first-party reader takes, recognised by their first bytes, with how to install it
_KNOWN_UNSUPPORTED: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (
        lambda head: head.startswith(b"%PDF"),
        "PDF input needs the PDF adapter: pip install ./adapters/pdf (and Debian poppler-utils)",
    ),
    (
        lambda head: head[:4] == b"RIFF" and head[8:12] == b"UINK",
        "Universal Ink Model input needs the UIM adapter: pip install ./adapters/uim",
    ),
)


def read_limited(path: str, limit: int, what: str = "ink files") -> bytes:
    """The whole file, refused (before reading) when it is over ``limit`` bytes for ``what`` it is."""
    size = os.path.getsize(path)
    if size > limit:
        raise InputLimitError(f"{path} is {size:,} bytes, over the limit of {limit:,} for {what}")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_head(path: str) -> bytes:
    """Read the first bytes of an input, turning OS errors into one-line messages."""
    if not os.path.exists(path):
        raise InputFileError(f"input file not found: {path}; check the path")
    if os.path.isdir(path):
        raise InputFileError(f"input is a directory, not a file: {path}; pass the files inside it")
    if not os.path.isfile(path):  # a FIFO or device would block or never end
        raise InputFileError(f"input is not a regular file (a FIFO, socket or device): {path}; save it to a file first")
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}; check its permissions") from exc


def open_pages(
    path: str,
    registry: PluginRegistry,
    limits: Limits | None = None,
    options: Mapping[str, Any] | None = None,
) -> Iterator[RasterPage | Page]:
    """Yield the pages of ``path`` from the first page source that recognises it.

    ``limits`` are checked here before the source opens the file (size), handed
    to the source through the limit fields its options class declares, and
    enforced again on what it yields (page count, pixels per page), so a
    source that ignores them cannot bypass them. ``options`` are the user's
    reader options (e.g. ``dpi`` for PDFs); keys the chosen source does not
    declare are ignored, because one run may mix images and PDFs.
    """
    limits = limits or Limits()
    source = _open_source(path, registry, limits, options)
    count = 0
    for page in source.pages(path):
        count += 1
        if count > limits.max_pages:
            raise InputLimitError(
                f"{path} has more than {limits.max_pages:,} pages; split it or raise the limit (--max-pages)"
            )
        if isinstance(page, RasterPage):
            height, width = page.image.shape[:2]
            check_pixels(f"{path} page {count}", width, height, limits.max_pixels)
        yield page


def input_parts(
    path: str,
    registry: PluginRegistry,
    limits: Limits | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The parts of ``path`` its page source can read apart (reader options each), or ``[{}]``.

    A page source that can read part of a file defines ``parts(path)``; the
    options of each part, merged over ``options``, make :func:`open_pages`
    yield that part's pages alone (see :meth:`Pipeline.parts <inksight_sdk.Pipeline.parts>`).
    The file is checked as :func:`open_pages` checks it.
    """
    source = _open_source(path, registry, limits or Limits(), options)
    split = getattr(source, "parts", None)
    return [dict(part) for part in split(path)] if callable(split) else [{}]


def _open_source(path: str, registry: PluginRegistry, limits: Limits, options: Mapping[str, Any] | None) -> Any:
    """The page source for ``path``, built with the options it declares; the file's size checked."""
    head = read_head(path)
    if not head:
        raise InputFileError(f"input file is empty: {path}")
    size = os.path.getsize(path)
    if size > limits.max_bytes:
        raise InputLimitError(
            f"{path} is {size:,} bytes, over the limit of {limits.max_bytes:,}; "
            "split it or raise the limit (--max-bytes)"
        )
    sources = registry.sniff(head)
    if not sources:
        for recognises, hint in _KNOWN_UNSUPPORTED:
            if recognises(head):
                raise MissingPluginError(f"{path}: {hint}")
        readers = ", ".join(s.name for s in registry.stages("page_source") if s.available())
        raise InputFileError(
            f"{path} is not a supported input (readers installed: {readers}); "
            "run 'inksight plugins' to see every reader and how to install it"
        )
    stage = sources[0]
    if not stage.available():
        raise MissingPluginError(f"{path} needs the {stage.name} reader; {stage.spec.install_hint}")
    options_class = stage.spec.options
    declared = {a.name for a in attrs.fields(options_class)} if options_class and attrs.has(options_class) else set()
    values = {k: v for k, v in (options or {}).items() if k in declared and k not in SOURCE_LIMIT_FIELDS}
    values.update(limits.for_source(stage.spec.options))
    _, source = registry.create("page_source", stage.name, values)
    return source


def source_option_names(registry: PluginRegistry) -> set[str]:
    """Every option some installed page source declares (limits excluded)."""
    names: set[str] = set()
    for stage in registry.stages("page_source"):
        options_class = stage.spec.options
        if options_class is not None and attrs.has(options_class):
            names.update(a.name for a in attrs.fields(options_class))
    return names - set(SOURCE_LIMIT_FIELDS)


def check_source_options(options: Mapping[str, Any], registry: PluginRegistry) -> None:
    """Refuse reader options that no installed page source understands, or that are limits."""
    limits = sorted(set(options) & set(SOURCE_LIMIT_FIELDS))
    if limits:
        raise BadArgumentsError(
            f"{', '.join(limits)} is a limit, not a reader option; use --{limits[0].replace('_', '-')} "
            "(or Limits in the API)"
        )
    unknown = sorted(set(options) - source_option_names(registry))
    if unknown:
        known = ", ".join(sorted(source_option_names(registry))) or "none"
        raise BadArgumentsError(
            f"no installed reader takes the option(s) {', '.join(unknown)}; known: {known}"
            + ("; PDF options need the PDF adapter: pip install ./adapters/pdf" if "dpi" in unknown else "")
        )


def raster_from_array(image: Any, index: int = 0) -> RasterPage:
    """Wrap an in-memory image (numpy array or PIL image) as a page."""
    from PIL import Image

    if isinstance(image, Image.Image):
        from .imaging import to_rgb

        array = np.asarray(to_rgb(image))
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            from .imaging import to_rgb

            array = np.asarray(to_rgb(Image.fromarray(array.astype(np.uint8), "RGBA")))
        if array.ndim != 3 or array.shape[2] != 3:
            raise InputFileError(f"an image array must be (h, w), (h, w, 3) or (h, w, 4), got {array.shape}")
        if array.dtype != np.uint8:
            if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
                array = array * 255.0
            array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InputFileError(f"image has no pixels: {array.shape}")
    return RasterPage(image=np.ascontiguousarray(array), index=index)
