"""The generated package that a check module belongs to, imported under the one name it was built with.

Generated checks sit in ``<package folder>/checks/`` and test the kernels of
their own build, never another installed copy. A package is importable under
exactly one name (its ``__init__`` refuses any other): Numba caches a kernel
under the name of the module it was compiled in, so a second name would find
a cache that points at a module it cannot import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def generated_package(folder: Path, name: str) -> ModuleType:
    """The package in ``folder``, imported as ``name``; an error if ``name`` is already taken by another folder."""
    folder = Path(folder).resolve()
    init = folder / "__init__.py"
    if not init.is_file():
        raise ImportError(f"no generated package {name} in {folder.parent}: build it there first (trainspec build)")
    if name in sys.modules:
        module = sys.modules[name]
        imported = Path(getattr(module, "__file__", "") or "").resolve()
        if imported != init:
            raise ImportError(f"{name} is already imported from {imported.parent}; these checks test {folder}")
        return module
    found = importlib.util.find_spec(name)
    if found is not None and found.origin and Path(found.origin).resolve() == init:
        return importlib.import_module(name)  # installed (or on sys.path) from this very folder
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def submodule(package: ModuleType, path: str) -> ModuleType:
    """``package``'s module at ``path`` (``optimizers.adam``)."""
    return importlib.import_module(f"{package.__name__}.{path}")
