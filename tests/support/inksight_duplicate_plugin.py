"""Test-only plugin that claims a name another plugin already uses."""

import inksight_sdk
from inksight_sdk import StageSpec


@inksight_sdk.hookimpl
def register_derenderers(register):
    register(StageSpec(name="ink-columns", description="test: duplicate name", factory=lambda options: None))
