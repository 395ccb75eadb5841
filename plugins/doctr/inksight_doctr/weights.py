"""Where a docTR model's weights come from, without ever downloading them.

docTR's own loader (``doctr.utils.data.download_from_url``) names a cached
file after the last part of the architecture's published URL
(``...?id=v0.8.1/fast_base-688a8b34.pt&src=0`` -> ``fast_base-688a8b34.pt``),
looks for it in ``$DOCTR_CACHE_DIR/models`` (default
``~/.cache/doctr/models``), checks that its SHA-256 starts with the hash in
the name, and downloads it when it is not there. This module does the same
lookup, in ``weights_dir`` first, and stops with a one-line error naming the
file and its URL where docTR would download.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import attrs

from inksight_sdk.errors import BadArgumentsError, MissingPluginError

__all__ = ["WeightsSource", "published", "find_weights"]

#: docTR's pattern for the hash in a file name (``-688a8b34.``)
_HASH = re.compile(r"-([a-f0-9]+)\.")


@attrs.frozen
class WeightsSource:
    """The weights of one model: a local file, or ``None`` for random weights."""

    path: Path | None
    file_name: str
    url: str


def published(builder: object, arch: str) -> tuple[str, str]:
    """docTR's file name and download URL for ``arch``, read from the ``default_cfgs`` of its module."""
    module = sys.modules[builder.__module__]
    url = str(module.default_cfgs[arch]["url"])
    return url.rpartition("/")[-1].split("&")[0], url


def cache_dir() -> Path:
    """docTR's model cache folder, resolved as docTR resolves it."""
    root = os.environ.get("DOCTR_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "doctr"))
    return Path(root) / "models"


def _sha256_prefix_ok(path: Path, file_name: str) -> bool:
    match = _HASH.search(file_name)
    if match is None:
        return True
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().startswith(match.group(1))


def find_weights(
    kind: str,
    option: str,
    builder: object,
    arch: str,
    explicit: str | None,
    weights_dir: str | None,
    untrained: bool,
) -> WeightsSource:
    """The weights file for one model, or ``WeightsSource(None, ...)`` when ``untrained`` allows random weights.

    ``kind`` names the model in messages (``detection``), ``option`` the
    option that gives its file (``det_weights``).
    """
    file_name, url = published(builder, arch)
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise BadArgumentsError(f"{option} file not found: {path}")
        return WeightsSource(path, file_name, url)
    folders = ([Path(weights_dir).expanduser()] if weights_dir else []) + [cache_dir()]
    for folder in folders:
        path = folder / file_name
        if path.is_file():
            if not _sha256_prefix_ok(path, file_name):
                raise MissingPluginError(
                    f"docTR {kind} weights {path} are damaged (SHA-256 does not match the name): download {url} again"
                )
            return WeightsSource(path, file_name, url)
    if untrained:
        return WeightsSource(None, file_name, url)
    raise MissingPluginError(
        f"docTR {kind} weights for {arch} not found: download {file_name} from {url} into "
        f"{' or '.join(str(f) for f in folders)}, or pass {option}=PATH"
    )
