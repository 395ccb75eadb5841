"""What one ``inksight serve`` runs with, in one frozen object.

The command line fills it in; tests and embedding applications build it
directly and hand it to :func:`inksight_server.app.create_app`. The limits
default lower than the command line's (uploads come from strangers): a
12-megapixel phone photo or a 200-page PDF fits, a decompression bomb does not.
"""

from __future__ import annotations

import attrs

from inksight_sdk.limits import Limits

__all__ = ["ServerSettings", "SERVER_LIMITS"]

#: the server's default limits: 64 MiB uploads, 100 megapixels a page, 200 pages, 120 s a page
SERVER_LIMITS = Limits(max_bytes=64 << 20, max_pixels=100_000_000, max_pages=200, page_timeout=120.0)


def _positive(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen
class ServerSettings:
    """Everything the server is configured with (``inksight serve --help`` names each flag).

    ``workers`` conversion processes take requests from a queue of at most
    ``queue`` waiting ones; beyond that a request is answered 429 with
    ``Retry-After``. ``request_timeout`` bounds the seconds one ``/v1/convert``
    (or one export of a job's result) may run in a worker, ``job_timeout``
    those of one job; ``limits.page_timeout`` bounds one page. ``token``, when
    set, is required as ``Authorization: Bearer <token>`` on the API.
    ``cors_origins`` empty means no CORS headers at all. Finished jobs and
    their files are removed ``job_ttl`` seconds after they finish.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    queue: int = attrs.field(default=16, validator=attrs.validators.ge(0))
    token: str | None = None
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    job_ttl: float = attrs.field(default=3600.0, validator=_positive)
    limits: Limits = SERVER_LIMITS
    detector: str = "auto"
    derenderer: str = "auto"
    request_timeout: float = attrs.field(default=300.0, validator=_positive)
    job_timeout: float = attrs.field(default=3600.0, validator=_positive)
    temp_dir: str | None = None
    #: bytes one text field of a form (an options object) may hold
    max_field_bytes: int = 64 << 10
