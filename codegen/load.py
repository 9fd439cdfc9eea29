"""Stage 0: find the spec files in a folder and import the declarations they hold.

A spec file defines ``SPEC`` (one spec) and optionally ``RELATIONS`` (facts
about it that the generated checks prove). Files whose name starts with ``_``
are helpers, not specs. Files load in sorted order, so the registry, and
everything generated from it, has one order on every machine.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import SpecError
from codegen.spec import OptimizerSpec


@dataclass(frozen=True)
class Registry:
    """Every spec found in one specs folder, by kind, and the relations declared beside them.

    ``specs`` holds the optimizers; other kinds of spec (each dataclass has a
    ``kind`` class attribute) are kept in the field of that name.
    """

    specs: tuple[OptimizerSpec, ...]
    relations: tuple = ()
    schedules: tuple = ()
    initializers: tuple = ()

    @property
    def everything(self) -> tuple:
        """Every spec of every kind, in load order within each kind."""
        return (*self.specs, *self.schedules, *self.initializers)

    def get(self, name: str):
        for spec in self.everything:
            if name == spec.name or name in spec.aliases:
                return spec
        known = ", ".join(spec.name for spec in self.everything)
        raise KeyError(f"no spec named {name!r}; registered: {known}")


# The kinds of spec a file may declare, by their ``kind`` class attribute.
SPEC_KINDS = {"optimizer": "OptimizerSpec", "schedule": "ScheduleSpec", "initializer": "InitializerSpec"}


def spec_files(specs_dir: Path) -> list[Path]:
    """The spec files under ``specs_dir``, in a stable order."""
    return sorted(
        path for path in specs_dir.rglob("*.py") if not path.name.startswith("_") and "__pycache__" not in path.parts
    )


def load_registry(specs_dir: Path) -> Registry:
    """Import every spec file under ``specs_dir``; errors name the file."""
    specs_dir = Path(specs_dir)
    if not specs_dir.is_dir():
        raise SpecError(str(specs_dir), "not a folder of specs")
    by_kind: dict[str, list] = {kind: [] for kind in SPEC_KINDS}
    relations: list = []
    for path in spec_files(specs_dir):
        source = _display_path(path, specs_dir)
        module = _import_file(path, source)
        spec = getattr(module, "SPEC", None)
        kind = getattr(spec, "kind", None)
        if not dataclasses.is_dataclass(spec) or kind not in SPEC_KINDS:
            raise SpecError(source, f"defines no SPEC (one of: {', '.join(SPEC_KINDS.values())})")
        by_kind[kind].append(dataclasses.replace(spec, source=source))
        relations.extend(dataclasses.replace(r, source=source) for r in getattr(module, "RELATIONS", ()))
    _check_unique_names([spec for specs in by_kind.values() for spec in specs])
    return Registry(
        specs=tuple(by_kind["optimizer"]),
        relations=tuple(relations),
        schedules=tuple(by_kind["schedule"]),
        initializers=tuple(by_kind["initializer"]),
    )


def _display_path(path: Path, specs_dir: Path) -> str:
    return (Path(specs_dir.name) / path.relative_to(specs_dir)).as_posix()


def _import_file(path: Path, source: str):
    module_name = "_trainspec_spec_" + source.replace("/", "_").removesuffix(".py")
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except SpecError:
        raise
    except Exception as error:  # a spec file is user code: report any failure against it
        del sys.modules[module_name]
        raise SpecError(source, f"cannot be imported: {type(error).__name__}: {error}") from error
    return module


def _check_unique_names(specs: list) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        for name in sorted({name.lower() for name in (spec.name, *spec.aliases)}):
            if name in seen:
                raise SpecError(spec.source, f"name {name!r} is already used by {seen[name]}", spec=spec.name)
            seen[name] = spec.source
