"""Short fuzz runs of the input entry points (hypothesis; atheris for long runs, see fuzz_targets.py).

Random bytes behind a real magic number and mutated valid files (bit flips,
truncation, inserted junk) go through the same path a user's file takes. The
only allowed outcomes are a converted document or an InkSightError.
``INKSIGHT_FUZZ_EXAMPLES`` scales the number of cases (default: a few seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import fuzz_targets as ft

SCALE = float(os.environ.get("INKSIGHT_FUZZ_EXAMPLES", "1"))
# Pillow warns about the corrupt metadata the mutations produce; the outcome is what is checked
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def examples(n: int) -> settings:
    count = int(os.environ["INKSIGHT_FUZZ_EXAMPLES"]) if SCALE > 10 else n
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,  # the same cases every run: the report's numbers are stable
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def mutated(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw):
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
            if not data:
                break
            at = draw(st.integers(0, len(data) - 1))
            if op == "flip":
                data[at] ^= 1 << draw(st.integers(0, 7))
            elif op == "truncate":
                del data[at:]
            elif op == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=64))
            else:
                chunk = draw(st.binary(min_size=1, max_size=16))
                data[at : at + len(chunk)] = chunk
        return bytes(data)

    return build()


MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM", b"RIFF\x00\x00\x00\x00WEBP"]


@pytest.fixture(scope="module", autouse=True)
def support_on_path():
    from tests.conftest import SUPPORT

    sys.path.insert(0, str(SUPPORT))
    yield
    sys.path.remove(str(SUPPORT))


@examples(150)
@given(st.sampled_from(MAGIC), st.binary(max_size=512))
def test_random_bytes_behind_image_magic(ledger, magic, body):
    result = ft.fuzz_image(magic + body)
    assert result in ("converted", "refused")
    ledger.record(
        "fuzz", "image entry point: random bytes behind a magic number", "converted or one-line refusal", result=result
    )


@examples(400)
@given(mutated([ft.image_seed(f) for f in ft.IMAGE_FORMATS]))
def test_mutated_images(ledger, data):
    result = ft.fuzz_image(data)
    assert result in ("converted", "refused")
    ledger.record(
        "fuzz", "image entry point: mutated PNG/JPEG/GIF/TIFF/BMP/WebP", "converted or one-line refusal", result=result
    )


@pytest.mark.poppler
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
@examples(40)
@given(mutated([ft.pdf_seed()]))
def test_mutated_pdfs(ledger, data):
    pytest.importorskip("inksight_pdf", reason="the PDF adapter is not installed")
    result = ft.fuzz_pdf(data)
    assert result in ("converted", "refused")
    ledger.record("fuzz", "PDF entry point: mutated PDFs", "converted or one-line refusal", result=result)


@examples(300)
@given(mutated([ft.ink_seeds()[0]]))
def test_mutated_inkml(ledger, data):
    result = ft.fuzz_inkml(data)
    assert result in ("converted", "refused")
    ledger.record("fuzz", "InkML reader: mutated files", "read or one-line refusal", result=result)


@examples(300)
@given(mutated([ft.ink_seeds()[1]]))
def test_mutated_json(ledger, data):
    result = ft.fuzz_json(data)
    assert result in ("converted", "refused")
    ledger.record("fuzz", "ink JSON reader: mutated files", "read or one-line refusal", result=result)


def test_atheris_harness_runs(ledger):
    """The long-run harness works (a few hundred libFuzzer executions), where atheris installs."""
    pytest.importorskip("atheris", reason="atheris not installed (pip install atheris) -- long fuzz runs only")
    runs = 300
    result = subprocess.run(
        [sys.executable, ft.__file__, "image", f"-runs={runs}", "-seed=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Done {runs} runs" in result.stderr
    ledger.record("fuzz", "image entry point: atheris (libFuzzer) smoke run", "no crash", runs)
