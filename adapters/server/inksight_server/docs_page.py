"""``/docs``: the OpenAPI description as one self-contained HTML page.

FastAPI's own ``/docs`` loads Swagger UI from a CDN; this server must work
offline and load nothing from another site, so the page is rendered here
from ``app.openapi()``: each operation with its summary, description,
parameters, form fields and answers. The machine-readable form stays at
``/openapi.json``.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["render_docs"]

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{margin-top:2rem;font-family:ui-monospace,monospace;font-size:1.05rem}
.m{display:inline-block;min-width:4.5rem;font-weight:bold}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;
vertical-align:top}code{font-family:ui-monospace,monospace}p.d{white-space:pre-wrap}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _schema_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _rows(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [f"<h2><span class=m>{_e(method.upper())}</span> {_e(path)}</h2>"]
    if op.get("summary"):
        parts.append(f"<p><b>{_e(op['summary'])}</b></p>")
    if op.get("description"):
        parts.append(f"<p class=d>{_e(op['description'])}</p>")
    params = [
        (
            f"<code>{_e(p['name'])}</code>",
            _e(p.get("in", "")),
            _e(_schema_type(p.get("schema", {}))),
            _e(p.get("description", "")),
        )
        for p in op.get("parameters", [])
    ]
    parts.append(_rows(("parameter", "in", "type", "meaning"), params))
    for media, body in op.get("requestBody", {}).get("content", {}).items():
        schema = body.get("schema", {})
        required = set(schema.get("required", ()))
        fields = [
            (
                f"<code>{_e(name)}</code>" + (" (required)" if name in required else ""),
                _e(_schema_type(prop)),
                _e(prop.get("description", "")),
            )
            for name, prop in schema.get("properties", {}).items()
        ]
        parts.append(f"<p>Body: <code>{_e(media)}</code></p>" + _rows(("field", "type", "meaning"), fields))
    answers = [(_e(code), _e(answer.get("description", ""))) for code, answer in op.get("responses", {}).items()]
    parts.append(_rows(("status", "answer"), answers))
    return "\n".join(parts)


def render_docs(spec: dict[str, Any]) -> str:
    """The whole page for an OpenAPI document."""
    info = spec.get("info", {})
    sections = [
        _operation(method, path, op)
        for path, operations in spec.get("paths", {}).items()
        for method, op in operations.items()
    ]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{_e(info.get('title', 'API'))} API</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(info.get('title', 'API'))} {_e(info.get('version', ''))}</h1>"
        f"<p class=d>{_e(info.get('description', ''))}</p>"
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3).</p>"
        + "\n".join(sections)
        + "</body></html>"
    )
