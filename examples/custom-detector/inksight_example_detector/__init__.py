"""A detector plugin for inksight-sdk, written as any third party would.

Lines come from the rows where the page has ink (horizontal projection);
words from the gaps in each line's column profile that are wider than a
fraction of the line height. Ink is "darker than the page by a margin":
good enough for clean scans, which is what this example is for.
"""

from __future__ import annotations

import attrs
import numpy as np

import inksight_sdk
from inksight_sdk import DetectedWord, Layout, StageSpec


@attrs.frozen
class ProjectionOptions:
    """Typed options: ``--detector-option word_gap=0.5`` sets them from the CLI."""

    darkness: int = attrs.field(default=60, validator=attrs.validators.in_(range(1, 255)))
    word_gap: float = attrs.field(default=0.45, validator=attrs.validators.gt(0))
    min_line_height: int = 6


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Start/end (exclusive) of each run of True values."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


@attrs.frozen
class ProjectionDetector:
    options: ProjectionOptions

    def detect(self, image: np.ndarray) -> Layout:
        gray = image.mean(axis=2) if image.ndim == 3 else image.astype(float)
        paper = np.percentile(gray, 90)
        ink = gray < paper - self.options.darkness
        words = []
        rows = ink.sum(axis=1) > max(2, 0.002 * ink.shape[1])
        for line_no, (y0, y1) in enumerate(r for r in _runs(rows) if r[1] - r[0] >= self.options.min_line_height):
            columns = ink[y0:y1].any(axis=0)
            gap = self.options.word_gap * (y1 - y0)
            pieces = _runs(columns)
            merged: list[list[int]] = []
            for x0, x1 in pieces:
                if merged and x0 - merged[-1][1] < gap:
                    merged[-1][1] = x1
                else:
                    merged.append([x0, x1])
            for x0, x1 in merged:
                quad = [[x0 - 2, y0 - 2], [x1 + 2, y0 - 2], [x1 + 2, y1 + 2], [x0 - 2, y1 + 2]]
                words.append(DetectedWord(quad=quad, block=0, line=line_no))
        return Layout(words=words)


@inksight_sdk.hookimpl
def register_detectors(register):
    register(
        StageSpec(
            name="projection",
            description="Example plugin: lines and words from projection profiles (clean scans)",
            factory=ProjectionDetector,
            options=ProjectionOptions,
            priority=1,  # below the builtin layout detector, so `auto` still prefers it
        )
    )
