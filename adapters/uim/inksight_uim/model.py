"""Ink documents to and from Wacom's Universal Ink Model, through ``universal-ink-library``.

Writing (:func:`to_model`): every stroke becomes UIM sensor data (X and Y,
the timestamp and the pressure where the stroke has them) and a stroke whose
Catmull-Rom spline runs through the same points with the pen width as its
size. The main ink tree holds one group per page, in writing order; the
handwriting-recognition view (``hwr``) holds the words as
``TextRegion`` (a block) / ``TextLine`` / ``Word`` groups, each word with its
text as ``hasContent``, the way Wacom's own recognizer stores it, so Wacom's
tools show our ink with its transcription. What UIM has no place for (page
size and DPI, word quads, confidence, which stages made the ink) goes into
the knowledge graph under ``inksight:`` predicates, so our reader gets it
back.

Page pixels are taken as device-independent pixels (UIM's DIP, 1/96 inch):
the library stores sensor X and Y in metres and splines in DIP.

Reading (:func:`from_model`): the strokes of the main ink tree in order,
their points from the sensor data where it has X and Y (else from the
spline, whose first and last control points only steer the curve), time in
seconds from the first sample of the document, pressure and width where
present; pages from our page groups (one page for files made elsewhere);
words from the ``hwr`` view, or one word per page holding every stroke.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import attrs
import numpy as np
from uim.codec.parser.base import SupportedFormats
from uim.model.base import UUIDIdentifier
from uim.model.ink import InkModel, InkTree, ViewTree
from uim.model.inkdata.brush import BrushPolygonUri, VectorBrush
from uim.model.inkdata.strokes import LayoutMask, Spline, Style
from uim.model.inkdata.strokes import Stroke as UimStroke
from uim.model.inkinput.inputdata import (
    Environment,
    InkInputProvider,
    InkInputType,
    InkSensorMetricType,
    InkSensorType,
    InputContext,
    InputDevice,
    SensorChannel,
    SensorChannelsContext,
    SensorContext,
    Unit,
    unit2unit,
)
from uim.model.inkinput.sensordata import InkState, SensorData
from uim.model.semantics import schema
from uim.model.semantics.node import InkNode, StrokeGroupNode, StrokeNode

from inksight_sdk import DocumentMetadata, InkDocument, Page, Stroke, WordInk, __version__

__all__ = ["to_model", "from_model", "HWR_VIEW"]

HWR_VIEW = schema.CommonViews.HWR_VIEW.value
_SEG = schema.SegmentationSchema
_BRUSH = "app://inksight-sdk/vector-brush/RoundPen"
_PAGE, _WIDTH, _HEIGHT, _DPI, _DIRECTION = (f"inksight:{k}" for k in ("page", "width", "height", "dpi", "direction"))
_CONFIDENCE, _QUAD, _DETECTOR, _DERENDERER = (f"inksight:{k}" for k in ("confidence", "quad", "detector", "derenderer"))


def _new_id() -> uuid.UUID:
    return UUIDIdentifier.id_generator()


# -- writing -------------------------------------------------------------------------------------------


class _Writer:
    """Builds one ink model; holds the input configuration every stroke's sensor data refers to."""

    def __init__(self, document: InkDocument) -> None:
        self.model = InkModel(version=SupportedFormats.UIM_VERSION_3_1_0.value)
        self.model.properties.append(("inksight.sdk.version", document.metadata.sdk_version or __version__))
        if document.metadata.source:
            self.model.properties.append(("inksight.source", document.metadata.source))
        environment = Environment()
        environment.properties.append(("app.id", "inksight-sdk"))
        self.model.input_configuration.environments.append(environment)
        provider = InkInputProvider(input_type=InkInputType.PEN)
        self.model.input_configuration.ink_input_providers.append(provider)
        device = InputDevice()
        device.properties.append(("dev.model", "derendered from an image"))
        self.model.input_configuration.devices.append(device)
        ids = {"ink_input_provider_id": provider.id, "input_device_id": device.id}
        # the library stores values as integers of value x resolution x 10^precision: metres to the micrometre
        # (0.004 px), time to the millisecond (timestamps are kept in ms whatever the channel says)
        length = {"metric": InkSensorMetricType.LENGTH, "resolution": 1.0, "precision": 6, **ids}
        self.x = SensorChannel(channel_type=InkSensorType.X, **length)
        self.y = SensorChannel(channel_type=InkSensorType.Y, **length)
        self.t = SensorChannel(
            channel_type=InkSensorType.TIMESTAMP, metric=InkSensorMetricType.TIME, resolution=1000.0, precision=0, **ids
        )
        self.pressure = SensorChannel(
            channel_type=InkSensorType.PRESSURE,
            metric=InkSensorMetricType.NORMALIZED,
            resolution=1.0,
            channel_min=0.0,
            channel_max=1.0,
            precision=4,
            **ids,
        )
        channels = [self.x, self.y, self.t, self.pressure]
        sensor_context = SensorContext()
        sensor_context.add_sensor_channels_context(SensorChannelsContext(channels=channels, **ids))
        self.model.input_configuration.sensor_contexts.append(sensor_context)
        self.context = InputContext(environment_id=environment.id, sensor_context_id=sensor_context.id)
        self.model.input_configuration.input_contexts.append(self.context)
        self.model.brushes.add_vector_brush(
            VectorBrush(_BRUSH, [BrushPolygonUri("will://brush/3.0/shape/Circle?precision=20&radius=0.5", 0.0)])
        )
        self.style = Style(brush_uri=_BRUSH)
        self.style.path_point_properties.red = 0.1
        self.style.path_point_properties.green = 0.1
        self.style.path_point_properties.blue = 0.35
        self.style.path_point_properties.alpha = 1.0

    def stroke(self, stroke: Stroke) -> UimStroke:
        points = np.asarray(stroke.points, np.float64)
        data = SensorData(_new_id(), input_context_id=self.context.id, state=InkState.PLANE)
        data.add_data(self.x, [unit2unit(Unit.DIP, Unit.M, float(v)) for v in points[:, 0]])
        data.add_data(self.y, [unit2unit(Unit.DIP, Unit.M, float(v)) for v in points[:, 1]])
        if stroke.t is not None:
            data.add_timestamp_data(self.t, [float(v) for v in stroke.t])
        if stroke.pressure is not None:
            data.add_data(self.pressure, [float(v) for v in stroke.pressure])
        self.model.sensor_data.add(data)
        width = np.ones(len(points)) if stroke.width is None else np.asarray(stroke.width, np.float64)
        # Catmull-Rom: the curve runs through the inner control points; the doubled ends make it reach both
        control = np.column_stack([points, width])
        control = np.vstack([control[:1], control, control[-1:]])
        spline = Spline(LayoutMask.X.value | LayoutMask.Y.value | LayoutMask.SIZE.value, control.ravel().tolist())
        return UimStroke(sid=_new_id(), spline=spline, style=self.style, sensor_data_id=data.id)

    def triple(self, node: InkNode, predicate: str, value: object) -> None:
        self.model.add_semantic_triple(subject=node.uri, predicate=predicate, obj=str(value))


def to_model(document: InkDocument) -> InkModel:
    """The document as a Universal Ink Model (see the module docstring for the mapping)."""
    writer = _Writer(document)
    model = writer.model
    model.ink_tree = InkTree()
    model.ink_tree.root = StrokeGroupNode(_new_id())
    hwr = ViewTree(HWR_VIEW)
    model.add_view(hwr)  # before it gets nodes: the library attaches nodes to a view it knows
    hwr.root = StrokeGroupNode(_new_id())
    writer.triple(hwr.root, schema.IS, _SEG.ROOT)
    writer.triple(hwr.root, _SEG.HAS_REPRESENTS_VIEW, HWR_VIEW)
    for page in document.pages:
        group = StrokeGroupNode(_new_id())
        model.ink_tree.root.add(group)
        for predicate, value in ((_PAGE, page.index), (_WIDTH, page.width), (_HEIGHT, page.height)):
            writer.triple(group, predicate, value)
        writer.triple(group, _DIRECTION, page.direction)
        if page.dpi:
            writer.triple(group, _DPI, repr(float(page.dpi)))
        regions: dict[int, StrokeGroupNode] = {}
        lines: dict[tuple[int, int], StrokeGroupNode] = {}
        for word in page.words:
            strokes = [writer.stroke(s) for s in word.strokes]
            for stroke in strokes:
                group.add(StrokeNode(stroke))
            if word.block not in regions:
                regions[word.block] = StrokeGroupNode(_new_id())
                hwr.root.add(regions[word.block])
                writer.triple(regions[word.block], schema.IS, _SEG.TEXT_REGION)
            key = (word.block, word.line)
            if key not in lines:
                lines[key] = StrokeGroupNode(_new_id())
                regions[word.block].add(lines[key])
                writer.triple(lines[key], schema.IS, _SEG.TEXT_LINE)
            node = StrokeGroupNode(_new_id())
            lines[key].add(node)
            for stroke in strokes:
                node.add(StrokeNode(stroke))
            writer.triple(node, schema.IS, _SEG.WORD)
            if word.text is not None:
                writer.triple(node, _SEG.HAS_CONTENT, word.text)
            if word.confidence is not None:
                writer.triple(node, _CONFIDENCE, repr(float(word.confidence)))
            writer.triple(node, _QUAD, " ".join(repr(float(v)) for v in np.asarray(word.quad).ravel()))
            for predicate, value in ((_DETECTOR, word.detector), (_DERENDERER, word.derenderer)):
                if value:
                    writer.triple(node, predicate, value)
    return model


# -- reading -------------------------------------------------------------------------------------------


def _channels(model: InkModel, data: SensorData) -> dict[InkSensorType, SensorChannel]:
    context = model.input_configuration.get_input_context(data.input_context_id)
    sensor_context = model.input_configuration.get_sensor_context(context.sensor_context_id)
    return {c.type: c for scc in sensor_context.sensor_channels_contexts for c in scc.channels}


def _values(data: SensorData, channel: SensorChannel | None) -> np.ndarray | None:
    if channel is None:
        return None
    values = data.get_data_by_id(channel.id).values
    return np.asarray(values, np.float64) if len(values) else None


def _stroke_arrays(model: InkModel, stroke: UimStroke) -> dict[str, np.ndarray | None]:
    """Points (DIP), raw time (seconds as stored), pressure and width of one UIM stroke."""
    spline = np.column_stack([stroke.splines_x, stroke.splines_y]).astype(np.float64)
    inner = spline[1:-1] if len(spline) > 2 else spline
    sizes = np.asarray(stroke.sizes, np.float64)
    width = sizes[1:-1] if len(sizes) == len(spline) > 2 else None
    out: dict[str, np.ndarray | None] = {"points": inner, "t": None, "pressure": None, "width": width}
    if stroke.sensor_data_id is None:
        return out
    data = model.sensor_data.sensor_data_by_id(stroke.sensor_data_id)
    channels = _channels(model, data)
    xs, ys = _values(data, channels.get(InkSensorType.X)), _values(data, channels.get(InkSensorType.Y))
    if xs is None or ys is None or len(xs) != len(ys):
        return out
    points = np.column_stack([xs, ys]) * unit2unit(Unit.M, Unit.DIP, 1.0)
    t = _values(data, channels.get(InkSensorType.TIMESTAMP))
    pressure = _values(data, channels.get(InkSensorType.PRESSURE))
    return {
        "points": points,
        "t": t if t is not None and len(t) == len(points) else None,
        "pressure": pressure if pressure is not None and len(pressure) == len(points) else None,
        "width": width if width is not None and len(width) == len(points) else None,
    }


def _objects(model: InkModel, node: InkNode) -> dict[str, str]:
    return {s.predicate: s.object for s in model.knowledge_graph.all_statements_for(node.uri)}


def _stroke_ids(node: InkNode) -> list[uuid.UUID]:
    out = []
    for child in node.children:
        if isinstance(child, StrokeNode):
            out.append(child.stroke.id)
        else:
            out.extend(_stroke_ids(child))
    return out


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _bbox_quad(strokes: Sequence[Stroke]) -> np.ndarray:
    points = np.concatenate([s.points for s in strokes]) if strokes else np.zeros((1, 2))
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _hwr_words(model: InkModel) -> list[tuple[InkNode, int, int]]:
    """(word node, block, line) of every word of the ``hwr`` view, in the view's order."""
    if not model.has_tree(HWR_VIEW):
        return []
    kinds = {s.subject: s.object for s in model.knowledge_graph.statements if s.predicate == schema.IS}
    words: list[tuple[InkNode, int, int]] = []
    block = line = -1

    def visit(node: InkNode) -> None:
        nonlocal block, line
        kind = kinds.get(node.uri)
        if kind == _SEG.TEXT_REGION:
            block, line = block + 1, -1
        elif kind == _SEG.TEXT_LINE:
            line += 1
        if kind in (_SEG.WORD, _SEG.WORD_OF_STROKES):
            words.append((node, max(block, 0), max(line, 0)))
            return
        for child in getattr(node, "children", ()):
            if not isinstance(child, StrokeNode):
                visit(child)

    visit(model.view_root(HWR_VIEW))
    return words


def from_model(model: InkModel, source: str | None = None) -> InkDocument:
    """An ink document from a Universal Ink Model (see the module docstring)."""
    root = model.ink_tree.root if model.ink_tree is not None else None
    if root is None:
        return InkDocument(pages=[Page(width=1, height=1, words=[])], metadata=DocumentMetadata(source=source))
    arrays = {s.id: _stroke_arrays(model, s) for s in model.strokes}
    times = [a["t"] for a in arrays.values() if a["t"] is not None]
    start = min(float(t.min()) for t in times) if times else 0.0
    strokes = {
        sid: Stroke(
            points=a["points"],
            t=None if a["t"] is None else a["t"] - start,
            width=a["width"],
            pressure=a["pressure"],
        )
        for sid, a in arrays.items()
        if len(a["points"])
    }
    page_groups = [g for g in root.children if not isinstance(g, StrokeNode) and _PAGE in _objects(model, g)]
    page_strokes = [[sid for sid in _stroke_ids(g) if sid in strokes] for g in page_groups] or [
        [sid for sid in _stroke_ids(root) if sid in strokes]
    ]
    page_notes = [_objects(model, g) for g in page_groups] or [{}]
    words_by_page: list[list[WordInk]] = [[] for _ in page_strokes]
    page_of = {sid: p for p, ids in enumerate(page_strokes) for sid in ids}
    for node, block, line in _hwr_words(model):
        ids = [sid for sid in _stroke_ids(node) if sid in strokes]
        if not ids:
            continue
        notes = _objects(model, node)
        members = [strokes[sid] for sid in ids]
        quad = np.array([_number(v) for v in notes.get(_QUAD, "").split()], dtype=object)
        quad = (
            quad.astype(np.float64).reshape(4, 2)
            if len(quad) == 8 and all(v is not None for v in quad)
            else _bbox_quad(members)
        )
        words_by_page[page_of.get(ids[0], 0)].append(
            WordInk(
                quad=quad,
                strokes=members,
                text=notes.get(_SEG.HAS_CONTENT),
                confidence=_number(notes.get(_CONFIDENCE)),
                block=block,
                line=line,
                detector=notes.get(_DETECTOR),
                derenderer=notes.get(_DERENDERER),
            )
        )
    words_by_page = [_blocks_from_zero(words) for words in words_by_page]
    claimed = {id(s) for words in words_by_page for w in words for s in w.strokes}
    pages = []
    for index, (ids, notes, words) in enumerate(zip(page_strokes, page_notes, words_by_page)):
        loose = [strokes[sid] for sid in ids if id(strokes[sid]) not in claimed]
        if loose:  # strokes no word holds (files made elsewhere): one word of them, as for foreign InkML
            words.append(WordInk(quad=_bbox_quad(loose), strokes=loose, block=len(words) and words[-1].block + 1))
        pages.append(_page(words, notes, index))
    return InkDocument(pages=pages, metadata=DocumentMetadata(source=source))


def _blocks_from_zero(words: list[WordInk]) -> list[WordInk]:
    """Number a page's blocks 0, 1, ... in reading order (the view numbers them across the document)."""
    numbers: dict[int, int] = {}
    for word in words:
        numbers.setdefault(word.block, len(numbers))
    return [attrs.evolve(w, block=numbers[w.block]) for w in words]


def _page(words: list[WordInk], notes: dict[str, str], index: int) -> Page:
    width, height = _number(notes.get(_WIDTH)), _number(notes.get(_HEIGHT))
    if width is None or height is None:
        extent = np.concatenate([w.quad for w in words]).max(axis=0) if words else np.ones(2)
        width, height = width or float(np.ceil(extent[0]) + 2), height or float(np.ceil(extent[1]) + 2)
    direction = notes.get(_DIRECTION, "ltr")
    page_index = _number(notes.get(_PAGE))
    return Page(
        width=max(1, int(width)),
        height=max(1, int(height)),
        index=int(page_index) if page_index is not None else index,
        words=words,
        dpi=_number(notes.get(_DPI)),
        direction=direction if direction in ("ltr", "rtl", "ttb") else "ltr",
    )
