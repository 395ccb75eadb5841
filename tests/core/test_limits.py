"""Limits (inksight_sdk.limits): validation, how sources get them, and the core enforcing them anyway."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from inksight_sdk import Limits, Pipeline, PluginRegistry, RasterPage, StageSpec, convert, hookimpl
from inksight_sdk.errors import BadArgumentsError, ExitCode, InputLimitError, PluginError
from tests.conftest import run_cli


@pytest.mark.parametrize(
    "values", [{"max_pixels": 0}, {"max_pages": -1}, {"max_bytes": 1.5}, {"page_timeout": 0}, {"max_words": True}]
)
def test_bad_limits_are_bad_arguments(values):
    with pytest.raises(BadArgumentsError):
        Limits(**values)


def test_limits_from_a_dict():
    assert Limits.of({"max_pages": 3}) == Limits(max_pages=3)
    assert Limits.of(None) == Limits()
    with pytest.raises(BadArgumentsError, match="unknown limit"):
        Limits.of({"max_cats": 3})


def test_sources_get_the_limits_they_declare():
    @attrs.frozen
    class Opts:
        dpi: int = 1
        max_pixels: int = 5

    assert Limits(max_pixels=7).for_source(Opts) == {"max_pixels": 7}
    assert Limits().for_source(None) == {}


@attrs.frozen
class CarelessSource:
    """Ignores every limit: yields many big pages."""

    options: None = None

    def pages(self, path):
        for i in range(5):
            yield RasterPage(image=np.full((100, 100, 3), 255, np.uint8), index=i)


class CarelessPlugin:
    @hookimpl
    def register_page_sources(self, register):
        register(
            StageSpec(name="careless", description="test", factory=CarelessSource, sniff=lambda h: h[:4] == b"FAKE")
        )


@pytest.fixture
def careless(test_registry, tmp_path):
    path = tmp_path / "doc.fake"
    path.write_bytes(b"FAKE" + b"\x00" * 100)
    return PluginRegistry([CarelessPlugin()]), str(path)


def test_the_core_enforces_limits_a_source_ignores(careless):
    registry, path = careless
    stages = {"detector": "whole-page", "derenderer": "ink-columns", "registry": registry}
    assert len(convert(path, **stages).pages) == 5
    with pytest.raises(InputLimitError, match="more than 3 pages"):
        convert(path, limits=Limits(max_pages=3), **stages)
    with pytest.raises(InputLimitError, match="10,000 pixels, over the limit of 5,000"):
        convert(path, limits=Limits(max_pixels=5000), **stages)
    with pytest.raises(InputLimitError, match="--max-bytes"):
        convert(path, limits=Limits(max_bytes=10), **stages)


def test_pixel_limit_applies_to_in_memory_images(test_registry):
    with pytest.raises(InputLimitError):
        convert(
            np.zeros((100, 100, 3), np.uint8),
            detector="whole-page",
            derenderer="ink-columns",
            limits={"max_pixels": 9999},
            registry=test_registry,
        )


def test_source_options_are_checked(test_registry):
    with pytest.raises(BadArgumentsError, match="no installed reader takes the option"):
        Pipeline(detector="whole-page", derenderer="ink-columns", source_options={"colour": 1}, registry=test_registry)
    with pytest.raises(BadArgumentsError, match="is a limit, not a reader option"):
        Pipeline(
            detector="whole-page", derenderer="ink-columns", source_options={"max_pixels": 1}, registry=test_registry
        )
    with pytest.raises(BadArgumentsError, match="isolation"):
        Pipeline(detector="whole-page", derenderer="ink-columns", isolation="fibre", registry=test_registry)


def test_process_isolation_needs_loadable_plugins(careless):
    registry, _ = careless
    with pytest.raises(PluginError, match="not an importable module"):
        Pipeline(detector="whole-page", derenderer="ink-columns", isolation="process", registry=registry)


def test_a_timed_out_stage_is_replaced(test_registry):
    from inksight_test_plugins import mark_page

    page = np.full((60, 120, 3), 255, np.uint8)
    page[30, 10:110] = 0
    with Pipeline(
        detector="marker",
        derenderer="hang",
        derenderer_options={"seconds": 5},
        limits={"page_timeout": 0.5},
        registry=test_registry,
    ) as pipeline:
        first = pipeline._stage("derenderer")[1]
        doc = pipeline.convert(mark_page(page))
        assert doc.pages == () and "derenderer hang did not finish within 0.5 s" in doc.metadata.problems[0]
        assert pipeline._stage("derenderer")[1] is not first
        assert pipeline.convert(page).complete


def test_process_worker_converts_and_closes(test_registry):
    page = np.full((60, 120, 3), 255, np.uint8)
    page[30, 10:110] = 0
    with Pipeline(
        detector="whole-page",
        derenderer="ink-columns",
        limits={"page_timeout": 60},
        isolation="process",
        registry=test_registry,
    ) as pipeline:
        one = pipeline.convert(page)
        two = pipeline.convert(page)
        worker = pipeline._worker
        assert worker is not None and worker.alive()
    assert not worker.alive() and pipeline._worker is None
    assert one.complete and one.pages == two.pages
    assert one.metadata.plugins["derenderer"].startswith("ink-columns")


@pytest.mark.parametrize(
    "args,code,pattern",
    [
        (["--max-pixels", "0"], ExitCode.BAD_ARGUMENTS, "max-pixels"),
        (["--page-timeout", "0"], ExitCode.BAD_ARGUMENTS, "page-timeout"),
        (["--input-option", "colour=red"], ExitCode.BAD_ARGUMENTS, "no installed reader takes"),
        (["--input-option", "max_pages=2"], ExitCode.BAD_ARGUMENTS, "use --max-pages"),
        (["--max-pixels", "100"], ExitCode.INPUT_LIMIT, "raise the limit \\(--max-pixels\\)"),
        (["--max-words", "1", "--detector-option", "words=2"], ExitCode.INCOMPLETE, "without 1 failed"),
    ],
)
def test_cli_limit_flags(cli_with_test_plugins, tmp_path, args, code, pattern):
    import re

    from PIL import Image

    page = tmp_path / "p.png"
    Image.new("RGB", (60, 30), "white").save(page)
    result = cli_with_test_plugins(
        "convert",
        str(page),
        "-o",
        str(tmp_path / "o.json"),
        "--detector",
        "whole-page",
        "--derenderer",
        "ink-columns",
        *args,
    )
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert re.search(pattern, err) and "Traceback" not in err


def test_cli_help_documents_the_limits():
    out = run_cli("convert", "--help").stdout.decode()
    for flag in ("--max-bytes", "--max-pixels", "--max-pages", "--max-words", "--page-timeout", "--isolation", "--dpi"):
        assert flag in out
