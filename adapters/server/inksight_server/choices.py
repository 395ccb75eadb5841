"""A request's choices (the CLI's convert options as form fields), checked before any work is queued.

Only what is cheap is checked here, in the server process: names, modes and
option keys against the plugins' typed option classes, the ``dpi`` value.
The messages are the CLI's own (they come from the same registry calls), and
the HTTP status says whose fault it is: 400 for a malformed field (not JSON,
not a number), 422 for a well-formed choice a stage refuses.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from inksight_sdk.errors import BadArgumentsError, InkSightError, MissingPluginError
from inksight_sdk.inputs import check_source_options, open_pages, read_head
from inksight_sdk.limits import Limits
from inksight_sdk.registry import PluginRegistry
from inksight_sdk.stages import Mode

from .errors import ApiError, from_sdk
from .uploads import Upload

__all__ = ["Choices", "parse_choices", "parse_options", "refuse_unreadable", "CONVERT_FIELDS", "JOB_FIELDS"]

OPTION_FIELDS = ("detector_options", "derenderer_options", "export_options")
CONVERT_FIELDS = frozenset({"format", "detector", "derenderer", "mode", "dpi", "trace_printed", *OPTION_FIELDS})
JOB_FIELDS = CONVERT_FIELDS - {"format"}
#: the CLI's --dpi range
DPI_RANGE = (1.0, 2400.0)


@attrs.frozen
class Choices:
    """``pipeline``: what a worker builds its pipeline from; ``format``/``export_options``: the output."""

    pipeline: dict[str, Any]
    format: str | None
    export_options: dict[str, Any]


def parse_options(field: str, text: str | None) -> dict[str, Any]:
    """A JSON object of options; keys may use ``-`` like the CLI's ``KEY=VALUE`` flags."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, f'{field} must be a JSON object, e.g. {{"workers": 0}}; got {text[:80]!r}')
    return {str(key).replace("-", "_"): item for key, item in value.items()}


def _checked(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except InkSightError as exc:
        raise from_sdk(exc) from None


def parse_choices(
    fields: dict[str, str], registry: PluginRegistry, defaults: dict[str, str], *, with_format: bool
) -> Choices:
    """Check a form's choices against the installed plugins (422 for a refused one, 400 for a malformed one)."""
    options = {field: parse_options(field, fields.get(field)) for field in OPTION_FIELDS}
    pipeline: dict[str, Any] = {}
    for kind in ("detector", "derenderer"):
        name = (fields.get(kind) or defaults[kind]).strip()
        stage = _checked(registry.select, kind, name)
        _checked(stage.spec.make_options, options[f"{kind}_options"])
        pipeline[kind] = name
        pipeline[f"{kind}_options"] = options[f"{kind}_options"]
    mode = (fields.get("mode") or Mode.VANILLA.value).strip()
    if mode not in {m.value for m in Mode}:
        raise from_sdk(BadArgumentsError(f"unknown mode {mode!r}; use one of {', '.join(m.value for m in Mode)}"))
    pipeline["mode"] = mode
    dpi = fields.get("dpi")
    if dpi is not None and dpi.strip():
        try:
            value = float(dpi)
        except ValueError:
            raise ApiError(400, f"dpi must be a number, got {dpi[:40]!r}") from None
        if not DPI_RANGE[0] <= value <= DPI_RANGE[1]:
            raise ApiError(422, f"dpi must be between {DPI_RANGE[0]:g} and {DPI_RANGE[1]:g}, got {value:g}")
        _checked(check_source_options, {"dpi": value}, registry)
        pipeline["dpi"] = value
    printed = (fields.get("trace_printed") or "false").strip().lower()
    if printed not in ("true", "false", "1", "0"):
        raise ApiError(400, f"trace_printed must be true or false, got {printed[:40]!r}")
    if printed in ("true", "1"):
        pipeline["trace_printed"] = True
    fmt = None
    if with_format:
        stage = _checked(registry.select, "exporter", (fields.get("format") or "json").strip())
        _checked(stage.spec.make_options, options["export_options"])
        fmt = stage.name
    return Choices(pipeline=pipeline, format=fmt, export_options=options["export_options"])


def refuse_unreadable(upload: Upload, registry: PluginRegistry, limits: Limits) -> None:
    """415 for a file no installed reader takes (judged by its bytes), 400 for an empty one.

    Only the file's first bytes are read here; the message is the SDK's own,
    with the upload's name in place of the server's path.
    """
    head = b""
    sources = []
    try:
        head = read_head(upload.path)
        sources = registry.sniff(head) if head else []
        if sources and sources[0].available():
            return
        next(iter(open_pages(upload.path, registry, limits)))
    except InkSightError as exc:
        unsupported = bool(head) and (not sources or isinstance(exc, MissingPluginError))
        error = from_sdk(exc, status=415 if unsupported else None)
        raise ApiError(
            error.status, error.message.replace(upload.path, upload.name), exit_code=error.exit_code
        ) from None
    raise ApiError(415, f"{upload.name} is not a supported input; run 'inksight plugins' to see every reader")
