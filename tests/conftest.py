"""Shared fixtures: real data paths, and test plugins installed as entry points."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SUPPORT = Path(__file__).resolve().parent / "support"


def shared(*parts: str) -> Path:
    """A file under ../shared/data; the test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data missing: {path}")
    return path


def write_dist(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """Create an installed-distribution record with ``inksight_sdk`` entry points."""
    info = site / f"{name.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    lines = ["[inksight_sdk]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    """A site folder on sys.path holding the test plugins as a distribution."""
    site = tmp_path / "site"
    site.mkdir()
    write_dist(site, "inksight-test-plugins", {"testing": "inksight_test_plugins"})
    monkeypatch.syspath_prepend(str(SUPPORT))
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def test_registry(plugin_site):
    from inksight_sdk import PluginRegistry

    return PluginRegistry()


def run_cli(*args: str, env_paths: list[Path] = (), cwd: Path | None = None, input: bytes | None = None):
    """Run the real ``inksight`` CLI in a subprocess (own interpreter, real exit code)."""
    env = dict(os.environ)
    paths = [str(p) for p in env_paths] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable, "-c", "from inksight_sdk.cli import main; main()", *args],
        capture_output=True,
        env=env,
        cwd=cwd,
        input=input,
        timeout=300,
    )


@pytest.fixture
def cli_with_test_plugins(plugin_site):
    def run(*args: str, cwd: Path | None = None, input: bytes | None = None):
        return run_cli(*args, env_paths=[plugin_site, SUPPORT], cwd=cwd, input=input)

    return run


UIM_VENV = Path(os.environ.get("INKSIGHT_UIM_VENV", REPO / ".venv-uim"))


@pytest.fixture(scope="session")
def uim_python() -> Path:
    """The Python of the UIM environment: inksight-sdk, adapters/uim and Wacom's universal-ink-library.

    That library pins protobuf<4, which the onnx plugin's dependencies in the
    main environment cannot share, so scripts/run-tests builds it apart
    (``.venv-uim``, or ``INKSIGHT_UIM_VENV``). A missing environment fails the
    tests that need it, it does not skip them.
    """
    python = UIM_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no UIM environment at {UIM_VENV}: bash scripts/run-tests builds it (see its comments)")
    return python


def run_in(python: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python args...`` (text output, no PYTHONPATH of ours: the environment's own packages only)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def run_main(*args: object) -> tuple[int, str]:
    """The real ``inksight`` entry point in this process (faster than :func:`run_cli`): exit code and stderr."""
    from inksight_sdk.cli import main

    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, err.getvalue()
