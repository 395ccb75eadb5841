"""Training on synthetic ink: optax AdamW, warmup + cosine, gradient clipping, exact resume, data parallel.

>>> from inksight_jax.training import TrainOptions, train
>>> result = train(TrainOptions(config="tiny", out="build/run", steps=200))  # doctest: +SKIP

* **Data**: :mod:`inksight_jax.data` (the paper's task mixture over
  :class:`~inksight_sdk.synth.SyntheticWords`), built ``prefetch`` steps ahead
  by ``workers`` spawned processes (0: one background thread).
* **Loss**: token cross-entropy, padding masked, averaged over the batch's
  real target tokens.
* **Optimizer**: ``clip_by_global_norm`` then AdamW (weight decay on
  matrices only) with linear warmup and cosine decay to 5 % over ``steps``.
* **Checkpoints** (:mod:`inksight_jax.checkpoint`): every
  ``checkpoint_every`` steps, every ``checkpoint_minutes`` minutes and at the
  end; they hold params, optimizer state, step, rng and the data position
  (the step: batches are a pure function of seed and step), so ``resume``
  continues bit-for-bit where an uninterrupted run would be.
* **Devices**: with several JAX devices the batch is split over a ``data``
  mesh axis and the parameters are replicated (``jax.sharding``); XLA inserts
  the gradient all-reduce. The batch size must divide by the device count.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import json
import logging
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from inksight_sdk.seq2seq.vocab import PAD

from .checkpoint import CheckpointError, load_state, read_meta, resolve_checkpoint, save_checkpoint
from .config import ModelConfig, get_config
from .data import DataSpec, build_chunk, concatenate_batches, parse_mixture
from .inference import init_params
from .model import InkSightModel

__all__ = ["TrainOptions", "TrainResult", "train", "make_optimizer", "loss_fn", "ResumeMismatchError"]

log = logging.getLogger("inksight_jax.training")


class ResumeMismatchError(CheckpointError):
    """``resume`` asked for with settings that would not continue the same run."""


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """One training run. ``steps`` is the schedule's length; ``max_minutes`` may stop it earlier (resumable)."""

    config: str | ModelConfig = "tiny"
    out: str | os.PathLike[str] = "build/train"
    steps: int = 1000
    batch_size: int = 16
    seed: int = 0
    learning_rate: float = 1e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    mixture: str | dict[str, float] | None = None
    max_target_len: int = 256
    fonts: tuple[str, ...] | None = None
    hanzi_dir: str | None = None
    hanzi_fraction: float = 0.2
    resume: bool = False
    max_minutes: float | None = None
    stop_after: int | None = None
    """Stop (with a checkpoint, resumable) once this step is reached, before ``steps``."""
    checkpoint_every: int = 500
    checkpoint_minutes: float | None = 5.0
    keep_checkpoints: int = 3
    log_every: int = 10
    workers: int = 1
    prefetch: int = 4
    budget_minutes: float | None = None
    """Choose ``steps`` so the schedule ends when this budget does: after ``calibration_steps`` timed steps
    (compilation excluded), ``steps`` becomes what the rest of the budget holds at the measured pace
    (``max_minutes`` still stops the run). Ignored on resume, which keeps the checkpoint's ``steps``."""
    calibration_steps: int = 10
    echo: int = 1
    """Data echoing: each synthetic example is used in ``echo`` consecutive steps, in a different batch each
    time, so an accelerator faster than the data workers is not kept waiting (see :mod:`inksight_jax.data`)."""
    photos: str = "host"
    """Where the crops' photos are painted: ``host`` (by the data workers) or ``device`` (in the training step,
    afresh each time an echoed word is used; :mod:`inksight_jax.device_photo`)."""

    def data_spec(self, config: ModelConfig) -> DataSpec:
        return DataSpec(
            seed=self.seed,
            batch_size=self.batch_size,
            max_prompt_len=config.max_prompt_len,
            max_target_len=self.max_target_len,
            mixture=tuple(parse_mixture(self.mixture).items()),
            fonts=tuple(self.fonts) if self.fonts is not None else None,
            hanzi_dir=self.hanzi_dir,
            hanzi_fraction=self.hanzi_fraction,
            image_size=config.image_size,
            echo=self.echo,
            photos=self.photos,
        )

    def optimizer_settings(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps,
            "weight_decay": self.weight_decay,
            "clip_norm": self.clip_norm,
        }


@dataclasses.dataclass
class TrainResult:
    config: ModelConfig
    params: Any
    step: int
    losses: list[tuple[int, float]]
    checkpoint: Path | None
    stopped: str  # "steps", "time" or "stop_after"


# ----------------------------------------------------------------------------- optimizer and step


def make_optimizer(options: TrainOptions) -> tuple[optax.GradientTransformation, optax.Schedule]:
    """The optimizer (AdamW at learning rate 1) and the learning-rate schedule its updates are scaled by.

    The step function multiplies AdamW's update by ``schedule(step)``, given
    as an argument, which is exactly AdamW at that learning rate (decoupled
    weight decay included). The schedule's length is therefore not compiled
    into the step: a run that chooses ``steps`` after timing its first steps
    (``budget_minutes``) compiles once.
    """
    warmup = min(options.warmup_steps, max(options.steps - 1, 0))
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=options.learning_rate,
        warmup_steps=warmup,
        decay_steps=max(options.steps, warmup + 1),
        end_value=options.learning_rate * 0.05,
    )

    def decay_mask(params: Any) -> Any:
        return jax.tree_util.tree_map(lambda p: p.ndim >= 2, params)

    return optax.chain(
        optax.clip_by_global_norm(options.clip_norm),
        optax.adamw(1.0, b1=0.9, b2=0.98, eps=1e-9, weight_decay=options.weight_decay, mask=decay_mask),
    ), schedule


def loss_fn(model: InkSightModel, params: Any, batch: dict[str, Any], dropout_rng: Any = None) -> Any:
    """Mean token cross-entropy over non-PAD targets."""
    deterministic = dropout_rng is None or model.config.dropout_rate == 0
    logits = model.apply(
        params,
        batch["images"],
        batch["prompt_ids"],
        batch["prompt_mask"],
        batch["decoder_input_ids"],
        deterministic,
        rngs=None if deterministic else {"dropout": dropout_rng},
    )
    targets = batch["targets"]
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, targets)
    weights = (targets != PAD).astype(jnp.float32)
    return jnp.sum(losses * weights) / jnp.maximum(jnp.sum(weights), 1.0)


_PHOTO_STREAM = 0x50484F54
"""Folded into the run's key for the photos painted on the device (dropout uses the key itself)."""


@functools.lru_cache(maxsize=8)
def _make_step(config: ModelConfig, weight_decay: float, clip_norm: float) -> Any:
    """The jitted training step of a model and optimizer (cached: repeated runs compile once).

    ``step(params, opt_state, batch, rng, step_index, learning_rate)``: the
    learning rate is an argument (see :func:`make_optimizer`).
    """
    model = InkSightModel(config)
    optimizer, _ = make_optimizer(TrainOptions(weight_decay=weight_decay, clip_norm=clip_norm))

    def step(params, opt_state, batch, rng, step_index, learning_rate):
        if "ink_segments" in batch:  # photos="device": paint this step's photos of the placed ink here
            from .device_photo import render_photos

            photo_key = jax.random.fold_in(jax.random.fold_in(rng, _PHOTO_STREAM), step_index)
            images = render_photos(
                photo_key, batch["ink_segments"], batch["ink_widths"], batch["ink_frames"], config.image_size
            )
            batch = {"images": images, **{k: v for k, v in batch.items() if not k.startswith("ink_")}}
        dropout_rng = jax.random.fold_in(rng, step_index)
        loss, grads = jax.value_and_grad(lambda p: loss_fn(model, p, batch, dropout_rng))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        updates = jax.tree_util.tree_map(lambda u: u * learning_rate.astype(u.dtype), updates)
        params = optax.apply_updates(params, updates)
        return params, opt_state, loss, optax.tree.norm(grads)

    return jax.jit(step, donate_argnums=(0, 1))


# ----------------------------------------------------------------------------- data prefetch


class _Prefetcher:
    """Batches for steps ``start, start+1, ...``: their chunks built ahead in worker processes (or one thread).

    A step's batch is ``echo`` consecutive chunks (:func:`~inksight_jax.data.build_batch`); each chunk is built
    once, kept while a later step still needs it, and ``depth`` chunks beyond the next step are in the works.
    """

    def __init__(self, spec: DataSpec, start: int, workers: int, depth: int):
        self.spec = spec
        self.depth = max(1, depth)
        if workers > 0:
            from .data import _worker_init

            ctx = multiprocessing.get_context("spawn")
            self.pool: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_worker_init
            )
        else:
            self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="inksight-data")
        self.chunks: dict[int, concurrent.futures.Future] = {}
        self.next_submit = start

    def get(self, step: int) -> dict[str, np.ndarray]:
        last = step + self.spec.echo - 1
        while self.next_submit <= last + self.depth:
            self.chunks[self.next_submit] = self.pool.submit(build_chunk, self.spec, self.next_submit)
            self.next_submit += 1
        for old in [c for c in self.chunks if c < step]:
            del self.chunks[old]
        return concatenate_batches([self.chunks[c].result() for c in range(step, last + 1)])

    def close(self) -> None:
        for f in self.chunks.values():
            f.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- the loop


def _mesh_shardings() -> tuple[Any, Any, int]:
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = np.array(jax.devices())
    mesh = Mesh(devices, ("data",))
    return NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec()), len(devices)


def _rng_data(key: Any) -> list[int]:
    return np.asarray(jax.random.key_data(key)).astype(np.uint32).tolist()


def _check_resume(meta: dict[str, Any], options: TrainOptions, spec: DataSpec, where: Path) -> None:
    problems = []
    saved_data = meta.get("data", {})
    for key, value in spec.comparable().items():
        saved = saved_data.get(key, "host" if key == "photos" else None)  # checkpoints from before photos=
        if saved != value:
            problems.append(f"data {key}: checkpoint {saved!r}, now {value!r}")
    saved_opt = meta.get("optimizer", {})
    for key, value in options.optimizer_settings().items():
        if saved_opt.get(key) != value:
            problems.append(f"{key}: checkpoint {saved_opt.get(key)!r}, now {value!r}")
    if problems:
        raise ResumeMismatchError(
            f"cannot resume {where}: it was trained with other settings ({'; '.join(problems)}); "
            "use the checkpoint's settings or start a new --out directory"
        )


def _read_losses(pending: list[tuple[int, Any]]) -> list[tuple[int, float]]:
    """The losses of the steps since the last read, as numbers; a loss that is not finite stops the run."""
    values = [float(v) for v in jax.device_get([loss for _, loss in pending])]
    for (step, _), value in zip(pending, values):
        if not math.isfinite(value):
            raise FloatingPointError(f"loss became {value} at step {step}; lower --lr or raise --warmup")
    return [(step, value) for (step, _), value in zip(pending, values)]


def _has_checkpoint(out: Path) -> bool:
    try:
        resolve_checkpoint(out)
        return True
    except CheckpointError:
        return False


def train(
    options: TrainOptions,
    progress: Callable[[str], None] | None = None,
    on_checkpoint: Callable[[Path, int], None] | None = None,
) -> TrainResult:
    """Run (or resume) training; returns the final parameters and where the last checkpoint is.

    ``on_checkpoint(path, step)`` is called after every checkpoint written
    while training continues (``scripts/gpu-train`` exports each one, so a
    run cut off from outside still leaves a model).
    """
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    config = get_config(options.config)
    out = Path(options.out)
    spec = options.data_spec(config)
    batch_sharding, replicated, n_devices = _mesh_shardings()
    if options.batch_size % n_devices:
        raise ValueError(f"batch size {options.batch_size} must be a multiple of the {n_devices} devices")
    if options.steps < 1:
        raise ValueError("steps must be at least 1")

    resuming = _has_checkpoint(out)
    if resuming and not options.resume:
        raise CheckpointError(
            f"{out} already holds a checkpoint; pass resume (--resume) to continue it "
            "or choose another output directory"
        )
    if resuming:  # refuse a different run before spending time on compilation
        meta_path, meta = read_meta(out)
        if options.budget_minutes is not None:  # the schedule was fixed when the run began
            options = dataclasses.replace(options, steps=int(meta.get("optimizer", {}).get("steps", options.steps)))
        _check_resume(meta, options, spec, meta_path.parent)
    optimizer, schedule = make_optimizer(options)
    step_fn = _make_step(config, options.weight_decay, options.clip_norm)
    params = init_params(config, seed=options.seed)
    opt_state = optimizer.init(params)
    rng = jax.random.key(options.seed + 1)
    start = 0
    if resuming:
        params, opt_state, meta = load_state(out, config, params, opt_state)
        start = int(meta["step"])
        rng = jax.random.wrap_key_data(jnp.asarray(np.array(meta["rng"], dtype=np.uint32)))
        say(f"resumed {meta_path.parent} at step {start}")
    params = jax.device_put(params, replicated)
    opt_state = jax.device_put(opt_state, replicated)

    def save(step: int) -> Path:
        meta = {
            "step": step,
            "seed": options.seed,
            "rng": _rng_data(rng),
            "data": {**spec.comparable(), "hanzi_dir": spec.hanzi_dir, "next_step": step},
            "optimizer": options.optimizer_settings(),
            "devices": n_devices,
            "saved_unix": time.time(),
        }
        return save_checkpoint(out, step, config, params, opt_state, meta, keep=options.keep_checkpoints)

    out.mkdir(parents=True, exist_ok=True)
    log_file = open(out / "train.log.jsonl", "a")
    losses: list[tuple[int, float]] = []
    pending: list[tuple[int, Any]] = []  # (step, loss still on the device)
    started = last_save = time.monotonic()
    stopped = "steps"
    step = start
    checkpoint: Path | None = None
    prefetch = _Prefetcher(spec, start, options.workers, options.prefetch)
    calibrating = options.budget_minutes is not None and not resuming
    timed_from = 0.0
    say(
        f"training {config.name} ({sum(x.size for x in jax.tree_util.tree_leaves(params)):,} parameters) on "
        f"{n_devices} device(s), batch {options.batch_size}, steps {start}.."
        + (f"(chosen for {options.budget_minutes:g} min)" if calibrating else str(options.steps))
        + f", echo {options.echo}, out {out}"
    )
    try:
        while step < options.steps:
            if options.max_minutes is not None and time.monotonic() - started > options.max_minutes * 60:
                stopped = "time"
                break
            if options.stop_after is not None and step >= options.stop_after:
                stopped = "stop_after"
                break
            batch = jax.device_put(prefetch.get(step), batch_sharding)
            learning_rate = np.float32(schedule(step))
            params, opt_state, loss, gnorm = step_fn(params, opt_state, batch, rng, np.int32(step), learning_rate)
            step += 1
            pending.append((step, loss))  # read back at the next log line: the host does not wait for each step
            if calibrating:
                if step == start + 1:  # the first step compiled; time from here
                    loss.block_until_ready()
                    timed_from = time.monotonic()
                elif step == start + 1 + options.calibration_steps:
                    loss.block_until_ready()
                    pace = (time.monotonic() - timed_from) / options.calibration_steps
                    left = options.budget_minutes * 60 - (time.monotonic() - started)  # type: ignore[operator]
                    options = dataclasses.replace(options, steps=step + max(1, int(left / pace)))
                    _, schedule = make_optimizer(options)
                    calibrating = False
                    say(f"{pace:.3f} s a step: the schedule runs to step {options.steps} within the budget")
            if step % options.log_every == 0 or step == options.steps:
                read = _read_losses(pending)
                losses.extend(read)
                pending = []
                elapsed = time.monotonic() - started
                record = {
                    "step": step,
                    "loss": float(np.mean([value for _, value in read])),
                    "grad_norm": float(gnorm),
                    "lr": float(schedule(step)),
                    "elapsed_s": round(elapsed, 1),
                    "examples_per_s": round((step - start) * options.batch_size / max(elapsed, 1e-9), 2),
                }
                log_file.write(json.dumps(record) + "\n")
                log_file.flush()
                say(
                    f"step {step}/{options.steps}  loss {record['loss']:.4f}  lr {record['lr']:.2e}  "
                    f"{record['examples_per_s']:.1f} ex/s  {elapsed / 60:.1f} min"
                )
            due = step % options.checkpoint_every == 0 or (
                options.checkpoint_minutes is not None
                and time.monotonic() - last_save > options.checkpoint_minutes * 60
            )
            if due and step < options.steps:
                checkpoint = save(step)
                last_save = time.monotonic()
                say(f"checkpoint {checkpoint}")
                if on_checkpoint is not None:
                    on_checkpoint(checkpoint, step)
        losses.extend(_read_losses(pending))
    finally:
        prefetch.close()
        log_file.close()
    if step > start or checkpoint is None:
        checkpoint = save(step)
        say(f"checkpoint {checkpoint} (final, stopped by {stopped})")
    return TrainResult(
        config=config,
        params=jax.device_get(params),
        step=step,
        losses=losses,
        checkpoint=checkpoint,
        stopped=stopped,
    )
