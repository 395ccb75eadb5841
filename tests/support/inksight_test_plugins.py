"""Test-only plugins, loaded through the real entry-point mechanism.

``tests/conftest.py`` writes a ``.dist-info`` folder whose entry points name
this module, so the registry discovers it exactly as it would an installed
third-party distribution. Each stage does something real and checkable:

- ``whole-page`` detector: one word covering the page (optionally rotated);
- ``ink-columns`` derenderer: per crop column, the centroid of dark pixels,
  joined into strokes -- enough to check the crop/inverse-map round trip;
- fault injectors: ``explode`` (raises on crops whose text says so), ``nan``
  (returns NaN points), ``short`` (returns too few results), and a detector
  that fails on purpose.
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


@inksight_sdk.hookimpl
def register_exporters(register):
    register(
        StageSpec(name="crash", description="test: fails mid-write", factory=CrashingExporter, extensions=(".crash",))
    )


@inksight_sdk.hookimpl
def register_detectors(register):
    register(
        StageSpec(name="whole-page", description="test: one word per page", factory=WholePage, options=WholePageOptions)
    )
    register(StageSpec(name="broken", description="test: always fails", factory=BrokenDetector))


@inksight_sdk.hookimpl
def register_derenderers(register):
    register(
        StageSpec(
            name="ink-columns", description="test: column centroids", factory=InkColumns, options=InkColumnsOptions
        )
    )
    register(StageSpec(name="explode", description="test: raises on 'boom' words", factory=Explode))
    register(StageSpec(name="nan", description="test: NaN points", factory=NanInk))
    register(StageSpec(name="short", description="test: wrong result count", factory=ShortAnswer))
    register(StageSpec(name="slow", description="test: sleeps", factory=Slow, options=SlowOptions))
    register(
        StageSpec(
            name="missing-model",
            description="test: never available",
            factory=InkColumns,
            is_available=lambda: False,
            install_hint="pip install inksight-imaginary",
        )
    )
