"""Chinese character ink from hanzi-writer-data stroke medians (npm, Arphic Public License).

hanzi-writer-data (npm ``hanzi-writer-data@2.0.1``) holds, for 9,574
characters, the stroke outlines and *medians*: one polyline per stroke, in
canonical stroke order and writing direction, in a 1024 box with y up
(``y_image = 900 - y``). :func:`ensure_hanzi_data` fetches the package once
with ``npm pack`` into ``~/.cache/inksight/hanzi-writer-data``;
:class:`HanziData` reads a directory of the package's JSON files (named by the
character, ``我.json``, or by its hex code point, ``6211.json``).

**Evaluation split.** Characters with an *odd* Unicode code point are
reserved for evaluation and must never be used for training:
:func:`training_characters` and the training sampler refuse them
(:func:`check_training_character` raises).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import BadArgumentsError, InputFileError
from ..evaluation.groundtruth import load_hanzi_strokes
from .glyphs import Glyph, SourceWord, layout_word

__all__ = [
    "HANZI_PACKAGE",
    "default_hanzi_dir",
    "ensure_hanzi_data",
    "HanziData",
    "is_evaluation_character",
    "check_training_character",
    "training_characters",
    "hanzi_glyph",
]

HANZI_PACKAGE = "hanzi-writer-data@2.0.1"

# 1024 box, y down after the flip: characters sit on 0..1024; 900 becomes the
# baseline and 820 box units one em (a character is about 1.25 em tall/wide).
_EM = 820.0
_BASELINE = 900.0
_ADVANCE = 1024.0 / _EM


def default_hanzi_dir() -> Path:
    """``$INKSIGHT_CACHE/hanzi-writer-data`` (default ``~/.cache/inksight/hanzi-writer-data``)."""
    root = os.environ.get("INKSIGHT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "inksight")
    return Path(root) / "hanzi-writer-data"


def ensure_hanzi_data(
    directory: str | os.PathLike[str] | None = None,
    *,
    npm: str = "npm",
    tarball: str | os.PathLike[str] | None = None,
) -> Path:
    """Return a directory holding hanzi-writer-data's JSON files, fetching it with ``npm pack`` if missing.

    Only ``<char>.json`` files and the license (``ARPHICPL.TXT``, which must
    travel with the data) are extracted. Needs ``npm`` and network access the
    first time; later calls only check the directory. ``tarball`` extracts an
    already downloaded ``hanzi-writer-data-2.0.1.tgz`` instead of running npm.
    """
    target = Path(directory) if directory is not None else default_hanzi_dir()
    if target.is_dir() and any(target.glob("*.json")):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if tarball is not None:
        _extract(Path(tarball), target)
        return target
    exe = shutil.which(npm)
    if exe is None:
        raise InputFileError(
            f"hanzi-writer-data is not in {target} and npm is not installed; "
            f"run `npm pack {HANZI_PACKAGE}` and extract its package/*.json into {target}"
        )
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        done = subprocess.run(
            [exe, "pack", HANZI_PACKAGE, "--pack-destination", tmp],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise InputFileError(f"`npm pack {HANZI_PACKAGE}` failed: {(done.stderr or done.stdout).strip()[-300:]}")
        _extract(tarballs[0], target)
    return target


def _extract(tarball: Path, target: Path) -> None:
    """Extract ``package/<char>.json`` and the license from an npm tarball into ``target`` (atomically)."""
    staging = Path(tempfile.mkdtemp(prefix=".hanzi-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if not member.isfile() or not name.startswith("package/") or name.count("/") != 1:
                    continue
                base = name.split("/", 1)[1]
                if (base.endswith(".json") and base != "package.json") or base == "ARPHICPL.TXT":
                    source = tar.extractfile(member)
                    if source is not None:
                        (staging / base).write_bytes(source.read())
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def is_evaluation_character(char: str) -> bool:
    """True for characters reserved for evaluation: an odd Unicode code point."""
    return len(char) == 1 and ord(char) % 2 == 1


def check_training_character(char: str) -> None:
    """Raise if ``char`` belongs to the evaluation split (odd code point)."""
    if is_evaluation_character(char):
        raise BadArgumentsError(
            f"{char!r} (U+{ord(char):04X}) has an odd code point: hanzi with odd code points are the "
            "evaluation split and must never be used for training"
        )


def training_characters(chars: Iterable[str]) -> list[str]:
    """The characters of ``chars`` allowed in training (even code points), in order."""
    return [c for c in chars if len(c) == 1 and not is_evaluation_character(c)]


def _char_of(stem: str) -> str | None:
    if len(stem) == 1:
        return stem
    try:
        code = int(stem, 16)
    except ValueError:
        return None
    return chr(code) if 0 < code < 0x110000 else None


def hanzi_glyph(medians: list[np.ndarray], char: str = "") -> Glyph:
    """A glyph in em units from medians in the flipped 1024 box (y down)."""
    strokes = tuple(np.column_stack([m[:, 0] / _EM, (m[:, 1] - _BASELINE) / _EM]) for m in medians if len(m))
    return Glyph(char=char, strokes=strokes, advance=_ADVANCE, left=0.0, connected=False)


class HanziData:
    """hanzi-writer-data characters: a directory of its files (``我.json`` or ``6211.json``) or a glyph pack.

    A glyph pack (:mod:`inksight_sdk.synth.pack`, a ``.npz`` file) carries
    the medians of the characters it was made with, so training runs where
    the npm package cannot be fetched.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._files: dict[str, Path] = {}
        self._packed: dict[str, list[np.ndarray]] = {}
        if self.directory.is_file():
            from .pack import GlyphPack

            self._packed = GlyphPack.open(self.directory).hanzi_medians()
            if not self._packed:
                raise InputFileError(f"the glyph pack {self.directory} holds no hanzi")
        elif not self.directory.is_dir():
            raise InputFileError(f"hanzi-writer-data directory {self.directory} does not exist")
        else:
            for path in sorted(self.directory.glob("*.json")):
                char = _char_of(path.stem)
                if char is not None:
                    self._files[char] = path
            if not self._files:
                raise InputFileError(f"no hanzi-writer-data character files in {self.directory}")
        self._cache: dict[str, Glyph] = {}

    @property
    def characters(self) -> list[str]:
        """Every character present, sorted by code point."""
        return sorted(self._packed or self._files, key=ord)

    def training_characters(self) -> list[str]:
        """Characters allowed for training (even code points)."""
        return training_characters(self.characters)

    def __contains__(self, char: object) -> bool:
        return char in self._packed or char in self._files

    def medians(self, char: str) -> list[np.ndarray]:
        """Stroke medians of ``char`` in canonical order and direction, 1024 box, y down."""
        if char in self._packed:
            return [m.astype(np.float64) for m in self._packed[char]]
        path = self._files.get(char)
        if path is None:
            raise KeyError(f"{char!r} is not in {self.directory}")
        return load_hanzi_strokes(path)

    def glyph(self, char: str) -> Glyph:
        glyph = self._cache.get(char)
        if glyph is None:
            glyph = self._cache[char] = hanzi_glyph(self.medians(char), char)
        return glyph

    def word(self, text: str, *, training: bool = True) -> SourceWord:
        """The ink of a run of characters; with ``training`` refuses evaluation characters."""
        if training:
            for char in text:
                check_training_character(char)
        return layout_word([self.glyph(c) for c in text], text, script="hanzi", join=False, delay_marks=False)
