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
import functools
import importlib.util
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import sympy

from codegen.cache import BuildCache
from codegen.emit.code.package import top_package
from codegen.emit.common import Emitted
from codegen.emit.docs.master import master_document
from codegen.kinds import BY_NAME, KINDS
from codegen.load import Registry, load_registry
from codegen.output import GeneratedFile
from codegen.render import environment, format_python, render

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
    warnings: tuple[str, ...] = ()
    """What the specs allow that no user wants (``Kind.warnings``): the build goes on, the author is told."""


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
    """One build's state: the registry, its settings, the lowered and planned form of each spec (each made once)."""

    def __init__(
        self, registry: Registry, package: str, specs_location: str, timer: StageTimer, templates: jinja2.Environment
    ):
        self.registry = registry
        self.package = package
        self.specs_location = specs_location
        self.timer = timer
        self.templates = templates
        self._lowered: dict[tuple[str, str], object] = {}
        self._planned: dict[tuple[str, str], object] = {}

    def lowered(self, kind: str, name: str) -> object:
        """The lowered form of the spec ``name`` of ``kind``: validated and lowered on first use."""
        key = (kind, name)
        if key not in self._lowered:
            stages = BY_NAME[kind]
            spec = next(s for s in self.registry.of(kind) if s.name == name)
            with self.timer("validate"):
                stages.validate(spec, self)
            with self.timer("lower"):
                self._lowered[key] = stages.lower(spec, self)
        return self._lowered[key]

    def planned(self, kind: str, name: str) -> object:
        """The planned form of the spec ``name`` of ``kind``: validated, lowered and planned on first use."""
        key = (kind, name)
        if key not in self._planned:
            lowered = self.lowered(kind, name)
            with self.timer("plan"):
                self._planned[key] = BY_NAME[kind].plan(lowered, self)
        return self._planned[key]

    def emit(self, produce: Callable[[], Iterable[Emitted]]) -> list[GeneratedFile]:
        with self.timer("emit"):
            emitted = list(produce())
        with self.timer("render"):
            return [render(e, self.templates) for e in emitted]


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
    build = Build(registry, package, specs_location, timer, environment(cache.templates_folder()))
    inputs = _Inputs(registry)
    # The files that depend on the generator alone come first: on a cold cache, with no costs known, they are
    # started first (the initializers' kernels derive their constants by integration: the longest unit).
    units: list[tuple[str, list[Path], Callable[[], Iterable[Emitted]]]] = [
        (f"{kind.name} shared", [], functools.partial(kind.shared, build)) for kind in KINDS
    ]
    for kind in KINDS:
        for spec in registry.of(kind.name):
            label = f"{spec.source} → {spec.name}"
            produce = functools.partial(_spec_files, build, kind.name, spec.name)
            units.append((label, inputs.of(spec.source), produce))
        kind_sources = [spec.source for spec in registry.of(kind.name)]
        units.append((f"{kind.name} index", inputs.of(*kind_sources), functools.partial(kind.index, build)))
    units.append(("package", inputs.of(*registry.files), functools.partial(_package_files, registry, package)))

    settings = (package, specs_location)
    files: list[GeneratedFile] = []
    missed: list[tuple[str, str, Callable[[], Iterable[Emitted]]]] = []
    for label, unit_inputs, produce in units:
        key = cache.key(label, settings, unit_inputs)
        cached = cache.load(key)
        if cached is None:
            missed.append((key, label, produce))
            if progress:
                progress(label)
        else:
            files.extend(cached)
    produced, seconds = _emit_all(build, [(label, produce) for _, label, produce in missed], cache.costs())
    cache.record_costs(seconds)
    with timer("format"):
        formatted = iter(format_python(f for unit_files in produced for f in unit_files))
    for (key, _, _), unit_files in zip(missed, produced):
        done = [next(formatted) for _ in unit_files]
        cache.store(key, done)
        files.extend(done)
    files.extend(runtime_files(package))
    ordered = {f.path: f for f in sorted(files, key=lambda f: f.path)}
    with timer("validate"):
        warnings = tuple(line for kind in KINDS for spec in registry.of(kind.name) for line in kind.warnings(spec))
    return BuildReport(ordered, timer.seconds, len(units), len(units) - len(missed), warnings)


def _spec_files(build: Build, kind: str, name: str) -> Iterable[Emitted]:
    return BY_NAME[kind].emit(build.planned(kind, name), build)


# ----------------------------------------------------------------------------- units of work on every core

UNKNOWN_COST = 0.1
"""The seconds a unit of work is assumed to take before it has run once with this cache (a cold cache)."""
WORKER_OVERHEAD = 0.15
"""Seconds that worker processes add to a build: the fork, the results sent back, the parents each worker plans
again. They are used only where they are expected to save more than that."""
_WORK: tuple[Build, list[Callable[[], Iterable[Emitted]]]] | None = None
"""The build and its pending units, which forked workers inherit (the units are closures: they do not pickle)."""

Produced = tuple[list[GeneratedFile], dict[str, float], float]
"""One unit's rendered files, the seconds each stage took on it, and its seconds in all."""


def _emit_all(
    build: Build, pending: list[tuple[str, Callable[[], Iterable[Emitted]]]], costs: dict[str, float]
) -> tuple[list[list[GeneratedFile]], dict[str, float]]:
    """Every pending unit's rendered files, in order, and the seconds each took (by label).

    ``costs``: what each unit took when it last ran. With enough work, the units run on one worker per core, the
    longest first, so that no long unit is left for last on one worker.
    """
    expected = [costs.get(label, UNKNOWN_COST) for label, _ in pending]
    producers = [produce for _, produce in pending]
    workers = min(os.cpu_count() or 1, len(pending))
    alone, shared = sum(expected), max(max(expected, default=0.0), sum(expected) / max(workers, 1))
    if workers < 2 or alone - shared < WORKER_OVERHEAD or "fork" not in multiprocessing.get_all_start_methods():
        results = [_produce(build, produce) for produce in producers]
    else:
        order = sorted(range(len(pending)), key=lambda i: -expected[i])
        global _WORK
        _WORK = (build, producers)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                finished = dict(zip(order, pool.map(_produce_in_worker, order, chunksize=1)))
        finally:
            _WORK = None
        results = [finished[i] for i in range(len(pending))]
        for _, spent, _ in results:  # the stages' times, summed over the workers
            for stage, stage_seconds in spent.items():
                build.timer.seconds[stage] = build.timer.seconds.get(stage, 0.0) + stage_seconds
    seconds = {label: total for (label, _), (_, _, total) in zip(pending, results)}
    return [unit_files for unit_files, _, _ in results], seconds


def _produce(build: Build, produce: Callable[[], Iterable[Emitted]]) -> Produced:
    before, start = dict(build.timer.seconds), time.perf_counter()
    unit_files = build.emit(produce)
    spent = {stage: build.timer.seconds[stage] - before.get(stage, 0.0) for stage in build.timer.seconds}
    return unit_files, spent, time.perf_counter() - start


def _produce_in_worker(index: int) -> Produced:
    build, producers = _WORK
    return _produce(build, producers[index])


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
        source_of = {name: spec.source for spec in registry.everything for name in (spec.name, *spec.aliases)}
        declared: dict[str, list] = {}
        for item in (*registry.everything, *registry.relations):
            declared.setdefault(item.source, []).append(item)
        # What each file reads besides itself: the files it imports and those of the specs it names.
        self.reads = {
            source: {*registry.imports.get(source, ()), *(source_of[n] for n in _strings(items) if n in source_of)}
            for source, items in declared.items()
        }

    def of(self, *sources: str) -> list[Path]:
        seen: set[str] = set()
        pending = list(sources)
        while pending:
            source = pending.pop()
            if source in seen:
                continue
            seen.add(source)
            pending.extend(self.reads.get(source, ()))
        return [self.registry.files[source] for source in sorted(seen)]


def _strings(value: object) -> set[str]:
    """Every string inside ``value`` (dataclasses, containers): the names a declaration may refer to."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, sympy.Basic):
        return set()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _strings([getattr(value, f.name) for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return _strings(list(value.keys()) + list(value.values()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()
