"""``--debug-dir`` / ``debug_dir=``: per page masks of the sheet, the structure, the ink and the traced strokes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inksight_sdk import Pipeline
from inksight_sdk.debug_masks import debug_name
from tests.conftest import run_main
from tests.drawing import write

PAPER = (244, 241, 232)
DESK = (70, 45, 30)


def _ruled_sheet_on_a_desk() -> tuple[np.ndarray, np.ndarray]:
    """A dark desk, a sheet on it with pale blue rules, one written line; returns the image and the ink drawn."""
    page = np.empty((520, 760, 3), np.uint8)
    page[:] = DESK
    page[60:470, 90:680] = PAPER
    for y in range(120, 470, 50):
        page[y : y + 2, 90:680] = (160, 195, 228)
    ink = write(page, "debug masks", (150, 215), font="scripts", size=40, pen=3, color=(25, 30, 90))
    return page, ink


def _mask(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L")) > 127


def test_debug_dir_writes_each_mask_at_page_size(tmp_path):
    page, ink = _ruled_sheet_on_a_desk()
    with Pipeline(detector="layout", derenderer="skeleton", debug_dir=tmp_path / "debug") as pipeline:
        doc = pipeline.convert(page)
    names = sorted(p.name for p in (tmp_path / "debug").iterdir())
    assert names == [
        f"image-p001-{m}.png" for m in ("ink", "objects", "overview", "print", "sheet", "stamps", "structure", "traced")
    ]
    masks = {m: _mask(tmp_path / "debug" / f"image-p001-{m}.png") for m in ("ink", "sheet", "structure", "traced")}
    for mask in masks.values():
        assert mask.shape == page.shape[:2]
    sheet = masks["sheet"]
    assert not sheet[:40].any() and not sheet[:, :70].any() and not sheet[490:].any(), "the desk is not the sheet"
    assert sheet[100:430, 130:640].all(), "the paper is"
    # the rule under the writing is structure (ink and rule are told apart), the rules away from it are not ink
    assert masks["structure"][219:224, 160:560].any(axis=0).mean() > 0.5
    assert not (masks["structure"] & masks["ink"]).any()
    assert not masks["ink"][410:470].any() and not masks["ink"][:160].any()
    # the ink mask and the traced strokes lie on the written line
    assert (masks["ink"] & ink).sum() > 0.8 * ink.sum()
    traced = masks["traced"]
    assert traced.sum() > 100 and traced[170:260].sum() == traced.sum()
    assert sum(len(s.points) for s in doc.strokes()) > 0


def test_debug_dir_names_files_by_input_and_page(tmp_path):
    page, _ = _ruled_sheet_on_a_desk()
    source = tmp_path / "my notes.png"
    Image.fromarray(page).save(source)
    code, err = run_main("convert", source, "-o", tmp_path / "out.json", "--debug-dir", tmp_path / "dbg")
    assert code == 0, err
    assert (tmp_path / "dbg" / "my_notes-p001-structure.png").exists()
    assert (tmp_path / "dbg" / "my_notes-p001-overview.png").exists()
    assert debug_name("scans/a.pdf", 11, "ink") == "a-p012-ink.png"


def test_a_debug_dir_that_cannot_be_made_is_one_line_and_exit_4(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    page, _ = _ruled_sheet_on_a_desk()
    source = tmp_path / "page.png"
    Image.fromarray(page).save(source)
    code, err = run_main("convert", source, "-o", tmp_path / "out.json", "--debug-dir", blocker / "sub")
    assert code == 4
    assert "debug folder" in err and "Traceback" not in err


@pytest.mark.parametrize("isolation", ["process"])
def test_debug_dir_works_in_a_page_worker(tmp_path, isolation):
    page, _ = _ruled_sheet_on_a_desk()
    with Pipeline(debug_dir=tmp_path, limits={"page_timeout": 120}, isolation=isolation) as pipeline:
        pipeline.convert(page)
    assert (tmp_path / "image-p001-sheet.png").exists()
