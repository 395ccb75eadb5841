"""InkML (W3C) writer and hardened reader.

Writer, ``standard`` flavour (the default): one ``<ink>`` whose trace format
(X Y, then T in seconds, W, F when every stroke has that channel) is declared
in a ``<context>``'s ``<inkSource>`` and referenced by every trace, as the
recommendation says a non-default format must be; coordinates in page
pixels; one ``traceGroup`` per page holding one ``traceGroup`` per word whose
text is an ``annotation``; every trace has an ``xml:id``. Points are
separated by commas and channels by spaces. That form is read with the same
strokes by Wacom's ``universal-ink-library`` (which ignores a trace format
outside a context, and with unnamed traces can mistake one for another), by
CROHME-style readers and by this reader (see ``docs/interchange.md``).

``inksight`` flavour: the form of InkSight's released files: flat traces of
X and Y with points separated by spaces and channels by commas, and the text
in a ``textField`` annotation. It holds one page and no words or time.

The JSON form is the lossless one (InkML keeps 2-4 decimals).

Reader: parsed with ``defusedxml`` (no external entities, no DTD tricks, no
entity expansion bombs). It accepts standard files, this writer's older
files (trace format at the top level) and InkSight's released files, and
never follows a path or URL found inside a document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..errors import BadArgumentsError, InputFileError, InputLimitError
from ..ink import WORD_KINDS, DocumentMetadata, InkDocument, Page, Stroke, WordInk
from .text import page_text

__all__ = ["FLAVOURS", "dumps", "loads", "looks_like_inkml", "parse_trace"]

NS = "http://www.w3.org/2003/InkML"
#: largest InkML input read (bytes)
MAX_INKML_BYTES = 256 * 1024 * 1024

_CHANNELS = (("t", "T", "s", 4), ("width", "W", "px", 2), ("pressure", "F", None, 3))
#: the export flavours (``--export-option flavour=...``)
FLAVOURS = ("standard", "inksight")
_CONTEXT = "ctx0"


def _fmt(values: np.ndarray, decimals: int) -> list[str]:
    out = []
    for value in values.tolist():
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        out.append("0" if text in ("", "-0") else text)
    return out


def _channels_present(document: InkDocument) -> list[tuple[str, str, str | None, int]]:
    strokes = list(document.strokes())
    if not strokes:
        return [c for c in _CHANNELS if c[0] == "t"]
    return [c for c in _CHANNELS if all(getattr(s, c[0]) is not None for s in strokes)]


def _trace_text(stroke: Stroke, channels: Sequence[tuple[str, str, str | None, int]]) -> str:
    columns = [_fmt(stroke.points[:, 0], 2), _fmt(stroke.points[:, 1], 2)]
    columns += [_fmt(np.asarray(getattr(stroke, attr)), dec) for attr, _, _, dec in channels]
    return ", ".join(" ".join(values) for values in zip(*columns))


def dumps(document: InkDocument, flavour: str = "standard") -> str:
    """Serialize to InkML text in one of ``FLAVOURS``."""
    if flavour == "inksight":
        return _dumps_inksight(document)
    if flavour != "standard":
        raise BadArgumentsError(f"unknown InkML flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    channels = _channels_present(document)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<ink xmlns="{NS}">']
    out += ["  <definitions>", f'    <context xml:id="{_CONTEXT}">', '      <inkSource xml:id="inksight-sdk">']
    out.append("        <traceFormat>")
    out.append('          <channel name="X" type="decimal"/>')
    out.append('          <channel name="Y" type="decimal"/>')
    for _, name, units, _ in channels:
        unit = f' units="{units}"' if units else ""
        out.append(f'          <channel name="{name}" type="decimal"{unit}/>')
    out += ["        </traceFormat>", "      </inkSource>", "    </context>", "  </definitions>"]
    meta = document.metadata
    out.append(f'  <annotation type="application">inksight-sdk {escape(meta.sdk_version or "")}</annotation>')
    if meta.source:
        out.append(f'  <annotation type="source">{escape(meta.source)}</annotation>')
    if meta.dpi:
        out.append(f'  <annotation type="dpi">{meta.dpi:g}</annotation>')
    for problem in meta.problems:
        out.append(f'  <annotation type="problem">{escape(problem)}</annotation>')
    for page in document.pages:
        out.append(f'  <traceGroup xml:id="page{page.index + 1}">')
        out.append('    <annotation type="kind">page</annotation>')
        out.append(f'    <annotation type="index">{page.index}</annotation>')
        out.append(f'    <annotation type="width">{page.width}</annotation>')
        out.append(f'    <annotation type="height">{page.height}</annotation>')
        out.append(f'    <annotation type="direction">{page.direction}</annotation>')
        if page.dpi:
            out.append(f'    <annotation type="dpi">{page.dpi:g}</annotation>')
        for w, word in enumerate(page.words):
            word_id = f"p{page.index + 1}w{w + 1}"
            out.append(f'    <traceGroup xml:id="{word_id}">')
            out.append('      <annotation type="kind">word</annotation>')
            if word.text is not None:
                out.append(f'      <annotation type="transcription">{escape(word.text)}</annotation>')
            if word.confidence is not None:
                out.append(f'      <annotation type="confidence">{word.confidence!r}</annotation>')
            out.append(f'      <annotation type="block">{word.block}</annotation>')
            out.append(f'      <annotation type="line">{word.line}</annotation>')
            quad = ", ".join(f"{x:.2f} {y:.2f}" for x, y in word.quad.tolist())
            out.append(f'      <annotation type="quad">{quad}</annotation>')
            for key in ("detector", "derenderer"):
                value = getattr(word, key)
                if value:
                    out.append(f"      <annotation type={quoteattr(key)}>{escape(value)}</annotation>")
            if word.kind != "handwritten":  # ("kind" already says what the group is: a word)
                out.append(f'      <annotation type="wordKind">{word.kind}</annotation>')
            for s, stroke in enumerate(word.strokes):
                trace_id = f"{word_id}s{s + 1}"
                out.append(
                    f'      <trace xml:id="{trace_id}" contextRef="#{_CONTEXT}">{_trace_text(stroke, channels)}</trace>'
                )
            out.append("    </traceGroup>")
        out.append("  </traceGroup>")
    out.append("</ink>")
    return "\n".join(out) + "\n"


def _dumps_inksight(document: InkDocument) -> str:
    """InkSight's released form: flat X,Y traces (points by spaces, channels by commas), text in ``textField``."""
    if len(document.pages) > 1:
        raise BadArgumentsError(
            f"the inksight InkML flavour holds one page, this document has {len(document.pages)}; "
            "convert the pages to separate files (one input each) or use the standard flavour"
        )
    words = document.pages[0].words if document.pages else ()
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<ink xmlns="{NS}">']
    out.append(
        f'  <annotation type="application">inksight-sdk {escape(document.metadata.sdk_version or "")}</annotation>'
    )
    text = page_text(words)
    if text:
        out.append(f'  <annotation type="textField">{escape(text)}</annotation>')
    for word in words:
        for stroke in word.strokes:
            xs, ys = _fmt(stroke.points[:, 0], 2), _fmt(stroke.points[:, 1], 2)
            out.append(f"  <trace>{' '.join(f'{x},{y}' for x, y in zip(xs, ys))}</trace>")
    out.append("</ink>")
    return "\n".join(out) + "\n"


# -- reading -----------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_trace(text: str, n_channels: int) -> np.ndarray:
    """Parse a ``<trace>`` body into an ``(n, n_channels)`` array.

    Standard InkML separates points with commas and channels with spaces;
    InkSight's released files do the opposite. The form whose every point has
    the declared channel count (or at least X and Y) wins.
    """
    text = text.strip()
    if not text:
        return np.zeros((0, n_channels))
    for point_sep, channel_sep in ((",", None), (None, ",")):
        points = [p.split(channel_sep) if channel_sep else p.split() for p in text.split(point_sep)]
        points = [[c.strip() for c in p if c.strip()] for p in points]
        points = [p for p in points if p]
        counts = {len(p) for p in points}
        if len(counts) == 1 and counts.pop() >= 2:
            if not all(_NUMBER.match(c) for p in points for c in p):
                raise InputFileError(
                    "trace uses InkML difference encoding or non-numeric values, which this reader does not support"
                )
            arr = np.array(points, dtype=np.float64)
            if arr.shape[1] < n_channels:
                raise InputFileError(f"trace has {arr.shape[1]} channels, traceFormat declares {n_channels}")
            return arr[:, :n_channels] if n_channels else arr
    raise InputFileError("a trace could not be parsed as points of X Y values")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _annotations(element: Element) -> dict[str, str]:
    return {
        (child.get("type") or ""): (child.text or "").strip() for child in element if _local(child.tag) == "annotation"
    }


def _declared_channels(root: Element) -> list[str]:
    for element in root.iter():
        if _local(element.tag) == "traceFormat":
            names = [c.get("name", "") for c in element if _local(c.tag) == "channel"]
            if names:
                return names
    return ["X", "Y"]


def _stroke(trace: Element, channels: list[str]) -> Stroke | None:
    data = parse_trace(trace.text or "", len(channels))
    if len(data) == 0:
        return None
    index = {name: i for i, name in enumerate(channels)}
    if "X" not in index or "Y" not in index:
        raise InputFileError("traceFormat has no X and Y channels")
    t = data[:, index["T"]] if "T" in index else None
    if t is not None and np.any(np.diff(t) < 0):
        t = None  # some recorders reset clocks; keep the geometry, drop the broken time
    return Stroke(
        points=data[:, [index["X"], index["Y"]]],
        t=t,
        width=data[:, index["W"]] if "W" in index else None,
        pressure=data[:, index["F"]] if "F" in index else None,
    )


def _bbox_quad(strokes: Sequence[Stroke]) -> np.ndarray:
    pts = np.concatenate([s.points for s in strokes]) if strokes else np.zeros((1, 2))
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _word(group: Element, channels: list[str], texts: Iterable[str | None]) -> WordInk:
    notes = _annotations(group)
    strokes = [s for t in group.iter() if _local(t.tag) == "trace" for s in [_stroke(t, channels)] if s]
    text = next(
        (t for t in (notes.get("transcription"), notes.get("textField"), notes.get("truth"), *texts) if t), None
    )
    quad = _bbox_quad(strokes)
    if "quad" in notes:
        try:
            quad = parse_trace(notes["quad"], 2)
        except InputFileError:
            pass
    return WordInk(
        quad=quad if np.shape(quad) == (4, 2) else _bbox_quad(strokes),
        strokes=strokes,
        text=text,
        confidence=float(notes["confidence"]) if _is_number(notes.get("confidence")) else None,
        block=int(notes["block"]) if notes.get("block", "").isdigit() else 0,
        line=int(notes["line"]) if notes.get("line", "").isdigit() else 0,
        detector=notes.get("detector"),
        derenderer=notes.get("derenderer"),
        kind=notes["wordKind"] if notes.get("wordKind") in WORD_KINDS else "handwritten",
    )


def _is_number(value: str | None) -> bool:
    return bool(value) and bool(_NUMBER.match(value or ""))


def _page_from_words(words: list[WordInk], notes: dict[str, str], index: int) -> Page:
    def number(key: str) -> float | None:
        return float(notes[key]) if _is_number(notes.get(key)) else None

    width, height = number("width"), number("height")
    if width is None or height is None:
        pts = [p for w in words for p in (w.quad, *[s.points for s in w.strokes])]
        extent = np.concatenate(pts).max(axis=0) if pts else np.array([1.0, 1.0])
        width = width or float(np.ceil(extent[0]) + 2)
        height = height or float(np.ceil(extent[1]) + 2)
    direction = notes.get("direction", "ltr")
    return Page(
        width=max(1, int(width)),
        height=max(1, int(height)),
        index=int(number("index") or index),
        words=words,
        dpi=number("dpi"),
        direction=direction if direction in ("ltr", "rtl", "ttb") else "ltr",
    )


def loads(data: bytes | str, source: str | None = None) -> InkDocument:
    """Parse InkML safely into an ink document."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    if len(data) > MAX_INKML_BYTES:
        raise InputLimitError(f"InkML input is {len(data):,} bytes, over the limit of {MAX_INKML_BYTES:,}")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InputFileError(f"InkML refused: it uses a forbidden XML feature ({type(exc).__name__})") from exc
    except Exception as exc:  # ParseError and friends
        raise InputFileError(f"not well-formed XML: {exc}") from exc
    if _local(root.tag) != "ink":
        raise InputFileError(f"not InkML: the root element is <{_local(root.tag)}>, expected <ink>")
    channels = _declared_channels(root)
    notes = _annotations(root)
    try:
        pages = _read_pages(root, channels, notes)
    except ValueError as exc:
        raise InputFileError(f"invalid InkML: {exc}") from exc
    problems = tuple(
        (child.text or "").strip()
        for child in root
        if _local(child.tag) == "annotation" and child.get("type") == "problem"
    )
    dpi = float(notes["dpi"]) if _is_number(notes.get("dpi")) else None
    return InkDocument(
        pages=pages,
        metadata=DocumentMetadata(source=source, sdk_version=None, dpi=dpi, problems=problems),
    )


def _read_pages(root: Element, channels: list[str], notes: dict[str, str]) -> list[Page]:
    groups = [c for c in root if _local(c.tag) == "traceGroup"]
    page_groups = [g for g in groups if _annotations(g).get("kind") == "page"]
    if page_groups:
        pages = []
        for i, group in enumerate(page_groups):
            words = [_word(g, channels, ()) for g in group if _local(g.tag) == "traceGroup"]
            pages.append(_page_from_words(words, _annotations(group), i))
        return pages
    # Foreign files: each top-level traceGroup is a word; loose traces form one word.
    words = [_word(g, channels, ()) for g in groups]
    loose = [c for c in root if _local(c.tag) == "trace"]
    if loose:
        holder = Element("traceGroup")
        holder.extend(loose)
        words.append(_word(holder, channels, (notes.get("textField"), notes.get("truth"))))
    words = [w for w in words if w.strokes or w.text]
    return [_page_from_words(words, notes, 0)]


def looks_like_inkml(head: bytes) -> bool:
    """Recognise InkML from its first bytes (an ``<ink`` root)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return False
    return re.search(rb"<(\w+:)?ink[\s>]", head) is not None
