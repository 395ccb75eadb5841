"""The Cloud Vision client: credentials, the channel, retries, and errors said plainly.

Credentials are resolved when the detector is built, so missing ones stop
the run before any page is read. The client library builds the channel (TLS,
Google's auth plugin, self-signed JWTs for service accounts); for a loopback
endpoint the channel is gRPC's *local* credentials instead of TLS: plain
text that gRPC only allows to a loopback peer, with the same per-call
credentials (API key header, bearer token) as in production, so a local test
server sees what Google would.

Retries: a request that fails with UNAVAILABLE or DEADLINE_EXCEEDED (each
attempt has ``timeout`` seconds) is sent again up to ``retries`` times after
api_core's truncated exponential backoff (full jitter, from ``backoff``
seconds, doubling, at most 32 s). Other failures are not retried: a
credentials or permission problem is a configuration error (exit 2, the run
stops); quota and anything else cost the pages of that request (exit 6).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from inksight_sdk.errors import BadArgumentsError, StageError

from . import CloudVisionOptions

__all__ = ["VisionService", "is_loopback", "error_for"]

log = logging.getLogger("inksight_sdk.cloud_vision")

_MAX_BACKOFF = 32.0
_MESSAGE_CHARS = 300
_WHAT_TO_SET = (
    "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, "
    "or pass --detector-option credentials=FILE or --detector-option api_key=KEY"
)
#: ErrorInfo reasons Google gives for an API key it will not take (sent as INVALID_ARGUMENT or PERMISSION_DENIED)
_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"})


def is_loopback(endpoint: str) -> bool:
    """``localhost`` or a loopback address, with or without a port (``[::1]:8080`` too)."""
    if endpoint.startswith("["):
        host = endpoint[1 : endpoint.find("]")]
    else:
        host = endpoint.rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def _credentials(options: CloudVisionOptions) -> Any:
    """The credentials object to use, ``None`` for an API key (the client builds its own)."""
    import google.auth
    import google.auth.exceptions
    from google.auth.credentials import AnonymousCredentials

    if options.api_key and options.credentials:
        raise BadArgumentsError("cloud-vision takes api_key or credentials, not both; remove one of them")
    if options.api_key:
        return None
    if options.credentials == "anonymous":
        return AnonymousCredentials()
    if options.credentials:
        path = os.path.expanduser(options.credentials)
        if not os.path.isfile(path):
            raise BadArgumentsError(
                f"the credentials file {options.credentials} does not exist; pass the path of a service-account "
                "key (JSON) from the Google Cloud console"
            )
        try:
            credentials, _ = google.auth.load_credentials_from_file(path)
        except (google.auth.exceptions.GoogleAuthError, ValueError, OSError) as exc:
            raise BadArgumentsError(
                f"cannot use the credentials file {options.credentials}: {_short(str(exc))}; pass a service-account "
                "key (JSON) from the Google Cloud console"
            ) from exc
        return credentials
    try:
        credentials, _ = google.auth.default()
    except google.auth.exceptions.GoogleAuthError as exc:
        raise BadArgumentsError(f"no usable Google Cloud credentials ({_short(str(exc))}); {_WHAT_TO_SET}") from exc
    return credentials


def _client(options: CloudVisionOptions, credentials: Any) -> Any:
    import google.auth.exceptions
    import grpc
    from google.api_core.client_options import ClientOptions
    from google.cloud.vision_v1 import ImageAnnotatorClient
    from google.cloud.vision_v1.services.image_annotator.transports import ImageAnnotatorGrpcTransport

    client_options = ClientOptions(api_endpoint=options.endpoint or None, api_key=options.api_key or None)
    transport: Any = "grpc"
    if options.endpoint and is_loopback(options.endpoint):
        local = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        transport = functools.partial(ImageAnnotatorGrpcTransport, ssl_channel_credentials=local)
    try:
        return ImageAnnotatorClient(credentials=credentials, transport=transport, client_options=client_options)
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:  # e.g. a universe domain mismatch
        raise BadArgumentsError(f"cannot set up the Cloud Vision client: {_short(str(exc))}; {_WHAT_TO_SET}") from exc


def _reason(exc: Any) -> str:
    return str(getattr(exc, "reason", "") or "")


def _detail(exc: Any) -> str:
    """``STATUS: message`` of an api_core error, e.g. ``UNAVAILABLE: Connection refused``."""
    status = getattr(getattr(exc, "grpc_status_code", None), "name", None) or type(exc).__name__
    return f"{status}: {_short(exc.message)}"


def error_for(exc: Any) -> Exception:
    """An api_core error (``GoogleAPICallError``) as the inksight error that says what to do."""
    from google.api_core import exceptions as core

    detail = _detail(exc)
    if isinstance(exc, core.Unauthenticated) or _reason(exc) in _KEY_REASONS or "API key not valid" in exc.message:
        return BadArgumentsError(f"Cloud Vision refused the credentials ({detail}); {_WHAT_TO_SET}")
    if isinstance(exc, core.PermissionDenied):
        return BadArgumentsError(
            f"Cloud Vision denied access ({detail}); enable the Cloud Vision API in the credentials' project and "
            f"allow it for the key, or use other credentials: {_WHAT_TO_SET}"
        )
    if isinstance(exc, core.ResourceExhausted):
        return StageError(
            f"Cloud Vision quota exceeded ({detail}); page skipped: rerun later, or raise the Vision API quota "
            "of the project in the Google Cloud console"
        )
    if isinstance(exc, core.InvalidArgument):
        return StageError(f"Cloud Vision rejected the page ({detail}); page skipped")
    return StageError(f"Cloud Vision failed ({detail}); page skipped")


class VisionService:
    """One client for the detector's lifetime; :meth:`annotate` sends one BatchAnnotateImages request."""

    def __init__(self, options: CloudVisionOptions) -> None:
        self.options = options
        self._client = _client(options, _credentials(options))
        self.calls = 0

    def annotate(self, requests: Sequence[Any]) -> list[Any]:
        """The raw protobuf ``AnnotateImageResponse`` of each of ``requests``, retried; raises the mapped error."""
        from google.api_core import exceptions as core
        from google.api_core.retry import exponential_sleep_generator

        delays = exponential_sleep_generator(self.options.backoff, _MAX_BACKOFF, multiplier=2.0)
        attempt = 1
        while True:
            self.calls += 1
            try:
                answer = self._client.batch_annotate_images(
                    requests=list(requests), retry=None, timeout=self.options.timeout
                )
                return list(type(answer).pb(answer).responses)
            except (core.ServiceUnavailable, core.DeadlineExceeded) as exc:
                if attempt > self.options.retries:
                    raise StageError(
                        f"Cloud Vision did not answer after {attempt} {'try' if attempt == 1 else 'tries'} "
                        f"({_detail(exc)}); page skipped: "
                        "check the network and the endpoint, or raise --detector-option timeout or retries"
                    ) from exc
                delay = next(delays)
                attempt += 1
                log.info("Cloud Vision: %s; try %d in %.2f s", _detail(exc), attempt, delay)
                time.sleep(delay)
            except core.GoogleAPICallError as exc:
                raise error_for(exc) from exc

    def close(self) -> None:
        self._client.transport.close()
