"""Checkpoints: Flax msgpack state plus a JSON metadata file, written atomically.

Layout of a training run directory (``inksight train --out DIR``)::

    DIR/
      ckpt-000400/
        state.msgpack   flax.serialization msgpack of {"params": ..., "opt_state": ...}
        meta.json       format, version, config (every field), step, seed, rng,
                        data position, training arguments, sha256 + size of state.msgpack
      ckpt-000800/ ...
      latest -> ckpt-000800   (symlink, replaced atomically after each save)
      train.log.jsonl  one JSON line per logged step (loss, learning rate, speed)

Shipped weights (``inksight_jax/weights/``) are the same thing without the
optimizer: ``<name>.msgpack`` holds ``{"params": ...}`` and ``<name>.json``
the metadata.

:func:`load_checkpoint` reads any of them: a run directory (follows
``latest``), one checkpoint directory, a ``meta.json`` / ``.json`` file or its
``.msgpack`` file. It checks the file's size and sha256 against the metadata
(a truncated or damaged file is an error naming the file) and the parameter
tree against the configuration (:class:`CheckpointMismatchError` names the
first differing parameter).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from inksight_sdk.errors import InputFileError

from .config import ModelConfig
from .inference import ParamsMismatchError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CheckpointError",
    "CheckpointMismatchError",
    "save_checkpoint",
    "save_params",
    "load_checkpoint",
    "load_state",
    "read_meta",
    "resolve_checkpoint",
    "config_difference",
]

FORMAT = "inksight-jax-checkpoint"
FORMAT_VERSION = 1
STATE_FILE = "state.msgpack"
META_FILE = "meta.json"
LATEST = "latest"


class CheckpointError(InputFileError):
    """A checkpoint that cannot be read: missing, truncated, damaged, or not a checkpoint."""


class CheckpointMismatchError(CheckpointError, ParamsMismatchError):
    """A checkpoint of another model configuration than the one asked for."""


def config_difference(a: ModelConfig | dict[str, Any], b: ModelConfig | dict[str, Any]) -> list[str]:
    """``["field: a != b", ...]`` for every differing configuration field (``name`` included)."""
    da = a.to_dict() if isinstance(a, ModelConfig) else dict(a)
    db = b.to_dict() if isinstance(b, ModelConfig) else dict(b)
    return [f"{k}: {da.get(k)!r} != {db.get(k)!r}" for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_pair(directory: Path, state_name: str, meta_name: str, state: dict[str, Any], meta: dict[str, Any]) -> None:
    from flax import serialization

    data = serialization.msgpack_serialize(serialization.to_state_dict(state))
    (directory / state_name).write_bytes(data)
    meta = dict(meta)
    meta["state_file"] = state_name
    meta["state_bytes"] = len(data)
    meta["state_sha256"] = hashlib.sha256(data).hexdigest()
    (directory / meta_name).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _base_meta(config: ModelConfig, meta: dict[str, Any] | None) -> dict[str, Any]:
    out = {"format": FORMAT, "version": FORMAT_VERSION, "config": config.to_dict(), "config_name": config.name}
    out.update(meta or {})
    return out


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    step: int,
    config: ModelConfig,
    params: Any,
    opt_state: Any = None,
    meta: dict[str, Any] | None = None,
    keep: int | None = 3,
) -> Path:
    """Write ``run_dir/ckpt-<step>/`` atomically, point ``latest`` at it, keep the last ``keep`` checkpoints."""
    import jax

    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    name = f"ckpt-{int(step):06d}"
    state: dict[str, Any] = {"params": jax.device_get(params)}
    if opt_state is not None:
        state["opt_state"] = jax.device_get(opt_state)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=run))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a checkpoint is an ordinary directory
    try:
        _write_pair(tmp, STATE_FILE, META_FILE, state, _base_meta(config, {**(meta or {}), "step": int(step)}))
        final = run / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    link_tmp = run / f".{LATEST}.tmp"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(name, link_tmp)
    os.replace(link_tmp, run / LATEST)
    if keep:
        old = sorted(p for p in run.glob("ckpt-*") if p.is_dir() and p.name != name)
        for p in old[: max(0, len(old) - (keep - 1))]:
            shutil.rmtree(p, ignore_errors=True)
    return final


def save_params(
    path: str | os.PathLike[str], config: ModelConfig, params: Any, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``<path>.msgpack`` (``{"params": ...}``) and ``<path>.json`` (metadata); returns the json path."""
    import jax

    path = Path(path)
    path = path.with_suffix("") if path.suffix in (".json", ".msgpack") else path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".weights.", dir=path.parent))
    try:
        _write_pair(
            tmp,
            path.name + ".msgpack",
            path.name + ".json",
            {"params": jax.device_get(params)},
            _base_meta(config, meta),
        )
        for suffix in (".msgpack", ".json"):
            os.replace(tmp / (path.name + suffix), path.parent / (path.name + suffix))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path.with_suffix(".json")


def resolve_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The metadata file of a run directory (its ``latest``), a checkpoint directory or a weights file."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(
            f"checkpoint {p} does not exist; give a training run directory, a checkpoint directory "
            "or a .msgpack/.json weights file"
        )
    if p.is_dir():
        if (p / META_FILE).is_file():
            return p / META_FILE
        if (p / LATEST).exists():
            return resolve_checkpoint((p / LATEST).resolve())
        ckpts = sorted(q for q in p.glob("ckpt-*") if (q / META_FILE).is_file())
        if ckpts:
            return ckpts[-1] / META_FILE
        raise CheckpointError(f"{p} holds no checkpoint ({META_FILE} or a '{LATEST}' link)")
    if p.suffix == ".msgpack":
        if p.name == STATE_FILE:
            return p.with_name(META_FILE)
        return p.with_suffix(".json")
    return p


def read_meta(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    meta_path = resolve_checkpoint(path)
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint metadata {meta_path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint metadata {meta_path} is damaged: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path} is not an inksight-jax checkpoint (format {FORMAT!r} expected)")
    if int(meta.get("version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{meta_path} has checkpoint format version {meta.get('version')}; this inksight-jax reads up to "
            f"{FORMAT_VERSION}: upgrade inksight-jax"
        )
    return meta_path, meta


def _check_config(meta: dict[str, Any], meta_path: Path, expected: ModelConfig | str | None) -> ModelConfig:
    from .config import get_config

    try:
        config = ModelConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{meta_path} has a bad model configuration: {exc}") from None
    if expected is not None:
        want = get_config(expected)
        diff = config_difference(config, want)
        if diff:
            raise CheckpointMismatchError(
                f"checkpoint {meta_path.parent} is for model config {config.name!r}, not {want.name!r} "
                f"({'; '.join(diff[:4])}{' ...' if len(diff) > 4 else ''})"
            )
    return config


def _read_state(meta_path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    from flax import serialization

    state_path = meta_path.parent / str(meta.get("state_file", STATE_FILE))
    try:
        data = state_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint state {state_path} is missing") from None
    if "state_bytes" in meta and len(data) != int(meta["state_bytes"]):
        raise CheckpointError(
            f"checkpoint state {state_path} is damaged: {len(data)} bytes, its metadata says {meta['state_bytes']} "
            "(truncated copy?)"
        )
    if "state_sha256" in meta and hashlib.sha256(data).hexdigest() != meta["state_sha256"]:
        raise CheckpointError(f"checkpoint state {state_path} is damaged: its sha256 does not match {meta_path.name}")
    try:
        state = serialization.msgpack_restore(data)
    except Exception as exc:
        raise CheckpointError(f"checkpoint state {state_path} is damaged: {type(exc).__name__}: {exc}") from None
    if not isinstance(state, dict) or "params" not in state:
        raise CheckpointError(f"checkpoint state {state_path} holds no parameters")
    return state


def _as_params(tree: Any, config: ModelConfig, where: Path) -> Any:
    import jax
    import numpy as np

    from .inference import check_params

    params = jax.tree_util.tree_map(np.asarray, tree)
    try:
        check_params(params, config)
    except ParamsMismatchError as exc:
        raise CheckpointMismatchError(f"checkpoint {where}: {exc}") from None
    return params


def load_checkpoint(
    path: str | os.PathLike[str], config: ModelConfig | str | None = None
) -> tuple[ModelConfig, Any, dict[str, Any]]:
    """``(config, params, meta)`` from a run directory, a checkpoint directory or shipped weights.

    ``params`` is the model's parameter tree (``{"params": ...}``, numpy
    arrays) ready for :class:`~inksight_jax.JaxDecoder`. With ``config``
    given, a checkpoint of any other configuration raises
    :class:`CheckpointMismatchError` naming the differing fields.
    """
    meta_path, meta = read_meta(path)
    cfg = _check_config(meta, meta_path, config)
    state = _read_state(meta_path, meta)
    return cfg, _as_params(state["params"], cfg, meta_path.parent), meta


def load_state(
    path: str | os.PathLike[str], config: ModelConfig | str, params_template: Any, opt_state_template: Any
) -> tuple[Any, Any, dict[str, Any]]:
    """Restore ``(params, opt_state, meta)`` for resuming training, checked against the templates."""
    from flax import serialization

    meta_path, meta = read_meta(path)
    cfg = _check_config(meta, meta_path, config)
    state = _read_state(meta_path, meta)
    params = _as_params(state["params"], cfg, meta_path.parent)
    if "opt_state" not in state:
        raise CheckpointError(f"{meta_path.parent} holds no optimizer state (weights only); it cannot be resumed")
    try:
        restored = serialization.from_state_dict(
            {"params": params_template, "opt_state": opt_state_template},
            {"params": params, "opt_state": state["opt_state"]},
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointMismatchError(
            f"checkpoint {meta_path.parent}: optimizer state does not match this training setup: {exc}"
        ) from None
    return restored["params"], restored["opt_state"], meta
