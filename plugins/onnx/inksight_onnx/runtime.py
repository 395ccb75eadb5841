"""Loading an exported InkSight model and decoding with it on ONNX Runtime (numpy + onnxruntime, no JAX).

A model directory holds what :mod:`inksight_jax.export` writes:
``encoder.onnx``, ``decoder_step.onnx`` and ``inksight_onnx.json``.
:class:`OnnxModel` checks the directory before anything runs (format,
vocabulary, file sizes and sha256, both graphs from the same export, graph
inputs and outputs matching the stored configuration) and raises one-line
errors from :mod:`inksight_sdk.errors`. :class:`OnnxDecoder` runs the SDK's
own greedy loop (:func:`inksight_sdk.seq2seq.decoding.greedy_decode`) with
the exported decoder step as its step function, so stopping, the repetition
guard and the colab's fallback are the ones the JAX backend uses.

>>> model = OnnxModel("path/to/model")                                   # doctest: +SKIP
>>> OnnxDecoder(model).derender(images, ["Derender the ink."] * len(images))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inksight_sdk.errors import BadArgumentsError, InputFileError
from inksight_sdk.seq2seq import vocab
from inksight_sdk.seq2seq.decoding import DecodeOptions, Derendering, greedy_decode, to_derenderings, with_fallback

__all__ = ["OnnxModel", "OnnxDecoder", "ModelFileError", "FORMAT", "FORMAT_VERSION", "METADATA_FILE"]

FORMAT = "inksight-onnx-model"
FORMAT_VERSION = 1
METADATA_FILE = "inksight_onnx.json"
_SDK_VOCAB = {
    "pad": vocab.PAD,
    "eos": vocab.EOS,
    "byte_offset": vocab.BYTE_OFFSET,
    "ink_offset": vocab.INK_OFFSET,
    "vocab_size": vocab.VOCAB_SIZE,
}


class ModelFileError(InputFileError):
    """A model directory that is incomplete, damaged, or made for another configuration or vocabulary."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dims(value_info: Any) -> list[Any]:
    return list(value_info.shape)


class OnnxModel:
    """One exported model: its metadata and two ONNX Runtime sessions (thread-safe to share).

    ``threads``: intra-op threads of each session (0: onnxruntime's default,
    one per physical core). ``verify``: check the files' sha256 against the
    metadata (reads every byte once; turn off only for a model you trust).
    """

    def __init__(self, model_dir: str | os.PathLike[str], *, threads: int = 0, verify: bool = True):
        self.path = path = Path(model_dir)
        if not path.is_dir():
            raise BadArgumentsError(
                f"ONNX model directory {path} does not exist or is not a directory; pass model=DIR with a directory "
                "written by inksight_jax.export (encoder.onnx, decoder_step.onnx, inksight_onnx.json)"
            )
        self.meta = meta = self._read_metadata(path)
        self.config: dict[str, Any] = meta["config"]
        self.name: str = meta.get("config_name") or self.config.get("name", "?")
        self.image_size = int(meta["image_size"])
        self.max_prompt_len = int(meta["max_prompt_len"])
        self.max_decode_len = int(meta["max_decode_len"])
        self.encoder_len = int(meta["encoder_len"])
        self.layers = int(meta["cache"]["layers"])
        self.heads = int(meta["cache"]["heads"])
        self.head_dim = int(meta["cache"]["head_dim"])
        files = {role: self._model_file(path, meta, role, verify) for role in ("encoder", "decoder_step")}
        self.encoder = self._session(files["encoder"], threads, meta["export_id"], "encoder")
        self.decoder = self._session(files["decoder_step"], threads, meta["export_id"], "decoder_step")
        self._check_signatures()
        self._encoder_outputs = [o.name for o in self.encoder.get_outputs()]
        self._decoder_outputs = [o.name for o in self.decoder.get_outputs()]

    # -- checks

    @staticmethod
    def _read_metadata(path: Path) -> dict[str, Any]:
        file = path / METADATA_FILE
        if not file.is_file():
            raise ModelFileError(
                f"{path} is not an exported InkSight ONNX model: {METADATA_FILE} is missing; "
                "export one with inksight_jax.export or plugins/onnx/scripts/export_shipped_model.py"
            )
        try:
            meta = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{file} is not readable JSON ({exc}); re-export the model") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFileError(f"{file} is not {FORMAT} metadata; re-export the model with inksight_jax.export")
        if meta.get("version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{file} has model format version {meta.get('version')!r}, this inksight-onnx reads version "
                f"{FORMAT_VERSION}; re-export the model or upgrade inksight-onnx"
            )
        model_vocab = meta.get("vocab")
        if model_vocab != _SDK_VOCAB:
            diff = (
                ", ".join(
                    f"{k} {model_vocab.get(k)!r} (SDK: {v})" for k, v in _SDK_VOCAB.items() if model_vocab.get(k) != v
                )
                if isinstance(model_vocab, dict)
                else "missing"
            )
            raise ModelFileError(
                f"model {path} uses another vocabulary than this inksight-sdk ({diff}); "
                "use a model exported for this SDK version"
            )
        required = ("export_id", "config", "image_size", "max_prompt_len", "max_decode_len", "encoder_len", "cache")
        missing = [k for k in required if k not in meta]
        if missing or not isinstance(meta.get("files"), dict):
            raise ModelFileError(f"{file} lacks {', '.join(missing) or 'files'}; re-export the model")
        return meta

    @staticmethod
    def _model_file(path: Path, meta: dict[str, Any], role: str, verify: bool) -> Path:
        entry = meta["files"].get(role)
        if not isinstance(entry, dict) or "path" not in entry:
            raise ModelFileError(f"{path / METADATA_FILE} names no {role} graph; re-export the model")
        file = path / entry["path"]
        if not file.is_file():
            raise ModelFileError(f"model file {file} is missing; re-export the model or reinstall inksight-onnx")
        size = file.stat().st_size
        if "bytes" in entry and size != entry["bytes"]:
            raise ModelFileError(
                f"model file {file} is damaged: {size} bytes, the metadata says {entry['bytes']}; "
                "re-export the model or reinstall inksight-onnx"
            )
        if verify and "sha256" in entry and _sha256(file) != entry["sha256"]:
            raise ModelFileError(
                f"model file {file} is damaged: its sha256 differs from the metadata; "
                "re-export the model or reinstall inksight-onnx"
            )
        return file

    def _session(self, file: Path, threads: int, export_id: str, role: str) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # worker threads sleep instead of spinning between operators: the decoder step is many small
        # operators, and spinning threads starve each other (and everything else) on a shared CPU
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelFileError(
                f"model file {file} cannot be loaded by onnxruntime ({first}); re-export the model"
            ) from None
        props = session.get_modelmeta().custom_metadata_map
        if props.get("inksight_export_id") != export_id or props.get("inksight_role") != role:
            raise ModelFileError(
                f"model file {file} does not belong to {self.path / METADATA_FILE} (another export or another "
                "role); keep the files of one export together or re-export the model"
            )
        return session

    def _check_signatures(self) -> None:
        def problem(what: str) -> ModelFileError:
            return ModelFileError(
                f"model {self.path} does not match its metadata (config {self.name!r}): {what}; re-export the model"
            )

        enc_in = {i.name: i for i in self.encoder.get_inputs()}
        for name, dims in (
            ("images", [self.image_size, self.image_size, 3]),
            ("prompt_ids", [self.max_prompt_len]),
            ("prompt_mask", [self.max_prompt_len]),
        ):
            if name not in enc_in or _dims(enc_in[name])[1:] != dims:
                raise problem(f"encoder input {name} is not (batch, {', '.join(map(str, dims))})")
        dec_in = {i.name: i for i in self.decoder.get_inputs()}
        dec_out = {o.name: o for o in self.decoder.get_outputs()}
        names = [f"{kind}_{i}" for i in range(self.layers) for kind in ("past_k", "past_v", "cross_k", "cross_v")]
        if set(dec_in) != {"token", "encoder_mask", *names}:
            raise problem(f"decoder inputs are not those of {self.layers} layers")
        for i in range(self.layers):
            for kind in ("past_k", "past_v"):
                dims = _dims(dec_in[f"{kind}_{i}"])
                if dims[1] != self.heads or dims[3] != self.head_dim:
                    expected = f"{self.heads} x {self.head_dim}"
                    raise problem(f"cache {kind}_{i} has {dims[1]} heads x {dims[3]}, expected {expected}")
            for kind in ("cross_k", "cross_v"):
                dims = _dims(dec_in[f"{kind}_{i}"])
                if dims[1:] != [self.heads, self.encoder_len, self.head_dim]:
                    raise problem(f"{kind}_{i} is {dims}")
        if "next_token" not in dec_out or "logits" not in dec_out:
            raise problem("the decoder step has no next_token/logits output")
        if _dims(dec_out["logits"])[1] != vocab.VOCAB_SIZE:
            raise problem(f"logits have {_dims(dec_out['logits'])[1]} ids, the SDK's vocabulary {vocab.VOCAB_SIZE}")

    # -- running

    def encode(self, images: np.ndarray, prompt_ids: np.ndarray, prompt_mask: np.ndarray) -> dict[str, np.ndarray]:
        """``encoder_mask`` and every layer's ``cross_k_i``/``cross_v_i``."""
        feeds = {"images": images, "prompt_ids": prompt_ids.astype(np.int32), "prompt_mask": prompt_mask}
        return dict(zip(self._encoder_outputs, self.encoder.run(None, feeds)))

    def empty_cache(self, batch: int) -> dict[str, np.ndarray]:
        empty = np.zeros((batch, self.heads, 0, self.head_dim), np.float32)
        return {f"past_{kind}_{i}": empty for i in range(self.layers) for kind in ("k", "v")}

    def step(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One decoder step: ``next_token``, ``logits`` and every ``present_k_i``/``present_v_i``."""
        return dict(zip(self._decoder_outputs, self.decoder.run(None, feeds)))

    def describe(self) -> dict[str, Any]:
        return {
            "model": str(self.path),
            "config": self.name,
            "step": (self.meta.get("source") or {}).get("step"),
            "export_id": self.meta["export_id"],
        }


class _Stepper:
    """The step function of :func:`greedy_decode` over the exported decoder.

    Rows that have stopped (fed ``PAD`` after the first position; the
    decoder never writes ``PAD``) are dropped from the batch and their caches,
    so a batch costs what its longest words cost, not ``batch x longest``.
    """

    def __init__(self, model: OnnxModel, encoded: dict[str, np.ndarray], batch: int, record_logits: bool = False):
        self.model = model
        self.batch = batch
        self.rows = np.arange(batch)
        self.static = dict(encoded)
        self.cache = model.empty_cache(batch)
        self.logits: list[np.ndarray] | None = [] if record_logits else None

    def _keep(self, keep: np.ndarray) -> None:
        self.rows = self.rows[keep]
        self.static = {k: v[keep] for k, v in self.static.items()}
        self.cache = {k: v[keep] for k, v in self.cache.items()}

    def __call__(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        tokens = np.asarray(tokens, np.int32)
        out = np.full(self.batch, vocab.PAD, np.int32)
        if pos > 0:
            live = tokens[self.rows] != vocab.PAD
            if not live.all():
                self._keep(np.flatnonzero(live))
        if len(self.rows) == 0:
            return out
        result = self.model.step({"token": tokens[self.rows], **self.static, **self.cache})
        self.cache = {f"past{k[len('present') :]}": v for k, v in result.items() if k.startswith("present_")}
        out[self.rows] = result["next_token"]
        if self.logits is not None:
            full = np.full((self.batch, result["logits"].shape[1]), np.nan, np.float32)
            full[self.rows] = result["logits"]
            self.logits.append(full)
        return out


class OnnxDecoder:
    """Batched greedy decoding with an :class:`OnnxModel` (the loop and stop rules of the JAX backend)."""

    def __init__(self, model: OnnxModel, options: DecodeOptions | None = None):
        self.model = model
        self.options = options = options or DecodeOptions()
        self.max_len = options.max_len or model.max_decode_len

    def _check_images(self, images: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(images)
        size = self.model.image_size
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"images must have shape (B, {size}, {size}, 3), got {images.shape}")
        if images.dtype != np.uint8:
            raise ValueError(f"images must be uint8, got {images.dtype}")
        return images

    def stepper(self, images: np.ndarray, prompts: Sequence[str], record_logits: bool = False) -> _Stepper:
        """Encode a batch and return its step function (for tests and benchmarks)."""
        images = self._check_images(images)
        if len(images) != len(prompts):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
        ids, mask = vocab.encode_prompts(list(prompts), self.model.max_prompt_len)
        return _Stepper(self.model, self.model.encode(images, ids, mask), len(prompts), record_logits)

    def run(self, images: np.ndarray, prompts: Sequence[str]) -> list[Derendering]:
        """One greedy pass (no fallback)."""
        if len(prompts) == 0:
            return []
        step = self.stepper(images, prompts)
        result = greedy_decode(step, len(prompts), self.max_len, self.options)
        return to_derenderings(result, list(prompts))

    def derender(self, images: np.ndarray, prompts: Sequence[str]) -> list[Derendering]:
        """Greedy decoding with the colab's fallback for recognize-and-derender rows without ink."""
        return with_fallback(self.run, np.asarray(images), prompts, self.options.fallback)
