"""Fuzz targets for the input entry points, shared by hypothesis (CI) and atheris (long runs).

A target takes raw bytes and feeds them to the real entry point; it may
succeed or raise :class:`~inksight_sdk.errors.InkSightError` (a documented,
one-line refusal). Anything else -- a decoder exception leaking out, a hang
-- is a bug.

Long runs with atheris (libFuzzer), e.g. an hour on the image entry point::

    pip install atheris
    python tests/reliability/fuzz_targets.py image -max_total_time=3600
    python tests/reliability/fuzz_targets.py pdf -max_total_time=3600 -timeout=60

Targets: image, pdf, inkml, json. Seeds (valid files of every supported kind)
are written to a temporary corpus folder unless one is given. Longer
hypothesis runs: ``INKSIGHT_FUZZ_EXAMPLES=5000 python -m pytest tests/reliability/test_fuzz.py``.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))  # the test plugins, when run as a script

from PIL import Image, ImageDraw  # noqa: E402

from inksight_sdk.errors import InkSightError  # noqa: E402

#: fuzz cases: small pages, short timeouts, so one case stays in milliseconds
FUZZ_LIMITS = {"max_pixels": 1_000_000, "max_pages": 4, "page_timeout": None}
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP")


def _page() -> Image.Image:
    image = Image.new("RGB", (96, 40), "white")
    ImageDraw.Draw(image).line([(8, 20), (88, 20)], fill="black", width=3)
    return image


def image_seed(fmt: str) -> bytes:
    buffer = io.BytesIO()
    image = _page().convert("P") if fmt == "GIF" else _page()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def pdf_seed() -> bytes:
    buffer = io.BytesIO()
    pages = [_page(), _page()]
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=72)
    return buffer.getvalue()


def ink_seeds() -> tuple[bytes, bytes]:
    from inksight_sdk import DocumentMetadata, InkDocument, Page, Stroke, WordInk
    from inksight_sdk.formats import inkml, jsonink

    word = WordInk(
        quad=[[0, 0], [50, 0], [50, 20], [0, 20]],
        strokes=[Stroke(points=[[1, 2], [3, 4], [5, 7]], t=[0.0, 0.1, 0.2])],
        text="hi",
    )
    doc = InkDocument(pages=[Page(width=60, height=30, words=[word])], metadata=DocumentMetadata(source="seed"))
    return inkml.dumps(doc).encode(), jsonink.dumps(doc).encode()


_pipeline = None


def pipeline():
    """One pipeline with the test plugins (whole-page detector, ink-columns derenderer)."""
    global _pipeline
    if _pipeline is None:
        import inksight_test_plugins

        from inksight_sdk import Pipeline, PluginRegistry

        _pipeline = Pipeline(
            detector="whole-page",
            derenderer="ink-columns",
            registry=PluginRegistry([inksight_test_plugins]),
            limits=FUZZ_LIMITS,
        )
    return _pipeline


def convert_file(data: bytes, suffix: str, source_options: dict | None = None) -> str:
    """Write ``data`` to a file and convert it: 'converted' or 'refused' (an InkSightError)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="inksight-fuzz-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        p = pipeline()
        if source_options:
            from inksight_sdk import Pipeline

            p = Pipeline(
                detector="whole-page",
                derenderer="ink-columns",
                registry=p.registry,
                limits=FUZZ_LIMITS,
                source_options=source_options,
            )
        p.convert(path)
        return "converted"
    except InkSightError:
        return "refused"
    finally:
        os.unlink(path)


def fuzz_image(data: bytes) -> str:
    return convert_file(data, ".png")


def fuzz_pdf(data: bytes) -> str:
    return convert_file(data, ".pdf", {"dpi": 36, "render_timeout": 10})


def fuzz_inkml(data: bytes) -> str:
    from inksight_sdk.formats import inkml

    try:
        inkml.loads(data)
        return "converted"
    except InkSightError:
        return "refused"


def fuzz_json(data: bytes) -> str:
    from inksight_sdk.formats import jsonink

    try:
        jsonink.loads(data)
        return "converted"
    except InkSightError:
        return "refused"


TARGETS = {"image": fuzz_image, "pdf": fuzz_pdf, "inkml": fuzz_inkml, "json": fuzz_json}


def seeds(target: str) -> list[bytes]:
    if target == "image":
        return [image_seed(f) for f in IMAGE_FORMATS]
    if target == "pdf":
        return [pdf_seed()]
    inkml_seed, json_seed = ink_seeds()
    return [inkml_seed] if target == "inkml" else [json_seed]


def main(argv: list[str]) -> None:
    import atheris

    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options] [corpus folder]")
    target = TARGETS[argv[1]]
    args = [argv[0]] + argv[2:]
    if not any(not a.startswith("-") for a in argv[2:]):
        corpus = tempfile.mkdtemp(prefix=f"inksight-fuzz-{argv[1]}-")
        for i, seed in enumerate(seeds(argv[1])):
            Path(corpus, f"seed{i}").write_bytes(seed)
        args.append(corpus)
    atheris.Setup(args, lambda data: target(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
