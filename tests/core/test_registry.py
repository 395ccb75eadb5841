"""Plugin discovery and selection rules (brief section 5)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import inksight_sdk
from inksight_sdk import PluginRegistry, StageSpec, hookimpl
from inksight_sdk.errors import BadArgumentsError, DuplicatePluginError, MissingPluginError
from inksight_sdk.registry import PluginLoadWarning
from tests.conftest import write_dist


def test_builtins_are_registered_like_plugins():
    reg = PluginRegistry(entry_points=False)
    assert {s.name for s in reg.stages("exporter")} >= {"json", "inkml", "svg"}
    assert reg.select("detector").name == "layout"
    assert reg.select("derenderer").name == "skeleton"
    assert all(s.distribution == "inksight-sdk" for s in reg.stages("exporter"))


def test_entry_point_plugins_are_discovered(test_registry):
    names = {s.name for s in test_registry.stages("derenderer")}
    assert {"ink-columns", "explode", "nan", "short", "skeleton"} <= names
    stage = test_registry.select("derenderer", "ink-columns")
    assert stage.distribution == "inksight-test-plugins"


def test_unknown_name_lists_installed_names(test_registry):
    with pytest.raises(MissingPluginError, match="unknown derenderer 'nope'.*ink-columns.*skeleton"):
        test_registry.select("derenderer", "nope")


def test_unavailable_stage_gives_its_install_hint(test_registry):
    with pytest.raises(MissingPluginError, match="pip install inksight-imaginary"):
        test_registry.select("derenderer", "missing-model")


def test_first_party_plugin_that_is_not_installed_names_its_distribution():
    reg = PluginRegistry(entry_points=False)  # only the builtins: no first-party distribution
    with pytest.raises(MissingPluginError, match="'onnx' is not installed.*pip install inksight-onnx.*plugins/onnx"):
        reg.select("derenderer", "onnx")
    with pytest.raises(MissingPluginError, match="'pdf' is not installed.*pip install inksight-pdf"):
        reg.select("page_source", "pdf")


class _Plugin:
    def __init__(self, name, priority, available=True, auto=True):
        self.name, self.priority, self.available, self.auto = name, priority, available, auto

    @hookimpl
    def register_derenderers(self, register):
        register(
            StageSpec(
                name=self.name,
                description="test",
                factory=lambda o: None,
                priority=self.priority,
                is_available=lambda: self.available,
                install_hint=f"pip install {self.name}",
                auto=self.auto,
            )
        )


def test_auto_takes_highest_priority_available_and_order_never_decides():
    plugins = [
        _Plugin("b-high", 50),
        _Plugin("a-high", 50),
        _Plugin("top-missing", 99, available=False),
        _Plugin("low", 1),
    ]
    for order in (plugins, plugins[::-1]):
        reg = PluginRegistry(order, entry_points=False, builtins=False)
        assert reg.select("derenderer", "auto").name == "a-high"  # tie broken by name


def test_a_stage_kept_out_of_auto_runs_only_when_named():
    reg = PluginRegistry([_Plugin("remote", 99, auto=False), _Plugin("local", 1)], entry_points=False, builtins=False)
    assert reg.select("derenderer", "auto").name == "local"
    assert reg.select("derenderer", "remote").name == "remote"


def test_a_bad_option_value_is_one_readable_line():
    from inksight_sdk.pipeline import default_registry

    with pytest.raises(BadArgumentsError) as caught:
        default_registry().select("exporter", "inkml").spec.make_options({"flavour": "x"})
    assert str(caught.value) == "bad options for inkml: 'flavour' must be in ('standard', 'inksight') (got 'x')"


def test_auto_with_nothing_available_names_install_hints():
    reg = PluginRegistry([_Plugin("only", 5, available=False)], entry_points=False, builtins=False)
    with pytest.raises(MissingPluginError, match="no derenderer is installed.*pip install only"):
        reg.select("derenderer")


def test_duplicate_names_are_an_error_naming_both(plugin_site):
    write_dist(plugin_site, "inksight-dupe", {"dupe": "inksight_duplicate_plugin"})
    reg = PluginRegistry()
    with pytest.raises(
        DuplicatePluginError, match="inksight-test-plugins.*inksight-dupe|inksight-dupe.*inksight-test-plugins"
    ):
        reg.select("derenderer", "ink-columns")
    # other names still work
    assert reg.select("derenderer", "explode").name == "explode"


def test_broken_plugin_is_a_warning_not_a_crash(plugin_site):
    write_dist(plugin_site, "inksight-broken", {"broken": "module_that_does_not_exist_anywhere"})
    with pytest.warns(PluginLoadWarning, match="inksight-broken.*failed to import"):
        reg = PluginRegistry()
    assert reg.select("derenderer", "ink-columns")


def test_misspelled_hook_is_caught():
    class Typo:
        @hookimpl
        def register_derenderer(self, register):  # missing "s"
            pass

    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        PluginRegistry([Typo()], entry_points=False, builtins=False)


def test_two_registries_in_one_process_are_independent():
    one = PluginRegistry([_Plugin("alpha", 5)], entry_points=False, builtins=False)
    two = PluginRegistry([_Plugin("beta", 5)], entry_points=False, builtins=False)
    assert [s.name for s in one.stages("derenderer")] == ["alpha"]
    assert [s.name for s in two.stages("derenderer")] == ["beta"]


def test_options_are_typed_and_unknown_ones_rejected(test_registry):
    name, stage = test_registry.create("derenderer", "ink-columns", {"size": 128})
    assert stage.crop_spec.size == 128
    with pytest.raises(BadArgumentsError, match="unknown option.*colour"):
        test_registry.create("derenderer", "ink-columns", {"colour": "red"})
    with pytest.raises(BadArgumentsError, match="takes no options"):
        test_registry.create("page_source", "inkml", {"pretty": True})
    with pytest.raises(BadArgumentsError, match="bad options for inkml.*flavour"):
        test_registry.create("exporter", "inkml", {"flavour": "fancy"})


def test_plugins_can_add_cli_commands(plugin_site, tmp_path):
    plugin = tmp_path / "site" / "inksight_cmd_plugin.py"
    plugin.write_text(
        textwrap.dedent('''
        import click
        import inksight_sdk

        @inksight_sdk.hookimpl
        def register_commands(cli):
            @cli.command()
            @click.argument("name")
            def hello(name):
                """Say hello (added by a plugin)."""
                click.echo(f"hello {name}")
    ''')
    )
    write_dist(plugin_site, "inksight-cmd", {"cmd": "inksight_cmd_plugin"})
    from tests.conftest import run_cli

    result = run_cli("hello", "ink", env_paths=[plugin_site])
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "hello ink"
    assert "hello" in run_cli("--help", env_paths=[plugin_site]).stdout.decode()


HEAVY_ROOTS = (
    "jax",
    "jaxlib",
    "torch",
    "torchvision",
    "onnxruntime",
    "doctr",
    "rapidocr",
    "pytesseract",
    "grpc",
    "tensorflow",
    "flax",
)
PROBE = """
import sys
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {roots!r} or m.startswith('google.cloud'))
print('LOADED:' + ','.join(loaded))
"""


@pytest.mark.parametrize(
    "code",
    [
        "import inksight_sdk",
        "from inksight_sdk.pipeline import default_registry; default_registry()",
        "from inksight_sdk.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
        "from inksight_sdk.cli import main\ntry:\n    main(['plugins'])\nexcept SystemExit:\n    pass",
    ],
)
def test_lazy_imports(code):
    """Importing the SDK, building the registry, --help and plugins never import heavy ML stacks."""
    script = code + PROBE.format(roots=HEAVY_ROOTS)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("LOADED:")][-1]
    assert line == "LOADED:", line


def test_embedded_default_convert_imports_no_scipy(tmp_path):
    """The builtin detector and tracer avoid scipy: its import alone costs ~0.3 s of every CLI run."""
    sample = Path(inksight_sdk.__file__).parent / "samples" / "quick_brown_fox.jpg"
    code = (
        "import sys\nfrom inksight_sdk.cli import main\n"
        f"try:\n    main(['convert', {str(sample)!r}, '-o', {str(tmp_path / 'fox.json')!r}])\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('SCIPY:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fox.json").exists()
    assert [ln for ln in result.stdout.splitlines() if ln.startswith("SCIPY:")][-1] == "SCIPY:"
