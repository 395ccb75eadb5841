"""Training batches from :class:`inksight_sdk.synth.SyntheticWords`, deterministic given (seed, step).

No JAX here: batches are built in worker processes (or a thread) while the
model trains. Example ``i`` of step ``s`` is synthetic word ``s * batch + i``
of ``SyntheticWords(seed)``, and its task (below) is drawn from a generator
seeded with ``(seed, index)``, so the data position of a run is just its step
and a resumed run sees exactly the batches the uninterrupted run would have.

Tasks (the paper's mixture)
---------------------------
``derender``             prompt ``Derender the ink.``           target: ink
``derender_text``        prompt ``Derender the ink: <text>``     target: ink
``recognize``            prompt ``Recognize the text.``         target: text
``recognize_derender``   prompt ``Recognize and derender.``     target: text, then ink

Targets end with ``EOS``; ink is the word's strokes on the 224 canvas
encoded by :func:`inksight_sdk.tokenizer.encode_ink` (time-resampled,
simplified). Targets longer than ``max_target_len`` are cut (no ``EOS``).

Photos
------
``DataSpec(photos="host")`` (the default) paints each crop here, as
``SyntheticWords`` does: the batch holds ``images``. With ``"device"`` the
workers stop once the ink is placed on the canvas and the batch holds it
instead (``ink_segments``, ``ink_widths``, ``ink_frames``, see
:meth:`inksight_sdk.synth.CanvasInk.segments`); the training step paints
the photos on the accelerator (:mod:`inksight_jax.device_photo`), afresh
each time an echoed chunk is used. Targets are the same either way.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inksight_sdk.seq2seq.vocab import (
    PAD,
    PROMPT_DERENDER,
    PROMPT_RECOGNIZE_AND_DERENDER,
    derender_with_text,
    encode_prompts,
    encode_target,
)

__all__ = [
    "TASKS",
    "PROMPT_RECOGNIZE",
    "DataSpec",
    "parse_mixture",
    "build_batch",
    "build_chunk",
    "concatenate_batches",
    "example_task",
]

PROMPT_RECOGNIZE = "Recognize the text."
TASKS = ("derender", "derender_text", "recognize", "recognize_derender")
PHOTOS = ("host", "device")
SEGMENT_CAPACITY = 3072
"""Pen segments per word with ``photos="device"`` (the most of 600 training words: about 3,000; more are thinned)."""
DEFAULT_MIXTURE = {"derender": 0.55, "derender_text": 0.15, "recognize": 0.15, "recognize_derender": 0.15}


def parse_mixture(value: str | Mapping[str, float] | None) -> dict[str, float]:
    """``"derender=0.7,recognize=0.1"`` (or a mapping) -> normalized weights of the four tasks."""
    if value is None:
        return dict(DEFAULT_MIXTURE)
    if isinstance(value, str):
        weights: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            name, sep, number = part.partition("=")
            if not sep:
                raise ValueError(f"mixture entry {part!r} is not TASK=WEIGHT (tasks: {', '.join(TASKS)})")
            try:
                weights[name.strip()] = float(number)
            except ValueError:
                raise ValueError(f"mixture weight {number!r} of {name.strip()!r} is not a number") from None
    else:
        weights = {k: float(v) for k, v in value.items()}
    unknown = sorted(set(weights) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)} in the mixture; tasks: {', '.join(TASKS)}")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("mixture weights must be >= 0 with a positive sum")
    total = sum(weights.values())
    return {t: weights.get(t, 0.0) / total for t in TASKS}


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Everything that decides the training batches (stored in checkpoints; must match on resume)."""

    seed: int = 0
    batch_size: int = 16
    max_prompt_len: int = 48
    max_target_len: int = 256
    mixture: tuple[tuple[str, float], ...] = tuple(DEFAULT_MIXTURE.items())
    fonts: tuple[str, ...] | None = None
    hanzi_dir: str | None = None
    hanzi_fraction: float = 0.2
    image_size: int = 224
    echo: int = 1
    photos: str = "host"

    def __post_init__(self) -> None:
        if self.echo < 1 or self.batch_size % self.echo:
            raise ValueError(f"echo {self.echo} must be >= 1 and divide the batch size {self.batch_size}")
        if self.photos not in PHOTOS:
            raise ValueError(f"photos must be one of {', '.join(PHOTOS)}, not {self.photos!r}")

    @property
    def chunk_size(self) -> int:
        """Examples per chunk: a step's batch is ``echo`` chunks."""
        return self.batch_size // self.echo

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["mixture"] = dict(self.mixture)
        d["fonts"] = list(self.fonts) if self.fonts is not None else None
        return d

    def comparable(self) -> dict[str, Any]:
        """The fields that change batch contents (the hanzi directory's location does not)."""
        d = self.to_dict()
        d.pop("hanzi_dir")
        d["hanzi"] = self.hanzi_dir is not None
        return d


_SAMPLERS: dict[DataSpec, Any] = {}


def _sampler(spec: DataSpec) -> Any:
    from inksight_sdk.synth import SyntheticWords

    sampler = _SAMPLERS.get(spec)
    if sampler is None:
        sampler = SyntheticWords(
            seed=spec.seed,
            fonts=spec.fonts,
            hanzi_dir=spec.hanzi_dir,
            hanzi_fraction=spec.hanzi_fraction,
            size=spec.image_size,
        )
        _SAMPLERS[spec] = sampler
    return sampler


def example_task(spec: DataSpec, index: int) -> str:
    rng = np.random.default_rng([spec.seed, 7919, index])
    names = [t for t, _ in spec.mixture]
    weights = np.array([w for _, w in spec.mixture], dtype=np.float64)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _example(spec: DataSpec, index: int) -> tuple[dict[str, np.ndarray], str, np.ndarray]:
    """Example ``index``: its picture (the photo, or the placed ink to paint on the device), prompt and target."""
    from inksight_sdk.tokenizer import encode_ink

    sampler = _sampler(spec)
    if spec.photos == "device":
        hand, _photo, placed = sampler.placed(index)
        segments, widths = placed.segments(SEGMENT_CAPACITY)
        picture = {"ink_segments": segments, "ink_widths": widths, "ink_frames": placed.frame()}
        strokes, t, text = [s.astype(np.float32) for s in placed.strokes], hand.t, hand.text
    else:
        ex = sampler[index]
        picture = {"images": ex.image}
        strokes, t, text = ex.strokes, ex.t, ex.text
    task = example_task(spec, index)
    ink = encode_ink(strokes, t)
    if task == "derender":
        prompt, target = PROMPT_DERENDER, encode_target(None, ink)
    elif task == "derender_text":
        prompt, target = derender_with_text(text), encode_target(None, ink)
    elif task == "recognize":
        prompt, target = PROMPT_RECOGNIZE, encode_target(text, None)
    else:
        prompt, target = PROMPT_RECOGNIZE_AND_DERENDER, encode_target(text, ink)
    return picture, prompt, target


def build_batch(spec: DataSpec, step: int, indices: Sequence[int] | None = None) -> dict[str, np.ndarray]:
    """The batch of training step ``step``: images, prompt ids/mask, decoder inputs and targets (PAD-padded).

    The batch is chunks ``step .. step + echo - 1`` (:func:`build_chunk`)
    stacked: with ``echo`` 1 it is examples ``step * batch .. (step + 1) *
    batch - 1``; with ``echo`` k each chunk of ``batch / k`` examples is used
    by k consecutive steps, each time beside other chunks (data echoing:
    one new chunk per step, so the data workers make k times fewer examples
    per step). ``indices`` builds a batch of exactly those examples instead.
    """
    if indices is None:
        return concatenate_batches([build_chunk(spec, c) for c in range(step, step + spec.echo)])
    pictures, prompts, targets = [], [], []
    for index in indices:
        picture, prompt, target = _example(spec, int(index))
        pictures.append(picture)
        prompts.append(prompt)
        targets.append(target[: spec.max_target_len])
    ids, mask = encode_prompts(prompts, spec.max_prompt_len)
    tgt = np.full((len(targets), spec.max_target_len), PAD, dtype=np.int32)
    for row, t in enumerate(targets):
        tgt[row, : len(t)] = t
    dec_in = np.full_like(tgt, PAD)
    dec_in[:, 1:] = tgt[:, :-1]  # shifted right; PAD is the start token
    return {
        **{key: np.stack([p[key] for p in pictures]) for key in pictures[0]},
        "prompt_ids": ids,
        "prompt_mask": mask,
        "decoder_input_ids": dec_in,
        "targets": tgt,
    }


def build_chunk(spec: DataSpec, chunk: int) -> dict[str, np.ndarray]:
    """Chunk ``chunk``: examples ``chunk * chunk_size .. (chunk + 1) * chunk_size - 1`` (what a data worker makes)."""
    size = spec.chunk_size
    return build_batch(spec, chunk, indices=range(chunk * size, (chunk + 1) * size))


def concatenate_batches(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack batches (or chunks) along the batch axis."""
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _worker_init() -> None:
    # the data workers must not fight the training process for threads
    os.environ.setdefault("OMP_NUM_THREADS", "1")
