"""Wacom's Universal Ink Model (``.uim``) for inksight-sdk: an exporter and a page source.

Registered through the ``inksight_sdk`` entry point. Registration is cheap:
``universal-ink-library`` (module ``uim``) is imported only when a file is
written or read. The mapping between ink documents and ink models is in
:mod:`inksight_uim.model`.

The library pins ``protobuf<4``; the onnx and jax plugins' dependencies need
a newer protobuf, so this adapter lives in an environment without them (the
test suite builds ``.venv-uim``; see the README).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from typing import IO

import attrs

from inksight_sdk import InkDocument, Page, StageSpec, hookimpl
from inksight_sdk.errors import InputFileError, InputLimitError
from inksight_sdk.inputs import read_limited
from inksight_sdk.limits import DEFAULT_MAX_PAGES

__all__ = ["UimOptions", "is_uim", "is_available", "INSTALL_HINT", "MAX_UIM_BYTES"]

INSTALL_HINT = "pip install ./adapters/uim (universal-ink-library; it pins protobuf<4, so not beside inksight-onnx)"
#: largest .uim file read, whatever the configured byte limit (the library decodes in pure Python)
MAX_UIM_BYTES = 64 * 1024 * 1024


def is_uim(head: bytes) -> bool:
    """A UIM file is a RIFF container of form type ``UINK``."""
    return head[:4] == b"RIFF" and head[8:12] == b"UINK"


def is_available() -> bool:
    """universal-ink-library importable (nothing is imported)."""
    return importlib.util.find_spec("uim") is not None


def _import_library() -> None:
    """Import universal-ink-library quietly.

    On import it gives its loggers a stderr handler of their own and logs at
    INFO there; a library should leave logging to the application. Its
    handlers are removed and its loggers pass on only errors, through the
    application's logging.
    """
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        import uim  # noqa: F401
    finally:
        logging.disable(previous)
    for name in list(logging.root.manager.loggerDict):
        if name == "uim" or name.startswith("uim."):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.setLevel(logging.ERROR)


@attrs.frozen
class UimOptions:
    """Limits the CLI's ``--max-bytes`` and ``--max-pages`` fill in."""

    max_bytes: int = attrs.field(default=MAX_UIM_BYTES, validator=attrs.validators.gt(0))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=attrs.validators.gt(0))


@attrs.frozen
class UimSource:
    options: UimOptions = UimOptions()

    def pages(self, path: str) -> Iterator[Page]:
        _import_library()
        from uim.codec.parser.uim import UIMParser

        from .model import from_model

        data = read_limited(path, min(self.options.max_bytes, MAX_UIM_BYTES), ".uim files")
        if not is_uim(data[:12]):
            raise InputFileError(f"{path} is not a Universal Ink Model file (no RIFF/UINK header)")
        try:
            model = UIMParser().parse(data)
            document = from_model(model, source=path)
        except RecursionError as exc:
            raise InputFileError(f"{path} is a damaged .uim file: its ink tree nests too deep") from exc
        except (MemoryError, InputFileError):
            raise
        except Exception as exc:  # the library raises whatever its decoders hit on damaged input
            raise InputFileError(f"{path} is a damaged .uim file ({type(exc).__name__}: {exc})"[:300]) from exc
        if len(document.pages) > self.options.max_pages:
            raise InputLimitError(
                f"{path} has {len(document.pages):,} pages, over the limit of {self.options.max_pages:,}"
            )
        yield from document.pages


@attrs.frozen
class UimExporter:
    options: None = None

    def write(self, document: InkDocument, stream: IO[bytes]) -> None:
        _import_library()
        from uim.codec.writer.encoder.encoder_3_1_0 import UIMEncoder310

        from .model import to_model

        stream.write(UIMEncoder310().encode(to_model(document)))


@hookimpl
def register_exporters(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="uim",
            description="Wacom Universal Ink Model 3.1: sensor data, splines with width, words with their text",
            factory=UimExporter,
            extensions=(".uim",),
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )


@hookimpl
def register_page_sources(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="uim",
            description="Wacom Universal Ink Model files (3.0 and 3.1): ink that needs no detector or derenderer",
            factory=UimSource,
            options=UimOptions,
            extensions=(".uim",),
            sniff=is_uim,
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )
