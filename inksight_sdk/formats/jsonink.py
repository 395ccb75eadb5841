"""The JSON form of an ink document (``schemas/ink-document.schema.json``).

Floats are written with Python's shortest round-tripping repr of the stored
float32/float64 values, so ``loads(dumps(doc)) == doc`` exactly.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np

from ..errors import InputFileError, InputLimitError
from ..ink import DocumentMetadata, InkDocument, Page, Stroke, WordInk

__all__ = ["document_to_dict", "document_from_dict", "dumps", "loads", "schema", "validate", "looks_like_ink_json"]

FORMAT = "inksight-ink"
VERSION = 1
#: largest JSON input read (bytes); bigger files are refused before parsing
MAX_JSON_BYTES = 512 * 1024 * 1024


def _floats(array: np.ndarray) -> list[Any]:
    return array.tolist()


def _stroke(stroke: Stroke) -> dict[str, Any]:
    out: dict[str, Any] = {"points": _floats(stroke.points)}
    for name in ("t", "width", "pressure"):
        value = getattr(stroke, name)
        if value is not None:
            out[name] = _floats(value)
    return out


def document_to_dict(document: InkDocument) -> dict[str, Any]:
    meta = document.metadata
    return {
        "format": FORMAT,
        "version": VERSION,
        "metadata": {
            "source": meta.source,
            "sdk_version": meta.sdk_version,
            "plugins": dict(meta.plugins),
            "dpi": meta.dpi,
            "problems": list(meta.problems),
        },
        "pages": [
            {
                "index": page.index,
                "width": page.width,
                "height": page.height,
                "dpi": page.dpi,
                "image": page.image,
                "direction": page.direction,
                "words": [
                    {
                        "quad": _floats(word.quad),
                        "text": word.text,
                        "confidence": word.confidence,
                        "block": word.block,
                        "line": word.line,
                        "detector": word.detector,
                        "derenderer": word.derenderer,
                        "kind": word.kind,
                        "strokes": [_stroke(s) for s in word.strokes],
                    }
                    for word in page.words
                ],
            }
            for page in document.pages
        ],
    }


def document_from_dict(data: dict[str, Any]) -> InkDocument:
    """Build a document from its (already schema-valid) JSON form."""
    meta = data.get("metadata", {})
    pages = []
    for page in data["pages"]:
        words = [
            WordInk(
                quad=word["quad"],
                strokes=[
                    Stroke(
                        points=s["points"],
                        t=s.get("t"),
                        width=s.get("width"),
                        pressure=s.get("pressure"),
                    )
                    for s in word["strokes"]
                ],
                text=word.get("text"),
                confidence=word.get("confidence"),
                block=word.get("block", 0),
                line=word.get("line", 0),
                detector=word.get("detector"),
                derenderer=word.get("derenderer"),
                kind=word.get("kind", "handwritten"),
            )
            for word in page["words"]
        ]
        pages.append(
            Page(
                width=page["width"],
                height=page["height"],
                index=page.get("index", 0),
                words=words,
                image=page.get("image"),
                dpi=page.get("dpi"),
                direction=page.get("direction", "ltr"),
            )
        )
    return InkDocument(
        pages=pages,
        metadata=DocumentMetadata(
            source=meta.get("source"),
            sdk_version=meta.get("sdk_version"),
            plugins=dict(meta.get("plugins", {})),
            dpi=meta.get("dpi"),
            problems=tuple(meta.get("problems", ())),
        ),
    )


def schema() -> dict[str, Any]:
    """The JSON Schema of the ink document."""
    text = resources.files("inksight_sdk.schemas").joinpath("ink-document.schema.json").read_text("utf-8")
    return json.loads(text)


def validate(data: Any) -> None:
    """Raise :class:`InputFileError` naming the first schema violation."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise InputFileError(f"not a valid ink document at {where}: {error.message}")


def dumps(document: InkDocument, indent: int | None = None) -> str:
    return json.dumps(document_to_dict(document), indent=indent, ensure_ascii=False, allow_nan=False)


def loads(text: str | bytes) -> InkDocument:
    """Parse and validate the JSON form; errors are one-line :class:`InputFileError`."""
    if len(text) > MAX_JSON_BYTES:
        raise InputLimitError(f"ink JSON is {len(text):,} bytes, over the limit of {MAX_JSON_BYTES:,}")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InputFileError(f"not valid JSON: {exc}") from exc
    validate(data)
    return document_from_dict(data)  # data-model violations raise InvalidInkError


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in an ink document")


def looks_like_ink_json(head: bytes) -> bool:
    """Recognise the JSON form from its first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and b'"inksight-ink"' in head
