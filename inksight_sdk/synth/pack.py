"""Glyph packs: the synthetic data's ink sources in one compact file that travels.

A machine that trains the learned model (an accelerator host lent for a few
minutes, with no network) has neither the ``Hershey-Fonts`` package nor
hanzi-writer-data. A glyph pack holds both as they are used here: the
Hershey fonts' glyphs after this package's clean-up (em units) and the
hanzi medians (1024 box, y down), in one compressed ``.npz`` of about a
megabyte, made where both sources are at hand:

    write_pack("build/gpu/glyphs.npz", fonts=DEFAULT_FONTS, hanzi_dir=ensure_hanzi_data())

A pack is made for one split. ``train`` packs hold only characters with
even code points (the evaluation split is refused when writing); ``eval``
packs hold only odd ones and no fonts, so the training sampler, which takes
even code points only, finds nothing to train on in them.

Use: ``INKSIGHT_GLYPH_PACK=path`` makes :func:`hershey_font` read fonts from
the pack (in every process, spawned data workers included), and
``SyntheticWords(hanzi_dir=path)`` reads hanzi from it.

The ``Hershey-Fonts`` package is MIT-licensed; hanzi-writer-data is under the
Arphic Public License, whose text the pack carries (``license`` entry) so it
travels with the data.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import BadArgumentsError, InputFileError
from .glyphs import Glyph
from .hanzi import HanziData, is_evaluation_character
from .hershey import CONNECTED_FONTS, HERSHEY_SCRIPTS, HersheyFont, hershey_font

__all__ = ["GlyphPack", "write_pack", "PACK_FORMAT"]

PACK_FORMAT = "inksight-glyph-pack/1"
SPLITS = ("train", "eval")


def write_pack(
    path: str | os.PathLike[str],
    *,
    fonts: Sequence[str] = (),
    hanzi_dir: str | os.PathLike[str] | None = None,
    split: str = "train",
    hanzi_chars: Sequence[str] | None = None,
) -> Path:
    """Write a glyph pack of ``fonts`` and the hanzi of ``hanzi_dir`` (those of ``split``, or ``hanzi_chars``)."""
    if split not in SPLITS:
        raise BadArgumentsError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if split == "eval" and fonts:
        raise BadArgumentsError("an eval pack holds odd-code-point hanzi only, no fonts")
    meta: dict[str, object] = {"format": PACK_FORMAT, "split": split, "fonts": {}}
    points: list[np.ndarray] = []
    lengths: list[int] = []
    for name in fonts:
        table = hershey_font(name).glyph_table
        chars = sorted(table)
        strokes_per_glyph = []
        for char in chars:
            glyph = table[char]
            strokes_per_glyph.append(len(glyph.strokes))
            for stroke in glyph.strokes:
                points.append(np.asarray(stroke, np.float32))
                lengths.append(len(stroke))
        meta["fonts"][name] = {  # type: ignore[index]
            "chars": "".join(chars),
            "advance": [table[c].advance for c in chars],
            "left": [table[c].left for c in chars],
            "strokes": strokes_per_glyph,
        }
    arrays: dict[str, np.ndarray] = {
        "font_points": np.concatenate(points) if points else np.zeros((0, 2), np.float32),
        "font_lengths": np.asarray(lengths, np.int32),
    }
    hanzi_points: list[np.ndarray] = []
    hanzi_lengths: list[int] = []
    hanzi_strokes: list[int] = []
    chosen = ""
    license_text = ""
    if hanzi_dir is not None:
        data = HanziData(hanzi_dir)
        wanted = list(hanzi_chars) if hanzi_chars is not None else data.characters
        keep_odd = split == "eval"
        wrong = [c for c in wanted if is_evaluation_character(c) != keep_odd]
        if wrong:
            raise BadArgumentsError(
                f"a {split} pack holds only {'odd' if keep_odd else 'even'} code points; "
                f"{len(wrong)} character(s) such as {wrong[0]!r} belong to the other split"
            )
        for char in wanted:
            medians = data.medians(char)
            hanzi_strokes.append(len(medians))
            for median in medians:
                hanzi_points.append(np.rint(median).astype(np.int16))
                hanzi_lengths.append(len(median))
        chosen = "".join(wanted)
        licence = Path(hanzi_dir) / "ARPHICPL.TXT" if Path(hanzi_dir).is_dir() else None
        if licence is not None and licence.exists():
            license_text = licence.read_text(encoding="utf-8", errors="replace")
        elif Path(hanzi_dir).is_file():
            license_text = GlyphPack.open(hanzi_dir).license
    meta["hanzi_chars"] = chosen
    arrays["hanzi_points"] = np.concatenate(hanzi_points) if hanzi_points else np.zeros((0, 2), np.int16)
    arrays["hanzi_lengths"] = np.asarray(hanzi_lengths, np.int32)
    arrays["hanzi_strokes"] = np.asarray(hanzi_strokes, np.int32)
    arrays["meta"] = np.asarray(json.dumps(meta, ensure_ascii=False))
    arrays["license"] = np.asarray(license_text)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    with open(part, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    os.replace(part, out)
    return out


class GlyphPack:
    """A glyph pack read back (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            with np.load(self.path, allow_pickle=False) as data:
                self._arrays = {k: data[k] for k in data.files}
            meta = json.loads(str(self._arrays["meta"]))
        except (OSError, ValueError, KeyError) as exc:
            raise InputFileError(f"{self.path} is not a readable glyph pack: {exc}") from exc
        if meta.get("format") != PACK_FORMAT:
            raise InputFileError(f"{self.path} is not a glyph pack of format {PACK_FORMAT}")
        self.split: str = meta["split"]
        self._fonts: dict[str, dict] = meta["fonts"]
        self._hanzi_chars: str = meta["hanzi_chars"]
        self.license: str = str(self._arrays["license"])

    @classmethod
    @functools.cache
    def open(cls, path: str | os.PathLike[str]) -> GlyphPack:
        """A pack by path, read once per process."""
        return cls(path)

    @property
    def font_names(self) -> list[str]:
        return list(self._fonts)

    def font(self, name: str) -> HersheyFont:
        """The Hershey font ``name`` from the pack."""
        if name not in self._fonts:
            known = ", ".join(self._fonts) or "none"
            raise BadArgumentsError(f"the glyph pack {self.path} has no font {name!r} (it has: {known})")
        if name not in HERSHEY_SCRIPTS:
            raise InputFileError(f"the glyph pack {self.path} names an unknown font {name!r}")
        start_stroke = sum(sum(f["strokes"]) for f in list(self._fonts.values())[: list(self._fonts).index(name)])
        strokes = _split(self._arrays["font_points"], self._arrays["font_lengths"], start_stroke)
        table = self._fonts[name]
        glyphs = {}
        for char, advance, left, count in zip(table["chars"], table["advance"], table["left"], table["strokes"]):
            glyphs[char] = Glyph(
                char=char,
                strokes=tuple(next(strokes).astype(np.float64) for _ in range(count)),
                advance=float(advance),
                left=float(left),
                connected=name in CONNECTED_FONTS,
            )
        return HersheyFont(name, glyphs)

    def hanzi_medians(self) -> dict[str, list[np.ndarray]]:
        """Each packed character's stroke medians (1024 box, y down, int16)."""
        strokes = _split(self._arrays["hanzi_points"], self._arrays["hanzi_lengths"], 0)
        return {
            char: [next(strokes) for _ in range(int(count))]
            for char, count in zip(self._hanzi_chars, self._arrays["hanzi_strokes"])
        }


def _split(points: np.ndarray, lengths: np.ndarray, start: int):  # type: ignore[no-untyped-def]
    """Iterate the strokes (runs of ``lengths`` points) of ``points`` from stroke number ``start``."""
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for k in range(start, len(lengths)):
        yield points[offsets[k] : offsets[k + 1]]
