"""Test-only plugins, loaded through the real entry-point mechanism.

``tests/conftest.py`` writes a ``.dist-info`` folder whose entry points name
this module, so the registry discovers it exactly as it would an installed
third-party distribution. Each stage does something real and checkable:

- ``whole-page`` detector: one word covering the page (optionally rotated);
- ``ink-columns`` derenderer: per crop column, the centroid of dark pixels,
  joined into strokes -- enough to check the crop/inverse-map round trip;
- fault injectors: ``explode`` (raises on crops whose text says so), ``nan``
  (returns NaN points), ``short`` (returns too few results), and a detector
  that fails on purpose;
- reliability injectors (tests/reliability): the ``marker`` detector finds one
  word per page and calls it ``poison`` when the page's top-left pixel is pure
  red (``mark_page``), optionally hanging or crashing the process there; the
  ``hang`` derenderer sleeps on ``poison`` crops; ``garbage`` returns good words
  mixed with malformed ones; ``far-away`` puts the ink of ``far`` words a
  million pixels off the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

import inksight_sdk
from inksight_sdk import CropSpec, DerenderedStroke, DerenderedWord, DetectedWord, Layout, Mode, StageSpec, WordCrop


@attrs.frozen
class WholePageOptions:
    angle: float = 0.0
    inset: float = 2.0
    words: int = 1
    text: str | None = None


@attrs.frozen
class WholePage:
    options: WholePageOptions

    def detect(self, image: np.ndarray) -> Layout:
        h, w = image.shape[:2]
        n = self.options.words
        words = []
        for i in range(n):
            x0 = self.options.inset + i * (w - 2 * self.options.inset) / n
            x1 = x0 + (w - 2 * self.options.inset) / n
            quad = np.array(
                [
                    [x0, self.options.inset],
                    [x1, self.options.inset],
                    [x1, h - self.options.inset],
                    [x0, h - self.options.inset],
                ]
            )
            if self.options.angle:
                th = np.deg2rad(self.options.angle)
                rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
                centre = quad.mean(axis=0)
                quad = (quad - centre) @ rot.T + centre
            text = f"{self.options.text}{i}" if self.options.text else None
            words.append(DetectedWord(quad=quad, text=text, confidence=0.9))
        return Layout(words=words)


def column_centroids(image: np.ndarray, threshold: int = 128) -> list[np.ndarray]:
    """Dark-pixel centroid of each column, split into runs of adjacent columns."""
    gray = image.mean(axis=2)
    dark = gray < threshold
    strokes, current = [], []
    for x in range(dark.shape[1]):
        ys = np.nonzero(dark[:, x])[0]
        if len(ys):
            current.append((float(x), float(ys.mean())))
        elif current:
            strokes.append(np.array(current))
            current = []
    if current:
        strokes.append(np.array(current))
    return strokes


@attrs.frozen
class InkColumnsOptions:
    size: int | None = None
    margin: int = 0


@attrs.frozen
class InkColumns:
    options: InkColumnsOptions
    calls: list = attrs.field(factory=list)

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec(size=self.options.size, margin=self.options.margin)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        self.calls.append(len(crops))
        return [
            DerenderedWord(
                strokes=[DerenderedStroke(points=s) for s in column_centroids(c.image)], text=f"mode={mode.value}"
            )
            for c in crops
        ]


@attrs.frozen
class Explode:
    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        if any(c.text and "boom" in c.text for c in crops):
            raise RuntimeError("injected failure")
        return [DerenderedWord(strokes=[DerenderedStroke(points=[[1, 1], [5, 5]])]) for _ in crops]


@attrs.frozen
class Partial:
    """Answers every word, but flags the ones whose text says 'cut' as partial (like a model stopped early)."""

    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        return [
            DerenderedWord(
                strokes=[DerenderedStroke(points=[[1, 1], [5, 5]])],
                warning="stopped by the repetition guard" if c.text and "cut" in c.text else None,
            )
            for c in crops
        ]


@attrs.frozen
class NanInk:
    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        return [DerenderedWord(strokes=[DerenderedStroke(points=[[np.nan, 1.0], [2.0, 2.0]])]) for _ in crops]


@attrs.frozen
class ShortAnswer:
    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        return [DerenderedWord()] * max(0, len(crops) - 1) if len(crops) > 1 else []


@attrs.frozen
class BrokenDetector:
    options: None = None

    def detect(self, image: np.ndarray) -> Layout:
        raise ValueError("detector exploded on purpose")


@attrs.frozen
class SlowOptions:
    seconds: float = 30.0


@attrs.frozen
class Slow:
    """Sleeps inside derender, so a test can interrupt a run mid-way."""

    options: SlowOptions
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        import sys
        import time

        sys.stderr.write("slow derenderer started\n")
        sys.stderr.flush()
        time.sleep(self.options.seconds)
        return [DerenderedWord() for _ in crops]


@attrs.frozen
class CrashingExporter:
    """Writes half a document, then fails: the output must not appear."""

    options: None = None

    def write(self, document, stream) -> None:
        stream.write(b"<half")
        raise RuntimeError("exporter bug")


POISON = (255, 0, 0)


def mark_page(image: np.ndarray) -> np.ndarray:
    """Mark a page image as poison for the ``marker`` detector (top-left pixel pure red)."""
    image = np.array(image, copy=True)
    image[0, 0] = POISON
    return image


def _whole_page_quad(w: int, h: int, inset: float = 2.0) -> np.ndarray:
    return np.array([[inset, inset], [w - inset, inset], [w - inset, h - inset], [inset, h - inset]])


@attrs.frozen
class MarkerOptions:
    hang: float = 0.0  # seconds to sleep in detect() on poison pages
    crash: bool = False  # kill the process with SIGSEGV on poison pages


@attrs.frozen
class Marker:
    options: MarkerOptions

    def detect(self, image: np.ndarray) -> Layout:
        poison = tuple(int(v) for v in image[0, 0]) == POISON
        if poison and self.options.crash:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGSEGV)
        if poison and self.options.hang:
            import time

            time.sleep(self.options.hang)
        h, w = image.shape[:2]
        return Layout(words=[DetectedWord(quad=_whole_page_quad(w, h), text="poison" if poison else "clean")])


@attrs.frozen
class HangOptions:
    seconds: float = 3600.0


@attrs.frozen
class Hang:
    """Derenders like ``ink-columns`` but never comes back on ``poison`` crops."""

    options: HangOptions
    crop_spec: CropSpec = CropSpec(size=None)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        if any(c.text == "poison" for c in crops):
            import time

            time.sleep(self.options.seconds)
        return [DerenderedWord(strokes=[DerenderedStroke(points=s) for s in column_centroids(c.image)]) for c in crops]


@attrs.frozen
class GarbageOptions:
    good: int = 2
    bad: tuple[str, ...] = attrs.field(default=("offpage", "degenerate", "not-a-word", "huge"), converter=tuple)
    far: bool = False  # the first good word is called 'far' (for the far-away derenderer)


class _NotAWord:
    quad = "definitely not a quad"
    text = None


@attrs.frozen
class Garbage:
    """``good`` proper words, then one malformed word of each kind in ``bad``."""

    options: GarbageOptions

    def detect(self, image: np.ndarray) -> Layout:
        h, w = image.shape[:2]
        words = []
        n = max(1, self.options.good)
        for i in range(self.options.good):
            x0, x1 = 2 + i * (w - 4) / n, 2 + (i + 1) * (w - 4) / n
            text = "far" if self.options.far and i == 0 else f"ok{i}"
            words.append(DetectedWord(quad=[[x0, 2], [x1, 2], [x1, h - 2], [x0, h - 2]], text=text))
        for kind in self.options.bad:
            if kind == "offpage":
                words.append(DetectedWord(quad=[[1e6, 1e6], [1e6 + 50, 1e6], [1e6 + 50, 1e6 + 20], [1e6, 1e6 + 20]]))
            elif kind == "degenerate":
                words.append(DetectedWord(quad=[[10, 10], [60, 10], [60, 10], [10, 10]]))
            elif kind == "huge":
                words.append(DetectedWord(quad=[[0, 0], [1e7, 0], [1e7, 1e7], [0, 1e7]]))
            elif kind == "not-a-word":
                words.append(_NotAWord())
            else:
                raise ValueError(f"unknown garbage kind {kind}")
        return Layout(words=words)


@attrs.frozen
class FarAway:
    """Ink of crops whose text is 'far' lands a million pixels away; others get a short stroke."""

    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        out = []
        for c in crops:
            points = [[10.0, 10.0], [1e6, 1e6]] if c.text == "far" else [[20.0, 32.0], [44.0, 32.0]]
            out.append(DerenderedWord(strokes=[DerenderedStroke(points=np.array(points))]))
        return out


@attrs.frozen
class BadTime:
    """Returns time stamps that run backwards: the word's ink breaks the data model."""

    options: None = None
    crop_spec: CropSpec = CropSpec(size=64)

    def derender(self, crops: Sequence[WordCrop], mode: Mode) -> list[DerenderedWord]:
        stroke = DerenderedStroke(points=np.array([[10.0, 10.0], [20.0, 20.0]]), t=np.array([1.0, 0.0]))
        return [DerenderedWord(strokes=[stroke]) for _ in crops]


@attrs.frozen
class SlowWriter:
    """Writes half a document, says so on stderr, then sleeps: for interrupting a run mid-write."""

    options: None = None

    def write(self, document, stream) -> None:
        import sys
        import time

        stream.write(b'{"half": ')
        stream.flush()
        sys.stderr.write("slow exporter writing\n")
        sys.stderr.flush()
        time.sleep(60)
        stream.write(b"1}")


@inksight_sdk.hookimpl
def register_exporters(register):
    register(
        StageSpec(name="crash", description="test: fails mid-write", factory=CrashingExporter, extensions=(".crash",))
    )
    register(
        StageSpec(name="slow-write", description="test: sleeps mid-write", factory=SlowWriter, extensions=(".slow",))
    )


@inksight_sdk.hookimpl
def register_detectors(register):
    register(
        StageSpec(name="whole-page", description="test: one word per page", factory=WholePage, options=WholePageOptions)
    )
    register(StageSpec(name="broken", description="test: always fails", factory=BrokenDetector))
    register(
        StageSpec(name="marker", description="test: poison pages hang/crash", factory=Marker, options=MarkerOptions)
    )
    register(StageSpec(name="garbage", description="test: malformed words", factory=Garbage, options=GarbageOptions))


@inksight_sdk.hookimpl
def register_derenderers(register):
    register(
        StageSpec(
            name="ink-columns", description="test: column centroids", factory=InkColumns, options=InkColumnsOptions
        )
    )
    register(StageSpec(name="explode", description="test: raises on 'boom' words", factory=Explode))
    register(StageSpec(name="partial", description="test: flags 'cut' words as partial", factory=Partial))
    register(StageSpec(name="nan", description="test: NaN points", factory=NanInk))
    register(StageSpec(name="short", description="test: wrong result count", factory=ShortAnswer))
    register(StageSpec(name="slow", description="test: sleeps", factory=Slow, options=SlowOptions))
    register(StageSpec(name="hang", description="test: hangs on poison crops", factory=Hang, options=HangOptions))
    register(StageSpec(name="far-away", description="test: ink far off the page", factory=FarAway))
    register(StageSpec(name="bad-time", description="test: time runs backwards", factory=BadTime))
    register(
        StageSpec(
            name="missing-model",
            description="test: never available",
            factory=InkColumns,
            is_available=lambda: False,
            install_hint="pip install inksight-imaginary",
        )
    )
