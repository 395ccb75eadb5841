"""Google Cloud Vision as a detector for inksight-sdk (registered through the ``inksight_sdk`` entry point).

Pages are sent to Google: the detector registers with ``auto=False``, so
``--detector auto`` never chooses it and images leave the machine only when
the user names ``--detector cloud-vision``. Registration is cheap: the client library is
imported, and credentials resolved, only when the detector is built.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable
from typing import Any

import attrs

from inksight_sdk import StageSpec, hookimpl

__all__ = ["CloudVisionOptions", "is_available", "INSTALL_HINT"]

INSTALL_HINT = "pip install ./plugins/cloud-vision (google-cloud-vision)"

#: images per BatchAnnotateImages request, the API's documented maximum ("Images per request: 16",
#: https://cloud.google.com/vision/quotas)
MAX_IMAGES_PER_REQUEST = 16

#: "Image files sent to the Vision API should not exceed 20MB" (https://cloud.google.com/vision/docs/supported-files)
MAX_IMAGE_BYTES = 20_000_000

#: "the Vision API imposes a 10MB JSON request size limit" (same page); base64 makes images 4/3 their size
#: there, so a request holds 7.5 MB of image bytes. The gRPC form carries raw bytes, but a proxy or the
#: REST gateway may carry the JSON form: the JSON budget is the one that holds everywhere
REQUEST_IMAGE_BYTES = 7_500_000

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_ENDPOINT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def is_available() -> bool:
    """The google-cloud-vision distribution is installed (metadata only: ``google.cloud`` is not imported)."""
    try:
        version = importlib.metadata.version("google-cloud-vision")
    except importlib.metadata.PackageNotFoundError:
        return False
    return int(version.split(".")[0]) >= 3


def _languages(value: Any) -> tuple[str, ...]:
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else (value or ())
    out = tuple(str(item).strip() for item in items if str(item).strip())
    bad = [code for code in out if not _LANGUAGE.match(code)]
    if bad:
        raise ValueError(f"language_hints takes BCP-47 codes like fr or zh-Hant, comma-separated; got {', '.join(bad)}")
    return out


def _endpoint(value: Any) -> str:
    value = str(value or "").strip()
    if value and not _ENDPOINT.match(value):
        raise ValueError(f"endpoint is HOST or HOST:PORT (eu-vision.googleapis.com, 127.0.0.1:8080), got {value!r}")
    return value


@attrs.frozen
class CloudVisionOptions:
    """Options of the ``cloud-vision`` detector (``--detector-option KEY=VALUE``).

    ``language_hints``: BCP-47 codes, comma-separated (``fr,en``); empty lets
    Vision detect the language. ``endpoint``: ``HOST[:PORT]`` instead of
    ``vision.googleapis.com`` (a regional endpoint such as
    ``eu-vision.googleapis.com``, a TLS proxy); a loopback address
    (``127.0.0.1:PORT``, ``localhost:PORT``) is spoken to in plain text, for
    local test servers, and nothing else is. Credentials, first found wins:
    ``api_key``; ``credentials`` (a service-account or other credential JSON
    file, or ``anonymous`` for a local server that needs none); else
    Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
    ``gcloud auth application-default login``, the metadata server).
    ``timeout``: seconds one request may take; ``retries``: how many more
    times a request that failed with UNAVAILABLE or DEADLINE_EXCEEDED is sent,
    after a truncated exponential backoff that starts at ``backoff`` seconds.
    ``batch_size``: pages per request (the API takes at most 16) when pages
    are detected together. ``max_pixels``: larger pages are sent reduced
    (quads come back in the input's pixels); ``jpeg_quality``: how pages are
    compressed; ``max_request_bytes``: image bytes one request may carry
    (7.5 MB: the API's 10 MB JSON request limit, base64 included).
    """

    language_hints: tuple[str, ...] = attrs.field(default=(), converter=_languages)
    endpoint: str = attrs.field(default="", converter=_endpoint)
    api_key: str = attrs.field(default="", converter=lambda v: str(v or "").strip())
    credentials: str = attrs.field(default="", converter=lambda v: str(v or "").strip())
    timeout: float = attrs.field(default=60.0, converter=float, validator=attrs.validators.gt(0))
    retries: int = attrs.field(default=3, converter=int, validator=[attrs.validators.ge(0), attrs.validators.le(10)])
    backoff: float = attrs.field(default=1.0, converter=float, validator=attrs.validators.gt(0))
    batch_size: int = attrs.field(
        default=MAX_IMAGES_PER_REQUEST,
        converter=int,
        validator=[attrs.validators.ge(1), attrs.validators.le(MAX_IMAGES_PER_REQUEST)],
    )
    max_pixels: int = attrs.field(default=8_000_000, converter=int, validator=attrs.validators.ge(10_000))
    jpeg_quality: int = attrs.field(
        default=90, converter=int, validator=[attrs.validators.ge(30), attrs.validators.le(100)]
    )
    max_request_bytes: int = attrs.field(
        default=REQUEST_IMAGE_BYTES,
        converter=int,
        validator=[attrs.validators.ge(10_000), attrs.validators.le(MAX_IMAGE_BYTES)],
    )


def _factory(options: CloudVisionOptions):  # type: ignore[no-untyped-def]
    from .detector import CloudVisionDetector

    return CloudVisionDetector(options)


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        StageSpec(
            name="cloud-vision",
            description="Google Cloud Vision DOCUMENT_TEXT_DETECTION: word quads with text, lines and blocks "
            "(sends pages to Google; only when named, never by auto)",
            factory=_factory,
            options=CloudVisionOptions,
            auto=False,  # pages go to Google only when the user names this detector
            is_available=is_available,
            install_hint=INSTALL_HINT,
        )
    )
