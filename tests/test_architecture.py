"""The layout's promises, read from the code's own imports.

- No import circle in the generator, even counting the imports placed inside functions (a command's tools, which
  are imported when the command runs): such an import never dodges a circle.
- A stage never imports a later one: the language, loading, validation, lowering, planning, printing, emitting and
  rendering come in that order, and the proof library, the referees and the tools sit above the stages they use.
- The product stands alone: the generated package imports no generator module, and the generated checks import
  only the proof library.
- The generator imports and builds without Numba, in a fresh interpreter where Numba cannot be imported.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from helpers import GENERATED_DIR, PACKAGE, REPO

CODEGEN = REPO / "codegen"

# Where each part of the generator stands: a module may import only from its own level or a lower one.
LEVELS = {
    "codegen.errors": 0,
    "codegen.output": 0,
    "codegen.progress": 0,
    "codegen.version": 0,
    "codegen.language": 1,
    "codegen.load": 2,
    "codegen.validate": 3,
    "codegen.lower": 4,
    "codegen.plan": 5,
    "codegen.printers": 6,
    "codegen.proofs": 6,
    "codegen.emit": 7,
    "codegen.render": 8,
    "codegen.cache": 8,
    "codegen.kinds": 9,
    "codegen.build": 10,
    "codegen.referee": 11,
    "codegen.tools": 11,
    "codegen.cli": 12,
    "codegen.__main__": 13,
    "codegen": 13,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str | None = None) -> list[tuple[str, bool]]:
    """Every module ``path`` imports, with whether the import sits inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inside = {id(node) for function in functions for node in ast.walk(function)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in inside) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = (package or module_name(path)).split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, id(node) in inside))
            # ``from codegen.lower import optimizer`` imports the module codegen.lower.optimizer
            found += [(f"{target}.{alias.name}", id(node) in inside) for alias in node.names]
    return found


def generator_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in CODEGEN.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = {target for target, _ in imports_of(path)}
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def level(module: str) -> int:
    for prefix in sorted(LEVELS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LEVELS[prefix]
    raise AssertionError(f"{module} has no level: place it in LEVELS")


def test_no_import_circle_in_the_generator_even_through_imports_inside_functions() -> None:
    graph = generator_graph()
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycle = [*path[path.index(target) :], target]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_stage_imports_a_later_one() -> None:
    wrong = [
        f"{module} (level {level(module)}) imports {target} (level {level(target)})"
        for module, targets in generator_graph().items()
        for target in targets
        if level(target) > level(module) and not module.startswith(target + ".")
    ]
    assert not wrong, "\n".join(wrong)


def test_function_level_imports_are_of_optional_libraries_or_of_command_tools() -> None:
    """Inside a function, only a library that not every user has, or a command's own tools (see codegen/cli.py)."""
    optional = ("torch", "keras", "jax", "optax", "matplotlib", "sklearn", "codegen.tools", "codegen.referee")
    found = [
        f"{path.relative_to(REPO)}: {target}"
        for path in CODEGEN.rglob("*.py")
        for target, inside in imports_of(path)
        if inside and not target.startswith(optional)
    ]
    assert not found, "imports inside functions:\n" + "\n".join(found)


def test_the_generated_package_imports_no_generator_module() -> None:
    folder = GENERATED_DIR / PACKAGE
    modules = sorted(folder.rglob("*.py"))
    assert modules
    for path in modules:
        targets = [target for target, _ in imports_of(path, _package_module(path, folder))]
        assert not [t for t in targets if t.split(".")[0] in {"codegen", "specs", "generated"}], (path, targets)


def _package_module(path: Path, folder: Path) -> str:
    parts = (folder.name, *path.relative_to(folder).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_generated_checks_import_only_the_proof_library() -> None:
    checks = sorted((GENERATED_DIR / "checks").glob("test_*.py"))
    assert checks
    for path in checks:
        generator = {target for target, _ in imports_of(path) if target.split(".")[0] in {"codegen", "specs"}}
        assert generator and all(t.startswith("codegen.proofs") for t in generator), (path.name, sorted(generator))


_WITHOUT_NUMBA = """
import sys
sys.modules["numba"] = None  # any `import numba` now raises ImportError
import pkgutil, importlib
import codegen
# verify and bench run the product (and Numba); codegen.__main__ runs the command line
for module in pkgutil.walk_packages(codegen.__path__, "codegen."):
    if not module.name.startswith(("codegen.referee", "codegen.tools", "codegen.__main__")):
        importlib.import_module(module.name)
from codegen.cli import main
raise SystemExit(main(["build", "--check", "--no-cache"]))
"""


def test_the_generator_imports_and_builds_without_numba() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_NUMBA], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "up to date" in result.stdout
