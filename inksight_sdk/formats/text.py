"""The transcription of an ink document as plain text: what its detector (or derenderer) read.

Words in reading order, a space between the words of a line, a newline
between lines, a form feed between pages (as ``pdftotext`` separates them).
Words without text are left out; a line with none is no line.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ink import InkDocument, WordInk

__all__ = ["page_text", "document_text"]


def page_text(words: Sequence[WordInk]) -> str:
    """The text of one page's words (in their reading order)."""
    lines: list[list[str]] = []
    last = None
    for word in words:
        if word.text is None or not word.text.strip():
            continue
        if (word.block, word.line) != last:
            lines.append([])
            last = (word.block, word.line)
        lines[-1].append(word.text.strip())
    return "\n".join(" ".join(line) for line in lines)


def document_text(document: InkDocument) -> str:
    """The text of every page, pages separated by a form feed; ends with a newline."""
    return "\n\f".join(page_text(page.words) for page in document.pages) + "\n"
