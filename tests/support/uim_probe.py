"""Wacom's universal-ink-library as an outside tool, for the compatibility tests.

Run with the Python of the UIM environment (``.venv-uim``; see
``tests/conftest.py::uim_env``); prints JSON on stdout. It uses only the
library, never ``inksight_uim``, so it reads and writes files the way Wacom's
own tools and other applications built on the library do.

    python uim_probe.py inkml FILE        strokes of an InkML file as the library's InkMLParser reads it
    python uim_probe.py uim FILE          strokes and words (Wacom's text extractor) of a .uim file
    python uim_probe.py make-uim IN OUT   a .uim of the strokes in IN (JSON list of [[x, y], ...]),
                                          built with the library alone, as a pen app would save it
"""

from __future__ import annotations

import json
import logging
import sys

logging.disable(logging.CRITICAL)  # the library logs at INFO on import and warns about every unknown annotation

from uim.codec.parser.base import SupportedFormats  # noqa: E402
from uim.codec.parser.inkml import InkMLParser  # noqa: E402
from uim.codec.parser.uim import UIMParser  # noqa: E402
from uim.codec.writer.encoder.encoder_3_1_0 import UIMEncoder310  # noqa: E402
from uim.model.base import UUIDIdentifier  # noqa: E402
from uim.model.helpers.text_extractor import uim_extract_text_and_semantics_from  # noqa: E402
from uim.model.helpers.treeiterator import PreOrderEnumerator  # noqa: E402
from uim.model.ink import InkModel, InkTree  # noqa: E402
from uim.model.inkdata.brush import BrushPolygonUri, VectorBrush  # noqa: E402
from uim.model.inkdata.strokes import LayoutMask, Spline, Stroke, Style  # noqa: E402
from uim.model.inkinput.inputdata import (  # noqa: E402
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
from uim.model.inkinput.sensordata import InkState, SensorData  # noqa: E402
from uim.model.semantics import schema  # noqa: E402
from uim.model.semantics.node import StrokeGroupNode, StrokeNode  # noqa: E402


def _spline_points(stroke: Stroke) -> list[list[float]]:
    # a Catmull-Rom spline's first and last control points only steer the curve
    xs, ys = stroke.splines_x[1:-1], stroke.splines_y[1:-1]
    return [[float(x), float(y)] for x, y in zip(xs, ys)]


def read_inkml(path: str) -> dict:
    model = InkMLParser().parse(path)
    return {"strokes": [_spline_points(s) for s in model.strokes]}


def read_uim(path: str) -> dict:
    model = UIMParser().parse(path)
    strokes = []
    for stroke in model.strokes:
        data = model.sensor_data.sensor_data_by_id(stroke.sensor_data_id)
        context = model.input_configuration.get_input_context(data.input_context_id)
        sensor_context = model.input_configuration.get_sensor_context(context.sensor_context_id)
        channels = {c.type: c for scc in sensor_context.sensor_channels_contexts for c in scc.channels}
        xs = data.get_data_by_id(channels[InkSensorType.X].id).values
        ys = data.get_data_by_id(channels[InkSensorType.Y].id).values
        strokes.append([[unit2unit(Unit.M, Unit.DIP, x), unit2unit(Unit.M, Unit.DIP, y)] for x, y in zip(xs, ys)])
    index = {s.id: i for i, s in enumerate(model.strokes)}
    _, _, text = uim_extract_text_and_semantics_from(model, "hwr") if model.has_tree("hwr") else ([], {}, "")
    return {"strokes": strokes, "words": _hwr_words(model, index), "text": text}


def _hwr_words(model: InkModel, index: dict) -> list[dict]:
    """Each word group of the ``hwr`` view: its text and its strokes (indices into the main tree's strokes)."""
    if not model.has_tree("hwr"):
        return []
    kinds = {st.subject: st.object for st in model.knowledge_graph.statements if st.predicate == schema.IS}
    words = []
    for node in PreOrderEnumerator(model.view_root("hwr")):
        if kinds.get(node.uri) != schema.SegmentationSchema.WORD:
            continue
        content = model.knowledge_graph.all_statements_for(node.uri, predicate=schema.SegmentationSchema.HAS_CONTENT)
        ids = [n.stroke.id for n in PreOrderEnumerator(node) if isinstance(n, StrokeNode)]
        words.append({"text": content[0].object if content else None, "strokes": [index[i] for i in ids]})
    return words


def make_uim(source: str, target: str) -> dict:
    with open(source, encoding="utf-8") as fh:
        strokes = json.load(fh)
    model = InkModel(version=SupportedFormats.UIM_VERSION_3_1_0.value)
    environment = Environment()
    model.input_configuration.environments.append(environment)
    provider = InkInputProvider(input_type=InkInputType.PEN)
    model.input_configuration.ink_input_providers.append(provider)
    device = InputDevice()
    model.input_configuration.devices.append(device)
    ids = {"ink_input_provider_id": provider.id, "input_device_id": device.id}
    length = {"metric": InkSensorMetricType.LENGTH, "resolution": 1.0, "precision": 6, **ids}
    x = SensorChannel(channel_type=InkSensorType.X, **length)
    y = SensorChannel(channel_type=InkSensorType.Y, **length)
    t = SensorChannel(
        channel_type=InkSensorType.TIMESTAMP, metric=InkSensorMetricType.TIME, resolution=1000.0, precision=0, **ids
    )
    sensor_context = SensorContext()
    sensor_context.add_sensor_channels_context(SensorChannelsContext(channels=[x, y, t], **ids))
    model.input_configuration.sensor_contexts.append(sensor_context)
    input_context = InputContext(environment_id=environment.id, sensor_context_id=sensor_context.id)
    model.input_configuration.input_contexts.append(input_context)
    brush = "app://probe/vector-brush/Circle"
    model.brushes.add_vector_brush(VectorBrush(brush, [BrushPolygonUri("will://brush/3.0/shape/Circle", 0.0)]))
    model.ink_tree = InkTree()
    model.ink_tree.root = StrokeGroupNode(UUIDIdentifier.id_generator())
    clock = 1700000000.0  # seconds; a pen sampled at 125 Hz, a quarter second between strokes
    for points in strokes:
        data = SensorData(UUIDIdentifier.id_generator(), input_context_id=input_context.id, state=InkState.PLANE)
        data.add_data(x, [unit2unit(Unit.DIP, Unit.M, p[0]) for p in points])
        data.add_data(y, [unit2unit(Unit.DIP, Unit.M, p[1]) for p in points])
        data.add_timestamp_data(t, [clock + 0.008 * i for i in range(len(points))])
        clock += 0.008 * len(points) + 0.25
        model.sensor_data.add(data)
        path = [v for p in [points[0], *points, points[-1]] for v in p]
        spline = Spline(LayoutMask.X.value | LayoutMask.Y.value, path)
        stroke = Stroke(
            UUIDIdentifier.id_generator(), spline=spline, style=Style(brush_uri=brush), sensor_data_id=data.id
        )
        model.ink_tree.root.add(StrokeNode(stroke))
    with open(target, "wb") as fh:
        fh.write(UIMEncoder310().encode(model))
    return {"strokes": len(strokes)}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"inkml": read_inkml, "uim": read_uim, "make-uim": make_uim}[command](*args)
    json.dump(result, sys.stdout)
