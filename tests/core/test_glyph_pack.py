"""Glyph packs: the fonts and hanzi of the synthetic data in one file, giving the same words without the sources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("HersheyFonts")  # the pack is made where the fonts are installed (they are, in the test set-up)

from inksight_sdk.errors import BadArgumentsError  # noqa: E402
from inksight_sdk.synth import DEFAULT_FONTS, hershey_font  # noqa: E402
from inksight_sdk.synth.hanzi import HanziData  # noqa: E402
from inksight_sdk.synth.pack import GlyphPack, write_pack  # noqa: E402
from tests.conftest import REPO, shared  # noqa: E402


@pytest.fixture
def hanzi_dir(tmp_path):
    """我 (U+6211, odd: evaluation), a copy filed as 成 (U+6210, even), and the license that travels with them."""
    folder = tmp_path / "hanzi"
    folder.mkdir()
    shutil.copy(shared("ink", "hanzi", "6211.json"), folder / "6211.json")
    shutil.copy(shared("ink", "hanzi", "6211.json"), folder / "6210.json")
    shutil.copy(shared("ink", "hanzi", "ARPHICPL.TXT"), folder / "ARPHICPL.TXT")
    return folder


def test_fonts_come_back_glyph_for_glyph(tmp_path):
    pack = GlyphPack(write_pack(tmp_path / "fonts.npz", fonts=DEFAULT_FONTS))
    assert pack.font_names == list(DEFAULT_FONTS)
    for name in DEFAULT_FONTS:
        ours, packed = hershey_font(name).glyph_table, pack.font(name).glyph_table
        assert ours.keys() == packed.keys()
        for char, glyph in ours.items():
            other = packed[char]
            assert (other.advance, other.left, other.connected) == pytest.approx(
                (glyph.advance, glyph.left, glyph.connected)
            )
            assert len(other.strokes) == len(glyph.strokes)
            for a, b in zip(glyph.strokes, other.strokes):
                np.testing.assert_allclose(a, b, atol=1e-6)  # float32 em units


def test_a_train_pack_holds_even_code_points_and_the_license(tmp_path, hanzi_dir):
    with pytest.raises(BadArgumentsError, match="even code points"):
        write_pack(tmp_path / "bad.npz", hanzi_dir=hanzi_dir)  # 我 is odd: evaluation only
    path = write_pack(tmp_path / "train.npz", hanzi_dir=hanzi_dir, hanzi_chars=["成"])
    pack = GlyphPack(path)
    assert pack.split == "train" and "ARPHIC" in pack.license.upper()
    assert list(pack.hanzi_medians()) == ["成"]
    packed = HanziData(path)
    assert (
        packed.characters == ["成"]
        and packed.medians("成")[0].tolist() == HanziData(hanzi_dir).medians("成")[0].tolist()
    )


def test_an_eval_pack_holds_odd_code_points_and_no_fonts(tmp_path, hanzi_dir):
    with pytest.raises(BadArgumentsError, match="no fonts"):
        write_pack(tmp_path / "e.npz", fonts=("cursive",), hanzi_dir=hanzi_dir, split="eval", hanzi_chars=["我"])
    path = write_pack(tmp_path / "eval.npz", hanzi_dir=hanzi_dir, split="eval", hanzi_chars=["我"])
    assert GlyphPack(path).split == "eval" and HanziData(path).training_characters() == []


def test_synthetic_words_from_a_pack_match_the_sources_in_another_process(tmp_path, hanzi_dir):
    path = write_pack(tmp_path / "train.npz", fonts=DEFAULT_FONTS, hanzi_dir=hanzi_dir, hanzi_chars=["成"])
    code = (
        "import sys, json; from inksight_sdk.synth import SyntheticWords; "
        "w = SyntheticWords(seed=3, hanzi_dir=sys.argv[1], hanzi_fraction=0.3); "
        "print(json.dumps([[w[i].text, [s.tolist() for s in w[i].strokes]] for i in range(10)]))"
    )

    def words(hanzi, env):
        done = subprocess.run(
            [sys.executable, "-c", code, str(hanzi)], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    base = {k: v for k, v in os.environ.items() if k != "INKSIGHT_GLYPH_PACK"}
    sources = words(hanzi_dir, base)
    packed = words(path, {**base, "INKSIGHT_GLYPH_PACK": str(path)})
    assert [t for t, _ in packed] == [t for t, _ in sources]
    assert any(t == "成" or "成" in t for t, _ in sources), "a hanzi word among them"
    for (_, a), (_, b) in zip(sources, packed):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, atol=1e-3)


def test_a_missing_font_is_named(tmp_path):
    pack = GlyphPack(write_pack(tmp_path / "one.npz", fonts=("cursive",)))
    with pytest.raises(BadArgumentsError, match="no font 'greek'.*cursive"):
        pack.font("greek")
