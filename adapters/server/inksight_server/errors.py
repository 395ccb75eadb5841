"""Errors as HTTP answers: the CLI's one-line messages and exit codes, with an HTTP status.

Every refusal is ``{"error": {"status", "exit_code", "code", "message"}}``.
``code`` is the name of the CLI's exit code (:class:`inksight_sdk.ExitCode`)
where the CLI has the same failure, so a client can treat both alike; the
conditions only a server has (a missing token, a full queue, a timeout, an
unknown job) have names of their own. The table is in the package's README
and in docs/exit-codes.md.
"""

from __future__ import annotations

from typing import Any

from inksight_sdk.errors import ExitCode, InkSightError, InputLimitError

__all__ = ["ApiError", "STATUS_OF_EXIT_CODE", "from_sdk", "one_line"]

#: the HTTP status of each exit code a conversion can end with
STATUS_OF_EXIT_CODE: dict[ExitCode, int] = {
    ExitCode.BAD_ARGUMENTS: 422,  # a well-formed request whose choices a stage refuses
    ExitCode.INPUT_FILE: 400,
    ExitCode.OUTPUT_FILE: 500,  # the server could not write its own temporary file
    ExitCode.PLUGIN: 422,
    ExitCode.INCOMPLETE: 422,  # only as an error: the worker died on this input (a kept document is a 200)
    ExitCode.INPUT_LIMIT: 413,
    ExitCode.INVALID_INK: 400,
    ExitCode.INTERNAL: 500,
    ExitCode.INTERRUPTED: 503,
}


def one_line(message: object) -> str:
    """The CLI's rule: every message is one line."""
    return "; ".join(line.strip() for line in str(message).splitlines() if line.strip())


class ApiError(Exception):
    """A refusal with its HTTP status, exit code, code name and one-line message.

    ``headers`` carries ``Retry-After`` (429, 503) or ``WWW-Authenticate`` (401).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        exit_code: int = ExitCode.BAD_ARGUMENTS,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(one_line(message))
        self.status = status
        self.exit_code = int(exit_code)
        self.code = code or _name(self.exit_code)
        self.headers = headers or {}

    @property
    def message(self) -> str:
        return str(self)

    def body(self) -> dict[str, Any]:
        return {"error": self.info()}

    def info(self) -> dict[str, Any]:
        return {"status": self.status, "exit_code": self.exit_code, "code": self.code, "message": self.message}

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> ApiError:
        """Rebuild an error from :meth:`info` (a job's stored error, a worker's answer)."""
        return cls(info["status"], info["message"], exit_code=info["exit_code"], code=info["code"])


def _name(exit_code: int) -> str:
    try:
        return ExitCode(exit_code).name
    except ValueError:
        return "INTERNAL"


def from_sdk(exc: InkSightError | MemoryError | Exception, status: int | None = None) -> ApiError:
    """The HTTP form of an SDK error (``status`` overrides the table, e.g. 415 for an unknown type)."""
    if isinstance(exc, MemoryError):
        exc = InputLimitError("out of memory; the input is too large for this machine, downscale it")
    if not isinstance(exc, InkSightError):
        message = f"internal error: {type(exc).__name__}: {exc}; report it with the server's log"
        return ApiError(500, message, exit_code=ExitCode.INTERNAL)
    code = ExitCode(exc.exit_code)
    return ApiError(status or STATUS_OF_EXIT_CODE.get(code, 500), str(exc), exit_code=code)
