"""``python -m inksight_sdk`` is the ``inksight`` command."""

from .cli import main

main()
