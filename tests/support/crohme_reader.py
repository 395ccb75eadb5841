"""A CROHME-style InkML reader, written to that format's documentation, for compatibility tests.

CROHME (the handwritten-maths competitions) and the InkML readers built for it
and for IAM-OnDB-like data read a file this way: every ``<trace>`` is a
stroke, its text a comma-separated list of points whose first two
whitespace-separated numbers are X and Y (further channels ignored); a trace
is named by ``id`` or ``xml:id``; a ``<traceGroup>`` with a ``truth`` (or
``transcription``) annotation is a symbol or word made of the traces inside
it or referenced by its ``<traceView traceDataRef="...">`` elements. It knows
nothing of contexts, trace formats or inksight-sdk's annotations, which is
the point: a file is portable when such a reader gets the strokes right.
"""

from __future__ import annotations

from xml.etree import ElementTree

NS = "{http://www.w3.org/2003/InkML}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def read(text: str) -> tuple[list[list[tuple[float, float]]], list[tuple[str, list[int]]]]:
    """Strokes in document order, and (label, stroke indices) of each labelled trace group."""
    root = ElementTree.fromstring(text)
    strokes: list[list[tuple[float, float]]] = []
    by_id: dict[str, int] = {}
    for trace in root.iter(f"{NS}trace"):
        points = []
        for point in (trace.text or "").split(","):
            values = point.split()
            if len(values) >= 2:
                points.append((float(values[0]), float(values[1])))
        trace_id = trace.get("id") or trace.get(XML_ID)
        if trace_id is not None:
            by_id[trace_id] = len(strokes)
        strokes.append(points)
    index_of = {id(trace): i for i, trace in enumerate(root.iter(f"{NS}trace"))}
    groups = []
    for group in root.iter(f"{NS}traceGroup"):
        labels = {a.get("type"): (a.text or "") for a in group.findall(f"{NS}annotation")}
        label = labels.get("truth", labels.get("transcription"))
        if label is None:
            continue
        members = [index_of[id(t)] for t in group.findall(f"{NS}trace")]
        members += [by_id[v.get("traceDataRef", "").lstrip("#")] for v in group.findall(f"{NS}traceView")]
        groups.append((label, members))
    return strokes, groups
