"""The pipeline: specs folder in, generated files out, each stage a function.

    load_registry → validate → lower → (plan_kernel → print) models → render → write | check

Everything is generated in memory first; only when every spec has gone
through does anything touch the output folder, one file at a time through a
temporary file and an atomic rename. A bad spec therefore leaves the output
exactly as it was.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codegen.docs import doc_files
from codegen.initializers import initializer_files, package_exports
from codegen.load import Registry, load_registry
from codegen.lower import lower
from codegen.models import optimizer_module_model
from codegen.render import GeneratedFile, header, render
from codegen.schedules import schedule_files
from codegen.validate import validate
from codegen.verify.checks import check_files

REPO = Path(__file__).resolve().parent.parent
SPECS_DIR = REPO / "specs"
GENERATED_DIR = REPO / "generated"

# Produced next to generated files by tools, never by the generator: not "extra".
IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache"})


@dataclass
class BuildReport:
    files: dict[str, GeneratedFile]
    stage_seconds: dict[str, float] = field(default_factory=dict)


def generate(specs_dir: Path = SPECS_DIR, progress: Callable[[str], None] | None = None) -> BuildReport:
    """Every output file, in memory, keyed by its path relative to the output folder.

    The output depends on the specs alone, not on where it is written. The generated relation checks
    load the specs they prove from ``specs_dir``: by its path in the repository when it lies inside
    it (the same text on every clone), by its absolute path otherwise.
    """
    timer = _StageTimer()
    with timer("load"):
        registry = load_registry(specs_dir)
    files: list[GeneratedFile] = []
    for spec in registry.specs:
        if progress:
            progress(f"{spec.source} → {spec.name}")
        with timer("validate"):
            validate(spec)
        with timer("lower + optimize + print"):
            model = optimizer_module_model(lower(spec))
        with timer("render"):
            text = render("optimizer.py.jinja", model=model, header=header(spec.source))
        files.append(GeneratedFile(f"optimizers/{spec.module_name}.py", text, spec.source))
    with timer("render"):
        files.extend(_package_files(registry))
    with timer("docs"):
        files.extend(doc_files(registry))
    with timer("checks"):
        files.extend(check_files(registry, _specs_location(specs_dir)))
    with timer("initializers"):
        files.extend(initializer_files(registry))
    with timer("schedules"):
        files.extend(schedule_files(registry))
    ordered = {f.path: f for f in sorted(files, key=lambda f: f.path)}
    return BuildReport(ordered, timer.seconds)


def _specs_location(specs_dir: Path) -> str:
    """Python source for the path of ``specs_dir`` in a generated module (``REPO`` is codegen.build's)."""
    resolved = specs_dir.resolve()
    if resolved.is_relative_to(REPO):
        return " / ".join(["REPO", *(repr(part) for part in resolved.relative_to(REPO).parts)])
    return f"Path({resolved.as_posix()!r})"


def _package_files(registry: Registry) -> list[GeneratedFile]:
    sources = "the specs in specs/"
    exports = [(spec.module_name, spec.name, spec.aliases) for spec in registry.specs]
    package = render(
        "package_init.py.jinja",
        header=header(sources),
        exports=exports,
        initializer_exports=package_exports(registry),
        schedule_exports=[(spec.module_name, spec.name) for spec in registry.schedules],
    )
    optimizers = render("optimizers_init.py.jinja", header=header(sources))
    return [
        GeneratedFile("__init__.py", package, sources),
        GeneratedFile("optimizers/__init__.py", optimizers, sources),
    ]


@dataclass(frozen=True)
class Difference:
    kind: str  # "stale", "missing" or "extra"
    path: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def compare(files: dict[str, GeneratedFile], out_dir: Path) -> list[Difference]:
    """How ``out_dir`` differs from ``files``; empty when it is up to date."""
    existing = set(_existing_files(out_dir))
    differences = []
    for path, generated in files.items():
        target = out_dir / path
        if path not in existing:
            differences.append(Difference("missing", path))
        elif target.read_text(encoding="utf-8") != generated.text:
            differences.append(Difference("stale", path))
    differences.extend(Difference("extra", path) for path in sorted(existing - set(files)))
    return differences


def write(files: dict[str, GeneratedFile], out_dir: Path) -> list[Difference]:
    """Bring ``out_dir`` up to date; returns what changed. Unchanged files are not touched."""
    changes = compare(files, out_dir)
    for change in changes:
        target = out_dir / change.path
        if change.kind == "extra":
            target.unlink()
        else:
            _write_atomically(target, files[change.path].text)
    _remove_empty_folders(out_dir)
    return changes


def _existing_files(out_dir: Path) -> list[str]:
    if not out_dir.exists():
        return []
    return sorted(
        path.relative_to(out_dir).as_posix()
        for path in out_dir.rglob("*")
        if path.is_file() and not IGNORED_PARTS & set(path.relative_to(out_dir).parts)
    )


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _remove_empty_folders(out_dir: Path) -> None:
    for folder in sorted((p for p in out_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


class _StageTimer:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[stage] = timer.seconds.get(stage, 0.0) + time.perf_counter() - self.start

        return _Stage()
