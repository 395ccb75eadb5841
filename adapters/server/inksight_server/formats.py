"""Output formats as HTTP knows them: each exporter's media type, file extension and download name.

Exporters declare file extensions, not media types; the types of the formats
this project ships are listed here, anything else is guessed from its
extension (``mimetypes``) or sent as ``application/octet-stream``.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from inksight_sdk.errors import InkSightError
from inksight_sdk.registry import PluginRegistry, RegisteredStage

__all__ = ["media_type", "extension", "download_name", "usable_formats", "plugins_listing"]

MEDIA_TYPES = {
    ".json": "application/json",
    ".inkml": "application/inkml+xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".xopp": "application/x-xopp",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".apng": "image/apng",
    ".png": "image/png",
    ".pdf": "application/pdf",
}


def extension(stage: RegisteredStage) -> str:
    """The exporter's first extension (``.json`` for ``json``), or ``.NAME`` when it declares none."""
    return stage.spec.extensions[0] if stage.spec.extensions else f".{stage.name}"


def media_type(stage: RegisteredStage) -> str:
    ext = extension(stage).lower()
    return MEDIA_TYPES.get(ext) or mimetypes.guess_type(f"x{ext}")[0] or "application/octet-stream"


def download_name(upload_name: str, stage: RegisteredStage) -> str:
    """``photo.jpg`` exported as InkML downloads as ``photo.inkml``."""
    stem = upload_name.rsplit(".", 1)[0] if "." in upload_name else upload_name
    return f"{stem}{extension(stage)}"


def usable_formats(registry: PluginRegistry, export_options: dict[str, Any]) -> list[str]:
    """The available exporters that take ``export_options`` (all of them when there are none)."""
    names = []
    for stage in registry.stages("exporter"):
        if not stage.available() or stage.conflicts_with:
            continue
        try:
            stage.spec.make_options(export_options)
        except InkSightError:
            continue
        names.append(stage.name)
    return names


def plugins_listing(registry: PluginRegistry) -> list[dict[str, Any]]:
    """``inksight plugins --json``'s rows; exporters also with their ``media_type``."""
    from inksight_sdk.cli import plugin_rows

    rows = plugin_rows(registry)
    stages = {stage.name: stage for stage in registry.stages("exporter")}
    for row in rows:
        if row["kind"] == "exporter":
            stage = stages.get(row["name"])
            row["media_type"] = media_type(stage) if stage is not None else None
    return rows
