"""The orchestrator with test plugins loaded as entry points: mapping back, batching, fault isolation."""

import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inksight_sdk import Pipeline, convert
from inksight_sdk.errors import BadArgumentsError, MissingPluginError


def line_image(w=400, h=120, y=60, x0=40, x1=360):
    image = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(image).line([(x0, y), (x1, y)], fill="black", width=5)
    return np.asarray(image)


@pytest.mark.parametrize("angle", [0, 12, -30])
@pytest.mark.parametrize("size", [None, 224])
def test_strokes_come_back_in_page_pixels(test_registry, angle, size):
    image = line_image()
    doc = convert(
        image,
        detector="whole-page",
        derenderer="ink-columns",
        detector_options={"angle": angle},
        derenderer_options={"size": size, "margin": 4},
        registry=test_registry,
    )
    points = np.concatenate([s.points for s in doc.strokes()])
    assert len(points) > 50
    # the column-centroid stroke runs along the drawn line, whatever the crop frame was
    middle = points[(points[:, 0] > 80) & (points[:, 0] < 320)]  # line ends are ragged in a slanted crop
    assert np.abs(middle[:, 1] - 60).max() < (1.0 if size is None else 2.0)
    if angle == 0:  # a rotated whole-page quad does not cover the line's ends
        assert points[:, 0].min() < 60 and points[:, 0].max() > 340
    page = doc.pages[0]
    assert (page.width, page.height) == (400, 120)
    assert page.words[0].detector == "whole-page" and page.words[0].derenderer == "ink-columns"


def test_batches_are_used_not_one_word_per_call(test_registry):
    pipeline = Pipeline(
        detector="whole-page",
        derenderer="ink-columns",
        detector_options={"words": 10},
        batch_size=4,
        registry=test_registry,
    )
    pipeline.convert(line_image())
    _, derenderer = pipeline._stage("derenderer")
    assert derenderer.calls == [4, 4, 2]


def test_mode_reaches_the_derenderer(test_registry):
    doc = convert(
        line_image(), detector="whole-page", derenderer="ink-columns", mode="recognize", registry=test_registry
    )
    assert doc.pages[0].words[0].text == "mode=recognize"


def test_detector_text_wins_and_time_is_monotonic(test_registry):
    doc = convert(
        line_image(),
        detector="whole-page",
        derenderer="ink-columns",
        detector_options={"words": 3, "text": "w"},
        registry=test_registry,
    )
    assert [w.text for w in doc.pages[0].words] == ["w0", "w1", "w2"]
    t = np.concatenate([s.t for s in doc.strokes()])
    assert np.all(np.diff(t) >= 0)


def test_one_failing_word_is_reported_and_the_rest_kept(test_registry):
    # words 'w0'..'w3' -- make the detector text contain 'boom' for all, and check isolation per word
    doc = convert(
        line_image(),
        detector="whole-page",
        derenderer="explode",
        detector_options={"words": 3, "text": "ok"},
        registry=test_registry,
    )
    assert doc.complete and len(doc.pages[0].words) == 3
    doc = convert(
        line_image(),
        detector="whole-page",
        derenderer="explode",
        detector_options={"words": 3, "text": "boom"},
        registry=test_registry,
    )
    assert not doc.complete
    assert len(doc.metadata.problems) == 3 and "injected failure" in doc.metadata.problems[0]


def test_partial_ink_is_kept_and_reported(test_registry):
    doc = convert(
        line_image(),
        detector="whole-page",
        derenderer="partial",
        detector_options={"words": 2, "text": "cut"},
        registry=test_registry,
    )
    assert len(doc.pages[0].words) == 2 and all(w.strokes for w in doc.pages[0].words)
    assert not doc.complete and len(doc.metadata.problems) == 2
    assert "word 1: derenderer partial kept partial ink: stopped by the repetition guard" in doc.metadata.problems[0]


@pytest.mark.parametrize("name,message", [("nan", "NaN"), ("short", "returned 0 results for 1 crops")])
def test_malformed_derenderer_output_is_contained(test_registry, name, message):
    doc = convert(
        line_image(), detector="whole-page", derenderer=name, detector_options={"words": 2}, registry=test_registry
    )
    assert len(doc.metadata.problems) == 2 and message in doc.metadata.problems[0]
    assert doc.pages[0].words == ()


def test_failing_detector_loses_only_its_page(test_registry, tmp_path):
    path = tmp_path / "two.tif"
    frames = [Image.fromarray(line_image()), Image.fromarray(line_image(y=30))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    doc = convert(str(path), detector="broken", derenderer="ink-columns", registry=test_registry)
    assert doc.pages == () and len(doc.metadata.problems) == 2
    doc = convert(str(path), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    assert [p.index for p in doc.pages] == [0, 1] and doc.complete


def test_unknown_names_fail_before_reading_anything(test_registry):
    with pytest.raises(MissingPluginError):
        Pipeline(derenderer="nope", registry=test_registry)
    with pytest.raises(BadArgumentsError):
        Pipeline(mode="dance", registry=test_registry)


def test_pipeline_is_thread_safe(test_registry):
    pipeline = Pipeline(detector="whole-page", derenderer="ink-columns", registry=test_registry)
    images = [line_image(y=y) for y in (30, 50, 70, 90)]
    results = {}

    def work(i):
        results[i] = pipeline.convert(images[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for i, y in enumerate((30, 50, 70, 90)):
        pts = np.concatenate([s.points for s in results[i].strokes()])
        assert abs(np.median(pts[:, 1]) - y) < 1.5


def test_ink_files_are_inputs_too(test_registry, tmp_path):
    doc = convert(line_image(), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    doc.save(str(tmp_path / "a.json"), registry=test_registry)
    doc.save(str(tmp_path / "a.inkml"), registry=test_registry)
    again = convert(str(tmp_path / "a.json"), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    assert again.pages == doc.pages
    from_inkml = convert(str(tmp_path / "a.inkml"), registry=test_registry)
    assert len(list(from_inkml.strokes())) == len(list(doc.strokes()))


def test_documents_and_words_show_themselves_as_svg(test_registry):
    import xml.etree.ElementTree as ET

    doc = convert(line_image(), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    for obj in (doc, doc.pages[0], doc.pages[0].words[0]):
        root = ET.fromstring(obj._repr_svg_())
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.findall(".//{http://www.w3.org/2000/svg}path")


class _PagesAtOnce:
    """A detector that prefers several pages per call (like a remote service); page 2 of each call fails."""

    batch_pages = 2

    def __init__(self, options=None):
        self.calls: list[int] = []

    def detect(self, image):
        self.calls.append(1)
        return self._layout(image)

    def detect_batch(self, images):
        from inksight_sdk.errors import StageError

        self.calls.append(len(images))
        return [StageError("the service lost this page") if i == 1 else self._layout(im) for i, im in enumerate(images)]

    @staticmethod
    def _layout(image):
        from inksight_sdk.stages import DetectedWord, Layout

        h, w = image.shape[:2]
        return Layout(words=[DetectedWord(quad=[[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], text="line")])


def _batching_registry():
    from inksight_sdk import PluginRegistry, StageSpec, hookimpl

    made: list[_PagesAtOnce] = []

    class Plugin:
        @hookimpl
        def register_detectors(self, register):
            register(
                StageSpec(
                    name="pages-at-once", description="test", factory=lambda o: made.append(_PagesAtOnce()) or made[-1]
                )
            )

    return PluginRegistry([Plugin()]), made


def test_a_detector_that_takes_pages_together_gets_them_together(plugin_site, tmp_path):
    path = tmp_path / "five.tif"
    frames = [Image.fromarray(line_image(y=20 + 15 * i)) for i in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    registry, made = _batching_registry()
    doc = convert(str(path), detector="pages-at-once", derenderer="ink-columns", registry=registry)
    assert made[0].calls == [2, 2, 1]  # two pages a call, the last one alone
    assert [p.index for p in doc.pages] == [0, 2, 4]  # the second page of each call failed, alone
    assert len(doc.metadata.problems) == 2 and "the service lost this page" in doc.metadata.problems[0]
    assert [w.text for p in doc.pages for w in p.words] == ["line"] * 3
    # under a page timeout each page is detected on its own clock
    registry, made = _batching_registry()
    doc = convert(
        str(path), detector="pages-at-once", derenderer="ink-columns", registry=registry, limits={"page_timeout": 60}
    )
    assert made[0].calls == [1] * 5 and len(doc.pages) == 5


def test_the_dpi_of_an_image_survives_its_conversion_to_rgb_and_ink_pages_carry_theirs(test_registry, tmp_path):
    """A transparent PNG is composited on white; its DPI must not go with its alpha channel."""
    rgba = Image.fromarray(line_image()).convert("RGBA")
    rgba.save(tmp_path / "page.png", dpi=(150, 150))
    doc = convert(str(tmp_path / "page.png"), detector="whole-page", derenderer="ink-columns", registry=test_registry)
    assert doc.pages[0].dpi == pytest.approx(150, abs=0.05) and doc.metadata.dpi == pytest.approx(150, abs=0.05)
    doc.save(str(tmp_path / "page.json"), registry=test_registry)
    again = convert(str(tmp_path / "page.json"), registry=test_registry)  # ink pages: no detector, same DPI
    assert again.metadata.dpi == pytest.approx(150, abs=0.05)


class _Warmable:
    """A derenderer with helpers to start (like ``skeleton``): it notes when it was warmed and on which thread."""

    def __init__(self, events):
        from inksight_sdk.stages import CropSpec

        self.events = events
        self.crop_spec = CropSpec(size=None, scale=1.0, margin=0)

    def warm(self):
        self.events.append(("warm", threading.current_thread().name))

    def derender(self, crops, mode):
        from inksight_sdk.stages import DerenderedWord

        return [DerenderedWord(strokes=[]) for _ in crops]


class _Noting:
    def __init__(self, events):
        self.events = events

    def detect(self, image):
        self.events.append(("detect", threading.current_thread().name))
        return _PagesAtOnce._layout(image)


@pytest.mark.parametrize("limits", [None, {"page_timeout": 60}])
def test_the_derenderer_is_warmed_on_the_callers_thread_before_the_page_is_read(limits):
    # the skeleton derenderer's word helpers start in warm(); they come up while the detector reads the page,
    # and a helper dies with the thread that started it, so that must be the caller's, not a page thread
    from inksight_sdk import PluginRegistry, StageSpec, hookimpl

    events: list[tuple[str, str]] = []

    class Plugin:
        @hookimpl
        def register_detectors(self, register):
            register(StageSpec(name="noting", description="test", factory=lambda o: _Noting(events)))

        @hookimpl
        def register_derenderers(self, register):
            register(StageSpec(name="warmable", description="test", factory=lambda o: _Warmable(events)))

    registry = PluginRegistry([Plugin()])
    with Pipeline(detector="noting", derenderer="warmable", registry=registry, limits=limits) as pipeline:
        pipeline.convert(line_image())
        pipeline.convert(line_image())
    caller = threading.current_thread().name
    assert [kind for kind, _ in events] == ["warm", "detect", "warm", "detect"]
    assert all(thread == caller for kind, thread in events if kind == "warm")
