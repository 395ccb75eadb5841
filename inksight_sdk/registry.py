"""The plugin registry: finds plugins, collects their named stages, selects one.

Each :class:`PluginRegistry` owns its own ``pluggy.PluginManager``, so two
pipelines in one process can run with different plugins. Builtin plugins are
registered exactly the way third-party ones are (modules with hook
implementations); third-party plugins come from the ``inksight_sdk``
entry-point group. Selection rules (the brief, section 5):

- an explicit name must exist, or the error lists the known names and the
  install hints of the unavailable ones;
- ``auto`` takes the available stage with the highest priority; equal
  priorities are broken by name, so registration order never decides; a
  stage registered with ``auto=False`` runs only when named;
- two plugins registering one name for the same stage is an error naming both
  distributions, raised when that name is selected;
- a plugin that fails to import or to register is a warning, not a crash.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .errors import BadArgumentsError, DuplicatePluginError, InkSightError, MissingPluginError, PluginError

__all__ = ["StageSpec", "RegisteredStage", "PluginRegistry", "PluginLoadWarning", "STAGE_KINDS"]

log = logging.getLogger(__name__)

#: stage kind -> the hook that registers it
STAGE_KINDS: dict[str, str] = {
    "detector": "register_detectors",
    "derenderer": "register_derenderers",
    "exporter": "register_exporters",
    "page_source": "register_page_sources",
    "engine": "register_engines",
}

BUILTIN_MODULES = (
    "inksight_sdk.builtin.image_source",
    "inksight_sdk.builtin.ink_sources",
    "inksight_sdk.builtin.exporters",
    "inksight_sdk.builtin.classical",
    "inksight_sdk.builtin.local_engine",
)

ENTRY_POINT_GROUP = "inksight_sdk"


class PluginLoadWarning(UserWarning):
    """A plugin could not be imported or failed while registering its stages."""


def _always() -> bool:
    return True


@attrs.frozen
class StageSpec:
    """A named, replaceable stage offered by a plugin.

    ``factory(options)`` builds the stage object; it is where heavy imports
    belong. ``options`` is an attrs class describing the stage's typed
    options (``None``: the stage takes none). ``is_available`` must be cheap
    (e.g. ``importlib.util.find_spec``), never import the heavy library.
    ``extensions`` (exporters, page sources) maps file names to the stage;
    ``sniff(head)`` (page sources) recognises a file from its first bytes.
    ``auto=False`` keeps the stage out of ``auto``'s choice: it runs only
    when named (a detector that sends pages to a remote service).
    """

    name: str
    description: str
    factory: Callable[[Any], Any]
    priority: int = 0
    is_available: Callable[[], bool] = _always
    install_hint: str = ""
    options: type | None = None
    extensions: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    sniff: Callable[[bytes], bool] | None = None
    auto: bool = True

    def make_options(self, values: Mapping[str, Any] | None) -> Any:
        """Validate user options against the options class."""
        values = dict(values or {})
        if self.options is None:
            if values:
                raise BadArgumentsError(f"{self.name} takes no options, got {', '.join(sorted(values))}; remove them")
            return None
        known = {a.name for a in attrs.fields(self.options)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadArgumentsError(
                f"unknown option(s) {', '.join(unknown)} for {self.name}; known: {', '.join(sorted(known)) or 'none'}"
            )
        try:
            return self.options(**values)
        except (TypeError, ValueError) as exc:
            # attrs' validators put the message first, then the attribute's whole record
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise BadArgumentsError(f"bad options for {self.name}: {reason}") from exc


@attrs.frozen
class RegisteredStage:
    """A stage spec together with the distribution that registered it."""

    kind: str
    spec: StageSpec
    distribution: str
    conflicts_with: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    def available(self) -> bool:
        try:
            return bool(self.spec.is_available())
        except Exception:  # an availability probe must never break listing
            log.debug("availability check of %s failed", self.spec.name, exc_info=True)
            return False


class PluginRegistry:
    """Plugins and the stages they offer, for one pipeline (or many).

    ``plugins`` are extra plugin objects (modules or instances with hook
    implementations) registered in addition to the builtins and, when
    ``entry_points`` is true, the installed ``inksight_sdk`` entry points.
    The registry is immutable once built and safe to share between threads;
    stage objects are built on demand by :meth:`create`.
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        entry_points: bool = True,
        builtins: bool = True,
    ) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._distributions: dict[int, str] = {}
        plugins = tuple(plugins)
        self._recipe = (plugins, entry_points, builtins)
        if builtins:
            for module_name in BUILTIN_MODULES:
                self._add(importlib.import_module(module_name), "inksight-sdk", module_name)
        if entry_points:
            self._load_entry_points()
        for plugin in plugins:
            name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}@{id(plugin):x}"
            self._add(plugin, name, name)
        self._pm.check_pending()
        self._stages = self._collect()
        self._lock = threading.Lock()

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        return self._pm

    def recipe(self) -> tuple[tuple[str, ...], bool, bool]:
        """How to build the same registry in another process (a page worker).

        Returns ``(plugin module names, entry_points, builtins)``; a registry
        given plugin objects that are not importable modules cannot be rebuilt
        and raises :class:`PluginError`.
        """
        plugins, entry_points, builtins = self._recipe
        names = []
        for plugin in plugins:
            name = getattr(plugin, "__name__", None)
            if not isinstance(plugin, type(importlib)) or not name:
                raise PluginError(
                    f"plugin {plugin!r} is not an importable module, so a worker process cannot load it; "
                    "register it through a module or an entry point, or use thread isolation"
                )
            names.append(name)
        return tuple(names), entry_points, builtins

    @classmethod
    def from_recipe(cls, recipe: tuple[tuple[str, ...], bool, bool]) -> PluginRegistry:
        """The registry :meth:`recipe` describes, built in this process (a worker's copy of its parent's)."""
        modules, entry_points, builtins = recipe
        return cls([importlib.import_module(m) for m in modules], entry_points=entry_points, builtins=builtins)

    def _add(self, plugin: object, distribution: str, name: str) -> None:
        if self._pm.is_registered(plugin):
            return
        self._pm.register(plugin, name=name)
        self._distributions[id(plugin)] = distribution

    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else ep.value
            try:
                plugin = ep.load()
            except Exception as exc:
                warnings.warn(
                    f"plugin {ep.name!r} from {dist} failed to import and is skipped: "
                    f"{type(exc).__name__}: {exc}; reinstall or uninstall {dist}",
                    PluginLoadWarning,
                    stacklevel=3,
                )
                continue
            self._add(plugin, dist, f"{dist}:{ep.name}")

    def _collect(self) -> dict[str, dict[str, RegisteredStage]]:
        stages: dict[str, dict[str, RegisteredStage]] = {}
        for kind, hook_name in STAGE_KINDS.items():
            by_name: dict[str, RegisteredStage] = {}
            hook = getattr(self._pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                dist = self._distributions.get(id(impl.plugin), impl.plugin_name)
                found: list[StageSpec] = []
                try:
                    impl.function(register=found.append)
                except Exception as exc:
                    warnings.warn(
                        f"plugin {impl.plugin_name} failed in {hook_name} and is skipped: {type(exc).__name__}: {exc}",
                        PluginLoadWarning,
                        stacklevel=3,
                    )
                    continue
                for spec in found:
                    if not isinstance(spec, StageSpec):
                        warnings.warn(
                            f"plugin {impl.plugin_name} registered a {type(spec).__name__} in {hook_name}, "
                            "expected inksight_sdk.StageSpec; ignored",
                            PluginLoadWarning,
                            stacklevel=3,
                        )
                        continue
                    previous = by_name.get(spec.name)
                    if previous is None:
                        by_name[spec.name] = RegisteredStage(kind, spec, dist)
                    else:
                        by_name[spec.name] = attrs.evolve(previous, conflicts_with=(*previous.conflicts_with, dist))
            stages[kind] = by_name
        return stages

    def stages(self, kind: str) -> list[RegisteredStage]:
        """All registered stages of a kind, sorted by name."""
        return sorted(self._kind(kind).values(), key=lambda s: s.name)

    def _kind(self, kind: str) -> dict[str, RegisteredStage]:
        try:
            return self._stages[kind]
        except KeyError:
            raise BadArgumentsError(f"unknown stage kind {kind!r}; use one of {', '.join(STAGE_KINDS)}") from None

    def select(self, kind: str, name: str = "auto") -> RegisteredStage:
        """Resolve a stage by name, or the best available one for ``auto``."""
        stages = self._kind(kind)
        label = kind.replace("_", " ")
        if name == "auto":
            candidates = [s for s in stages.values() if s.spec.auto and s.available()]
            if not candidates:
                raise MissingPluginError(f"no {label} is installed; install one: {self._hints(stages.values())}")
            chosen = min(candidates, key=lambda s: (-s.spec.priority, s.name))
        else:
            chosen = stages.get(name)
            if chosen is None:
                from .catalog import known_plugin

                first_party = known_plugin(kind, name)
                if first_party is not None:
                    raise MissingPluginError(
                        f"{label} {name!r} is not installed; install it: {first_party.install_hint}"
                    )
                known = ", ".join(sorted(stages)) or "none"
                raise MissingPluginError(
                    f"unknown {label} {name!r}; installed: {known}; run 'inksight plugins' to see all"
                )
            if not chosen.available():
                raise MissingPluginError(
                    f"{label} {name!r} is not available here; {chosen.spec.install_hint or 'see its documentation'}"
                )
        if chosen.conflicts_with:
            raise DuplicatePluginError(
                f"{label} name {chosen.name!r} is registered by both {chosen.distribution} and "
                f"{', '.join(chosen.conflicts_with)}; uninstall one of them"
            )
        return chosen

    def create(self, kind: str, name: str = "auto", options: Mapping[str, Any] | None = None) -> tuple[str, Any]:
        """Build a stage object; returns its resolved name and the object."""
        stage = self.select(kind, name)
        opts = stage.spec.make_options(options)
        try:
            return stage.name, stage.spec.factory(opts)
        except InkSightError:
            raise
        except Exception as exc:
            raise PluginError(
                f"{kind.replace('_', ' ')} {stage.name} ({stage.distribution}) failed to start: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def for_extension(self, kind: str, filename: str) -> RegisteredStage | None:
        """The stage whose extensions match ``filename`` (longest match wins)."""
        lower = filename.lower()
        matches = [
            (len(ext), s) for s in self._kind(kind).values() for ext in s.spec.extensions if lower.endswith(ext.lower())
        ]
        if not matches:
            return None
        return min(matches, key=lambda m: (-m[0], -m[1].spec.priority, m[1].name))[1]

    def sniff(self, head: bytes) -> list[RegisteredStage]:
        """Page sources that recognise a file's first bytes, best first."""
        found = []
        for stage in self._kind("page_source").values():
            sniff = stage.spec.sniff
            if sniff is not None and sniff(head):
                found.append(stage)
        return sorted(found, key=lambda s: (-s.spec.priority, s.name))

    def add_commands(self, cli: Any) -> None:
        """Let plugins add CLI commands (the ``register_commands`` hook)."""
        for impl in self._pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:
                warnings.warn(
                    f"plugin {impl.plugin_name} failed to add commands: {type(exc).__name__}: {exc}",
                    PluginLoadWarning,
                    stacklevel=2,
                )

    def versions(self) -> dict[str, str]:
        """Distribution versions of every registered plugin (for document metadata)."""
        out: dict[str, str] = {}
        for dist in set(self._distributions.values()):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return out

    def _hints(self, stages: Iterable[RegisteredStage]) -> str:
        hints = sorted({f"{s.name}: {s.spec.install_hint}" for s in stages if s.spec.install_hint})
        return "; ".join(hints) or "see 'inksight plugins'"
