"""One exception hierarchy; each error carries the CLI exit code it maps to.

The exit-code table (documented in ``docs/exit-codes.md`` and stable across
releases) lives here so the CLI, the docs test and library users agree on it.
"""

from __future__ import annotations

import enum

__all__ = [
    "ExitCode",
    "InkSightError",
    "BadArgumentsError",
    "InputFileError",
    "InputLimitError",
    "OutputFileError",
    "PluginError",
    "MissingPluginError",
    "DuplicatePluginError",
    "StageError",
    "InvalidInkError",
    "IncompleteOutputError",
]


class ExitCode(enum.IntEnum):
    """Process exit codes of the ``inksight`` command."""

    OK = 0
    BAD_ARGUMENTS = 2
    INPUT_FILE = 3
    OUTPUT_FILE = 4
    PLUGIN = 5
    INCOMPLETE = 6
    INPUT_LIMIT = 7
    INVALID_INK = 8
    INTERNAL = 15
    INTERRUPTED = 130


class InkSightError(Exception):
    """Base of every error the SDK raises on purpose.

    The message is one line that says what went wrong and what to do next.
    """

    exit_code: ExitCode = ExitCode.INTERNAL


class BadArgumentsError(InkSightError):
    exit_code = ExitCode.BAD_ARGUMENTS


class InputFileError(InkSightError):
    """An input is missing, unreadable, or not a supported kind of file."""

    exit_code = ExitCode.INPUT_FILE


class InputLimitError(InputFileError):
    """An input exceeds a configured limit (pixels, pages, bytes)."""

    exit_code = ExitCode.INPUT_LIMIT


class OutputFileError(InkSightError):
    exit_code = ExitCode.OUTPUT_FILE


class PluginError(InkSightError):
    exit_code = ExitCode.PLUGIN


class MissingPluginError(PluginError):
    """A named stage does not exist or is not installed."""


class DuplicatePluginError(PluginError):
    """Two plugins registered the same name for the same stage."""


class StageError(InkSightError):
    """A stage failed on one word or page; the pipeline records it and goes on."""

    exit_code = ExitCode.INCOMPLETE


class InvalidInkError(InkSightError, ValueError):
    """Ink data violates the data model (shapes, NaN, decreasing time)."""

    exit_code = ExitCode.INVALID_INK


class IncompleteOutputError(InkSightError):
    """The output was written but some words or pages are missing from it."""

    exit_code = ExitCode.INCOMPLETE
