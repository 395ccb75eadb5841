"""Batched greedy decoding control, independent of the array framework (numpy only).

The loop asks a *step function* for the next token of every row (the JAX
backend jit-compiles it over a key/value cache; an ONNX backend can run its
exported decoder step the same way) and decides here, on the host, when each
row stops:

* ``eos``: the row wrote ``EOS``;
* ``repetition``: the row's last ``p * repeat_times`` tokens are all ink
  tokens and are one ``p``-gram written ``repeat_times`` times in a row, for
  some period ``p <= repeat_max_period`` (a model stuck in a loop). Its output
  keeps the first occurrence and drops the repeats;
* ``max_length``: the row reached ``max_len`` tokens without stopping.

All rows advance together (fixed shapes, one compiled step); a finished row
is fed ``PAD`` and its outputs are ignored; the loop ends when every row has
stopped. :func:`with_fallback` adds the official colab's retry: a
"Recognize and derender." answer without ink is asked again with the plain
"Derender the ink." prompt.

Nothing here imports JAX, so the ONNX runtime can share this module's logic
(see the report on issue 4: it belongs in the core for that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..tokenizer import decode_ink
from .vocab import EOS, PAD, PROMPT_DERENDER, PROMPT_RECOGNIZE_AND_DERENDER, is_ink_id, split_output

__all__ = [
    "DecodeOptions",
    "StepFunction",
    "GreedyResult",
    "Derendering",
    "greedy_decode",
    "find_repetition",
    "with_fallback",
    "STOP_EOS",
    "STOP_REPETITION",
    "STOP_MAX_LENGTH",
]

STOP_EOS = "eos"
STOP_REPETITION = "repetition"
STOP_MAX_LENGTH = "max_length"


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """How far and how long to decode.

    ``max_len`` None uses the model's ``max_decode_len``. ``repeat_times`` 0
    turns the repetition guard off. ``fallback`` retries recognize-and-derender
    rows that came back without ink with the vanilla prompt.
    """

    max_len: int | None = None
    repeat_max_period: int = 32
    repeat_times: int = 4
    fallback: bool = True

    def __post_init__(self) -> None:
        if self.max_len is not None and self.max_len < 1:
            raise ValueError(f"max_len must be at least 1, got {self.max_len}")
        if self.repeat_times < 0 or self.repeat_max_period < 1:
            raise ValueError("repeat_times must be >= 0 and repeat_max_period >= 1")


class StepFunction(Protocol):
    def __call__(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        """Given every row's token at ``pos`` (``(B,) int32``), return the next token of every row."""
        ...


@dataclasses.dataclass(frozen=True)
class GreedyResult:
    """Raw decoder output: ``ids (B, n)`` (PAD after each row's end), per-row ``lengths`` and ``stops``."""

    ids: np.ndarray
    lengths: np.ndarray
    stops: tuple[str, ...]

    def row(self, i: int) -> np.ndarray:
        return self.ids[i, : self.lengths[i]]


@dataclasses.dataclass(frozen=True)
class Derendering:
    """One answer: recognized ``text`` (may be empty), ``ink_tokens`` (0..450), why decoding stopped,
    the ``prompt`` that produced the ink, and whether that was the fallback."""

    text: str
    ink_tokens: np.ndarray
    stop: str
    prompt: str
    fallback: bool = False

    def strokes(self) -> list[np.ndarray]:
        """The ink as strokes on the 224 canvas (see :func:`inksight_sdk.tokenizer.decode_ink`)."""
        return decode_ink(self.ink_tokens)


def find_repetition(ids: np.ndarray, end: int, max_period: int, times: int) -> np.ndarray:
    """Per row, the smallest period ``p`` such that ``ids[row, end-p*times:end]`` is one ink ``p``-gram
    repeated ``times`` times; 0 where there is none. ``ids`` is ``(B, >= end)``."""
    batch = ids.shape[0]
    found = np.zeros(batch, dtype=np.int64)
    if times < 2 or end < 2:
        return found
    last = ids[:, end - 1]
    for p in range(1, min(max_period, end // times) + 1):
        # cheap filter: the last token must equal the one a period earlier
        candidates = (found == 0) & (ids[:, end - 1 - p] == last)
        if not candidates.any():
            continue
        window = ids[:, end - p * times : end]
        periodic = np.all(window[:, p:] == window[:, :-p], axis=1)
        hit = candidates & periodic & np.all(is_ink_id(window), axis=1)
        found[hit] = p
    return found


def greedy_decode(
    step: StepFunction, batch: int, max_len: int, options: DecodeOptions | None = None, live: int | None = None
) -> GreedyResult:
    """Run ``step`` greedily for ``batch`` rows, at most ``max_len`` tokens each.

    Only the first ``live`` rows (default: all) are decoded; the others are
    batch padding, stopped from the start (empty, stop ``eos``).
    """
    options = options or DecodeOptions()
    live = batch if live is None else live
    ids = np.full((batch, max_len), PAD, dtype=np.int32)
    lengths = np.full(batch, max_len, dtype=np.int64)
    stops = [STOP_MAX_LENGTH] * live + [STOP_EOS] * (batch - live)
    lengths[live:] = 0
    done = np.arange(batch) >= live
    token = np.full(batch, PAD, dtype=np.int32)
    for pos in range(max_len):
        nxt = np.asarray(step(token, pos), dtype=np.int32).reshape(batch)
        nxt = np.where(done, PAD, nxt)
        ids[:, pos] = nxt
        active = ~done
        eos = active & (nxt == EOS)
        for r in np.flatnonzero(eos):
            lengths[r], stops[r] = pos, STOP_EOS
        done |= eos
        if options.repeat_times >= 2 and (~done).any():
            period = find_repetition(ids, pos + 1, options.repeat_max_period, options.repeat_times)
            rep = ~done & (period > 0)
            for r in np.flatnonzero(rep):
                keep = pos + 1 - int(period[r]) * (options.repeat_times - 1)
                lengths[r], stops[r] = keep, STOP_REPETITION
                ids[r, keep:] = PAD
            done |= rep
        if done.all():
            break
        token = nxt
    for r in range(batch):
        ids[r, lengths[r] :] = PAD
    return GreedyResult(ids=ids, lengths=lengths, stops=tuple(stops))


def to_derenderings(result: GreedyResult, prompts: Sequence[str]) -> list[Derendering]:
    out = []
    for i, prompt in enumerate(prompts):
        text, ink = split_output(result.row(i))
        out.append(Derendering(text=text, ink_tokens=ink, stop=result.stops[i], prompt=prompt))
    return out


def with_fallback(
    run: Callable[[np.ndarray, list[str]], list[Derendering]],
    images: np.ndarray,
    prompts: Sequence[str],
    enabled: bool = True,
) -> list[Derendering]:
    """``run`` the batch, then re-run (vanilla prompt) every recognize-and-derender row without strokes.

    The retried row keeps the text it recognized and takes the ink of the retry.
    """
    prompts = list(prompts)
    results = run(images, prompts)
    if not enabled:
        return results
    retry = [
        i for i, (p, r) in enumerate(zip(prompts, results)) if p == PROMPT_RECOGNIZE_AND_DERENDER and not r.strokes()
    ]
    if not retry:
        return results
    again = run(images[np.asarray(retry)], [PROMPT_DERENDER] * len(retry))
    for i, second in zip(retry, again):
        results[i] = dataclasses.replace(second, text=results[i].text, fallback=True)
    return results
