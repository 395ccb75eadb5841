"""The FastAPI application: the ``/v1`` API, health and readiness, the web page, the docs.

``create_app(settings)`` builds everything a server needs and nothing
starts until the app's lifespan begins (uvicorn, or ``with TestClient(app)``):
then the server's temporary root is made, the worker pool starts and a
janitor expires finished jobs; when it ends the workers are stopped and the
root is removed. Requests never block the event loop: uploads are streamed
to disk, conversions run in worker processes and are awaited, and a client
that goes away has its task cancelled (its worker replaced) and its files
removed. The API is in the package README.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from inksight_sdk import PluginRegistry
from inksight_sdk.errors import ExitCode, InkSightError

from .choices import CONVERT_FIELDS, JOB_FIELDS, Choices, parse_choices, parse_options, refuse_unreadable
from .docs_page import render_docs
from .errors import ApiError, from_sdk
from .formats import download_name, media_type, plugins_listing, usable_formats
from .jobs import DOCUMENT, Job, JobStore
from .pool import Task, Ticket, WorkerPool
from .settings import ServerSettings
from .uploads import ClientDisconnect, Upload, receive_upload

__all__ = ["create_app", "ServerState", "STATIC"]

log = logging.getLogger("inksight_server")

#: the web page's files (index.html, app.js, style.css), shipped with the package
STATIC = Path(__file__).resolve().parent / "static"
#: how often a waiting request looks whether its client is still there (seconds)
DISCONNECT_POLL = 0.25
#: the web page may load only from this server (it must work offline)
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
EXPOSED_HEADERS = [
    "Content-Disposition",
    "Retry-After",
    "Location",
    "X-Inksight-Exit-Code",
    "X-Inksight-Pages",
    "X-Inksight-Words",
    "X-Inksight-Warnings",
]


class _ClientGone(Exception):
    """The client disconnected while its conversion waited or ran."""


class _FolderFileResponse(FileResponse):
    """A file answer that removes the request's folder once sent, even when the client hung up meanwhile."""

    def __init__(self, path: str, folder: str, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self._folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


class ServerState:
    """What one running server holds: settings, registry, temporary root, pool and jobs."""

    def __init__(self, settings: ServerSettings, registry: PluginRegistry) -> None:
        self.settings = settings
        self.registry = registry
        self.jobs = JobStore(settings.job_ttl)
        self.root: str | None = None
        self.pool: WorkerPool | None = None
        self.defaults = {"detector": settings.detector, "derenderer": settings.derenderer}

    # -- life ---------------------------------------------------------------------

    def open(self) -> None:
        self.root = tempfile.mkdtemp(prefix="inksight-server-", dir=self.settings.temp_dir)
        for sub in ("requests", "jobs", "scratch"):
            os.mkdir(os.path.join(self.root, sub))
        config = {
            "limits": self.settings.limits,
            "detector": self.settings.detector,
            "derenderer": self.settings.derenderer,
            "scratch": os.path.join(self.root, "scratch"),
            "verbose": log.isEnabledFor(logging.INFO),
        }
        self.pool = WorkerPool(self.settings.workers, self.settings.queue, config)
        self.pool.start()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    async def janitor(self) -> None:
        """Expire finished jobs (and their files) every quarter of the TTL, at most every 30 s."""
        interval = min(30.0, max(0.1, self.settings.job_ttl / 4))
        while True:
            await asyncio.sleep(interval)
            self.jobs.expire()

    @property
    def workers(self) -> WorkerPool:
        if self.pool is None:
            raise ApiError(503, "the server is starting", exit_code=ExitCode.INTERRUPTED, code="NOT_READY")
        return self.pool

    def folder(self, kind: str, name: str | None = None) -> str:
        assert self.root is not None
        path = os.path.join(self.root, kind, name or uuid.uuid4().hex)
        os.mkdir(path)
        return path

    # -- waiting on the pool ------------------------------------------------------

    async def outcome(self, request: Request, task: Task) -> dict[str, Any]:
        """The task's result; cancels it (freeing its worker) when the client disconnects first."""
        future = asyncio.wrap_future(task.future)
        while True:
            done, _ = await asyncio.wait({future}, timeout=DISCONNECT_POLL)
            if done:
                if future.cancelled():
                    raise _ClientGone() if await request.is_disconnected() else self.workers.not_ready()
                return future.result()
            if await request.is_disconnected():
                self.workers.cancel(task)
                raise _ClientGone()

    async def upload(self, request: Request, folder: str, fields: frozenset[str]) -> Upload:
        return await receive_upload(
            request,
            folder,
            max_bytes=self.settings.limits.max_bytes,
            max_field_bytes=self.settings.max_field_bytes,
            fields=fields,
        )


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _outcome_headers(result: dict[str, Any]) -> dict[str, str]:
    return {
        "X-Inksight-Exit-Code": str(int(ExitCode.INCOMPLETE if result["problems"] else ExitCode.OK)),
        "X-Inksight-Pages": str(result["pages"]),
        "X-Inksight-Words": str(result["words"]),
        "X-Inksight-Warnings": str(len(result["warnings"])),
    }


def _form_body(fields: frozenset[str]) -> dict[str, Any]:
    """The OpenAPI description of the multipart form (the body is parsed by :mod:`.uploads`, not FastAPI)."""
    meaning = {
        "file": "the input: an image, PDF, InkML, ink JSON or Xournal++ file (judged by its bytes)",
        "format": "exporter name (json, inkml, svg, txt, pdf, ...); default json",
        "detector": "detector name or auto (default: the server's --detector)",
        "derenderer": "derenderer name or auto (default: the server's --derenderer)",
        "mode": "vanilla, text or recognize; default vanilla",
        "detector_options": 'a JSON object of detector options, e.g. {"max_pixels": 2000000}',
        "derenderer_options": 'a JSON object of derenderer options, e.g. {"workers": 0}',
        "export_options": 'a JSON object of exporter options, e.g. {"colour_by_order": true}',
        "dpi": "render PDFs at this DPI (default 300); read Xournal++ files at it",
        "trace_printed": "true to trace printed words and stamps too (default false: kept as words without strokes)",
    }
    properties = {"file": {"type": "string", "format": "binary", "description": meaning["file"]}}
    properties.update({name: {"type": "string", "description": meaning[name]} for name in sorted(fields)})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": properties}}
            },
        }
    }


_ERRORS = {
    400: {"description": "bad request or input (exit codes 2, 3, 8)"},
    401: {"description": "missing or wrong bearer token"},
    413: {"description": "over a limit: bytes, pixels, pages (exit code 7)"},
    415: {"description": "no installed reader takes this file"},
    422: {"description": "a choice a stage refuses, an unknown plugin (exit codes 2, 5), a worker that died (6)"},
    429: {"description": "busy: every worker and queue place taken; see Retry-After"},
    503: {"description": "not ready: workers starting or stopping"},
    504: {"description": "over --request-timeout / --job-timeout"},
}


def create_app(settings: ServerSettings | None = None, registry: PluginRegistry | None = None) -> FastAPI:
    """The application for ``settings``; ``registry`` defaults to a fresh one of every installed plugin."""
    settings = settings or ServerSettings()
    state = ServerState(settings, registry or PluginRegistry())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(state.open)
        janitor = asyncio.create_task(state.janitor())
        try:
            yield
        finally:
            janitor.cancel()
            await asyncio.to_thread(state.close)

    app = FastAPI(
        title="inksight-server",
        version=importlib.metadata.version("inksight-server"),
        description="Photos, scans, PDFs and ink files to digital ink over HTTP. Errors are "
        '{"error": {"status", "exit_code", "code", "message"}} with the CLI\'s messages and exit codes.',
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.server = state
    _add_middleware(app, settings)
    _add_error_handlers(app)

    async def require_token(request: Request) -> None:
        if settings.token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), settings.token.encode()):
            raise ApiError(
                401,
                "missing or wrong token; send the header Authorization: Bearer <token> (inksight serve --token)",
                code="UNAUTHORIZED",
                headers={"WWW-Authenticate": "Bearer"},
            )

    guarded = [Depends(require_token)]

    # -- conversions ----------------------------------------------------------------

    @app.post(
        "/v1/convert",
        dependencies=guarded,
        summary="Convert an upload and answer the document",
        description="The document in `format` (default json), with the exporter's media type and a "
        "Content-Disposition file name. X-Inksight-Exit-Code is 6 when pages or words failed (listed in the "
        "document's metadata.problems), else 0.",
        openapi_extra=_form_body(CONVERT_FIELDS),
        responses={200: {"description": "the document"}, **_ERRORS},
    )
    async def convert(request: Request) -> Response:
        ticket = state.workers.reserve()
        folder = state.folder("requests")
        try:
            upload = await state.upload(request, folder, CONVERT_FIELDS)
            choices = parse_choices(upload.fields, state.registry, state.defaults, with_format=True)
            refuse_unreadable(upload, state.registry, settings.limits)
            output = os.path.join(folder, ".output")
            task = _submit(state, ticket, "convert", upload, folder, choices, {"format": choices.format}, output)
            ticket = None
            result = await state.outcome(request, task)
        except BaseException as exc:
            if ticket is not None:
                ticket.release()
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, ClientDisconnect | _ClientGone):
                return Response(status_code=499)  # nobody reads it: the client is gone
            raise
        stage = state.registry.select("exporter", choices.format or "json")
        return _FolderFileResponse(
            output,
            folder,
            media_type=media_type(stage),
            filename=download_name(upload.name, stage),
            headers=_outcome_headers(result),
        )

    @app.post(
        "/v1/jobs",
        status_code=202,
        dependencies=guarded,
        summary="Start a conversion job",
        description="202 with the job's id at once; follow it with GET /v1/jobs/{id}. `export_options` given "
        "here apply to every result fetched later (and the job's `formats` lists the exporters that take them).",
        openapi_extra=_form_body(JOB_FIELDS),
        responses={202: {"description": "the job was queued"}, **_ERRORS},
    )
    async def create_job(request: Request) -> Response:
        ticket = state.workers.reserve()
        job_id = state.jobs.new_id()
        folder = state.folder("jobs", job_id)
        try:
            upload = await state.upload(request, folder, JOB_FIELDS)
            choices = parse_choices(upload.fields, state.registry, state.defaults, with_format=False)
            formats = usable_formats(state.registry, choices.export_options)
            if not formats:
                raise ApiError(
                    422,
                    f"no installed exporter takes the export options {', '.join(sorted(choices.export_options))}",
                )
            refuse_unreadable(upload, state.registry, settings.limits)
            job = Job(
                id=job_id,
                folder=folder,
                name=upload.name,
                choices=choices.pipeline,
                export_options=choices.export_options,
            )
            extra = {"document": os.path.join(folder, DOCUMENT)}
            job.task = _submit(
                state,
                ticket,
                "convert",
                upload,
                folder,
                choices,
                extra,
                None,
                progress=lambda done, total: state.jobs.progress(job, done, total),
                timeout=settings.job_timeout,
                flag="inksight serve --job-timeout",
            )
            ticket = None
        except BaseException as exc:
            if ticket is not None:
                ticket.release()
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, ClientDisconnect):
                return Response(status_code=499)
            raise
        state.jobs.add(job)
        job.task.future.add_done_callback(lambda future: _job_ended(state, job, future, formats))
        return JSONResponse(
            {"id": job.id, "state": "queued", "links": _links(job.id)},
            status_code=202,
            headers={"Location": f"/v1/jobs/{job.id}"},
        )

    @app.get(
        "/v1/jobs/{job_id}",
        dependencies=guarded,
        summary="A job's state and progress",
        responses={200: {"description": "the job"}, 404: {"description": "no such job (or it expired)"}},
    )
    async def get_job(job_id: str) -> dict[str, Any]:
        return state.jobs.view(job_id)

    @app.get(
        "/v1/jobs/{job_id}/result",
        dependencies=guarded,
        summary="A finished job's document",
        description="`format` names an exporter (default json: the ink JSON of docs/interchange.md); "
        "`export_options` (a JSON object) replaces the job's own.",
        responses={200: {"description": "the document"}, 409: {"description": "the job is not done"}, **_ERRORS},
    )
    async def job_result(
        request: Request,
        job_id: str,
        format: str = Query("json", description="exporter name"),
        export_options: str | None = Query(None, description="a JSON object of exporter options"),
    ) -> Response:
        job = state.jobs.get(job_id)
        _require_done(job)
        try:
            stage = state.registry.select("exporter", format)
        except InkSightError as exc:
            raise from_sdk(exc) from None
        options = job.export_options if export_options is None else parse_options("export_options", export_options)
        if stage.name == "json" and not options:
            path = os.path.join(job.folder, DOCUMENT)
        else:
            try:
                stage.spec.make_options(options)
            except InkSightError as exc:
                raise from_sdk(exc) from None
            key = hashlib.sha256(json.dumps([stage.name, options], sort_keys=True).encode()).hexdigest()[:16]
            path = os.path.join(job.folder, f".result-{stage.name}-{key}")
            if not os.path.exists(path):
                payload = {
                    "dir": job.folder,
                    "name": job.name,
                    "document": os.path.join(job.folder, DOCUMENT),
                    "format": stage.name,
                    "export_options": options,
                    "output": path,
                }
                await _run_small(state, request, "export", payload)
        if not os.path.exists(path):  # the job expired or was removed meanwhile
            raise ApiError(404, f"job {job_id} expired or was removed", code="NOT_FOUND")
        return FileResponse(path, media_type=media_type(stage), filename=download_name(job.name, stage))

    @app.get(
        "/v1/jobs/{job_id}/pages/{page}/image",
        dependencies=guarded,
        summary="Page `page` (1-based) as the pipeline saw it, as PNG",
        description="The page image in the ink's pixel frame (a PDF page rendered at the job's dpi), so ink can "
        "be drawn over it; 404 for a page that came from an ink file (it has no image).",
        responses={200: {"description": "image/png"}, 404: {"description": "no such page or no image"}, **_ERRORS},
    )
    async def page_image(request: Request, job_id: str, page: int) -> Response:
        job = state.jobs.get(job_id)
        if job.state == "cancelled":
            raise ApiError(404, f"job {job_id} was cancelled; its files are gone", code="NOT_FOUND")
        if page < 1 or (job.state == "done" and job.pages_total is not None and page > job.pages_total):
            raise ApiError(404, f"{job.name} has {job.pages_total} page(s); there is no page {page}", code="NOT_FOUND")
        path = os.path.join(job.folder, f".page-{page}.png")
        if not os.path.exists(path):
            payload = {"dir": job.folder, "name": job.name, "choices": job.choices, "page": page, "output": path}
            await _run_small(state, request, "page_image", payload)
        if not os.path.exists(path):
            raise ApiError(404, f"job {job_id} expired or was removed", code="NOT_FOUND")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.delete(
        "/v1/jobs/{job_id}",
        status_code=204,
        dependencies=guarded,
        summary="Cancel a job, or remove a finished one",
        description="A queued or running job is stopped (its worker replaced), its files removed and its state "
        "becomes cancelled until it expires; a finished job is removed at once (404 afterwards).",
        responses={204: {"description": "cancelled or removed"}, 404: {"description": "no such job"}},
    )
    async def delete_job(job_id: str) -> Response:
        job = state.jobs.get(job_id)
        if job.task is not None and not job.finished_state:
            state.workers.cancel(job.task)
        if not state.jobs.cancel(job):
            state.jobs.remove(job)
        return Response(status_code=204)

    # -- what is installed, health --------------------------------------------------

    @app.get(
        "/v1/plugins", dependencies=guarded, summary="What inksight plugins --json lists, exporters with media types"
    )
    async def plugins() -> list[dict[str, Any]]:
        return await asyncio.to_thread(plugins_listing, state.registry)

    @app.get("/healthz", summary="The process is up (never needs a token)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        dependencies=guarded,
        summary="Workers started and their default pipelines (models) loaded",
        responses={200: {"description": "ready"}, 503: {"description": "not ready"}},
    )
    async def readyz() -> Response:
        pool = state.workers
        if not pool.ready:
            return _error_response(pool.not_ready())
        return JSONResponse(pool.status())

    # -- the web page and the docs ----------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        response = _static("index.html")
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        return response

    @app.get("/static/{path:path}", include_in_schema=False)
    async def static(path: str) -> Response:
        return _static(path)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))

    return app


def _submit(
    state: ServerState,
    ticket: Ticket,
    kind: str,
    upload: Upload,
    folder: str,
    choices: Choices,
    extra: dict[str, Any],
    output: str | None,
    *,
    progress: Any = None,
    timeout: float | None = None,
    flag: str = "inksight serve --request-timeout",
) -> Task:
    payload = {
        "dir": folder,
        "name": upload.name,
        "choices": choices.pipeline,
        "export_options": choices.export_options,
        "output": output,
        **extra,
    }
    return state.workers.submit(
        ticket,
        kind,
        payload,
        timeout=timeout or state.settings.request_timeout,
        timeout_flag=flag,
        progress=progress,
    )


async def _run_small(state: ServerState, request: Request, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An export or a page image of a job, through the pool like any conversion."""
    ticket = state.workers.reserve()
    try:
        task = state.workers.submit(
            ticket,
            kind,
            payload,
            timeout=state.settings.request_timeout,
            timeout_flag="inksight serve --request-timeout",
        )
    except BaseException:
        ticket.release()
        raise
    try:
        return await state.outcome(request, task)
    except _ClientGone:
        raise ApiError(400, "the client went away", code="CLIENT_GONE") from None


def _job_ended(state: ServerState, job: Job, future: Any, formats: list[str]) -> None:
    if future.cancelled():
        return
    error = future.exception()
    if error is None:
        state.jobs.finish(job, result={**future.result(), "formats": formats})
    else:
        state.jobs.finish(job, error=error if isinstance(error, ApiError) else from_sdk(error))


def _links(job_id: str) -> dict[str, str]:
    base = f"/v1/jobs/{job_id}"
    return {"self": base, "result": f"{base}/result?format=json", "page_image": f"{base}/pages/{{n}}/image"}


def _require_done(job: Job) -> None:
    if job.state == "done":
        return
    if job.state == "failed" and job.error is not None:
        raise ApiError.from_info(job.error)
    if job.state == "cancelled":
        raise ApiError(409, f"job {job.id} was cancelled; it has no result", code="JOB_NOT_DONE")
    total = f" of {job.pages_total}" if job.pages_total is not None else ""
    raise ApiError(
        409,
        f"job {job.id} is {job.state} ({job.pages_done}{total} pages done); fetch its result when its state is done",
        code="JOB_NOT_DONE",
    )


def _static(relative: str) -> Response:
    """A file of the web page; a clear 404 (never a crash) when it, or the whole folder, is not there."""
    root = STATIC
    target = (root / relative).resolve()
    if root not in target.parents or not target.is_file():
        if relative == "index.html":
            message = "the web page is not installed here (inksight_server/static/index.html is missing); /v1 works"
        else:
            message = f"no file /static/{relative}"
        raise ApiError(404, message, code="NOT_FOUND")
    return FileResponse(target, headers={"Cache-Control": "no-cache"})


class _PlainHeaders:
    """``nosniff`` and ``no-referrer`` on every answer.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` would wrap
    ``receive`` and hide a client's disconnect from the endpoints that watch for it.
    """

    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_middleware(app: FastAPI, settings: ServerSettings) -> None:
    app.add_middleware(_PlainHeaders)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(InkSightError)
    async def sdk_error(request: Request, exc: InkSightError) -> JSONResponse:
        return _error_response(from_sdk(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        message = {404: f"no such address: {request.url.path}", 405: f"{request.method} is not allowed here"}.get(
            exc.status_code, str(exc.detail)
        )
        error = ApiError(exc.status_code, message, code=codes.get(exc.status_code, f"HTTP_{exc.status_code}"))
        return JSONResponse(error.body(), status_code=exc.status_code, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{' '.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()]
        return _error_response(ApiError(400, "; ".join(problems) or "bad request"))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("inksight serve: internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_response(from_sdk(exc))
