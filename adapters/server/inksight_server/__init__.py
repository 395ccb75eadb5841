"""inksight-server: ``inksight serve``, an HTTP API and a web page for inksight-sdk.

Registered through the ``inksight_sdk`` entry point; the only hook is
``register_commands``, which adds the ``serve`` command. Registration is
cheap: FastAPI and uvicorn are imported when the server starts, so
``inksight --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

from inksight_sdk import hookimpl

__all__ = ["register_commands"]


@hookimpl
def register_commands(cli: Any) -> None:
    from .command import serve

    cli.add_command(serve)
