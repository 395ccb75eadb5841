"""Embedding inksight-sdk in an application.

One Pipeline is built once and shared by worker threads (its stages are
created lazily and reused); each request gets its own InkDocument. Errors
are the SDK's exception hierarchy, so an app can map them to responses.

    python examples/embed_in_app.py [IMAGE ...]
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import inksight_sdk
from inksight_sdk import InkSightError, Pipeline

SAMPLE = Path(inksight_sdk.__file__).parent / "samples" / "quick_brown_fox.jpg"


def describe(pipeline: Pipeline, path: str) -> str:
    try:
        document = pipeline.convert(path)
    except InkSightError as exc:  # bad input, missing plugin, limits...
        return f"{path}: failed ({type(exc).__name__}, exit code {exc.exit_code}): {exc}"
    words = list(document.words())
    strokes = list(document.strokes())
    status = "complete" if document.complete else f"partial: {len(document.metadata.problems)} problems"
    return f"{path}: {len(words)} words, {len(strokes)} strokes, {status}"


def main(paths: list[str]) -> None:
    pipeline = Pipeline(mode="vanilla")  # auto: the best installed detector and derenderer
    with ThreadPoolExecutor(max_workers=2) as pool:
        for line in pool.map(lambda p: describe(pipeline, p), paths):
            print(line)


if __name__ == "__main__":
    main(sys.argv[1:] or [str(SAMPLE), "does-not-exist.png"])
