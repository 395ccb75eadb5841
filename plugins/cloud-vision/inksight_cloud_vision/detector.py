"""The ``cloud-vision`` detector: Google Cloud Vision's DOCUMENT_TEXT_DETECTION as word quads with text.

1. Each page is reduced to ``max_pixels`` and JPEG-compressed under the
   request's byte budget (:mod:`.sending`).
2. Pages go to ``BatchAnnotateImages`` together: at most ``batch_size`` (the
   API takes 16) and ``max_request_bytes`` of images per request
   (:meth:`CloudVisionDetector.detect_batch`); :meth:`~CloudVisionDetector.detect`
   sends one page. Each image asks for ``DOCUMENT_TEXT_DETECTION``, the dense
   text model, with the ``language_hints``.
3. Each answer's ``full_text_annotation`` becomes the page's words, quads
   mapped back to the input's pixels (:mod:`.parse`). A page Vision found no
   text on has no annotation and no words. A per-image ``error`` in the
   answer, a failed request (after retries) or an answer with no usable
   word box fails that page alone (:class:`~inksight_sdk.errors.StageError`);
   refused credentials stop the run (:class:`~inksight_sdk.errors.BadArgumentsError`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from inksight_sdk.errors import StageError
from inksight_sdk.stages import Layout

from . import CloudVisionOptions
from .parse import parse_annotation
from .sending import SentImage, encode_page
from .service import VisionService, error_for

__all__ = ["CloudVisionDetector"]

log = logging.getLogger("inksight_sdk.cloud_vision")


class CloudVisionDetector:
    """Word quads, lines, blocks and text from Google Cloud Vision (pages leave the machine)."""

    def __init__(self, options: CloudVisionOptions | None = None) -> None:
        from google.cloud.vision_v1 import types

        self.options = options or CloudVisionOptions()
        self._types = types
        self._service = VisionService(self.options)

    @property
    def batch_pages(self) -> int:
        """Pages the pipeline hands :meth:`detect_batch` at once: a request's worth, at most 8 decoded pages held."""
        return min(self.options.batch_size, 8)

    @property
    def requests_sent(self) -> int:
        """BatchAnnotateImages calls made so far, retries included."""
        return self._service.calls

    def detect(self, image: np.ndarray) -> Layout:
        result = self.detect_batch([image])[0]
        if isinstance(result, StageError):
            raise result
        return result

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Layout | StageError]:
        """One result per page, in order: its layout, or the :class:`StageError` that cost it.

        Pages share requests (``batch_size`` and ``max_request_bytes`` per
        request). Refused credentials raise at once, for every page.
        """
        results: list[Layout | StageError | None] = [None] * len(images)
        sent: dict[int, SentImage] = {}
        for i, image in enumerate(images):
            try:
                sent[i] = encode_page(
                    image,
                    max_pixels=self.options.max_pixels,
                    quality=self.options.jpeg_quality,
                    max_bytes=self.options.max_request_bytes,
                )
            except StageError as exc:
                results[i] = exc
        for group in self._groups(sent):
            for i, result in zip(group, self._annotate([sent[i] for i in group])):
                results[i] = result
        return [r if r is not None else StageError("Cloud Vision gave no answer for this page") for r in results]

    def _groups(self, sent: dict[int, SentImage]) -> list[list[int]]:
        """Pages in request order, cut at ``batch_size`` pages or ``max_request_bytes`` of images."""
        groups: list[list[int]] = []
        size = 0
        for i, page in sent.items():
            if (
                not groups
                or len(groups[-1]) == self.options.batch_size
                or size + len(page.content) > (self.options.max_request_bytes)
            ):
                groups.append([])
                size = 0
            groups[-1].append(i)
            size += len(page.content)
        return groups

    def _request(self, page: SentImage) -> Any:
        types = self._types
        context = types.ImageContext(language_hints=list(self.options.language_hints))
        return types.AnnotateImageRequest(
            image=types.Image(content=page.content),
            features=[types.Feature(type_=types.Feature.Type.DOCUMENT_TEXT_DETECTION)],
            image_context=context if self.options.language_hints else None,
        )

    def _annotate(self, pages: list[SentImage]) -> list[Layout | StageError]:
        try:
            responses = self._service.annotate([self._request(page) for page in pages])
        except StageError as exc:
            return [exc] * len(pages)
        if len(responses) != len(pages):
            error = StageError(f"Cloud Vision answered {len(responses)} result(s) for {len(pages)} page(s); skipped")
            return [error] * len(pages)
        return [self._layout(response, page) for response, page in zip(responses, pages)]

    def _layout(self, response: Any, page: SentImage) -> Layout | StageError:
        """One ``AnnotateImageResponse`` (raw protobuf) as the page's layout."""
        if response.error.code:
            from google.api_core import exceptions as core

            found = error_for(core.from_grpc_status(_grpc_code(response.error.code), response.error.message))
            if not isinstance(found, StageError):
                raise found
            return found
        parsed = parse_annotation(response.full_text_annotation, page)
        if parsed.found and not parsed.layout.words:
            return StageError(
                f"Cloud Vision's answer is malformed: none of its {parsed.found} word(s) has a usable box; page skipped"
            )
        if parsed.dropped:
            log.warning(
                "Cloud Vision's answer had %d malformed word(s) (no box, or a box off the page); dropped, %d kept",
                parsed.dropped,
                len(parsed.layout.words),
            )
        return parsed.layout

    def close(self) -> None:
        """Close the channel (the pipeline calls this when it is done)."""
        self._service.close()


def _grpc_code(value: int) -> Any:
    import grpc

    return next((code for code in grpc.StatusCode if code.value[0] == value), grpc.StatusCode.UNKNOWN)
