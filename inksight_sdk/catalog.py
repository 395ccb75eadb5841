"""First-party plugins that live in their own distributions, so the core can name them.

A user who asks for ``--derenderer onnx`` without ``inksight-onnx`` installed
should be told what to install, and ``inksight plugins`` should show what
exists, not only what is installed. The core cannot import these packages
(they carry heavy dependencies), so this table is the one place that knows
their names; the plugins themselves still register through entry points like
any third-party plugin.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class KnownPlugin:
    """A first-party stage and how to get it."""

    kind: str
    name: str
    distribution: str
    folder: str
    description: str

    @property
    def install_hint(self) -> str:
        return f"pip install {self.distribution}, or pip install -e {self.folder} from a checkout"


KNOWN_PLUGINS: tuple[KnownPlugin, ...] = (
    KnownPlugin(
        "detector",
        "tesseract",
        "inksight-tesseract",
        "plugins/tesseract",
        "Tesseract OCR: words with text (and Debian's tesseract-ocr)",
    ),
    KnownPlugin(
        "detector",
        "ppocr",
        "inksight-ppocr",
        "plugins/ppocr",
        "PP-OCR (RapidOCR, ONNX Runtime): learned, offline, Latin and Chinese; words with text",
    ),
    KnownPlugin(
        "detector",
        "doctr",
        "inksight-doctr",
        "plugins/doctr",
        "docTR on PyTorch: rotated words with text (weights from local files)",
    ),
    KnownPlugin(
        "detector",
        "cloud-vision",
        "inksight-cloud-vision",
        "plugins/cloud-vision",
        "Google Cloud Vision document text detection (sends pages to Google; only when named)",
    ),
    KnownPlugin(
        "page_source",
        "pdf",
        "inksight-pdf",
        "adapters/pdf",
        "PDF pages rendered with poppler at a recorded DPI; /Ink annotations read as ink",
    ),
    KnownPlugin(
        "exporter", "pdf", "inksight-pdf", "adapters/pdf", "PDF: ink as /Ink annotations with a searchable text layer"
    ),
    KnownPlugin(
        "derenderer", "jax", "inksight-jax", "plugins/jax", "InkSight model in JAX/Flax (CPU, GPU or TPU); training"
    ),
    KnownPlugin("derenderer", "onnx", "inksight-onnx", "plugins/onnx", "InkSight model on ONNX Runtime (CPU, no JAX)"),
    KnownPlugin("exporter", "uim", "inksight-uim", "adapters/uim", "Wacom Universal Ink Model (.uim), words with text"),
    KnownPlugin("page_source", "uim", "inksight-uim", "adapters/uim", "Wacom Universal Ink Model (.uim) files as ink"),
    KnownPlugin(
        "engine",
        "ray",
        "inksight-ray",
        "adapters/ray",
        "A Ray cluster: the pages of every input spread over its workers",
    ),
)


# Subcommands that first-party distributions add through ``register_commands``: without
# them, ``inksight serve`` says what to install instead of click's "No such command".
KNOWN_COMMANDS: tuple[KnownPlugin, ...] = (
    KnownPlugin(
        "command",
        "serve",
        "inksight-server",
        "adapters/server",
        "inksight serve: the HTTP API and web page (FastAPI, uvicorn)",
    ),
)


def known_plugin(kind: str, name: str) -> KnownPlugin | None:
    """The first-party plugin of that kind and name, if there is one."""
    return next((p for p in KNOWN_PLUGINS if p.kind == kind and p.name == name), None)
