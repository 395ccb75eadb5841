"""A fake Cloud Vision ImageAnnotator: a real gRPC server on 127.0.0.1 that answers with real photos' words.

It serves ``/google.cloud.vision.v1.ImageAnnotator/BatchAnnotateImages``
with the client library's own request and response messages, checks the
credentials the way Google does (the ``x-goog-api-key`` header, or a bearer
JWT signed by a service account's key), and answers each image from a
:class:`Scene`: the word boxes of a real photo in that photo's pixels,
scaled to the size of the image the client actually sent (decoded from the
request), rounded to integer vertices like Vision's. The scene is the one
whose aspect ratio matches the sent image, as a blind server would have to.

Faults are queued per call (:attr:`FakeVision.faults`): ``unavailable``,
``quota``, ``denied``, ``slow`` (answers after :attr:`FakeVision.delay`,
past the client's deadline), ``garbage`` (bytes that are no
BatchAnnotateImagesResponse), ``malformed`` (words without boxes, off the
page, or given only as normalized vertices), ``no_boxes`` (no word has a
box), ``short`` (one answer fewer than images), ``image_error`` (a per-image
error in a well-formed answer).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import cv2
import grpc
import numpy as np
from google.cloud.vision_v1 import types
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

SERVICE = "google.cloud.vision.v1.ImageAnnotator"
AUDIENCE = "https://vision.googleapis.com/"
Break = types.TextAnnotation.DetectedBreak.BreakType


@dataclass(frozen=True)
class Word:
    """A word box on pixel edges of its scene's photo, TL TR BR BL in reading order."""

    quad: np.ndarray
    text: str
    block: int = 0
    line: int = 0


@dataclass(frozen=True)
class Scene:
    """What a photo holds: its size and its words (in its own pixels)."""

    width: int
    height: int
    words: tuple[Word, ...]
    language: str = "en"

    def turned(self) -> Scene:
        """The scene of ``numpy.rot90(photo)`` (a quarter turn counter-clockwise): quads turn, order kept."""
        words = []
        for w in self.words:
            q = np.asarray(w.quad, np.float64)
            words.append(Word(np.stack([q[:, 1], self.width - q[:, 0]], axis=1), w.text, w.block, w.line))
        return Scene(self.height, self.width, tuple(words), self.language)

    def cropped(self, left: int, top: int, width: int, height: int) -> Scene:
        """The scene of ``photo[top:top + height, left:left + width]``: words inside (within a pixel), clipped."""
        kept = []
        for w in self.words:
            q = np.asarray(w.quad, np.float64) - [left, top]
            if q.min() >= -1 and q[:, 0].max() <= width + 1 and q[:, 1].max() <= height + 1:
                kept.append(Word(np.clip(q, 0, [width, height]), w.text, w.block, w.line))
        return Scene(width, height, tuple(kept), self.language)


@dataclass
class Call:
    """One BatchAnnotateImages call as the server saw it."""

    metadata: dict[str, str]
    request: Any
    sizes: list[tuple[int, int]]
    request_bytes: int
    image_bytes: list[int]
    fault: str | None


def _status(code: grpc.StatusCode, message: str, reason: str) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="googleapis.com"))
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message, details=[info]))


def _vertices(quad: np.ndarray) -> list[types.Vertex]:
    return [types.Vertex(x=int(round(x)), y=int(round(y))) for x, y in quad]


def _symbols(text: str, last_break: int) -> list[types.Symbol]:
    symbols = [types.Symbol(text=c, confidence=0.9) for c in text]
    symbols[-1].property = types.TextAnnotation.TextProperty(
        detected_break=types.TextAnnotation.DetectedBreak(type_=last_break)
    )
    return symbols


def annotation(scene: Scene, width: int, height: int, fault: str | None = None) -> types.TextAnnotation:
    """Vision's answer for ``scene`` sent as a ``width`` x ``height`` image: one page, its blocks, lines, words."""
    scale = np.array([width / scene.width, height / scene.height])
    language = types.TextAnnotation.DetectedLanguage(language_code=scene.language, confidence=0.95)
    blocks: dict[int, list[Word]] = {}
    for word in scene.words:
        blocks.setdefault(word.block, []).append(word)
    out_blocks = []
    n = 0
    for members in blocks.values():
        words = []
        for i, word in enumerate(members):
            last = i == len(members) - 1
            line_end = not last and members[i + 1].line != word.line
            kind = Break.LINE_BREAK if last else (Break.EOL_SURE_SPACE if line_end else Break.SPACE)
            box = types.BoundingPoly(vertices=_vertices(word.quad * scale))
            if fault == "malformed":
                box = _broken(box, n, width, height)
            elif fault == "no_boxes":
                box = types.BoundingPoly()
            n += 1
            words.append(
                types.Word(
                    bounding_box=box,
                    symbols=_symbols(word.text, kind),
                    confidence=0.5 + 0.05 * (len(word.text) % 10),
                    property=types.TextAnnotation.TextProperty(detected_languages=[language]),
                )
            )
        out_blocks.append(
            types.Block(
                paragraphs=[types.Paragraph(words=words)],
                block_type=types.Block.BlockType.TEXT,
            )
        )
    page = types.Page(width=width, height=height, blocks=out_blocks)
    return types.TextAnnotation(pages=[page], text=" ".join(w.text for w in scene.words))


#: how ``malformed`` breaks every other word, in turn: no box, off the page, NaN, or normalized vertices only
MALFORMED_KINDS = ("none", "far", "nan", "normalized")


def _kind(n: int) -> str | None:
    return None if n % 2 else MALFORMED_KINDS[(n // 2) % 4]


def _broken(box: types.BoundingPoly, n: int, width: int, height: int) -> types.BoundingPoly:
    kind = _kind(n)
    if kind is None:
        return box
    if kind == "none":
        return types.BoundingPoly()
    if kind == "far":
        far = [types.Vertex(x=v.x + 50 * width, y=v.y + 50 * height) for v in box.vertices]
        return types.BoundingPoly(vertices=far)
    if kind == "nan":
        return types.BoundingPoly(normalized_vertices=[types.NormalizedVertex(x=math.nan, y=0.5)] * 4)
    unit = [types.NormalizedVertex(x=v.x / width, y=v.y / height) for v in box.vertices]
    return types.BoundingPoly(normalized_vertices=unit)


def kept_when_malformed(count: int) -> list[int]:
    """Indices of the words :func:`annotation` leaves usable for fault ``malformed``: whole or normalized."""
    return [i for i in range(count) if _kind(i) in (None, "normalized")]


@dataclass
class FakeVision:
    """The server. ``api_key`` or ``service_account`` (email, public key PEM) say which credentials pass."""

    scenes: Sequence[Scene] = ()
    api_key: str | None = "test-key"
    service_account: tuple[str, bytes] | None = None
    faults: list[str | None] = field(default_factory=list)
    delay: float = 2.0
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        handler = grpc.unary_unary_rpc_method_handler(
            self._batch_annotate,
            request_deserializer=types.BatchAnnotateImagesRequest.deserialize,
            response_serializer=_serialize,
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"BatchAnnotateImages": handler}),)
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop(grace=None)

    def _scene(self, width: int, height: int) -> Scene:
        return min(self.scenes, key=lambda s: abs(math.log((s.width / s.height) / (width / height))))

    def _authorized(self, metadata: dict[str, str], context: grpc.ServicerContext) -> None:
        if self.service_account is not None:
            import google.auth.jwt

            email, public_pem = self.service_account
            token = metadata.get("authorization", "").removeprefix("Bearer ")
            try:
                claims = google.auth.jwt.decode(token, certs=public_pem, audience=AUDIENCE)
            except Exception:
                claims = {}
            if claims.get("iss") != email:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "Request had invalid authentication credentials.")
        elif self.api_key is not None and metadata.get("x-goog-api-key") != self.api_key:
            context.abort_with_status(
                _status(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "API key not valid. Please pass a valid API key.",
                    "API_KEY_INVALID",
                )
            )

    def _batch_annotate(self, request: Any, context: grpc.ServicerContext) -> Any:
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        sizes = []
        for item in request.requests:
            image = cv2.imdecode(np.frombuffer(item.image.content, np.uint8), cv2.IMREAD_UNCHANGED)
            sizes.append((int(image.shape[1]), int(image.shape[0])) if image is not None else (0, 0))
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
            self.calls.append(
                Call(
                    metadata,
                    request,
                    sizes,
                    types.BatchAnnotateImagesRequest.pb(request).ByteSize(),
                    [len(item.image.content) for item in request.requests],
                    fault,
                )
            )
        self._authorized(metadata, context)
        if fault == "unavailable":
            context.abort(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")
        if fault == "quota":
            context.abort_with_status(
                _status(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
                    "'vision.googleapis.com' for consumer 'project_number:0'.",
                    "RATE_LIMIT_EXCEEDED",
                )
            )
        if fault == "denied":
            context.abort_with_status(
                _status(
                    grpc.StatusCode.PERMISSION_DENIED,
                    "Cloud Vision API has not been used in project 0 before or it is disabled.",
                    "SERVICE_DISABLED",
                )
            )
        if fault == "slow":
            end = time.monotonic() + self.delay
            while context.is_active() and time.monotonic() < end:
                time.sleep(0.02)
        if fault == "garbage":
            return b"\x0a\x05\xff"  # field 1, 5 bytes announced, 1 given
        if fault == "short":
            sizes = sizes[:-1]  # one answer fewer than images
        responses = []
        for width, height in sizes:
            if fault == "image_error":
                error = status_pb2.Status(code=3, message="Bad image data.")
                responses.append(types.AnnotateImageResponse(error=error))
            elif width == 0:
                responses.append(types.AnnotateImageResponse(error=status_pb2.Status(code=3, message="Bad image.")))
            else:
                text = annotation(self._scene(width, height), width, height, fault)
                responses.append(types.AnnotateImageResponse(full_text_annotation=text))
        return types.BatchAnnotateImagesResponse(responses=responses)


def _serialize(response: Any) -> bytes:
    return response if isinstance(response, bytes) else types.BatchAnnotateImagesResponse.serialize(response)
