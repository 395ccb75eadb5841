"""Hostile and damaged .uim files through the real CLI of the UIM environment.

The same guarantees as the other readers: the size limit is checked before
parsing, the error is one line with a documented exit code, an existing
output is left as it was and nothing half-written remains.
"""

from __future__ import annotations

import os
import struct

import pytest

from inksight_sdk.errors import ExitCode
from inksight_sdk.formats import jsonink
from tests.conftest import run_in
from tests.core.test_formats import sample_document

from .conftest import assert_one_line

PRECIOUS = b"precious: an earlier run's output"


@pytest.fixture(scope="module")
def good_uim(uim_python, tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("uim")
    (folder / "in.json").write_text(jsonink.dumps(sample_document()), encoding="utf-8")
    made = run_in(uim_python, "-m", "inksight_sdk", "convert", str(folder / "in.json"), "-o", str(folder / "ok.uim"))
    assert made.returncode == 0, made.stderr
    return (folder / "ok.uim").read_bytes()


def _riff(body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"UINK" + body


def _cases(good: bytes) -> list[tuple[str, bytes, list[str], int, str]]:
    rng_bytes = bytes((i * 7919 + 13) % 256 for i in range(4000))
    return [
        ("truncated", good[: len(good) // 2], [], ExitCode.INPUT_FILE, "damaged .uim"),
        ("header then noise", _riff(rng_bytes), [], ExitCode.INPUT_FILE, "damaged .uim"),
        ("chunk claims 4 GiB", _riff(b"HEAD" + struct.pack("<I", 0xFFFFFFF0) + rng_bytes[:64]), [], 3, "damaged"),
        ("empty", b"", [], ExitCode.INPUT_FILE, r"empty|not a Universal Ink Model|damaged"),
        ("text named .uim", b"hello, not ink\n" * 10, [], ExitCode.INPUT_FILE, r"not a supported input.*uim"),
        ("over --max-bytes", good, ["--max-bytes", str(len(good) - 1)], ExitCode.INPUT_LIMIT, "over the limit"),
        ("over the .uim cap", b"", [], ExitCode.INPUT_LIMIT, r"over the limit of 67,108,864 for \.uim files"),
    ]


CASE_NAMES = [
    "truncated",
    "header then noise",
    "chunk claims 4 GiB",
    "empty",
    "text named .uim",
    "over --max-bytes",
    "over the .uim cap",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_uim(uim_python, good_uim, ledger, tmp_path, name):
    _, data, args, expected, pattern = next(c for c in _cases(good_uim) if c[0] == name)
    source, out = tmp_path / "in.uim", tmp_path / "out.json"
    source.write_bytes(data)
    if name == "over the .uim cap":  # a 65 MiB file, sparse: a RIFF/UINK header, then nothing
        with open(source, "wb") as fh:
            fh.write(_riff(b""))
            fh.truncate(65 * 1024 * 1024)
    out.write_bytes(PRECIOUS)
    result = run_in(uim_python, "-m", "inksight_sdk", "convert", str(source), "-o", str(out), *args)
    assert_one_line(result.returncode, result.stderr, int(expected), pattern)
    assert out.read_bytes() == PRECIOUS
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]
    ledger.intact += 1
    kind = "damaged or hostile .uim" if expected == ExitCode.INPUT_FILE else "size limits"
    outcome = (
        "exit 3 (INPUT_FILE), output untouched"
        if expected == ExitCode.INPUT_FILE
        else "exit 7 (INPUT_LIMIT), output untouched"
    )
    ledger.record("hostile", kind, outcome)
