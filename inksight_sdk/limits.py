"""Resource limits on inputs and stages, in one configurable object.

Every limit is checked before the work it protects: file size before a reader
opens a file, pixels per image (and per rendered PDF page) before decoding,
pages per input before the pages are converted, words per page before they are
cropped. ``page_timeout`` bounds the detector and derenderer time of one page.
The table with defaults and CLI flags is ``docs/limits.md``.

Page sources receive the limits through their options: a page source whose
options class has a field named like a limit (``max_pixels``, ``max_pages``,
``max_bytes``) is given the configured value, so a third-party reader opts in
by declaring the field. The core enforces every limit again on what the source
yields, so a source that ignores them cannot bypass them.
"""

from __future__ import annotations

from typing import Any

import attrs

from .errors import BadArgumentsError

__all__ = [
    "Limits",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_WORDS",
    "SOURCE_LIMIT_FIELDS",
]

#: bytes per input file (1 GiB)
DEFAULT_MAX_BYTES = 1 << 30
#: pixels per image or rendered page (20 000 x 20 000 fits)
DEFAULT_MAX_PIXELS = 400_000_000
#: pages per input file (PDF pages, TIFF frames, pages of an ink file)
DEFAULT_MAX_PAGES = 10_000
#: words a detector may return for one page
DEFAULT_MAX_WORDS = 100_000

#: the limits a page source may declare in its options class to receive them
SOURCE_LIMIT_FIELDS = ("max_bytes", "max_pixels", "max_pages")


def _positive_int(name: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadArgumentsError(f"limit {name} must be a positive whole number, got {value!r}")

    return check


def _timeout(instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise BadArgumentsError(f"page_timeout must be a positive number of seconds or None, got {value!r}")


@attrs.frozen
class Limits:
    """What one conversion may consume; pass to ``Pipeline(limits=...)`` or ``convert(limits=...)``.

    ``page_timeout`` is ``None`` (no limit) by default; with a value, each
    page's detector and derenderer calls run in a worker (a thread, or a
    process with ``Pipeline(isolation="process")``) and a page that is not
    done in time is reported and skipped.
    """

    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=_positive_int("max_bytes"))
    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=_positive_int("max_pixels"))
    max_pages: int = attrs.field(default=DEFAULT_MAX_PAGES, validator=_positive_int("max_pages"))
    max_words: int = attrs.field(default=DEFAULT_MAX_WORDS, validator=_positive_int("max_words"))
    page_timeout: float | None = attrs.field(default=None, validator=_timeout)

    @classmethod
    def of(cls, value: Limits | dict[str, Any] | None) -> Limits:
        """A :class:`Limits` from ``None`` (defaults), a mapping of fields, or itself."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            known = {a.name for a in attrs.fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise BadArgumentsError(f"unknown limit(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
            return cls(**value)
        raise BadArgumentsError(f"limits must be a Limits or a dict, got {type(value).__name__}")

    def for_source(self, options_class: type | None) -> dict[str, Any]:
        """The limit values a page source's options class declares fields for."""
        if options_class is None or not attrs.has(options_class):
            return {}
        declared = {a.name for a in attrs.fields(options_class)}
        return {name: getattr(self, name) for name in SOURCE_LIMIT_FIELDS if name in declared}
