"""The joint output vocabulary of our models and the three prompts of the paper.

Our models read and write one small vocabulary instead of mT5's 250k
SentencePiece pieces: UTF-8 bytes for text and the 451 ink tokens of
:mod:`inksight_sdk.tokenizer` for ink.

==========  =========  ===========================================
id          count      meaning
==========  =========  ===========================================
0           1          ``PAD`` (also the decoder's start token, as in T5)
1           1          ``EOS``
2..257      256        a UTF-8 byte ``b`` is ``BYTE_OFFSET + b``
258..708    451        ink token ``k`` (0..450) is ``INK_OFFSET + k``
==========  =========  ===========================================

A prompt is encoded as bytes (no EOS), at most ``max_prompt_len`` ids, cut on
a character boundary. A target is recognized text (bytes) followed by ink
tokens, then ``EOS``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tokenizer import VOCAB_SIZE as INK_VOCAB_SIZE

__all__ = [
    "PAD",
    "EOS",
    "BYTE_OFFSET",
    "INK_OFFSET",
    "VOCAB_SIZE",
    "PROMPT_DERENDER",
    "PROMPT_RECOGNIZE_AND_DERENDER",
    "PROMPT_DERENDER_WITH_TEXT",
    "derender_with_text",
    "encode_prompt",
    "encode_prompts",
    "encode_target",
    "split_output",
    "is_ink_id",
]

PAD = 0
EOS = 1
BYTE_OFFSET = 2
INK_OFFSET = BYTE_OFFSET + 256
VOCAB_SIZE = INK_OFFSET + INK_VOCAB_SIZE  # 709

PROMPT_DERENDER = "Derender the ink."
PROMPT_RECOGNIZE_AND_DERENDER = "Recognize and derender."
PROMPT_DERENDER_WITH_TEXT = "Derender the ink: "


def derender_with_text(text: str) -> str:
    """The paper's third prompt: ``Derender the ink: <text>``."""
    return PROMPT_DERENDER_WITH_TEXT + text


def is_ink_id(ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids)
    return (ids >= INK_OFFSET) & (ids < INK_OFFSET + INK_VOCAB_SIZE)


def _utf8_prefix(text: str, limit: int) -> bytes:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    # cut on a character boundary: drop continuation bytes (10xxxxxx) of a split character
    cut = limit
    while cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return data[:cut]


def encode_prompt(prompt: str, max_len: int) -> np.ndarray:
    """A prompt as byte ids, ``(n,) int32`` with n <= ``max_len`` (no padding)."""
    return np.frombuffer(_utf8_prefix(prompt, max_len), dtype=np.uint8).astype(np.int32) + BYTE_OFFSET


def encode_prompts(prompts: Sequence[str], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """A batch of prompts padded to ``max_len``: ids ``(B, max_len) int32`` and mask ``(B, max_len) bool``."""
    ids = np.full((len(prompts), max_len), PAD, dtype=np.int32)
    for row, prompt in enumerate(prompts):
        enc = encode_prompt(prompt, max_len)
        ids[row, : len(enc)] = enc
    return ids, ids != PAD


def encode_target(text: str | None, ink_tokens: Sequence[int] | np.ndarray | None) -> np.ndarray:
    """Training target: text bytes, then ink ids, then ``EOS`` (``int32``)."""
    parts = []
    if text:
        parts.append(np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32) + BYTE_OFFSET)
    if ink_tokens is not None and len(ink_tokens):
        ink = np.asarray(ink_tokens, dtype=np.int32).reshape(-1)
        if ink.min() < 0 or ink.max() >= INK_VOCAB_SIZE:
            raise ValueError(f"ink tokens must lie in 0..{INK_VOCAB_SIZE - 1}")
        parts.append(ink + INK_OFFSET)
    parts.append(np.array([EOS], dtype=np.int32))
    return np.concatenate(parts)


def split_output(ids: Sequence[int] | np.ndarray) -> tuple[str, np.ndarray]:
    """Decoder output -> (text, ink tokens 0..450).

    Reading stops at the first ``EOS`` or ``PAD``. Text is every byte id in
    order (invalid UTF-8 replaced); ink is every ink id in order.
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    stop = np.flatnonzero((ids == EOS) | (ids == PAD))
    if len(stop):
        ids = ids[: stop[0]]
    byte_mask = (ids >= BYTE_OFFSET) & (ids < INK_OFFSET)
    text = bytes((ids[byte_mask] - BYTE_OFFSET).astype(np.uint8).tolist()).decode("utf-8", errors="replace")
    ink = (ids[is_ink_id(ids)] - INK_OFFSET).astype(np.int32)
    return text, ink
