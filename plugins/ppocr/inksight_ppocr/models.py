"""Which model files a ``ppocr`` detector loads: local paths only, never a download.

RapidOCR downloads any model it is not given a path for (its
``default_models.yaml`` lists addresses on modelscope.cn for every
language). The detector therefore always hands it explicit paths, resolved
here: the wheel's own files for the languages its multilingual PP-OCRv6
recognizer reads, or a PP-OCRv5 recognizer the user put in ``model_dir``.
A file that is not on disk is a :class:`MissingPluginError` naming it.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from inksight_sdk.errors import BadArgumentsError, MissingPluginError

from . import SHIPPED_MODELS, wheel_models

__all__ = ["ModelFiles", "resolve_models"]

#: read right to left: the detector lays lines out left to right only
_UNSUPPORTED = {"arabic": "Arabic is read right to left, which this detector does not lay out"}


@attrs.frozen
class ModelFiles:
    """The three ONNX files of one detector, and whether the recognizer is the wheel's own."""

    det: Path
    cls: Path
    rec: Path
    shipped_rec: bool


def _find(name: str, model_dir: Path | None, what: str, source: str) -> Path:
    folders = [d for d in (model_dir, wheel_models()) if d is not None]
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    where = " or ".join(str(d) for d in folders)
    raise MissingPluginError(f"the {what} model {name} is not on disk (looked in {where}); {source}")


def _v6_rec_langs() -> tuple[set[str], dict[str, str]]:
    """Languages (and aliases) the shipped PP-OCRv6 small recognizer reads, from rapidocr's own tables."""
    from rapidocr.utils.model_resolver import MODEL_ROUTES, list_supported_langs
    from rapidocr.utils.typings import ModelType, OCRVersion, TaskType

    langs = set(list_supported_langs(TaskType.REC, OCRVersion.PPOCRV6, ModelType.SMALL))
    aliases = {str(k): str(v) for k, v in dict(MODEL_ROUTES["PP-OCRv6"].get("aliases", {})).items()}
    return langs, aliases


def _v5_rec_file(lang: str) -> tuple[str, str] | None:
    """(file name, download address) of the PP-OCRv5 mobile recognizer for ``lang``, or None if there is none."""
    from rapidocr.inference_engine.base import InferSession
    from rapidocr.utils.model_resolver import route_to_model_key
    from rapidocr.utils.typings import ModelType, OCRVersion, TaskType

    try:
        key = route_to_model_key(TaskType.REC, OCRVersion.PPOCRV5, lang, ModelType.MOBILE)
    except ValueError:
        return None
    url = str(InferSession.model_info["onnxruntime"]["PP-OCRv5"]["rec"][key]["model_dir"])
    return url.rsplit("/", 1)[-1], url


def resolve_models(lang: str, model_dir: Path | None) -> ModelFiles:
    """The local files for reading ``lang``; BadArgumentsError for a language PP-OCR has no model for."""
    if model_dir is not None and not model_dir.is_dir():
        raise BadArgumentsError(f"model_dir {model_dir} is not a folder; pass a folder holding .onnx models")
    hint = "reinstall rapidocr (pip install --force-reinstall 'rapidocr>=3,<4'), whose wheel ships it"
    det = _find(SHIPPED_MODELS["det"], model_dir, "text detection", hint)
    cls = _find(SHIPPED_MODELS["cls"], model_dir, "text direction", hint)
    v6_langs, aliases = _v6_rec_langs()
    if aliases.get(lang, lang) in v6_langs:
        return ModelFiles(det, cls, _find(SHIPPED_MODELS["rec"], model_dir, "recognition", hint), True)
    if lang in _UNSUPPORTED:
        raise BadArgumentsError(f"lang={lang}: {_UNSUPPORTED[lang]}; use a left-to-right language")
    v5 = _v5_rec_file(lang)
    if v5 is None:
        raise BadArgumentsError(
            f"PP-OCR has no recognizer for lang={lang!r}; use one of {', '.join(sorted(v6_langs))} (shipped), "
            "or korean, latin, eslav, cyrillic, el, th, devanagari, ta, te (a PP-OCRv5 file in model_dir)"
        )
    name, url = v5
    source = f"download {url} yourself and pass --detector-option model_dir=FOLDER (ppocr never downloads)"
    rec = _find(name, model_dir, f"{lang} recognition", source)
    _check_characters(rec)
    return ModelFiles(det, cls, rec, False)


def _check_characters(path: Path) -> None:
    """A recognizer must carry its character list: without one RapidOCR would download a dictionary."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise MissingPluginError(f"{path} is not a readable ONNX model ({type(exc).__name__}); replace it") from exc
    if "character" not in session.get_modelmeta().custom_metadata_map:
        raise MissingPluginError(f"{path} has no character list in its metadata; use RapidOCR's ONNX export of it")
