"""The driver: one loop over the table of kinds, every stage timed, every unit of work cached by its inputs.

    load → for each kind, for each spec: validate → lower → plan → emit → render
         → the files of each kind, and of the package → format (ruff) → write or check

Everything is generated in memory first; only when every spec has gone
through does ``codegen.output`` touch the output folder, so a bad spec leaves
it exactly as it was. A unit of work (one spec, or the files of a kind) is
skipped when the cache holds its files for exactly these inputs
(``codegen.cache``): editing one spec rebuilds that spec and what names it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from codegen.cache import BuildCache
from codegen.emit.code.package import top_package
from codegen.emit.common import Emitted
from codegen.emit.docs.master import master_document
from codegen.kinds import BY_NAME, KINDS
from codegen.load import Registry, load_registry
from codegen.output import GeneratedFile
from codegen.render import format_python, render

REPO = Path(__file__).resolve().parent.parent
SPECS_DIR = REPO / "specs"
GENERATED_DIR = REPO / "generated"
PACKAGE = "trainspec"
"""The name of the generated package (``import trainspec``)."""

STAGES = ("load", "validate", "lower", "plan", "emit", "render", "format")


@dataclass
class BuildReport:
    files: dict[str, GeneratedFile]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    units: int = 0
    cached: int = 0
    """Units of work whose files came from the cache."""


class StageTimer:
    """Seconds spent in each stage, summed over the whole build."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


class Build:
    """One build's state: the registry, its settings, the planned form of each spec (planned once)."""

    def __init__(self, registry: Registry, package: str, specs_location: str, timer: StageTimer):
        self.registry = registry
        self.package = package
        self.specs_location = specs_location
        self.timer = timer
        self._planned: dict[tuple[str, str], object] = {}

    def planned(self, kind: str, name: str) -> object:
        """The planned form of the spec ``name`` of ``kind``: validated, lowered and planned on first use."""
        key = (kind, name)
        if key not in self._planned:
            stages = BY_NAME[kind]
            spec = next(s for s in self.registry.of(kind) if s.name == name)
            with self.timer("validate"):
                stages.validate(spec, self)
            with self.timer("lower"):
                lowered = stages.lower(spec, self)
            with self.timer("plan"):
                self._planned[key] = stages.plan(lowered, self)
        return self._planned[key]

    def emit(self, produce: Callable[[], Iterable[Emitted]]) -> list[GeneratedFile]:
        with self.timer("emit"):
            emitted = list(produce())
        with self.timer("render"):
            return [render(e) for e in emitted]


def generate(
    specs_dir: Path = SPECS_DIR,
    out_dir: Path = GENERATED_DIR,
    *,
    package: str = PACKAGE,
    cache: BuildCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Every output file, in memory, keyed by its path relative to ``out_dir``.

    The generated checks find the specs relative to their own folder, so the output depends on where
    ``specs_dir`` lies relative to ``out_dir`` (``../../specs`` in the repository), not on absolute paths.
    """
    cache = cache or BuildCache(None)
    timer = StageTimer()
    with timer("load"):
        registry = load_registry(specs_dir)
    specs_location = Path(os.path.relpath(Path(specs_dir).resolve(), Path(out_dir).resolve() / "checks")).as_posix()
    build = Build(registry, package, specs_location, timer)
    inputs = _Inputs(registry)
    units = []
    for kind in KINDS:
        for spec in registry.of(kind.name):

            def spec_files(kind=kind, spec=spec) -> Iterable[Emitted]:
                if progress:
                    progress(f"{spec.source} → {spec.name}")
                return kind.emit(build.planned(kind.name, spec.name), build)

            units.append((f"{kind.name} {spec.name}", inputs.of(spec.source), spec_files))
        kind_sources = [spec.source for spec in registry.of(kind.name)]
        units.append((f"{kind.name} index", inputs.of(*kind_sources), lambda kind=kind: kind.index(build)))
        units.append((f"{kind.name} shared", [], lambda kind=kind: kind.shared(build)))
    units.append(("package", inputs.of(*registry.files), lambda: _package_files(registry, package)))

    settings = (package, specs_location)
    files: list[GeneratedFile] = []
    missed: list[tuple[str, list[GeneratedFile]]] = []
    for name, unit_inputs, produce in units:
        key = cache.key(name, settings, unit_inputs)
        cached = cache.load(key)
        if cached is None:
            missed.append((key, build.emit(produce)))
        else:
            files.extend(cached)
    with timer("format"):
        formatted = iter(format_python(f for _, unit_files in missed for f in unit_files))
    for key, unit_files in missed:
        done = [next(formatted) for _ in unit_files]
        cache.store(key, done)
        files.extend(done)
    files.extend(runtime_files(package))
    ordered = {f.path: f for f in sorted(files, key=lambda f: f.path)}
    return BuildReport(ordered, timer.seconds, len(units), len(units) - len(missed))


def _package_files(registry: Registry, package: str) -> list[Emitted]:
    kinds = tuple((kind.package, registry.of(kind.name)) for kind in KINDS)
    parts = tuple(kind.part for kind in KINDS if registry.of(kind.name))
    return [top_package(package, kinds), master_document(parts)]


# ----------------------------------------------------------------------------- the runtime


def runtime_folder() -> Path:
    """The hand-written runtime the generated modules import: in the repository, or in the installed package."""
    beside = GENERATED_DIR / PACKAGE / "runtime"
    if beside.is_dir():
        return beside
    found = importlib.util.find_spec(PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise FileNotFoundError("cannot find trainspec's runtime: install trainspec, or build from its repository")
    return Path(next(iter(found.submodule_search_locations))) / "runtime"


def runtime_files(package: str) -> list[GeneratedFile]:
    """The runtime, copied as it is into every generated package, so that each one stands alone."""
    return [
        GeneratedFile(f"{package}/runtime/{path.name}", path.read_text(encoding="utf-8"), f"{PACKAGE}/runtime")
        for path in sorted(runtime_folder().glob("*.py"))
    ]


# ----------------------------------------------------------------------------- what a unit reads


class _Inputs:
    """The spec files a unit of work reads: its own, those they import, and those of the specs they name."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.source_of = {name: spec.source for spec in registry.everything for name in (spec.name, *spec.aliases)}
        self.declared: dict[str, list] = {}
        for spec in registry.everything:
            self.declared.setdefault(spec.source, []).append(spec)
        for relation in registry.relations:
            self.declared.setdefault(relation.source, []).append(relation)

    def of(self, *sources: str) -> list[Path]:
        seen: set[str] = set()
        pending = list(sources)
        while pending:
            source = pending.pop()
            if source in seen:
                continue
            seen.add(source)
            pending.extend(self.registry.imports.get(source, ()))
            names = _strings(self.declared.get(source, ()))
            pending.extend(self.source_of[name] for name in names if name in self.source_of)
        return [self.registry.files[source] for source in sorted(seen)]


def _strings(value: object) -> set[str]:
    """Every string inside ``value`` (dataclasses, containers): the names a declaration may refer to."""
    if isinstance(value, str):
        return {value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _strings([getattr(value, f.name) for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return _strings(list(value.keys()) + list(value.values()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()
