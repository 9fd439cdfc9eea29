"""The package's ``__init__`` modules: the top level, and one per kind listing its classes by name.

One emitter for every kind: what differs between them (the lookup a kind's
``get`` does, what its package re-exports from the runtime) is data in the
kind's ``PackageStyle``, declared in the table of kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.common import Emitted


@dataclass(frozen=True)
class PackageStyle:
    """How the package of one kind reads: its folder, its table, its lookup, and the runtime names it offers."""

    folder: str
    noun: str
    table: str
    docstring: str
    runtime: str
    """The runtime module whose ``runtime_names`` the package re-exports (empty: none)."""
    runtime_names: tuple[str, ...]
    runtime_helpers: tuple[str, ...]
    """Runtime functions the package calls without re-exporting them (``register``, ``lookup``)."""
    functions: tuple[tuple[str, tuple[str, ...]], ...]
    """Lookup functions: (signature, body lines), ``get(identifier)`` first."""
    exports_aliases: bool
    """Whether the snake_case spellings are exported too (initializers, as Keras has them)."""
    registers: bool
    """Whether the classes are registered with the runtime (schedules, for deserialization)."""
    specs_folder: str = ""
    """The folder of ``specs/`` the classes come from, where it is not ``folder``."""


@dataclass(frozen=True)
class Export:
    module: str
    class_name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class KindPackage:
    style: PackageStyle
    exports: tuple[Export, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        """Every class, by name, and by its snake_case spellings where the kind exports them."""
        aliases = self.style.exports_aliases
        return tuple(name for e in self.exports for name in (e.class_name, *(e.aliases if aliases else ())))

    @property
    def names(self) -> tuple[str, ...]:
        """What ``__all__`` lists."""
        functions = tuple(signature.partition("(")[0] for signature, _ in self.style.functions)
        return (*self.classes, self.style.table, *self.style.runtime_names, *functions)


@dataclass(frozen=True)
class TopPackage:
    package: str
    imports: tuple[tuple[str, str], ...]
    """(kind folder, the names imported from it)."""
    names: tuple[str, ...]


def exports(specs: tuple) -> tuple[Export, ...]:
    return tuple(Export(spec.module_name, spec.name, spec.aliases) for spec in specs)


def kind_package(style: PackageStyle, specs: tuple, package: str) -> Emitted:
    """``<package>/<folder>/__init__.py``: the kind's classes by name, and its lookup."""
    model = KindPackage(style, exports(specs))
    path = f"{package}/{style.folder}/__init__.py"
    source = f"the specs in specs/{style.specs_folder or style.folder}/"
    return Emitted(path, "code/kind_package.py.jinja", model, source)


def top_package(package: str, kinds: tuple[tuple[PackageStyle, tuple], ...]) -> Emitted:
    """The package users import: every class of every kind; the first kind's (the optimizers') table and lookup."""
    imports, names = [], []
    for index, (style, specs) in enumerate(kinds):
        if not specs:
            continue
        classes = KindPackage(style, exports(specs)).classes
        lookup = (style.table, "get") if index == 0 else ()
        imports.append((style.folder, ", ".join((*classes, *lookup))))
        names += [*classes, *lookup]
    model = TopPackage(package, tuple(imports), tuple(names))
    return Emitted(f"{package}/__init__.py", "code/top_package.py.jinja", model, "the specs in specs/")
