"""Shared helpers for the build, spec-validation, runtime and end-to-end tests."""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from codegen.proofs.package import generated_package

REPO = Path(__file__).resolve().parent.parent

# The registry and the build under test: the bundled ones, or another folder's (tests/test_new_spec.py runs the
# spec-parametrised tests on a copy of specs/ with new specs added, built elsewhere under another package name).
SPECS_DIR = Path(os.environ.get("TRAINSPEC_TEST_SPECS", REPO / "specs"))
GENERATED_DIR = Path(os.environ.get("TRAINSPEC_TEST_OUT", REPO / "generated"))
PACKAGE = os.environ.get("TRAINSPEC_TEST_PACKAGE", "trainspec")

# Written next to generated files by Python, Numba and pytest; never part of a build.
TOOL_FOLDERS = frozenset({"__pycache__", ".pytest_cache"})


def tree(root: Path, *, skip_tool_folders: bool = False) -> dict[str, bytes | None]:
    """Every entry under ``root``: files map to their bytes, folders to None. Missing root: empty."""
    if not root.exists():
        return {}
    entries: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if skip_tool_folders and TOOL_FOLDERS & set(relative.parts):
            continue
        entries[relative.as_posix()] = path.read_bytes() if path.is_file() else None
    return entries


def files_of(root: Path) -> dict[str, str]:
    """The text of every generated file under ``root`` (tool caches left out)."""
    return {
        path: content.decode("utf-8")
        for path, content in tree(root, skip_tool_folders=True).items()
        if content is not None
    }


def tree_diff(expected: dict[str, str], actual: dict[str, str], expected_name: str, actual_name: str) -> str:
    """A readable account of how two file sets differ: missing and extra files, then unified diffs."""
    lines = [f"missing from {actual_name}: {path}" for path in sorted(set(expected) - set(actual))]
    lines += [f"extra in {actual_name}: {path}" for path in sorted(set(actual) - set(expected))]
    for path in sorted(set(expected) & set(actual)):
        if expected[path] != actual[path]:
            lines += difflib.unified_diff(
                expected[path].splitlines(),
                actual[path].splitlines(),
                f"{expected_name}/{path}",
                f"{actual_name}/{path}",
                lineterm="",
            )
    return "\n".join(lines)


def run_trainspec(
    *arguments: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the real command line (``python -m codegen``, the ``trainspec`` script's entry) in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "codegen", *arguments],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def imported_package(out_dir: Path, name: str) -> Iterator[ModuleType]:
    """Import the package ``name`` generated into ``out_dir`` (its folder ``out_dir/name``), and forget it afterwards.

    A package built with ``--package NAME`` imports under that name only; a unique name keeps it apart from the
    installed ``trainspec``.
    """
    assert name.isidentifier() and name not in sys.modules, f"pick a fresh package name, not {name!r}"
    sys.path.insert(0, str(out_dir))
    importlib.invalidate_caches()
    # No .pyc: a rebuilt module of the same size in the same second must not load stale bytecode.
    writing_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        yield importlib.import_module(name)
    finally:
        sys.dont_write_bytecode = writing_bytecode
        sys.path.remove(str(out_dir))
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def package() -> ModuleType:
    """The generated package under test, imported under its one name (``trainspec`` unless configured)."""
    return generated_package(GENERATED_DIR / PACKAGE, PACKAGE)


def submodule_of(path: str) -> ModuleType:
    """A module of the package under test (``"initializers.kernels"``)."""
    return importlib.import_module(f"{PACKAGE}.{path}")
