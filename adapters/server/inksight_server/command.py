"""``inksight serve``: its options, the listening socket, uvicorn.

The socket is bound here, before uvicorn runs, so a port in use is the CLI's
one-line error (exit 2) rather than a log line and exit 1, and ``--port 0``
can say which port it got. Unknown ``--detector``/``--derenderer`` names fail
before anything starts (exit 5), like ``inksight convert``.
"""

from __future__ import annotations

import ipaddress
import socket

import click

from inksight_sdk.errors import BadArgumentsError

from .settings import SERVER_LIMITS

__all__ = ["serve"]


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        raise BadArgumentsError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or --host"
        ) from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free port.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True, help="Conversion processes.")
@click.option(
    "--queue", type=click.IntRange(0, 100_000), default=16, show_default=True, help="Requests that may wait; more: 429."
)
@click.option(
    "--token",
    envvar="INKSIGHT_SERVER_TOKEN",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' on the API (env INKSIGHT_SERVER_TOKEN).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow this origin (repeatable); default: no CORS headers.",
)
@click.option(
    "--job-ttl", type=click.FloatRange(min=1), default=3600, show_default=True, help="Seconds a finished job is kept."
)
@click.option("--detector", default="auto", show_default=True, help="Default detector of a request.")
@click.option("--derenderer", default="auto", show_default=True, help="Default derenderer of a request.")
@click.option(
    "--max-bytes", type=click.IntRange(min=1), default=SERVER_LIMITS.max_bytes, show_default=True, help="Upload bytes."
)
@click.option(
    "--max-pixels",
    type=click.IntRange(min=1),
    default=SERVER_LIMITS.max_pixels,
    show_default=True,
    help="Pixels per image or PDF page.",
)
@click.option(
    "--max-pages", type=click.IntRange(min=1), default=SERVER_LIMITS.max_pages, show_default=True, help="Pages."
)
@click.option(
    "--max-words",
    type=click.IntRange(min=1),
    default=SERVER_LIMITS.max_words,
    show_default=True,
    help="Words a detector may find on a page.",
)
@click.option(
    "--page-timeout",
    type=click.FloatRange(min=0),
    default=SERVER_LIMITS.page_timeout,
    show_default=True,
    metavar="SECONDS",
    help="Skip a page that takes longer (the document says so); 0: no limit.",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300,
    show_default=True,
    metavar="SECONDS",
    help="Stop a /v1/convert (or an export) that runs longer: 504.",
)
@click.option(
    "--job-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=3600,
    show_default=True,
    metavar="SECONDS",
    help="Stop a job that runs longer.",
)
@click.option(
    "--temp-dir",
    type=click.Path(exists=True, file_okay=False, writable=True),
    default=None,
    help="Where the server's temporary folder goes (default: the system's).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="warning",
    show_default=True,
    help="info: also one line per request.",
)
def serve(
    host: str,
    port: int,
    workers: int,
    queue: int,
    token: str | None,
    cors_origins: tuple[str, ...],
    job_ttl: float,
    detector: str,
    derenderer: str,
    max_bytes: int,
    max_pixels: int,
    max_pages: int,
    max_words: int,
    page_timeout: float,
    request_timeout: float,
    job_timeout: float,
    temp_dir: str | None,
    log_level: str,
) -> None:
    """Serve the HTTP API (/v1, docs at /docs) and the web page (/) on HOST:PORT.

    Conversions run in --workers processes behind a queue of --queue; a full
    queue answers 429 with Retry-After. Uploads go to a temporary folder of
    the server's own and are removed when answered (jobs: --job-ttl after
    they finish). Ctrl-C or SIGTERM stops the workers and removes it.
    """
    import logging

    import uvicorn

    from inksight_sdk import Limits, Pipeline, PluginRegistry

    from .app import create_app
    from .settings import ServerSettings

    limits = Limits(
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        max_pages=max_pages,
        max_words=max_words,
        page_timeout=page_timeout or None,
    )
    settings = ServerSettings(
        host=host,
        port=port,
        workers=workers,
        queue=queue,
        token=token or None,
        cors_origins=cors_origins,
        job_ttl=job_ttl,
        limits=limits,
        detector=detector,
        derenderer=derenderer,
        request_timeout=request_timeout,
        job_timeout=job_timeout,
        temp_dir=temp_dir,
    )
    registry = PluginRegistry()
    Pipeline(detector=detector, derenderer=derenderer, registry=registry)  # unknown names: exit 5 now
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    if settings.token is None and not _is_loopback(host):
        click.echo(
            f"inksight: warning: serving on {host} without --token: anyone who reaches this port can use it",
            err=True,
        )
    logging.getLogger("inksight_server").setLevel(log_level.upper())
    app = create_app(settings, registry)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=log_level in ("info", "debug"),
        timeout_graceful_shutdown=10,
        server_header=False,
        lifespan="on",
    )
    click.echo(
        f"inksight: serving on {_url(host, bound)} ({workers} worker(s)); the web page at /, the API at /v1, "
        "its docs at /docs; Ctrl-C stops",
        err=True,
    )
    uvicorn.Server(config).run(sockets=[sock])
