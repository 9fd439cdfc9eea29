"""Stage 0: find the spec files in a folder and import the declarations they hold.

A spec file defines ``SPEC`` (one spec) and optionally ``RELATIONS`` (facts
about it that the generated checks prove). Files whose name starts with ``_``
are helpers, not specs. Files load in sorted order, so the registry, and
everything generated from it, has one order on every machine.

While a folder loads, the package ``specs`` is that folder: a spec derived
from another (``from specs.optimizers.adam import SPEC``) takes its parent
from the same folder, never from another copy, and every file runs once.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from codegen.errors import SpecError
from codegen.language import SPEC_TYPES

PACKAGE = "specs"
"""The name spec files import each other by."""


@dataclass(frozen=True)
class Registry:
    """Every spec found in one specs folder, by kind, and the relations declared beside them."""

    specs_dir: Path
    by_kind: dict[str, tuple] = field(default_factory=dict)
    relations: tuple = ()
    files: dict[str, Path] = field(default_factory=dict)
    """Each spec's file, by its ``source`` (``specs/optimizers/adam.py``), and each helper file a spec file imports
    (``specs/controllers/_examples.py``)."""
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The sources of the spec files each spec file imports."""

    def of(self, kind: str) -> tuple:
        """The specs of one kind (``"optimizer"``), in load order."""
        return self.by_kind.get(kind, ())

    @property
    def optimizers(self) -> tuple:
        return self.of("optimizer")

    @property
    def schedules(self) -> tuple:
        return self.of("schedule")

    @property
    def initializers(self) -> tuple:
        return self.of("initializer")

    @property
    def everything(self) -> tuple:
        """Every spec of every kind, kind by kind, in load order within each kind."""
        return tuple(spec for specs in self.by_kind.values() for spec in specs)

    def imported_by(self, source: str) -> tuple[str, ...]:
        """The sources of every spec file that ``source`` imports, directly or through another, nearest first."""
        found: list[str] = []
        pending = list(self.imports.get(source, ()))
        while pending:
            imported = pending.pop(0)
            if imported not in found and imported != source:
                found.append(imported)
                pending.extend(self.imports.get(imported, ()))
        return tuple(found)

    def get(self, name: str):
        """The spec called ``name`` (or one of its aliases); KeyError listing the registered names."""
        for spec in self.everything:
            if name == spec.name or name in spec.aliases:
                return spec
        known = ", ".join(spec.name for spec in self.everything)
        raise KeyError(f"no spec named {name!r}; registered: {known}")


def spec_files(specs_dir: Path) -> list[Path]:
    """The spec files under ``specs_dir``, in a stable order."""
    return sorted(
        path for path in specs_dir.rglob("*.py") if not path.name.startswith("_") and "__pycache__" not in path.parts
    )


def load_registry(specs_dir: Path) -> Registry:
    """Import every spec file under ``specs_dir``; errors name the file."""
    specs_dir = Path(specs_dir).resolve()
    if not specs_dir.is_dir():
        raise SpecError(str(specs_dir), "not a folder of specs")
    kinds = {spec_type.kind: spec_type for spec_type in SPEC_TYPES}
    by_kind: dict[str, list] = {kind: [] for kind in kinds}
    relations: list = []
    files: dict[str, Path] = {}
    imports: dict[str, tuple[str, ...]] = {}
    with _specs_package(specs_dir):
        for path in spec_files(specs_dir):
            source = _display_path(path, specs_dir)
            module = _import_file(path, specs_dir, source)
            spec = getattr(module, "SPEC", None)
            kind = getattr(spec, "kind", None)
            if not dataclasses.is_dataclass(spec) or kind not in kinds:
                names = ", ".join(t.__name__ for t in SPEC_TYPES)
                raise SpecError(source, f"defines no SPEC (one of: {names})")
            by_kind[kind].append(dataclasses.replace(spec, source=source))
            relations.extend(dataclasses.replace(r, source=source) for r in getattr(module, "RELATIONS", ()))
            files[source] = path
            imports[source] = _imported_sources(path, specs_dir)
    _check_unique_names([spec for specs in by_kind.values() for spec in specs])
    _add_helpers(files, imports, specs_dir)
    return Registry(
        specs_dir, {kind: tuple(specs) for kind, specs in by_kind.items()}, tuple(relations), files, imports
    )


def _add_helpers(files: dict[str, Path], imports: dict[str, tuple[str, ...]], specs_dir: Path) -> None:
    """The helper files (``_examples.py``) that spec files import, and those they import: inputs of the specs too."""
    pending = [source for imported in list(imports.values()) for source in imported]
    while pending:
        source = pending.pop()
        if source in files:
            continue
        files[source] = specs_dir.joinpath(*Path(source).parts[1:])
        imports[source] = _imported_sources(files[source], specs_dir)
        pending.extend(imports[source])


def _display_path(path: Path, specs_dir: Path) -> str:
    return (Path(specs_dir.name) / path.relative_to(specs_dir)).as_posix()


def _module_name(path: Path, specs_dir: Path) -> str:
    return ".".join((PACKAGE, *path.relative_to(specs_dir).with_suffix("").parts))


class _specs_package:
    """``specs`` is ``specs_dir`` while the folder loads; whatever ``specs`` was before is put back after."""

    def __init__(self, specs_dir: Path):
        self.specs_dir = specs_dir
        self.saved: dict[str, types.ModuleType] = {}

    def __enter__(self) -> None:
        self.saved = {name: sys.modules.pop(name) for name in list(sys.modules) if _in_package(name)}
        package = types.ModuleType(PACKAGE, f"the spec files in {self.specs_dir}")
        package.__path__ = [str(self.specs_dir)]
        sys.modules[PACKAGE] = package
        importlib.invalidate_caches()

    def __exit__(self, *exc: object) -> None:
        for name in [name for name in sys.modules if _in_package(name)]:
            del sys.modules[name]
        sys.modules.update(self.saved)


def _in_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _import_file(path: Path, specs_dir: Path, source: str) -> types.ModuleType:
    try:
        return importlib.import_module(_module_name(path, specs_dir))
    except SpecError:
        raise
    except Exception as error:  # a spec file is user code: report any failure against it
        raise SpecError(source, f"cannot be imported: {type(error).__name__}: {error}") from error


# ``from specs.optimizers.adam import SPEC`` or ``import specs.optimizers.adam``: the module it names.
_IMPORT = re.compile(rf"^\s*(?:from|import)\s+({PACKAGE}(?:\.\w+)+)", re.MULTILINE)


def _imported_sources(path: Path, specs_dir: Path) -> tuple[str, ...]:
    """The spec files that ``path`` imports, by their sources (a module that is no file here is left out)."""
    imported = set()
    for name in _IMPORT.findall(path.read_text(encoding="utf-8")):
        candidate = specs_dir.joinpath(*name.split(".")[1:]).with_suffix(".py")
        if candidate.is_file():
            imported.add(_display_path(candidate, specs_dir))
    return tuple(sorted(imported))


def _check_unique_names(specs: list) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        for name in sorted({name.lower() for name in (spec.name, *spec.aliases)}):
            if name in seen:
                raise SpecError(spec.source, f"name {name!r} is already used by {seen[name]}", spec=spec.name)
            seen[name] = spec.source
